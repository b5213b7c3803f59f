"""Sampled pairwise density: unbiased, with an honest standard error; exact when m >= n."""
import numpy as np
import pytest
import scipy.sparse as sp

from fastal import kernels as K

CASES = [("euclidean", "inverse"), ("manhattan", "inverse"), ("cosine", "inverse"),
         ("euclidean", "cosine")]


def data(n=120, seed=0):
    X = np.random.default_rng(seed).normal(size=(n, 4))
    X[3] = 0.0                       # an all-zero row (cosine counts it apart)
    return X


@pytest.mark.parametrize("sampling", ["uniform", "stratified"])
@pytest.mark.parametrize("include_self", [False, True])
@pytest.mark.parametrize("metric, similarity", CASES)
def test_unbiased_with_a_calibrated_standard_error(backend, metric, similarity, include_self,
                                                   sampling):
    X = data()
    options = dict(metric=metric, similarity=similarity, include_self=include_self,
                   sampling=sampling)
    exact = K.pairwise_density(X, **{k: v for k, v in options.items() if k != "sampling"})
    draws = 150
    runs = [K.pairwise_density(X, n_samples=30, random_state=seed, return_std=True, **options)
            for seed in range(draws)]
    estimates = np.array([r[0] for r in runs])
    stds = np.array([r[1] for r in runs])
    spread = estimates.std(axis=0)
    # unbiased: the average of the draws is within 5 of its standard errors of the exact mean
    assert np.all(np.abs(estimates.mean(axis=0) - exact) <= 5 * spread / np.sqrt(draws) + 1e-12)
    # the reported standard error matches the spread of the estimates (15 % margin)
    varies = spread > 0               # (a zero row's cosine similarities are all equal)
    ratio = np.sqrt((stds[:, varies] ** 2).mean(axis=0)) / spread[varies]
    assert 0.85 < np.median(ratio) < 1.15
    # and about 95 % of estimates lie within 2 reported errors of the exact density
    coverage = np.mean(np.abs(estimates - exact) <= 2 * stds)
    assert 0.85 < coverage < 0.99


# (include_self applies to reference=None only)
@pytest.mark.parametrize("include_self, with_reference", [(False, False), (True, False),
                                                          (True, True)])
@pytest.mark.parametrize("metric", ["euclidean", "manhattan"])
def test_local_sampling_is_unbiased_with_a_calibrated_standard_error(backend, metric,
                                                                    include_self,
                                                                    with_reference):
    """Own cell exact, the other cells estimated: the same three properties."""
    X = data()
    R = data(150, seed=9) if with_reference else None
    options = dict(metric=metric, include_self=include_self)
    exact = K.pairwise_density(X, R, **options)
    draws = 150
    runs = [K.pairwise_density(X, R, n_samples=30, random_state=seed, return_std=True,
                               sampling="local", **options) for seed in range(draws)]
    estimates = np.array([r[0] for r in runs])
    stds = np.array([r[1] for r in runs])
    spread = estimates.std(axis=0)
    assert np.all(np.abs(estimates.mean(axis=0) - exact) <= 5 * spread / np.sqrt(draws) + 1e-12)
    ratio = np.sqrt((stds ** 2).mean(axis=0)) / spread
    assert 0.85 < np.median(ratio) < 1.15
    coverage = np.mean(np.abs(estimates - exact) <= 2 * stds)
    assert 0.85 < coverage < 0.99


def test_local_sampling_with_few_samples_stays_unbiased(backend):
    """m small against n: the pivots stop at sqrt(n) (cells larger than m / 2)."""
    X = data(400, seed=11)
    exact = K.pairwise_density(X)
    draws = 100
    estimates = np.array([K.pairwise_density(X, n_samples=10, random_state=seed,
                                             sampling="local") for seed in range(draws)])
    spread = estimates.std(axis=0)
    assert np.all(np.abs(estimates.mean(axis=0) - exact) <= 5 * spread / np.sqrt(draws) + 1e-12)


