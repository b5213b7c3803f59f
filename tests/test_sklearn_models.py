"""scikit-learn classifiers (Pipelines too) where a strategy takes a model, and the
``transformer=`` option of the strategies that measure distances."""
import numpy as np
import pytest
from scipy.spatial.distance import cdist
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.linear_model import LinearRegression
from sklearn.linear_model import LogisticRegression as SkLR
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

import fastal.query_strategies as qs_mod
from fastal.base.dataset import Dataset
from fastal.base.interfaces import ContinuousModel, ProbabilisticModel
from fastal.kernels import max_min_select
from fastal.models import (
    SVM, LogisticRegression, SklearnAdapter, SklearnProbaAdapter, as_model)
from fastal.models._auto import SklearnDecisionAdapter
from fastal.models.multilabel import BinaryRelevance
from fastal.query_strategies.multiclass import EER
from fastal.query_strategies.multilabel import (
    MMC, AdaptiveActiveLearning, BinaryMinimization, CostSensitiveReferencePairEncoding,
    MultilabelWithAuxiliaryLearner)
from fastal.query_strategies._uncertainty import clipped_entropy
from fastal.utils.multilabel import pairwise_f1_score

# the pool's labels are 0/1; HintSVM is not among these strategies
SCALES = np.array([1.0, 100.0, 0.01, 10.0, 1.0])


def pool(n=30, n_labeled=10, seed=1126):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, 5) * SCALES       # features on very different scales
    y = (X[:, 0] + X[:, 1] / 100 + 0.3 * rng.randn(n) > 0).astype(int)
    y[:2] = [0, 1]
    return Dataset(X, list(y[:n_labeled]) + [None] * (n - n_labeled)), X, y


def multilabel_pool(n=24, n_labeled=10, seed=7):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, 4)
    Y = np.column_stack([X[:, 0] > 0, X[:, 1] + X[:, 2] > 0, X[:, 3] > -0.3]).astype(int)
    Y[:4] = [[0, 1, 1], [1, 0, 1], [1, 1, 0], [0, 0, 0]]
    return Dataset(X, [list(r) for r in Y[:n_labeled]] + [None] * (n - n_labeled))


ESTIMATORS = {
    "lr": lambda: SkLR(max_iter=500, solver="liblinear"),
    # probability off (scikit-learn 1.9 warns when ``probability`` is passed at all)
    "svc": lambda: SVC(kernel="linear", random_state=0),
    "pipe": lambda: Pipeline([("scale", StandardScaler()), ("clf", SkLR(max_iter=500))]),
}
PROBA = ("lr", "pipe")
ALL = ("lr", "svc", "pipe")


def explicit(estimator):
    """The adapter a user would write by hand."""
    if hasattr(estimator, "predict_proba"):
        return SklearnProbaAdapter(estimator)
    return SklearnDecisionAdapter(estimator)


