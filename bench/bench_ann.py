"""Approximate 10-NN graph density on a million rows: time, and recall against exact neighbours.

    python bench/bench_ann.py [--n 1000000] [--d 64] [--data embedding|mixture] [--nprobe 6] [--storage sq8|flat]

``embedding``: float32 rows near an 8-dimensional subspace in 20 clusters
(bench_million's pool); ``mixture``: full-rank Gaussian clusters
(bench_sampled_density's pool), the hard case for any approximate search.
Times ``knn_density(algorithm="approximate")`` followed by a graph-density
batch of 100 (``graph_density_select``), then compares the neighbours found
for 2,000 random rows with their exact 10 nearest rows (scikit-learn brute
force), recall@10.
"""
import argparse
import time

import numpy as np
from sklearn.neighbors import NearestNeighbors

from bench_million import embedding_like
from bench_sampled_density import mixture
from fastal._ann import approximate_neighbors
from fastal.kernels import graph_density_select, knn_density, prepare_rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--d", type=int, default=64)
    parser.add_argument("--data", choices=["embedding", "mixture"], default="embedding")
    parser.add_argument("--nlist", type=int, default=None)
    parser.add_argument("--nprobe", type=int, default=None)
    parser.add_argument("--storage", choices=["sq8", "flat"], default=None)
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args(argv)

    X = embedding_like(args.n, args.d)[0] if args.data == "embedding" else mixture(args.n, args.d)
    params = {key: getattr(args, key) for key in ("nlist", "nprobe", "storage")
              if getattr(args, key)}
    start = time.perf_counter()
    density, graph = knn_density(X, args.k, metric="euclidean", algorithm="approximate",
                                 ann_params=params or None)
    graph_time = time.perf_counter() - start
    picks = graph_density_select(density, graph, 100)
    total = time.perf_counter() - start
    print(f"{args.data} pool {args.n:,} x {args.d} float32, k = {args.k}, ann_params "
          f"{params or 'default'}: graph density {graph_time:.1f} s, + batch of 100 "
          f"{total:.1f} s ({len(set(picks.tolist()))} distinct rows)")

    sample = np.sort(np.random.default_rng(2).choice(args.n, 2000, replace=False))
    _, exact = NearestNeighbors(n_neighbors=args.k + 1, algorithm="brute").fit(X).kneighbors(
        X[sample])
    found, _ = approximate_neighbors(prepare_rows("euclidean", X)[1], args.k, "euclidean", 2,
                                     params or None)
    hits = [len(set(found[r].tolist()) & set(e[e != r][:args.k].tolist()))
            for r, e in zip(sample, exact)]
    print(f"recall@{args.k} on 2,000 rows: {np.sum(hits) / (2000 * args.k):.4f} "
          f"(the search repeated with the same parameters)")


if __name__ == "__main__":
    main()
