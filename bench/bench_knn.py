"""k-NN graph: fastal's knn_density against scikit-learn's brute-force k-NN, one run.

    python bench/bench_knn.py [--n 20000 100000] [--d 50] [--k 10] [--repeats 3]

For each n and metric: fastal.kernels.knn_density(X, k, metric=...) and
scikit-learn's NearestNeighbors(n_neighbors=k + 1, algorithm="brute",
metric=...).fit(X).kneighbors_graph(X, mode="distance"), interleaved, best of
the repeats; the ratio is scikit-learn's time over fastal's (> 1: fastal faster).
"""
import argparse

import numpy as np
from timing import best_of
from sklearn.neighbors import NearestNeighbors

from fastal.kernels import knn_density


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--d", type=int, default=50)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--metrics", nargs="+", default=["euclidean", "cosine", "manhattan"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dtype", default="float64")
    args = parser.parse_args(argv)
    print(f"{'n':>8s} {'metric':10s} {'fastal s':>9s} {'sklearn s':>10s} {'ratio':>6s}")
    for n in args.n:
        X = np.random.default_rng(0).normal(size=(n, args.d)).astype(args.dtype)
        for metric in args.metrics:
            repeats = args.repeats if n <= 50_000 else 1
            ours = best_of(lambda: knn_density(X, args.k, metric=metric), repeats)
            skl_metric = "cityblock" if metric == "manhattan" else metric
            theirs = best_of(lambda: NearestNeighbors(
                n_neighbors=args.k + 1, algorithm="brute", metric=skl_metric).fit(X)
                .kneighbors_graph(X, mode="distance"), repeats)
            print(f"{n:8d} {metric:10s} {ours:9.3f} {theirs:10.3f} {theirs / ours:6.2f}",
                  flush=True)


if __name__ == "__main__":
    main()
