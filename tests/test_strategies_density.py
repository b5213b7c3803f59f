"""Density, core-set, ranked-batch and graph-density strategies against their peers' rules."""
import numpy as np
import pytest
from scipy.spatial.distance import cdist
from sklearn.cluster import KMeans
from sklearn.linear_model import LogisticRegression as SkLR
from sklearn.metrics.pairwise import cosine_similarity, pairwise_distances_argmin_min

from fastal.base.dataset import Dataset
from fastal.models import LogisticRegression, SklearnProbaAdapter
from fastal.query_strategies import (CoreSet, DensityWeightedMeta, GraphDensity,
                                     InformationDensity, RankedBatch, UncertaintySampling)
from fastal.testing import query_sequence


def make_pool(seed=0, n=150, d=4, n_labeled=8):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d)
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    labeled = np.concatenate([np.flatnonzero(y == 0)[:n_labeled // 2],
                              np.flatnonzero(y == 1)[:n_labeled // 2]])
    partial = [y[i] if i in set(labeled) else None for i in range(n)]
    return X, y, partial


@pytest.mark.parametrize("metric", ["euclidean", "cosine", "cityblock"])
@pytest.mark.parametrize("method", ["entropy", "lc", "sm"])
def test_information_density_sequence(backend, method, metric):
    X, y, partial = make_pool()
    labels = list(partial)
    rs = np.random.RandomState(3)
    expected = []
    for _ in range(8):
        lab = np.array([l is not None for l in labels])
        p = SkLR().fit(X[lab], [l for l in labels if l is not None]).predict_proba(X[~lab])
        if method == "lc":
            u = 1 - p.max(axis=1)
        elif method == "sm":
            top = np.sort(p, axis=1)
            u = 1 - np.abs(top[:, -1] - top[:, -2])
        else:
            q = np.clip(p, 1e-10, 1)
            u = -(q * np.log(q)).sum(axis=1)
        S = 1 / (1 + cdist(X[~lab], X[~lab], metric))
        np.fill_diagonal(S, 0)
        score = np.maximum(u, 0) * S.sum(axis=1) / (S.shape[0] - 1)
        ask = int(np.flatnonzero(~lab)[rs.choice(np.where(np.isclose(score, score.max()))[0])])
        expected.append(ask)
        labels[ask] = y[ask]
    ds = Dataset(X, partial)
    qs = InformationDensity(ds, model=LogisticRegression(), method=method, metric=metric,
                            random_state=3)
    assert query_sequence(qs, ds, y, 8) == expected


@pytest.mark.parametrize("metric", ["euclidean", "cityblock", "cosine"])
def test_coreset_sequence_and_cache(backend, metric):
    X, y, partial = make_pool(seed=1)
    labels = list(partial)
    rs = np.random.RandomState(11)
    expected = []
    for _ in range(15):
        lab = np.array([l is not None for l in labels])
        md = cdist(X[~lab], X[lab], metric).min(axis=1)
        ask = int(np.flatnonzero(~lab)[rs.choice(np.where(np.isclose(md, md.max()))[0])])
        expected.append(ask)
        labels[ask] = y[ask]
    ds = Dataset(X, partial)
    qs = CoreSet(ds, metric=metric, random_state=11)
    assert query_sequence(qs, ds, y, 15) == expected
    # the cached minimum distances equal a fresh computation
    ids, scores = qs._get_scores()
    lab = ds.get_labeled_mask()
    np.testing.assert_allclose(scores, cdist(X[ids], X[lab], metric).min(axis=1), rtol=1e-12)


def test_coreset_without_labels_and_transformer(backend):
    X, y, _ = make_pool(seed=2, n=40)
    ds = Dataset(X, [None] * 40)
    qs = CoreSet(ds, random_state=5)
    assert qs.make_query() == np.random.RandomState(5).randint(0, 40)
    batch = CoreSet(ds, random_state=5).make_query(n_instances=6)
    assert batch[0] == np.random.RandomState(5).randint(0, 40) and len(set(batch.tolist())) == 6

    class Scale:
        def transform(self, A):
            return np.asarray(A) * np.array([10.0, 0, 0, 0])

    ds = Dataset(X, [0] + [None] * 39)
    ids, scores = CoreSet(ds, transformer=Scale())._get_scores()
    np.testing.assert_allclose(scores, np.abs(X[ids, 0] - X[0, 0]) * 10)
    with pytest.raises(TypeError, match="transform"):
        CoreSet(ds, transformer=object())
    with pytest.raises(ValueError, match="unknown metric"):
        CoreSet(ds, metric="hamming")


def test_coreset_batch_is_k_center(backend):
    X, y, partial = make_pool(seed=4)
    ds = Dataset(X, partial)
    batch = CoreSet(ds).make_query(n_instances=10)
    lab = ds.get_labeled_mask()
    chosen, ref = [], X[lab]
    pool_ids = np.flatnonzero(~lab)
    for _ in range(10):
        md = cdist(X[pool_ids], ref).min(axis=1)
        md[np.isin(pool_ids, chosen)] = -1
        best = int(pool_ids[np.argmax(md)])
        chosen.append(best)
        ref = np.vstack([ref, X[best]])
    assert batch.tolist() == chosen


def test_density_weighted_meta_matches_row_loop(backend):
    X, y, partial = make_pool(seed=5)
    ds = Dataset(X, partial)
    base = UncertaintySampling(ds, model=SklearnProbaAdapter(SkLR()))
    qs = DensityWeightedMeta(ds, base, beta=2.0, random_state=7)
    ids, scores = qs._get_scores()
    # libact's definition: per-row similarity to the row's cluster centre
    km = KMeans(n_clusters=5, random_state=np.random.RandomState(7)).fit(X)
    cluster = km.predict(X[ids])
    sim = np.array([cosine_similarity(X[i].reshape(1, -1), km.cluster_centers_[c].reshape(1, -1))[0, 0]
                    for i, c in zip(ids, cluster)])
    _, base_scores = base._get_scores()
    np.testing.assert_allclose(scores, base_scores * sim ** 2.0, rtol=1e-9)
    with pytest.raises(TypeError):
        DensityWeightedMeta(ds, object())
    with pytest.raises(ValueError, match="same"):
        DensityWeightedMeta(ds, UncertaintySampling(Dataset(X, partial), model=LogisticRegression()))


def test_ranked_batch_matches_modal_rule(backend):
    X, y, partial = make_pool(seed=6, n=200)
    ds = Dataset(X, partial)
    qs = RankedBatch(ds, LogisticRegression())
    picks = qs.make_query(n_instances=15)
    lab = ds.get_labeled_mask()
    pool = X[~lab]
    u = 1 - SkLR().fit(X[lab], y[lab]).predict_proba(pool).max(axis=1)
    labeled, mask, expected = X[lab], np.ones(len(pool), bool), []
    for _ in range(15):
        alpha = mask.sum() / (mask.sum() + len(labeled))
        _, dist = pairwise_distances_argmin_min(pool[mask], labeled)
        score = alpha * (1 - 1 / (1 + dist)) + (1 - alpha) * u[mask]
        best = np.flatnonzero(mask)[np.argmax(score)]
        mask[best] = False
        labeled = np.vstack([labeled, pool[best]])
        expected.append(int(np.flatnonzero(~lab)[best]))
    assert picks.tolist() == expected
    assert int(qs.make_query()) == expected[0]
    cold = RankedBatch(Dataset(X, [None] * len(X)), LogisticRegression())
    assert len(set(cold.make_query(n_instances=5).tolist())) == 5


def test_graph_density_strategy(backend):
    X, y, partial = make_pool(seed=7, n=120)
    ds = Dataset(X, partial)
    qs = GraphDensity(ds)
    batch = qs.make_query(n_instances=8)
    lab = np.flatnonzero(ds.get_labeled_mask())
    assert not set(batch.tolist()) & set(lab.tolist())
    ids, dens = qs._get_scores()
    assert int(qs.make_query()) == int(ids[np.argmax(dens)])
    ds.update(int(batch[0]), 1)
    assert int(batch[0]) not in qs.make_query(n_instances=8).tolist()


def test_information_density_cache_equals_fresh_computation(backend):
    X, y, partial = make_pool(seed=8, n=120)
    ds = Dataset(X, partial)
    qs = InformationDensity(ds, model=LogisticRegression(), beta=1.5, random_state=0)

    def fresh():
        ids, X_pool = ds.get_unlabeled_entries()
        S = 1 / (1 + cdist(X_pool, X_pool))
        np.fill_diagonal(S, 0)
        return ids, (S.sum(axis=1) / (len(ids) - 1)) ** 1.5

    rng = np.random.RandomState(0)
    for step in range(25):
        ids, X_pool = ds.get_unlabeled_entries()
        got = qs._density(ids, X_pool)
        want_ids, want = fresh()
        np.testing.assert_allclose(got, want, rtol=1e-12)
        if step % 7 == 6:      # take a label back: the row returns to the pool
            labeled = np.flatnonzero(ds.get_labeled_mask())
            ds.update(int(labeled[-1]), None)
        else:
            ask = int(ids[rng.randint(len(ids))])
            ds.update(ask, y[ask])
    ds.append(X[0] + 0.5)
    ids, X_pool = ds.get_unlabeled_entries()
    np.testing.assert_allclose(qs._density(ids, X_pool), fresh()[1], rtol=1e-12)