def test_local_sampling_of_sparse_rows_is_that_of_dense_rows(backend):
    X = data(90)
    dense = K.pairwise_density(X, n_samples=20, random_state=4, sampling="local",
                               return_std=True)
    sparse = K.pairwise_density(sp.csr_matrix(X), n_samples=20, random_state=4,
                                sampling="local", return_std=True)
    np.testing.assert_allclose(sparse[0], dense[0], rtol=1e-9)
    np.testing.assert_allclose(sparse[1], dense[1], rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("include_self", [False, True])
def test_all_rows_drawn_is_the_exact_density(backend, include_self):
    X = data(50)
    exact = K.pairwise_density(X, include_self=include_self, metric="manhattan")
    for m in (50, 51, 1000):
        for sampling in ("uniform", "stratified", "local"):
            got, std = K.pairwise_density(X, include_self=include_self, metric="manhattan",
                                          n_samples=m, random_state=1, return_std=True,
                                          sampling=sampling)
            np.testing.assert_array_equal(got, exact)
            assert not std.any()
    R = data(20, seed=2)
    np.testing.assert_array_equal(K.pairwise_density(X, R, n_samples=20),
                                  K.pairwise_density(X, R))


def test_a_reference_and_sparse_rows_and_beta(backend):
    X, R = data(60), data(200, seed=5)
    estimate = K.pairwise_density(X, R, n_samples=50, random_state=3)
    drawn = np.sort(np.random.RandomState(3).permutation(200)[:50])
    np.testing.assert_allclose(estimate, K.pairwise_density(X, R[drawn]), rtol=1e-12)
    sparse = K.pairwise_density(sp.csr_matrix(X), sp.csr_matrix(R), n_samples=50, random_state=3)
    np.testing.assert_allclose(sparse, estimate, rtol=1e-9)
    mean, std = K.pairwise_density(X, n_samples=40, random_state=0, return_std=True)
    squared, std2 = K.pairwise_density(X, n_samples=40, random_state=0, return_std=True, beta=2)
    np.testing.assert_allclose(squared, mean ** 2, rtol=1e-12)
    np.testing.assert_allclose(std2, 2 * mean * std, rtol=1e-12)


def test_stratified_sampling_is_more_accurate_on_clusters(backend):
    """Rows in clusters of different sizes: drawing every cluster its share cuts the error."""
    rng = np.random.default_rng(5)
    centres = rng.normal(scale=5.0, size=(12, 6))
    X = np.vstack([c + 0.3 * rng.normal(size=(size, 6))
                   for c, size in zip(centres, rng.integers(60, 250, size=12))])
    exact = K.pairwise_density(X, include_self=False)
    errors, largest = {}, {}
    for sampling in ("uniform", "stratified", "local"):
        runs = np.array([K.pairwise_density(X, include_self=False, n_samples=120,
                                            random_state=seed, sampling=sampling)
                         for seed in range(60)])
        errors[sampling] = np.mean(np.abs(runs - exact) / exact)
        largest[sampling] = np.mean(np.max(np.abs(runs - exact) / exact, axis=1))
    assert errors["stratified"] < 0.7 * errors["uniform"]
    # the own cell counted exactly: the largest error of a draw shrinks again
    assert largest["local"] < 0.7 * largest["stratified"], largest


def test_errors():
    X = data(20)
    with pytest.raises(ValueError, match="unknown sampling 'random'"):
        K.pairwise_density(X, n_samples=5, sampling="random")
    with pytest.raises(ValueError, match="n_samples must be between 1"):
        K.pairwise_density(X, X[:5], n_samples=0)
    with pytest.raises(ValueError, match="n_samples must be between 2"):
        K.pairwise_density(X, include_self=False, n_samples=1)
    with pytest.raises(ValueError, match="n_samples must be between 2"):
        K.pairwise_density(X, X[:5], n_samples=1, return_std=True)
    with pytest.raises(TypeError, match="n_samples must be an integer"):
        K.pairwise_density(X, n_samples=2.5)
    with pytest.raises(ValueError, match="return_std=True needs n_samples"):
        K.pairwise_density(X, return_std=True)
    with pytest.raises(TypeError, match="return_std must be True or False"):
        K.pairwise_density(X, n_samples=5, return_std="yes")


# --- InformationDensity(density_samples=m) -------------------------------------------------

def _pool(n=200, seed=4):
    from fastal.base.dataset import Dataset
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    return Dataset(X, [0, 1] * 5 + [None] * (n - 10)), X


def _strategy(ds, **kwargs):
    from fastal.models import LogisticRegression
    from fastal.query_strategies import InformationDensity
    return InformationDensity(ds, model=LogisticRegression(), random_state=7, **kwargs)


def test_information_density_with_every_row_drawn_is_exact(backend):
    ds, _ = _pool()
    exact = _strategy(ds)
    sampled = _strategy(ds, density_samples=10_000)
    np.testing.assert_array_equal(sampled._get_scores()[1], exact._get_scores()[1])
    assert sampled.make_query(n_instances=5).tolist() == exact.make_query(n_instances=5).tolist()


def test_information_density_keeps_its_drawn_rows_up_to_date(backend):
    ds, X = _pool()
    qs = _strategy(ds, density_samples=40)
    qs._get_scores()
    _, _, _, _, drawn = qs._sums
    for entry_id in (int(drawn[3]), int(np.setdiff1d(ds.get_unlabeled_ids(), drawn)[0]),
                     int(drawn[0])):
        ds.update(entry_id, 1)                     # a drawn row, then an undrawn one
        _, ids, sums, counts, drawn = qs._sums
        assert entry_id not in drawn and entry_id not in ids
        positions = np.searchsorted(ids, drawn)
        expected_sums, expected_counts = K.drawn_similarity_sums(X[ids], positions,
                                                                 include_self=False)
        np.testing.assert_allclose(sums, expected_sums, rtol=1e-9)
        np.testing.assert_array_equal(counts, expected_counts)
    assert len(drawn) == 38


def test_information_density_sampled_is_unbiased():
    ds, X = _pool(120)
    ids = ds.get_unlabeled_ids()
    exact = K.pairwise_density(X[ids], include_self=False)
    from fastal.models import LogisticRegression
    from fastal.query_strategies import InformationDensity
    runs = np.array([InformationDensity(ds, model=LogisticRegression(), random_state=seed,
                                        density_samples=20)._density(ids, X[ids])
                     for seed in range(200)])
    spread = runs.std(axis=0)
    assert np.all(np.abs(runs.mean(axis=0) - exact) <= 5 * spread / np.sqrt(200))


def test_density_samples_errors():
    ds, _ = _pool(30)
    with pytest.raises(ValueError, match="density_samples must be between 2"):
        _strategy(ds, density_samples=1)
    with pytest.raises(TypeError, match="density_samples must be an integer"):
        _strategy(ds, density_samples=0.5)