# name -> (factory(dataset, make_model), estimator kinds it accepts, multi-label pool?)
CASES = {
    "uncertainty_lc": (lambda ds, m: qs_mod.UncertaintySampling(ds, model=m()), ALL, False),
    "uncertainty_sm": (lambda ds, m: qs_mod.UncertaintySampling(ds, model=m(), method="sm"),
                       ALL, False),
    "uncertainty_entropy": (lambda ds, m: qs_mod.UncertaintySampling(
        ds, model=m(), method="entropy"), PROBA, False),
    "epsilon_us": (lambda ds, m: qs_mod.EpsilonUncertaintySampling(
        ds, model=m(), epsilon=0.3, random_state=1), ALL, False),
    "information_density": (lambda ds, m: qs_mod.InformationDensity(
        ds, model=m(), method="lc", random_state=1), ALL, False),
    "qbc_vote": (lambda ds, m: qs_mod.QueryByCommittee(
        ds, models=[m(), m(), m()], random_state=1), ALL, False),
    "qbc_kl": (lambda ds, m: qs_mod.QueryByCommittee(
        ds, models=[m(), m()], disagreement="kl_divergence", random_state=1), PROBA, False),
    "bald_models": (lambda ds, m: qs_mod.BALD(ds, models=[m(), m()], random_state=1),
                    PROBA, False),
    "bald_base_model": (lambda ds, m: qs_mod.BALD(ds, base_model=m(), n_models=3,
                                                  random_state=1), PROBA, False),
    "albl": (lambda ds, m: qs_mod.ActiveLearningByLearning(
        ds, query_strategies=[qs_mod.UncertaintySampling(ds, model=m()),
                              qs_mod.RandomSampling(ds, random_state=2)],
        T=20, model=m(), random_state=1), ALL, False),
    # (variance reduction and EER fit a model per candidate and label: a Pipeline adds
    # nothing there that the other strategies do not test, at ten times the time)
    "variance_reduction": (lambda ds, m: qs_mod.VarianceReduction(ds, model=m()),
                           ("lr", "svc"), False),
    "ranked_batch": (lambda ds, m: qs_mod.RankedBatch(ds, m()), ALL, False),
    "density_weighted_meta": (lambda ds, m: qs_mod.DensityWeightedMeta(
        ds, qs_mod.UncertaintySampling(ds, model=m()), random_state=1), ALL, False),
    "eer": (lambda ds, m: EER(ds, m(), random_state=1), ("lr",), False),
    "mmc": (lambda ds, m: MMC(ds, br_base=m(), random_state=1), PROBA, True),
    "binary_minimization": (lambda ds, m: BinaryMinimization(ds, m(), random_state=1),
                            ALL, True),
    "adaptive_active_learning": (lambda ds, m: AdaptiveActiveLearning(
        ds, m(), betas=[0.5], random_state=1), ALL, True),
    # the bits are trained with sample_weight, which a Pipeline takes only per step
    # (and which leaves an SVC with a single weighted class on this pool)
    "csrpe": (lambda ds, m: CostSensitiveReferencePairEncoding(
        ds, pairwise_f1_score, BinaryRelevance(m()), m(), n_models=4, random_state=1),
        ("lr",), True),
    "auxiliary_learner": (lambda ds, m: MultilabelWithAuxiliaryLearner(
        ds, BinaryRelevance(m()), BinaryRelevance(m()), criterion="mmr", random_state=1),
        ALL, True),
}
NO_SCORES = {"albl", "variance_reduction", "eer"}


def _run(case, make):
    factory, _, multilabel = CASES[case]
    ds = multilabel_pool() if multilabel else pool()[0]
    qs = factory(ds, make)
    batch = qs.make_query(n_instances=3)
    single = qs.make_query()
    scores = None if case in NO_SCORES else qs._get_scores()[1]
    return np.asarray(batch).tolist(), int(single), scores


@pytest.mark.parametrize("case, kind", [(c, k) for c in CASES for k in CASES[c][1]])
def test_raw_estimator_gives_the_queries_of_the_explicit_adapter(case, kind):
    raw = _run(case, ESTIMATORS[kind])
    wrapped = _run(case, lambda: explicit(ESTIMATORS[kind]()))
    assert raw[:2] == wrapped[:2]
    if raw[2] is not None:
        np.testing.assert_array_equal(raw[2], wrapped[2])


@pytest.mark.parametrize("case", [c for c in CASES if "svc" not in CASES[c][1]
                                  and c != "csrpe"])
def test_decision_function_only_where_probabilities_are_needed(case):
    factory, _, multilabel = CASES[case]
    ds = multilabel_pool() if multilabel else pool()[0]
    with pytest.raises(TypeError, match="Probabilistic|predict_proba"):
        _run_or_construct(factory, ds, ESTIMATORS["svc"])


def _run_or_construct(factory, ds, make):
    qs = factory(ds, make)
    qs.make_query()


def test_raw_multilabel_classifiers():
    make = lambda: OneVsRestClassifier(SkLR(max_iter=500))          # noqa: E731
    raw = MultilabelWithAuxiliaryLearner(multilabel_pool(), make(), make(), criterion="shlr",
                                         random_state=0)
    wrapped = MultilabelWithAuxiliaryLearner(multilabel_pool(), SklearnProbaAdapter(make()),
                                             SklearnProbaAdapter(make()), criterion="shlr",
                                             random_state=0)
    assert raw.make_query(n_instances=4).tolist() == wrapped.make_query(n_instances=4).tolist()


