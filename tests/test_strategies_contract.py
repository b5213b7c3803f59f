"""What every strategy promises: scores, batches, return shapes and clear errors."""
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression as SkLR

import fastal.query_strategies as qs_mod
from fastal.base.dataset import Dataset
from fastal.models import SVM, LogisticRegression, SklearnAdapter, SklearnProbaAdapter
from fastal.query_strategies._selection import EMPTY_POOL, rank_with_ties

# the pool's labels are 0/1; HintSVM (as libact) reads label 0 as "hint" and says so
pytestmark = pytest.mark.filterwarnings("ignore:HintSVM treats labeled rows")


def pool(n=40, n_labeled=10, seed=1126):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, 5)
    y = np.arange(n) % 2
    return Dataset(X, list(y[:n_labeled]) + [None] * (n - n_labeled)), X, y


def proba_model():
    return SklearnProbaAdapter(SkLR(max_iter=200, solver="liblinear"))


FACTORIES = {
    "uncertainty_lc": lambda ds: qs_mod.UncertaintySampling(ds, model=proba_model()),
    "uncertainty_sm": lambda ds: qs_mod.UncertaintySampling(ds, model=LogisticRegression(), method="sm"),
    "uncertainty_entropy": lambda ds: qs_mod.UncertaintySampling(ds, model=proba_model(), method="entropy"),
    "uncertainty_svm": lambda ds: qs_mod.UncertaintySampling(ds, model=SVM()),
    "random": lambda ds: qs_mod.RandomSampling(ds, random_state=42),
    "qbc_vote": lambda ds: qs_mod.QueryByCommittee(
        ds, models=[proba_model() for _ in range(3)], random_state=42),
    "qbc_kl": lambda ds: qs_mod.QueryByCommittee(
        ds, models=[proba_model() for _ in range(3)], disagreement="kl_divergence", random_state=42),
    "information_density": lambda ds: qs_mod.InformationDensity(ds, model=proba_model(), random_state=42),
    "information_density_lc_cos": lambda ds: qs_mod.InformationDensity(
        ds, model=proba_model(), method="lc", metric="cosine", random_state=42),
    "coreset": lambda ds: qs_mod.CoreSet(ds, random_state=42),
    "coreset_manhattan": lambda ds: qs_mod.CoreSet(ds, metric="cityblock", random_state=42),
    "density_weighted_meta": lambda ds: qs_mod.DensityWeightedMeta(
        ds, qs_mod.UncertaintySampling(ds, model=proba_model()), random_state=42),
    "ranked_batch": lambda ds: qs_mod.RankedBatch(ds, proba_model()),
    "graph_density": lambda ds: qs_mod.GraphDensity(ds, n_neighbors=5),
    "epsilon_us": lambda ds: qs_mod.EpsilonUncertaintySampling(ds, model=proba_model(), epsilon=0.2,
                                                               random_state=42),
    "quire": lambda ds: qs_mod.QUIRE(ds),
    "quire_linear": lambda ds: qs_mod.QUIRE(ds, kernel="linear"),
    "hintsvm": lambda ds: qs_mod.HintSVM(ds, random_state=42),
    "dwus": lambda ds: qs_mod.DWUS(ds, random_state=42),
    "bald": lambda ds: qs_mod.BALD(ds, base_model=proba_model(), n_models=3, random_state=42),
    "albl": lambda ds: qs_mod.ActiveLearningByLearning(
        ds, query_strategies=[qs_mod.UncertaintySampling(ds, model=proba_model()),
                              qs_mod.RandomSampling(ds, random_state=1)],
        T=100, model=proba_model(), random_state=42),
    "variance_reduction": lambda ds: qs_mod.VarianceReduction(ds, model=LogisticRegression()),
}
# libact defines no _get_scores for these (its own tests expect NotImplementedError)
NO_SCORES = {"albl", "variance_reduction"}
# strategies whose batch is the single-query rule repeated (its first id = the single query)
SAME_FIRST = {name for name in FACTORIES if name not in ("random", "epsilon_us", "albl")}


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_get_scores_contract(backend, name):
    ds, _, _ = pool()
    qs = FACTORIES[name](ds)
    if name in NO_SCORES:
        with pytest.raises(NotImplementedError):
            qs._get_scores()
        assert qs.make_query() in ds.get_unlabeled_entries()[0]
        return
    entry_ids, scores = qs._get_scores()
    assert isinstance(entry_ids, np.ndarray) and isinstance(scores, np.ndarray)
    assert entry_ids.tolist() == ds.get_unlabeled_entries()[0].tolist()
    assert len(scores) == len(entry_ids) and np.isfinite(scores).all()
    assert qs.make_query() in entry_ids


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_batch_and_return_score(backend, name):
    ds, _, _ = pool()
    qs = FACTORIES[name](ds)
    batch = qs.make_query(n_instances=7)
    assert isinstance(batch, np.ndarray) and batch.shape == (7,)
    assert len(set(batch.tolist())) == 7
    assert set(batch.tolist()) <= set(ds.get_unlabeled_entries()[0].tolist())
    ask, scores = qs.make_query(return_score=True)
    assert isinstance(ask, (int, np.integer))
    assert isinstance(scores, list) and all(len(item) == 2 for item in scores)
    assert [int(i) for i, _ in scores] == ds.get_unlabeled_entries()[0].tolist()
    whole = qs.make_query(n_instances=ds.len_unlabeled())
    assert sorted(whole.tolist()) == ds.get_unlabeled_entries()[0].tolist()
    if name in SAME_FIRST:
        single = FACTORIES[name](pool()[0]).make_query()
        first = FACTORIES[name](pool()[0]).make_query(n_instances=5)[0]
        assert single == first


