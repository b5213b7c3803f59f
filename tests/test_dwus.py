"""DWUS: libact's query sequences, its arithmetic restated, the log-space difference."""
import os

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import logsumexp
from scipy.stats import multivariate_normal
from sklearn.cluster import KMeans

from fastal.base.dataset import Dataset, import_libsvm_sparse
from fastal.query_strategies.density_weighted_uncertainty_sampling import (
    DWUS, DensityWeightedLogisticRegression, cluster_posteriors_em)
from fastal.testing import query_sequence

HEART_SCALE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "heart_scale")


def blob_pool(seed, n=120, d=3):
    """Four gaussian blobs, labels -1/+1 by a hyperplane, one labeled row per class."""
    rng = np.random.RandomState(seed)
    centres = rng.uniform(-2, 2, size=(4, d))
    X = centres[rng.randint(0, 4, size=n)] + 0.5 * rng.randn(n, d)
    y = np.where(X[:, 0] + 0.5 * X[:, 1] > 0, 1, -1)
    first = [int(np.flatnonzero(y == -1)[0]), int(np.flatnonzero(y == 1)[0])]
    partial = [y[i] if i in first else None for i in range(n)]
    return X, y, partial


# -- libact's DWUS, restated step by step with its own arithmetic ------------

class LibactDWUSArithmetic:
    """Direct restatement: exp of the raw exponents, EM with tiled arrays,
    scipy's multivariate normal pdf, loops over clusters, first argmax."""

    def __init__(self, X, n_clusters=5, sigma=0.1, max_iter=100, C=1., seed=None):
        self.X = X
        self.C = C
        km = KMeans(n_clusters=n_clusters, random_state=np.random.RandomState(seed)).fit(X)
        self.centres = km.cluster_centers_
        n, d = X.shape
        prior = np.ones(n_clusters) / float(n_clusters)
        kernel = np.zeros((n, n_clusters))
        for k in range(n_clusters):
            diff = X - self.centres[k]
            kernel[:, k] = np.exp(-np.einsum("ij,ji->i", diff, diff.T) / 2 / sigma)
        with np.errstate(invalid="ignore"):
            for _ in range(max_iter):
                joint = kernel * np.tile(prior, (n, 1))
                posterior = joint / np.tile(np.sum(joint, axis=1), (n_clusters, 1)).T
                prior = 1. / n * np.sum(posterior, axis=0)
        self.posterior = posterior
        density_k = np.zeros((n, n_clusters))
        for k in range(n_clusters):
            density_k[:, k] = multivariate_normal.pdf(X, mean=self.centres[k],
                                                      cov=np.ones(d) * np.sqrt(sigma))
        self.p_x = np.dot(density_k, prior).reshape(-1)

    def scores(self, labels):
        labeled = np.array([i for i, l in enumerate(labels) if l is not None])
        pool = np.array([i for i, l in enumerate(labels) if l is None])
        y = np.array([labels[i] for i in labeled], dtype=float).reshape(-1, 1)
        density = self.posterior[labeled, :]

        def objective(w):
            w = w.reshape(-1, 1)
            sig = 1. / (1. + np.exp(-np.dot(y, (np.dot(self.centres, w[:-1]) + w[-1]).T)))
            return (self.C / 2. * np.dot(w[:-1].T, w[:-1])
                    - np.sum(np.log(np.sum(density * sig, axis=1)), axis=0))[0][0]

        w = minimize(objective, np.zeros(self.centres.shape[1] + 1), method="CG").x.reshape(-1, 1)
        label_given_cluster = 1. / (1. + np.exp(-(np.dot(self.centres, w[:-1]) + w[-1])))
        label_given_row = np.zeros(len(pool))
        for k in range(len(self.centres)):
            label_given_row += label_given_cluster[k] * self.posterior[pool, k]
        error = label_given_row.copy()
        error[label_given_row >= 0.5] = 1. - label_given_row[label_given_row >= 0.5]
        return pool, error * self.p_x[pool]

    def sequence(self, partial, y, steps):
        labels = list(partial)
        asked, all_scores = [], []
        for _ in range(steps):
            pool, score = self.scores(labels)
            ask = int(pool[np.argmax(score)])
            asked.append(ask)
            all_scores.append(score)
            labels[ask] = y[ask]
        return asked, all_scores


