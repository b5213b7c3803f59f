"""Sparse (TF-IDF-like) pools: fastal's kernels against scikit-learn and modAL, one run.

    python bench/bench_sparse.py [--n-knn 20000] [--n-ranked 100000] [--skip-modal]

The matrix: 2**18 columns drawn from a Zipf law (exponent 1.1), 100
distinct non-zeros per row, TF-IDF-like values (log counts times an inverse document
frequency), rows scaled to unit length, CSR.
"""
import argparse
import time

import numpy as np
import scipy.sparse as sp
from sklearn.neighbors import NearestNeighbors

from fastal.kernels import knn_density, max_min_select, pairwise_density
from fastal.benchmark import best_time as best_of


def tfidf_like(n, d=2 ** 18, per_row=100, seed=0):
    """Rows of ``per_row`` distinct columns drawn from a Zipf law (term counts as the
    number of draws that hit the column), TF-IDF weighted, unit length, CSR."""
    rng = np.random.default_rng(seed)
    draws = 8 * per_row       # the Zipf head repeats: draw more, keep per_row distinct
    cols = np.minimum(rng.zipf(1.1, size=(n, draws)) - 1, d - 1)
    rows = np.repeat(np.arange(n), draws)
    counts = sp.csr_matrix((np.ones(n * draws), (rows, cols.ravel())), shape=(n, d))
    counts.sum_duplicates()
    row_of = np.repeat(np.arange(n), np.diff(counts.indptr))
    order = np.lexsort((rng.random(counts.nnz), row_of))    # each row's entries shuffled
    rank = np.empty(counts.nnz, dtype=np.int64)
    rank[order] = np.arange(counts.nnz) - counts.indptr[row_of[order]]
    keep = rank < per_row                                   # per_row of them, at random
    counts.data[~keep] = 0.0
    counts.eliminate_zeros()
    df = np.bincount(counts.indices, minlength=d)
    counts.data = np.log1p(counts.data) * np.log((1 + n) / (1 + df[counts.indices]))
    norms = np.sqrt(np.asarray(counts.multiply(counts).sum(axis=1)).ravel())
    return sp.csr_matrix(sp.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ counts)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n-knn", type=int, default=20_000)
    parser.add_argument("--n-ranked", type=int, default=100_000)
    parser.add_argument("--skip-modal", action="store_true")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)

    X = tfidf_like(args.n_ranked)
    print(f"pool {X.shape[0]} x {X.shape[1]}, {X.nnz / X.shape[0]:.1f} non-zeros a row")
    u = np.random.default_rng(1).random(X.shape[0] - 1000)
    t = best_of(lambda: max_min_select(X[1000:], X[:1000], 100, scores=u, metric="cosine"),
                args.repeats)
    print(f"ranked batch of 100 from {X.shape[0] - 1000} rows, 1,000 labeled, cosine: {t:.3f} s")
    t = best_of(lambda: max_min_select(X[1000:], X[:1000], 100, scores=u), args.repeats)
    print(f"same, euclidean: {t:.3f} s")

    Xk = X[:args.n_knn]
    ours = best_of(lambda: knn_density(Xk, 10, metric="cosine"), args.repeats)
    theirs = best_of(lambda: NearestNeighbors(n_neighbors=11, metric="cosine", algorithm="brute")
                     .fit(Xk).kneighbors_graph(Xk, mode="distance"), args.repeats)
    print(f"cosine 10-NN graph, {args.n_knn} rows: fastal {ours:.3f} s, scikit-learn "
          f"{theirs:.3f} s, ratio {theirs / ours:.2f}")

    ours = best_of(lambda: pairwise_density(Xk, metric="cosine"), args.repeats)
    line = f"cosine information density, {args.n_knn} rows: fastal {ours:.3f} s"
    if not args.skip_modal:
        try:
            from modAL.density import information_density
        except ImportError:
            line += "; modAL not installed (pip install modAL-python)"
        else:
            try:
                theirs = best_of(lambda: information_density(Xk, "cosine"), 1)
                line += f", modAL {theirs:.3f} s, ratio {theirs / ours:.1f}"
            except MemoryError as exc:
                line += f", modAL failed: MemoryError ({exc})"
    print(line)


if __name__ == "__main__":
    main()