@pytest.mark.parametrize("name", sorted(FACTORIES))
@pytest.mark.parametrize("k, exc", [(0, ValueError), (-1, ValueError), (31, ValueError),
                                    (2.0, TypeError), (True, TypeError)])
def test_bad_n_instances(name, k, exc):
    ds, _, _ = pool()
    qs = FACTORIES[name](ds)
    with pytest.raises(exc, match="n_instances"):
        qs.make_query(n_instances=k)


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_empty_pool(name):
    ds, X, y = pool()
    qs = FACTORIES[name](ds)
    for i in ds.get_unlabeled_entries()[0]:
        ds.update(i, y[i])
    with pytest.raises(ValueError, match=EMPTY_POOL):
        qs.make_query()
    with pytest.raises(ValueError, match=EMPTY_POOL):
        qs.make_query(n_instances=1)
    if name not in NO_SCORES:
        ids, scores = qs._get_scores()
        assert len(ids) == 0 and len(scores) == 0


@pytest.mark.parametrize("cls", [qs_mod.UncertaintySampling, qs_mod.EpsilonUncertaintySampling])
def test_model_checks(cls):
    ds, _, _ = pool()
    with pytest.raises(TypeError, match="model"):
        cls(ds)
    with pytest.raises(TypeError, match="ContinuousModel"):
        cls(ds, model=SklearnAdapter(SkLR()))
    with pytest.raises(TypeError, match=r"\['lc', 'sm', 'entropy'\]"):
        cls(ds, model=proba_model(), method="margin")
    with pytest.raises(TypeError, match="ProbabilisticModel"):
        cls(ds, model=SVM(), method="entropy")


def test_qbc_checks():
    ds, _, _ = pool()
    with pytest.raises(TypeError, match="models"):
        qs_mod.QueryByCommittee(ds)
    with pytest.raises(ValueError, match="empty"):
        qs_mod.QueryByCommittee(ds, models=[])
    with pytest.raises(ValueError, match="'vote', 'kl_divergence'"):
        qs_mod.QueryByCommittee(ds, models=[proba_model()], disagreement="entropy")
    with pytest.raises(TypeError, match="ProbabilisticModel"):
        qs_mod.QueryByCommittee(ds, models=[SVM()], disagreement="kl_divergence")
    unlabeled = Dataset(np.zeros((3, 2)), [None] * 3)
    with pytest.raises(ValueError, match="labeled entries"):
        qs_mod.QueryByCommittee(unlabeled, models=[proba_model()])