# -- libact's expected sequences -------------------------------------------

def test_libact_realdata_sequence():
    """libact's test_realdata: DWUS(random_state=1126) on heart_scale, 10 labeled rows."""
    X, y = import_libsvm_sparse(HEART_SCALE).format_sklearn()
    ds = Dataset(X, np.concatenate([y[:10], [None] * (len(y) - 10)]))
    qs = DWUS(ds, random_state=1126)
    assert query_sequence(qs, ds, y, 10) == [257, 220, 179, 84, 208, 70, 245, 62, 50, 69]


@pytest.mark.parametrize("seed, d, kwargs, expected", [
    (0, 2, {}, [118, 77, 49, 61, 99, 55, 68, 41, 26, 50, 76, 101]),
    (1, 3, dict(sigma=0.5, n_clusters=4), [11, 93, 98, 78, 102, 84, 72, 19, 90, 60, 12, 32]),
    (2, 4, dict(sigma=1.0, n_clusters=3, C=0.1), [98, 44, 85, 6, 100, 45, 89, 16, 31, 14, 52, 13]),
])
def test_sequences_of_libact(seed, d, kwargs, expected):
    """Query sequences libact's DWUS produces on these pools (recorded from libact)."""
    X, y, partial = blob_pool(seed, d=d)
    ds = Dataset(X, partial)
    assert query_sequence(DWUS(ds, random_state=seed, **kwargs), ds, y, 12) == expected


# -- equality with the restated arithmetic --------------------------------------

@pytest.mark.parametrize("seed, d, kwargs", [
    (3, 2, {}), (4, 3, dict(sigma=0.3, n_clusters=4)), (5, 5, dict(sigma=2.0, n_clusters=6, C=3.0)),
    (6, 2, dict(sigma=0.05, max_iter=7)),
])
def test_equals_libact_arithmetic(seed, d, kwargs):
    X, y, partial = blob_pool(seed, d=d)
    params = dict(n_clusters=5, sigma=0.1, max_iter=100, C=1.)
    params.update(kwargs)
    ref = LibactDWUSArithmetic(X, seed=seed, **params)
    assert np.isfinite(ref.posterior).all() and np.isfinite(ref.p_x).all()
    expected, ref_scores = ref.sequence(partial, y, 8)

    ds = Dataset(X, partial)
    qs = DWUS(ds, random_state=seed, **kwargs)
    np.testing.assert_allclose(qs.kmeans_.cluster_centers_, ref.centres, rtol=0, atol=0)
    np.testing.assert_array_equal(qs.P_k_x, ref.posterior)    # bit for bit
    np.testing.assert_allclose(qs.p_x, ref.p_x, rtol=1e-12)
    asked = []
    for step in range(8):
        ids, scores = qs._get_scores()
        np.testing.assert_allclose(np.exp(scores), ref_scores[step], rtol=1e-12)
        ask = int(qs.make_query())
        asked.append(ask)
        ds.update(ask, y[ask])
    assert asked == expected


def test_density_weighted_logistic_regression_matches_restatement():
    rng = np.random.RandomState(0)
    density = rng.dirichlet(np.ones(4), size=9)
    centres = rng.randn(4, 3)
    y = rng.choice([-1, 1], size=9)
    model = DensityWeightedLogisticRegression(density, centres, 0.5)
    assert model.predict() is None
    model.train(None, y)

    def objective(w):
        w = w.reshape(-1, 1)
        sig = 1. / (1. + np.exp(-np.dot(y.reshape(-1, 1).astype(float),
                                        (np.dot(centres, w[:-1]) + w[-1]).T)))
        return (0.5 / 2. * np.dot(w[:-1].T, w[:-1])
                - np.sum(np.log(np.sum(density * sig, axis=1)), axis=0))[0][0]

    w = minimize(objective, np.zeros(4), method="CG").x.reshape(-1, 1)
    np.testing.assert_array_equal(model.w_, w)
    np.testing.assert_array_equal(model.predict(), 1. / (1. + np.exp(-(centres @ w[:-1] + w[-1]))))


