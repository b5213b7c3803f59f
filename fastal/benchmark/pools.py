"""The pools the benchmark runs on: random rows of a few kinds, dense or sparse.

``make_pool(kind, n, d, dtype, seed)``; the kinds are

* ``normal``: independent standard normal features (the default; every row
  is about as far from every other);
* ``embedding``: rows near an 8-dimensional subspace, in 20 clusters, with a
  little noise in every feature -- as the embeddings of a neural network are;
* ``mixture``: 50 full-rank Gaussian clusters of different widths, where a
  row's density comes largely from the 2 % of rows of its own cluster (the
  hard case for sampled density and approximate neighbours);
* ``tfidf``: sparse CSR rows like TF-IDF vectors of documents: ``d`` columns
  (default 2**18) whose frequencies follow a Zipf law, 100 distinct terms a
  row (fewer when ``d`` is small), log counts times the inverse document
  frequency, unit length.

Examples
--------
>>> from fastal.benchmark.pools import make_pool
>>> make_pool("embedding", 1000, 32, "float32", seed=0).shape
(1000, 32)
>>> X = make_pool("tfidf", 500, 4096, "float64", seed=0)
>>> X.format, X.shape
('csr', (500, 4096))
"""
import numpy as np
import scipy.sparse as sp

__all__ = ["POOLS", "TFIDF_COLUMNS", "make_pool", "embedding_like", "cluster_mixture",
           "tfidf_like"]

POOLS = ("normal", "embedding", "mixture", "tfidf")
TFIDF_COLUMNS = 2 ** 18
_BLOCK = 100_000


def embedding_like(n, d, dtype=np.float32, seed=0, latent=8, clusters=20):
    """Rows near a ``latent``-dimensional subspace, in ``clusters`` clusters."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=3.0, size=(clusters, latent))
    basis = rng.normal(size=(latent, d))
    which = rng.integers(clusters, size=n)
    X = np.empty((n, d), dtype=dtype)
    for start in range(0, n, _BLOCK):
        part = which[start:start + _BLOCK]
        Z = centres[part] + rng.normal(size=(len(part), latent))
        X[start:start + len(part)] = Z @ basis + 0.05 * rng.normal(size=(len(part), d))
    return X


def cluster_mixture(n, d, dtype=np.float32, seed=0, clusters=50):
    """Rows from ``clusters`` full-rank Gaussian clusters of widths 0.5 to 2."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=4.0, size=(clusters, d))
    widths = rng.uniform(0.5, 2.0, size=clusters)
    which = rng.integers(clusters, size=n)
    X = np.empty((n, d), dtype=dtype)
    for start in range(0, n, _BLOCK):
        part = which[start:start + _BLOCK]
        X[start:start + len(part)] = centres[part] + widths[part, None] * rng.normal(
            size=(len(part), d))
    return X


def tfidf_like(n, d=TFIDF_COLUMNS, dtype=np.float64, seed=0, per_row=100):
    """CSR rows of ``per_row`` distinct Zipf-distributed columns, TF-IDF weighted, unit length.

    A term's count is the number of draws that hit its column; of the
    distinct columns drawn, ``per_row`` are kept at random.
    """
    per_row = max(1, min(per_row, d // 2))
    rng = np.random.default_rng(seed)
    draws = 8 * per_row                     # the Zipf head repeats: draw more, keep per_row
    parts = []
    for start in range(0, n, _BLOCK):
        rows = min(_BLOCK, n - start)
        cols = np.minimum(rng.zipf(1.1, size=(rows, draws)) - 1, d - 1)
        counts = sp.csr_matrix((np.ones(rows * draws),
                                (np.repeat(np.arange(rows), draws), cols.ravel())),
                               shape=(rows, d))
        counts.sum_duplicates()
        row_of = np.repeat(np.arange(rows), np.diff(counts.indptr))
        order = np.lexsort((rng.random(counts.nnz), row_of))   # each row's entries shuffled
        rank = np.empty(counts.nnz, dtype=np.int64)
        rank[order] = np.arange(counts.nnz) - counts.indptr[row_of[order]]
        counts.data[rank >= per_row] = 0.0
        counts.eliminate_zeros()
        parts.append(counts)
    counts = sp.vstack(parts, format="csr")
    df = np.bincount(counts.indices, minlength=d)
    counts.data = np.log1p(counts.data) * np.log((1 + n) / (1 + df[counts.indices]))
    norms = np.sqrt(np.asarray(counts.multiply(counts).sum(axis=1)).ravel())
    X = sp.csr_matrix(sp.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ counts)
    return X.astype(dtype)


def make_pool(kind, n, d, dtype, seed=0):
    """``n`` rows of the pool ``kind`` (one of ``POOLS``) with ``d`` features of ``dtype``."""
    if kind == "normal":
        return np.random.default_rng(seed).normal(size=(n, d)).astype(dtype)
    if kind == "embedding":
        return embedding_like(n, d, dtype, seed)
    if kind == "mixture":
        return cluster_mixture(n, d, dtype, seed)
    if kind == "tfidf":
        return tfidf_like(n, d, dtype, seed)
    raise ValueError(f"unknown pool {kind!r}; valid: {', '.join(POOLS)}")