def test_binary_relevance_takes_a_raw_classifier():
    ds = multilabel_pool()
    X, Y = ds.format_sklearn()
    raw = BinaryRelevance(SkLR()).train(Dataset(X, Y)).predict_proba(X)
    wrapped = BinaryRelevance(SklearnProbaAdapter(SkLR())).train(Dataset(X, Y)).predict_proba(X)
    np.testing.assert_array_equal(raw, wrapped)


# -- as_model ----------------------------------------------------------------------
def test_as_model_kinds():
    model = LogisticRegression()
    assert as_model(model) is model
    svm = SVM()
    assert as_model(svm) is svm
    adapter = SklearnAdapter(SkLR())
    assert as_model(adapter) is adapter
    est = SkLR()
    wrapped = as_model(est)
    assert type(wrapped) is SklearnProbaAdapter and wrapped.model is est    # not copied
    svc = as_model(SVC())
    assert isinstance(svc, SklearnAdapter) and isinstance(svc, ContinuousModel)
    assert not isinstance(svc, ProbabilisticModel)
    assert type(as_model(SVC(probability=True))) is SklearnProbaAdapter
    pipe = Pipeline([("s", StandardScaler()), ("c", SkLR())])
    assert type(as_model(pipe)) is SklearnProbaAdapter
    pipe = Pipeline([("s", StandardScaler()), ("c", SVC())])
    assert type(as_model(pipe)) is SklearnDecisionAdapter
    assert type(as_model(svc).clone()) is SklearnDecisionAdapter


def test_as_model_keeps_libact_style_models():
    class Duck:
        def train(self, dataset):
            return self

        def predict(self, X):
            return np.zeros(len(X))
    duck = Duck()
    assert as_model(duck) is duck


@pytest.mark.parametrize("bad", ["LogisticRegression", object(), LinearRegression(),
                                 KMeans(n_clusters=2),
                                 Pipeline([("s", StandardScaler()), ("r", LinearRegression())])])
def test_as_model_rejects_others(bad):
    with pytest.raises(TypeError, match="^base_clf must be a fastal Model or a scikit-learn "
                                        "classifier with predict_proba or decision_function"):
        as_model(bad, "base_clf")


BAD = LinearRegression()


@pytest.mark.parametrize("build, name", [
    (lambda ds: qs_mod.UncertaintySampling(ds, model=BAD), "model"),
    (lambda ds: qs_mod.EpsilonUncertaintySampling(ds, model=BAD), "model"),
    (lambda ds: qs_mod.InformationDensity(ds, model=BAD), "model"),
    (lambda ds: qs_mod.QueryByCommittee(ds, models=[SkLR(), BAD]), r"models\[1\]"),
    (lambda ds: qs_mod.BALD(ds, models=[BAD]), r"models\[0\]"),
    (lambda ds: qs_mod.BALD(ds, base_model=BAD), "base_model"),
    (lambda ds: qs_mod.ActiveLearningByLearning(
        ds, query_strategies=[qs_mod.RandomSampling(ds)], T=3, model=BAD), "model"),
    (lambda ds: qs_mod.VarianceReduction(ds, model=BAD), "model"),
    (lambda ds: qs_mod.RankedBatch(ds, BAD), "model"),
    (lambda ds: EER(ds, BAD), "model"),
])
def test_bad_estimator_names_the_parameter(build, name):
    with pytest.raises(TypeError, match=f"^{name} must be a fastal Model"):
        build(pool()[0])


@pytest.mark.parametrize("build, name", [
    (lambda ds: MMC(ds, br_base=BAD), "br_base"),
    (lambda ds: BinaryMinimization(ds, BAD), "base_clf"),
    (lambda ds: AdaptiveActiveLearning(ds, BAD), "base_clf"),
    (lambda ds: CostSensitiveReferencePairEncoding(ds, pairwise_f1_score, SkLR(), BAD),
     "base_model"),
    (lambda ds: CostSensitiveReferencePairEncoding(ds, pairwise_f1_score, BAD, SkLR()),
     "model"),
    (lambda ds: MultilabelWithAuxiliaryLearner(ds, BAD, SkLR()), "major_learner"),
    (lambda ds: MultilabelWithAuxiliaryLearner(ds, SkLR(), BAD), "auxiliary_learner"),
    (lambda ds: BinaryRelevance(BAD), "base_clf"),
])
def test_bad_estimator_names_the_parameter_multilabel(build, name):
    with pytest.raises(TypeError, match=f"^{name} must be a fastal Model"):
        build(multilabel_pool())