@pytest.mark.parametrize("max_iter", [1, 2, 30, 3000])
def test_em_runs_max_iter_iterations_or_stops_at_an_exact_fixed_point(max_iter):
    rng = np.random.RandomState(1)
    sq = np.vstack([rng.uniform(0, 1, size=(20, 3)), rng.uniform(0, 1, size=(20, 3)) + [0, 4, 4]])
    prior, posterior = cluster_posteriors_em(sq, 0.7, max_iter)
    kernel = np.exp(-sq / 2 / 0.7)
    ref_prior = np.ones(3) / 3.
    for _ in range(max_iter):                  # every iteration, no early exit
        joint = kernel * ref_prior
        ref_posterior = joint / joint.sum(axis=1, keepdims=True)
        ref_prior = 1. / len(sq) * np.sum(ref_posterior, axis=0)
    np.testing.assert_array_equal(prior, ref_prior)
    np.testing.assert_array_equal(posterior, ref_posterior)
    assert prior.sum() == pytest.approx(1.0)


# -- the documented difference: no underflow on many features ----------------

def log_space_reference(X, partial, sigma=0.1, n_clusters=5, max_iter=100, C=1., seed=0):
    """libact's algorithm computed with log densities (softmax E-step, logpdf)."""
    km = KMeans(n_clusters=n_clusters, random_state=np.random.RandomState(seed)).fit(X)
    centres = km.cluster_centers_
    sq = ((X[:, None, :] - centres[None]) ** 2).sum(axis=2)
    log_prior = np.full(n_clusters, -np.log(n_clusters))
    for _ in range(max_iter):
        log_joint = -sq / (2 * sigma) + log_prior
        log_post = log_joint - logsumexp(log_joint, axis=1, keepdims=True)
        log_prior = np.log(np.exp(log_post).mean(axis=0))
    post = np.exp(log_post)
    log_normal = np.column_stack([multivariate_normal.logpdf(X, mean=c, cov=np.ones(X.shape[1])
                                                             * np.sqrt(sigma)) for c in centres])
    log_p = logsumexp(log_normal + log_prior, axis=1)
    labeled = np.array([l is not None for l in partial])
    model = DensityWeightedLogisticRegression(post[labeled], centres, C)
    model.train(None, [l for l in partial if l is not None])
    p_label = post[~labeled] @ model.predict().ravel()
    log_score = np.log(np.minimum(p_label, 1 - p_label)) + log_p[~labeled]
    return np.flatnonzero(~labeled)[np.argmax(log_score)], post, log_p


def test_many_features_stay_finite_where_libact_underflows():
    rng = np.random.RandomState(0)
    X = 3.0 * rng.randn(120, 40)
    y = np.where(X[:, 0] > 0, 1, -1)
    partial = [y[i] if i < 4 else None for i in range(120)]
    with np.errstate(all="ignore"):
        ref = LibactDWUSArithmetic(X, seed=0)
    # libact's arithmetic: every kernel underflows, NaN everywhere, query = first unlabeled
    assert np.isnan(ref.posterior).all()
    with np.errstate(all="ignore"):
        pool, score = ref.scores(partial)
    assert np.isnan(score).all() and pool[np.argmax(score)] == 4

    ds = Dataset(X, partial)
    qs = DWUS(ds, random_state=0)
    assert np.isfinite(qs.P_k_x).all() and np.isfinite(qs.log_p_x).all()
    np.testing.assert_allclose(qs.P_k_x.sum(axis=1), 1.0)
    assert qs.cluster_prior_.sum() == pytest.approx(1.0)
    ids, scores = qs._get_scores()
    assert np.isfinite(scores).all() and len(np.unique(scores)) > len(scores) // 2
    expected, post, log_p = log_space_reference(X, partial)
    np.testing.assert_allclose(qs.P_k_x, post, atol=1e-9)
    np.testing.assert_allclose(qs.log_p_x, log_p, rtol=1e-9)
    assert int(qs.make_query()) == expected != 4


# -- batches, scores, ties, errors -------------------------------------------

