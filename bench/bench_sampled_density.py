"""Sampled density on a million rows: time, and error against the exact density.

    python bench/bench_sampled_density.py [--n 1000000] [--d 64] [--m 2000 5000 10000]
                                          [--data mixture|embedding] [--sampling stratified|uniform]

The pool (``mixture``): float32 rows from a mixture of 50 full-rank Gaussian
clusters of different widths -- the hard case, as a row's density comes
largely from the 2 % of rows in its own cluster; ``embedding``: rows near an
8-dimensional subspace in 20 clusters (bench_million's pool).  The exact density of 5,000 rows drawn at random is computed against
all n rows (1 / (1 + euclidean distance), the row itself included, as
``pairwise_density(X)``), and each sampled estimate of the whole pool is
compared with it on those rows: relative error quantiles, and how often the
exact value lies within 2 reported standard errors.
"""
import argparse
import time

import numpy as np

from fastal.kernels import pairwise_density


def mixture(n, d, seed=0, clusters=50):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(clusters, d))
    widths = rng.uniform(0.5, 2.0, size=clusters)
    which = rng.integers(clusters, size=n)
    X = np.empty((n, d), dtype=np.float32)
    for start in range(0, n, 100_000):
        part = which[start:start + 100_000]
        X[start:start + len(part)] = centres[part] + widths[part, None] * rng.normal(
            size=(len(part), d))
    return X


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--d", type=int, default=64)
    parser.add_argument("--m", type=int, nargs="+", default=[2000, 5000, 10000])
    parser.add_argument("--check", type=int, default=5000)
    parser.add_argument("--data", choices=["mixture", "embedding"], default="mixture")
    parser.add_argument("--sampling", choices=["uniform", "stratified"], default="stratified")
    args = parser.parse_args(argv)

    if args.data == "mixture":
        X = mixture(args.n, args.d)
    else:
        from bench_million import embedding_like
        X = embedding_like(args.n, args.d)[0]
    check = np.sort(np.random.default_rng(1).choice(args.n, args.check, replace=False))
    start = time.perf_counter()
    exact = pairwise_density(X[check], X).astype(np.float64)
    print(f"{args.data} pool {args.n} x {args.d} float32, {args.sampling} sampling; exact density of {args.check} rows against all "
          f"rows: {time.perf_counter() - start:.1f} s")
    print("m | time, all rows (s) | relative error: median, 99th pct, max | within 2 std")
    for m in args.m:
        start = time.perf_counter()
        estimate, std = pairwise_density(X, n_samples=m, random_state=m, return_std=True,
                                         sampling=args.sampling)
        seconds = time.perf_counter() - start
        start = time.perf_counter()
        pairwise_density(X, n_samples=m, random_state=m, sampling=args.sampling)
        plain = time.perf_counter() - start
        err = np.abs(estimate[check] - exact) / exact
        within = np.mean(np.abs(estimate[check] - exact) <= 2 * std[check])
        print(f"{m} | {seconds:.1f} with std, {plain:.1f} without | {np.median(err):.4%}, "
              f"{np.quantile(err, 0.99):.4%}, {err.max():.4%} | {within:.1%}")


if __name__ == "__main__":
    main()