# -- transformer= --------------------------------------------------------------
def scaled_pipeline():
    return Pipeline([("scale", StandardScaler()), ("clf", SkLR(max_iter=500))])


def fitted_scaler(ds):
    X, _ = ds.format_sklearn()
    return StandardScaler().fit(X)


def hand_density(Z):
    """Mean of 1 / (1 + euclidean distance) to the other rows."""
    D = cdist(Z, Z)
    S = 1.0 / (1.0 + D)
    np.fill_diagonal(S, 0.0)
    return S.sum(axis=1) / (len(Z) - 1)


def test_information_density_in_the_pipeline_space(backend):
    ds, X, y = pool()
    qs = qs_mod.InformationDensity(ds, model=scaled_pipeline(), transformer="model",
                                   random_state=0)
    for round_ in range(3):
        ids, scores = qs._get_scores()
        pipe = qs.model.model
        scaler = fitted_scaler(ds)      # the pipeline's scaler: fitted on the labeled rows
        np.testing.assert_allclose(pipe[0].mean_, scaler.mean_)
        X_pool = X[ids]
        uncertainty = clipped_entropy(pipe.predict_proba(X_pool))
        expected = uncertainty * hand_density(scaler.transform(X_pool))
        np.testing.assert_allclose(scores, expected, rtol=1e-9, atol=1e-12)
        # not the raw space's densities
        assert not np.allclose(scores, uncertainty * hand_density(X_pool), rtol=1e-3)
        ask = qs.make_query()
        ds.update(ask, y[ask])          # the scaler is refitted: nothing stale is kept


def test_information_density_fixed_transformer_with_and_without_cache(backend):
    ds_a, X, y = pool()
    ds_b, _, _ = pool()
    scaler = StandardScaler().fit(X)
    a = qs_mod.InformationDensity(ds_a, model=SkLR(), transformer=scaler, random_state=0)
    b = qs_mod.InformationDensity(ds_b, model=SkLR(), transformer=scaler, cache_features=True,
                                  random_state=0)
    for _ in range(4):
        ids, scores = a._get_scores()
        np.testing.assert_allclose(b._get_scores()[1], scores, rtol=1e-9)
        proba = a.model.predict_proba(X[ids])
        np.testing.assert_allclose(
            scores, clipped_entropy(proba) * hand_density(scaler.transform(X[ids])), rtol=1e-9)
        ask = a.make_query()
        assert b.make_query() == ask
        ds_a.update(ask, y[ask])
        ds_b.update(ask, y[ask])


def test_ranked_batch_in_the_pipeline_space(backend):
    ds, X, y = pool()
    qs = qs_mod.RankedBatch(ds, scaled_pipeline(), transformer="model")
    batch = qs.make_query(n_instances=4)
    pipe = qs.model.model
    scaler = fitted_scaler(ds)
    ids = ds.get_unlabeled_entries()[0]
    labeled = ds.get_labeled_mask()
    uncertainty = 1.0 - pipe.predict_proba(X[ids]).max(axis=1)
    picks = max_min_select(scaler.transform(X[ids]), scaler.transform(X[labeled]), 4,
                           scores=uncertainty)
    assert batch.tolist() == ids[picks].tolist()
    raw = qs_mod.RankedBatch(pool()[0], scaled_pipeline()).make_query(n_instances=4)
    assert raw.tolist() != batch.tolist()      # the scale matters on this pool


def test_ranked_batch_model_space_needs_a_label():
    ds = Dataset(np.random.RandomState(0).randn(6, 2), [None] * 6)
    qs = qs_mod.RankedBatch(ds, scaled_pipeline(), transformer="model")
    with pytest.raises(ValueError, match="labeled"):
        qs.make_query()
    scaler = StandardScaler().fit(ds.get_entries()[0])
    assert qs_mod.RankedBatch(ds, scaled_pipeline(), transformer=scaler).make_query() in range(6)