def test_batch_is_the_k_best_scores_and_starts_with_the_single_query():
    X, y, partial = blob_pool(7)
    ds = Dataset(X, partial)
    qs = DWUS(ds, random_state=7, n_clusters=4, sigma=0.5)
    ids, scores = qs._get_scores()
    single = qs.make_query()
    batch = qs.make_query(n_instances=10)
    assert batch[0] == single
    assert len(set(batch.tolist())) == 10
    np.testing.assert_array_equal(batch, ids[np.argsort(-scores, kind="stable")[:10]])
    ask, pairs = qs.make_query(return_score=True)
    assert ask == single
    assert [p[0] for p in pairs] == ids.tolist()
    np.testing.assert_array_equal([p[1] for p in pairs], scores)


def test_ties_go_to_the_first_row():
    rng = np.random.RandomState(3)
    base = rng.randn(15, 2)
    X = np.vstack([base, base, base])           # rows i, i + 15, i + 30 are equal
    y = np.where(X[:, 0] > 0, 1, -1)
    partial = [y[i] if i in (int(np.argmax(y)), int(np.argmin(y))) else None for i in range(45)]
    ds = Dataset(X, partial)
    qs = DWUS(ds, n_clusters=3, sigma=0.5, random_state=0)
    ids, scores = qs._get_scores()
    tied = ids[scores == scores.max()]
    assert len(tied) >= 2
    assert int(qs.make_query()) == tied[0]
    assert qs.make_query(n_instances=len(tied)).tolist() == tied.tolist()


def test_no_labeled_row_asks_for_the_densest():
    X, y, _ = blob_pool(8)
    ds = Dataset(X, [None] * len(X))
    qs = DWUS(ds, random_state=8)
    assert int(qs.make_query()) == int(np.argmax(qs.log_p_x))


def test_kmeans_param_and_random_state():
    X, y, partial = blob_pool(9)
    kmeans_param = {"n_init": 3}
    qs = DWUS(Dataset(X, partial), random_state=1, kmeans_param=kmeans_param)
    assert kmeans_param == {"n_init": 3}                       # the caller's dict is not modified
    ref = KMeans(n_clusters=5, n_init=3, random_state=np.random.RandomState(1)).fit(X)
    np.testing.assert_array_equal(qs.kmeans_.cluster_centers_, ref.cluster_centers_)
    seeded = DWUS(Dataset(X, partial), random_state=np.random.RandomState(1),
                  kmeans_param={"n_init": 3})
    np.testing.assert_array_equal(seeded.kmeans_.cluster_centers_, ref.cluster_centers_)
    own = DWUS(Dataset(X, partial), random_state=1, kmeans_param={"random_state": 5})
    ref = KMeans(n_clusters=5, random_state=5).fit(X)
    np.testing.assert_array_equal(own.kmeans_.cluster_centers_, ref.cluster_centers_)
    assert (qs.n_clusts, qs.sigma, qs.max_iter, qs.tol, qs.C) == (5, 0.1, 100, 1e-4, 1.)


def test_sparse_rows_give_the_dense_queries():
    import scipy.sparse as sp
    X, y, partial = blob_pool(11)
    X[X < -1] = 0.0
    ds_dense = Dataset(X, partial)
    dense = query_sequence(DWUS(ds_dense, random_state=11), ds_dense, y, 5)
    ds_sparse = Dataset(sp.csr_matrix(X), partial)
    assert query_sequence(DWUS(ds_sparse, random_state=11), ds_sparse, y, 5) == dense


def test_errors():
    X, y, partial = blob_pool(10)
    with pytest.raises(ValueError):
        DWUS(Dataset(X, partial), sigma=0)
    with pytest.raises(ValueError):
        DWUS(Dataset(X, partial), max_iter=0)
    with pytest.raises(ValueError):
        DWUS(Dataset(X, partial), random_state="seed")
    full = Dataset(X, y)
    qs = DWUS(full, random_state=0)
    with pytest.raises(ValueError, match="No unlabeled samples available"):
        qs.make_query()
    ds = Dataset(X, partial)
    qs = DWUS(ds, random_state=0)
    with pytest.raises(ValueError):
        qs.make_query(n_instances=0)
    with pytest.raises(TypeError):
        qs.make_query(3)
    ds.append(np.zeros(X.shape[1]))
    with pytest.raises(ValueError, match="rows present at construction"):
        qs.make_query()