def test_epsilon_bounds_and_extremes():
    ds, _, _ = pool()
    with pytest.raises(ValueError, match="epsilon"):
        qs_mod.EpsilonUncertaintySampling(ds, model=proba_model(), epsilon=1.5)
    greedy = qs_mod.EpsilonUncertaintySampling(ds, model=proba_model(), epsilon=0.0, random_state=0)
    ids, scores = greedy._get_scores()
    assert np.isclose(scores[ids.tolist().index(greedy.make_query())], scores.max())


def test_rank_with_ties_rules():
    scores = np.array([1.0, 3.0, 3.0 - 1e-12, 2.0, 3.0])
    assert rank_with_ties(scores, 3, "first", None).tolist() == [1, 4, 2]
    picks = {int(rank_with_ties(scores, 1, "isclose", np.random.RandomState(s))[0]) for s in range(40)}
    assert picks == {1, 2, 4}
    picks = {int(rank_with_ties(scores, 1, "exact", np.random.RandomState(s))[0]) for s in range(40)}
    assert picks == {1, 4}
    # a single pick consumes the RandomState exactly as libact's choice over the candidates
    expected = np.random.RandomState(3).choice(np.where(np.isclose(scores, scores.max()))[0])
    assert rank_with_ties(scores, 1, "isclose", np.random.RandomState(3))[0] == expected
    assert sorted(rank_with_ties(scores, 5, "isclose", np.random.RandomState(0)).tolist()) == [0, 1, 2, 3, 4]


def test_compat_install_runs_libact_imports(tmp_path):
    import subprocess
    import sys
    code = ("import fastal.compat; fastal.compat.install()\n"
            "import libact\n"
            "from libact.base.dataset import Dataset\n"
            "from libact.query_strategies import UncertaintySampling\n"
            "from libact.models import LogisticRegression\n"
            "import libact.query_strategies as q\n"
            "assert q.UncertaintySampling is UncertaintySampling\n"
            "ds = Dataset([[0.0], [1.0], [0.5]], [0, 1, None])\n"
            "print(UncertaintySampling(ds, model=LogisticRegression()).make_query())\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=tmp_path)
    assert out.stdout.strip() == "2"


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_batch_size_passed_positionally_is_an_error(name):
    ds, _, _ = pool()
    qs = FACTORIES[name](ds)
    with pytest.raises(TypeError, match="n_instances=5"):
        qs.make_query(5)
    assert isinstance(qs.make_query(True), tuple)      # libact's positional return_score


def _strategy_runs(factory, X, y):
    ds = Dataset(X, list(y[:10]) + [None] * (X.shape[0] - 10))
    qs = factory(ds)
    batch = qs.make_query(n_instances=3).tolist()
    single = int(qs.make_query())
    return batch, single, qs


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_every_strategy_on_a_sparse_dataset(backend, name):
    """Same queries (and scores within rtol 1e-7) on a sparse Dataset as on its dense twin."""
    X = sp.random(40, 30, density=0.3, random_state=np.random.RandomState(0), format="csr")
    y = np.arange(40) % 2
    sparse_batch, sparse_single, sparse_qs = _strategy_runs(FACTORIES[name], X, y)
    dense_batch, dense_single, dense_qs = _strategy_runs(FACTORIES[name], X.toarray(), y)
    assert sparse_batch == dense_batch and sparse_single == dense_single
    if name not in NO_SCORES:
        np.testing.assert_allclose(sparse_qs._get_scores()[1], dense_qs._get_scores()[1],
                                   rtol=1e-7, atol=1e-12)