def test_coreset_and_graph_density_with_a_transformer(backend):
    ds, X, y = pool()
    scaler = StandardScaler().fit(X)
    Z = scaler.transform(X)
    ids, scores = qs_mod.CoreSet(ds, transformer=scaler)._get_scores()
    labeled = ds.get_labeled_mask()
    np.testing.assert_allclose(scores, cdist(Z[ids], Z[labeled]).min(axis=1), rtol=1e-9)

    ds_z = Dataset(Z, list(y[:10]) + [None] * 20)
    for cache in (False, True):
        gd = qs_mod.GraphDensity(pool()[0], n_neighbors=4, transformer=scaler,
                                 cache_features=cache)
        twin = qs_mod.GraphDensity(ds_z, n_neighbors=4)
        np.testing.assert_allclose(gd._get_scores()[1], twin._get_scores()[1], rtol=1e-9)
        assert gd.make_query(n_instances=5).tolist() == twin.make_query(n_instances=5).tolist()


def test_graph_density_refits_a_changing_transformer():
    ds, X, y = pool()

    class Scale:
        factor = 1.0

        def transform(self, rows):
            return np.asarray(rows) * [self.factor, 1, 1, 1, 1]
    scale = Scale()
    gd = qs_mod.GraphDensity(ds, n_neighbors=4, metric="euclidean", gamma=1.0, transformer=scale)
    before = gd._get_scores()[1]
    scale.factor = 100.0
    after = gd._get_scores()[1]
    assert not np.allclose(before, after)
    twin = qs_mod.GraphDensity(Dataset(scale.transform(X), [None] * 30), n_neighbors=4,
                               metric="euclidean", gamma=1.0)
    np.testing.assert_allclose(after, twin._get_scores()[1][ds.get_unlabeled_entries()[0]])


def test_density_weighted_meta_in_the_pipeline_space(backend):
    ds, X, y = pool()
    kmeans = KMeans(n_clusters=3, n_init=3, random_state=0)
    base = qs_mod.UncertaintySampling(ds, model=scaled_pipeline())
    qs = qs_mod.DensityWeightedMeta(ds, base, clustering_method=clone(kmeans), random_state=0,
                                    transformer="model")
    ids, scores = qs._get_scores()
    _, base_scores = base._get_scores()
    Z = fitted_scaler(ds).transform(X)
    km = clone(kmeans).fit(Z)
    centres = km.cluster_centers_[km.predict(Z[ids])]
    cosine = (Z[ids] * centres).sum(axis=1) / (np.linalg.norm(Z[ids], axis=1)
                                               * np.linalg.norm(centres, axis=1))
    np.testing.assert_allclose(scores, base_scores * cosine, rtol=1e-9)


@pytest.mark.parametrize("build", [
    lambda ds: qs_mod.InformationDensity(ds, model=LogisticRegression(), transformer="model"),
    lambda ds: qs_mod.InformationDensity(ds, model=SkLR(), transformer="model"),
    lambda ds: qs_mod.RankedBatch(ds, SkLR(), transformer="model"),
    lambda ds: qs_mod.CoreSet(ds, transformer="model"),
    lambda ds: qs_mod.GraphDensity(ds, transformer="model"),
    lambda ds: qs_mod.DensityWeightedMeta(ds, qs_mod.RandomSampling(ds), transformer="model"),
    lambda ds: qs_mod.RankedBatch(ds, Pipeline([("c", SkLR())]), transformer="model"),
])
def test_model_transformer_needs_a_pipeline_model(build):
    with pytest.raises(ValueError, match="transformer='model'"):
        build(pool()[0])


@pytest.mark.parametrize("transformer, exc", [("scaled", TypeError), (object(), TypeError)])
def test_bad_transformers(transformer, exc):
    ds = pool()[0]
    for build in (lambda: qs_mod.CoreSet(ds, transformer=transformer),
                  lambda: qs_mod.GraphDensity(ds, transformer=transformer),
                  lambda: qs_mod.RankedBatch(ds, SkLR(), transformer=transformer),
                  lambda: qs_mod.InformationDensity(ds, model=SkLR(), transformer=transformer)):
        with pytest.raises(exc, match="transform"):
            build()
    with pytest.raises(ValueError, match="cache_features"):
        qs_mod.InformationDensity(ds, model=scaled_pipeline(), transformer="model",
                                  cache_features=True)
