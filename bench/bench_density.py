"""Pairwise density against the machine's arithmetic bound, measured in the same run.

    python bench/bench_density.py [--n 20000] [--d 50] [--repeats 3]

The bound is the all-pairs work, n^2 d floating-point operations (a
multiply-add per feature for each of the n^2 / 2 pairs), at the float64
matrix-product rate NumPy's BLAS reaches here on 2,000 x 2,000 products with
every thread (the machine's peak in practice; float32 rows: the float32
rate).  Ratio = fastal's time / the bound.
"""
import argparse

import numpy as np
from timing import best_of

from fastal.kernels import pairwise_density


def gemm_rate(dtype, size=2000):
    """Floating-point operations per second of size x size matrix products."""
    A = np.random.default_rng(1).normal(size=(size, size)).astype(dtype)
    B = A.T.copy()
    return 2 * size ** 3 / best_of(lambda: A @ B, 5)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--d", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    n, d = args.n, args.d
    X = np.random.default_rng(0).normal(size=(n, d))
    rate = gemm_rate(np.float64)
    rate32 = gemm_rate(np.float32)
    bound = n * n * d / rate
    bound32 = n * n * d / rate32
    print(f"GEMM rate (2,000^3): float64 {rate / 1e9:.1f} GFLOP/s, float32 {rate32 / 1e9:.1f} "
          f"GFLOP/s; all-pairs bound at n = {n}: {bound:.3f} s (float32 {bound32:.3f} s)")
    print(f"{'work':34s} {'seconds':>8s} {'/ bound':>8s}")
    times = {}
    for label, metric, dtype in [("density euclidean float64", "euclidean", np.float64),
                                 ("density euclidean float32", "euclidean", np.float32),
                                 ("density cosine distance float64", "cosine", np.float64),
                                 ("density manhattan float64", "manhattan", np.float64)]:
        Xd = X.astype(dtype)
        t = best_of(lambda: pairwise_density(Xd, metric=metric), args.repeats)
        times[label] = t
        own = bound32 if dtype == np.float32 else bound
        print(f"{label:34s} {t:8.3f} {t / own:8.2f}", flush=True)
    ratio = times["density euclidean float64"] / times["density euclidean float32"]
    print(f"float32 euclidean density: {ratio:.2f}x faster than float64 (its bound is the "
          "float32 GEMM rate)")

if __name__ == "__main__":
    main()
