"""Approximate k-NN graph density through faiss (the optional extra fastal[ann])."""
import sys

import numpy as np
import pytest
import scipy.sparse as sp

from fastal import kernels as K


def test_missing_faiss_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "faiss", None)       # import faiss -> ImportError
    with pytest.raises(ImportError, match=r"fastal\[ann\]"):
        K.knn_density(np.random.default_rng(0).normal(size=(50, 3)), 3, metric="euclidean",
                      algorithm="approximate")


faiss = pytest.importorskip("faiss")


def low_dimensional(n, d=32, latent=4, seed=0):
    """Rows near a 4-dimensional subspace (as embeddings are), in clusters."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=3.0, size=(10, latent))
    Z = centres[rng.integers(10, size=n)] + rng.normal(size=(n, latent))
    return Z @ rng.normal(size=(latent, d)) + 0.01 * rng.normal(size=(n, d))


def edges(graph):
    g = graph.tocoo()
    return set(zip(g.row.tolist(), g.col.tolist()))


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_every_cell_probed_is_the_exact_graph(metric):
    X = np.random.default_rng(1).normal(size=(400, 8))
    exact = K.knn_density(X, 5, metric=metric)
    approx = K.knn_density(X, 5, metric=metric, algorithm="approximate",
                           ann_params={"nlist": 10, "nprobe": 10, "storage": "flat"})
    np.testing.assert_allclose(approx[0], exact[0], rtol=1e-12)
    assert edges(approx[1]) == edges(exact[1])
    np.testing.assert_allclose(approx[1].toarray(), exact[1].toarray(), rtol=1e-12)


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_default_recall_and_exact_weights(metric):
    X = low_dimensional(6000)
    density, graph = K.knn_density(X, 10, metric=metric, algorithm="approximate")
    exact_density, exact_graph = K.knn_density(X, 10, metric=metric)
    recall = len(edges(graph) & edges(exact_graph)) / exact_graph.nnz
    assert recall >= 0.9
    assert (graph != graph.T).nnz == 0
    g = graph.tocoo()       # each weight is exp(-gamma d) of the pair's exact distance
    if metric == "euclidean":
        d = np.sqrt(((X[g.row] - X[g.col]) ** 2).sum(axis=1))
    else:
        U = X / np.linalg.norm(X, axis=1, keepdims=True)
        d = np.clip(1.0 - (U[g.row] * U[g.col]).sum(axis=1), 0.0, 2.0)
    np.testing.assert_allclose(g.data, np.exp(-d / X.shape[1]), rtol=1e-9, atol=1e-15)
    assert np.median(np.abs(density - exact_density) / exact_density) < 0.01


def test_errors():
    X = np.random.default_rng(2).normal(size=(200, 4))
    with pytest.raises(ValueError, match="supports.*'manhattan'.*algorithm='exact'"):
        K.knn_density(X, 3, metric="manhattan", algorithm="approximate")
    with pytest.raises(TypeError, match="dense rows"):
        K.knn_density(sp.csr_matrix(X), 3, metric="cosine", algorithm="approximate")
    with pytest.raises(TypeError, match="unknown ann_params"):
        K.knn_density(X, 3, metric="euclidean", algorithm="approximate", ann_params={"nprob": 3})
    with pytest.raises(ValueError, match="storage"):
        K.knn_density(X, 3, metric="euclidean", algorithm="approximate",
                      ann_params={"storage": "pq"})
    with pytest.raises(ValueError, match="positive integer"):
        K.knn_density(X, 3, metric="euclidean", algorithm="approximate", ann_params={"nlist": 0})
    with pytest.raises(ValueError, match="only applies"):
        K.knn_density(X, 3, ann_params={"nlist": 4})
    with pytest.raises(ValueError, match="unknown algorithm"):
        K.knn_density(X, 3, algorithm="hnsw")


def test_graph_density_strategy_approximate():
    from fastal.base.dataset import Dataset
    from fastal.query_strategies import GraphDensity
    X = np.random.default_rng(3).normal(size=(300, 6))
    ds = Dataset(X, [0, 1] + [None] * 298)
    exact = GraphDensity(ds, n_neighbors=5, metric="euclidean").make_query(n_instances=10)
    probed_all = GraphDensity(ds, n_neighbors=5, metric="euclidean", algorithm="approximate",
                              ann_params={"nlist": 8, "nprobe": 8,
                                          "storage": "flat"}).make_query(n_instances=10)
    assert probed_all.tolist() == exact.tolist()
    with pytest.raises(ValueError, match="unknown algorithm"):
        GraphDensity(ds, algorithm="fast")


def test_a_low_recall_is_reported_not_silent():
    """Rows without structure defeat the index: the search says how much it missed."""
    import warnings
    from fastal._ann import LowRecallWarning
    X = np.random.default_rng(3).normal(size=(3000, 40))
    with pytest.warns(LowRecallWarning, match=r"only \d+% of the exact neighbours.*nprobe 2 of"):
        K.knn_density(X, 10, metric="euclidean", algorithm="approximate",
                      ann_params={"nprobe": 2})
    with warnings.catch_warnings():
        warnings.simplefilter("error", LowRecallWarning)     # every cell probed: exact
        K.knn_density(X, 10, metric="euclidean", algorithm="approximate",
                      ann_params={"nlist": 8, "nprobe": 8, "storage": "flat"})
        K.knn_density(low_dimensional(3000), 10, metric="cosine", algorithm="approximate")


@pytest.mark.parametrize("metric", ["euclidean", "cosine"])
def test_sampled_recall_counts_the_exact_neighbours_found(metric):
    from sklearn.neighbors import NearestNeighbors

    from fastal._ann import sampled_recall
    X = np.random.default_rng(4).normal(size=(300, 5))
    if metric == "cosine":
        X /= np.linalg.norm(X, axis=1, keepdims=True)     # the kernels' frame: unit rows
    rows = np.array([0, 17, 150, 299])
    dist, ind = NearestNeighbors(n_neighbors=5, metric=metric, algorithm="brute").fit(
        X).kneighbors(X[rows])
    exact = dist[:, 1:]                                    # the row itself first
    assert sampled_recall(X, rows, exact, metric) == 1.0
    worse = exact.copy()
    worse[:, 3] = exact[:, 3] + 1.0                        # one of four missed on every row
    worse[0, 2] = exact[0, 3] + 2.0                        # and a second one on the first
    assert sampled_recall(X, rows, np.sort(worse, axis=1), metric) == (16 - 5) / 16
