"""BALD: libact's test expectations and sequences, its arithmetic restated, ties, batches."""
import logging

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression as SkLR
from sklearn.multiclass import OneVsRestClassifier
from sklearn.tree import DecisionTreeClassifier

from fastal.base.dataset import Dataset
from fastal.base.interfaces import ProbabilisticModel
from fastal.labelers import IdealLabeler
from fastal.models import SVM, LogisticRegression, SklearnProbaAdapter
from fastal.query_strategies._uncertainty import clipped_entropy, entropy
from fastal.query_strategies.bald import BALD, mutual_information
from fastal.testing import query_sequence

# libact's test_bald data
X_TEN = np.array([[-2, -1], [-1, -1], [-1, -2], [1, 1], [1, 2], [2, 1],
                  [0, 1], [0, -2], [1.5, 1.5], [-2, -2]])
Y_TEN = np.array([-1, -1, -1, 1, 1, 1, -1, -1, 1, 1])


def ten(n_labeled=6):
    return Dataset(X_TEN, list(Y_TEN[:n_labeled]) + [None] * (len(Y_TEN) - n_labeled))


def lr(C=1.0):
    return SklearnProbaAdapter(SkLR(C=C, solver="liblinear"))


def ovr_lr(C=1.0):
    return SklearnProbaAdapter(OneVsRestClassifier(SkLR(C=C, solver="liblinear")))


def three_class_pool(seed, n=100, d=4, n_classes=3):
    rng = np.random.RandomState(seed)
    centres = 2.0 * rng.randn(n_classes, d)
    y = rng.randint(0, n_classes, size=n)
    X = centres[y] + rng.randn(n, d)
    first = [int(i) for c in range(n_classes) for i in np.flatnonzero(y == c)[:2]]
    partial = [y[i] if i in first else None for i in range(n)]
    return X, y, partial


# -- libact's test_bald, restated -------------------------------------------

def test_provided_models_query_an_unlabeled_row():
    ds = ten()
    qs = BALD(ds, models=[LogisticRegression(solver="liblinear", C=c) for c in (0.1, 1.0, 10.0)],
              random_state=42)
    assert qs.make_query() in set(ds.get_unlabeled_entries()[0])


def test_base_model_bagging_builds_n_models():
    ds = ten()
    qs = BALD(ds, base_model=SklearnProbaAdapter(SkLR(solver="liblinear", random_state=42)),
              n_models=5, random_state=42)
    assert len(qs.models) == 5
    assert len({id(m.model) for m in qs.models}) == 5          # clones, not one model
    assert qs.make_query() in set(ds.get_unlabeled_entries()[0])


def test_scores_are_non_negative():
    qs = BALD(ten(), models=[LogisticRegression(solver="liblinear", C=1.0) for _ in range(2)],
              random_state=42)
    entry_ids, scores = qs._get_scores()
    assert len(scores) > 0 and (scores >= -1e-10).all()


def test_update_retrains_and_queries_go_on():
    ds = ten()
    labeler = IdealLabeler(Dataset(X_TEN, Y_TEN))
    qs = BALD(ds, base_model=SklearnProbaAdapter(SkLR(solver="liblinear", random_state=42)),
              n_models=3, random_state=42)
    before = [m.model.coef_.copy() for m in qs.models]
    ask = qs.make_query()
    ds.update(ask, labeler.label(X_TEN[ask]))
    assert any(not np.array_equal(b, m.model.coef_) for b, m in zip(before, qs.models))
    assert qs.make_query() in set(ds.get_unlabeled_entries()[0])


def test_reproducible_with_the_same_random_state():
    base = SklearnProbaAdapter(SkLR(solver="liblinear", random_state=42))
    runs = []
    for _ in range(2):
        ds = ten()
        runs.append(query_sequence(BALD(ds, base_model=base, n_models=3, random_state=42), ds, Y_TEN, 3))
    assert runs[0] == runs[1]


def test_queries_are_distinct():
    ds = ten()
    qs = BALD(ds, models=[LogisticRegression(solver="liblinear", C=c) for c in (0.1, 1.0, 10.0)],
              random_state=42)
    asked = query_sequence(qs, ds, Y_TEN, 4)
    assert len(set(asked)) == 4


def test_entropy_helper():
    qs = BALD(ten(), models=[LogisticRegression(solver="liblinear")], random_state=42)
    assert qs._entropy(np.array([[0.5, 0.5]]))[0] > qs._entropy(np.array([[1.0, 0.0]]))[0]
    assert qs._entropy(np.array([[1.0, 0.0]]))[0] == pytest.approx(0.0, abs=1e-5)


def test_errors():
    with pytest.raises(ValueError):
        BALD(ten(), models=[])
    with pytest.raises(TypeError):
        BALD(ten(), models=[SVM()])
    with pytest.raises(TypeError):
        BALD(ten())

    class NoClone(ProbabilisticModel):
        def train(self, dataset, *args, **kwargs):
            pass

        def predict(self, feature, *args, **kwargs):
            pass

        def score(self, testing_dataset, *args, **kwargs):
            pass

        def predict_proba(self, feature, *args, **kwargs):
            return np.full((len(feature), 2), 0.5)

    with pytest.raises(TypeError):
        BALD(ten(), base_model=NoClone())
    with pytest.raises(TypeError):
        BALD(ten(), base_model=SVM())
    with pytest.raises(ValueError):
        BALD(ten(), base_model=lr(), n_models=0)
    with pytest.raises(ValueError):
        BALD(ten(), models=[lr()], random_state=1.5)
    qs = BALD(Dataset(X_TEN, Y_TEN), models=[LogisticRegression(solver="liblinear")],
              random_state=42)
    with pytest.raises(ValueError, match="No unlabeled samples available"):
        qs.make_query()
    entry_ids, scores = qs._get_scores()
    assert entry_ids.shape == (0,) and scores.shape == (0,)


def test_nothing_labeled_trains_nothing(caplog):
    model = lr()
    with caplog.at_level(logging.WARNING):
        BALD(Dataset(X_TEN, [None] * 10), models=[model])
    assert "No labeled samples" in caplog.text
    assert not hasattr(model.model, "coef_")


# -- libact's query sequences ----------------------------------------------------

def test_sequences_of_libact_on_its_test_data():
    """Recorded from libact on test_bald's data."""
    ds = ten()
    qs = BALD(ds, models=[LogisticRegression(solver="liblinear", C=c) for c in (0.1, 1.0, 10.0)],
              random_state=42)
    assert query_sequence(qs, ds, Y_TEN, 4) == [9, 7, 8, 6]
    ds = ten()
    qs = BALD(ds, base_model=SklearnProbaAdapter(SkLR(solver="liblinear", random_state=42)),
              n_models=5, random_state=42)
    assert query_sequence(qs, ds, Y_TEN, 4) == [7, 6, 8, 9]


def committee(kind, seed, ds):
    if kind == "models":
        return BALD(ds, models=[ovr_lr(c) for c in (0.01, 0.1, 1.0)], random_state=seed)
    if kind == "bag":
        return BALD(ds, base_model=ovr_lr(), n_models=5, random_state=seed)
    tree = SklearnProbaAdapter(DecisionTreeClassifier(max_depth=2, random_state=0))
    return BALD(ds, base_model=tree, n_models=4, random_state=seed)


@pytest.mark.parametrize("seed, kind, expected", [
    (0, "models", [47, 45, 3, 93, 63, 23, 61, 51, 88, 35, 39, 17, 59, 19, 8]),
    (1, "bag", [73, 5, 98, 93, 62, 82, 13, 90, 20, 85, 28, 27, 36, 78, 97]),
    (2, "tree", [81, 28, 96, 89, 19, 30, 90, 53, 95, 54, 17, 38, 23, 36, 73]),
])
def test_sequences_of_libact_three_classes(seed, kind, expected):
    """Recorded from libact: three classes, two labeled rows each; trees tie often."""
    X, y, partial = three_class_pool(seed)
    ds = Dataset(X, partial)
    assert query_sequence(committee(kind, seed, ds), ds, y, 15) == expected


# -- libact's arithmetic restated --------------------------------------------------

class LibactBALDArithmetic:
    """libact's BALD step by step: a Dataset per bag, per-model entropies, isclose ties."""

    def __init__(self, models, seed):
        self.models = models
        self.rs = np.random.RandomState(seed)

    def train(self, ds):
        n_labeled = ds.len_labeled()
        if n_labeled == 0:
            return

        def bag():
            X, y = ds.get_labeled_entries()
            idx = self.rs.randint(0, len(X), size=n_labeled)
            return Dataset(X[idx], np.array(y)[idx])

        for model in self.models:
            sample = bag()
            attempts = 0
            while sample.get_num_of_labels() != ds.get_num_of_labels():
                sample = bag()
                attempts += 1
                if attempts >= 10:
                    break
            model.train(sample)

    def scores(self, ds):
        ids, X_pool = ds.get_unlabeled_entries()

        def entropy(p):
            p = np.clip(p, 1e-10, 1.0)
            return -np.sum(p * np.log(p), axis=1)

        proba = np.array([np.asarray(m.predict_proba(X_pool)) for m in self.models])
        return ids, entropy(np.mean(proba, axis=0)) - np.mean(
            np.array([entropy(p) for p in proba]), axis=0)

    def sequence(self, ds, y, steps):
        self.train(ds)
        asked, all_scores = [], []
        for _ in range(steps):
            ids, s = self.scores(ds)
            ask = int(ids[self.rs.choice(np.where(np.isclose(s, np.max(s)))[0])])
            asked.append(ask)
            all_scores.append(s)
            ds.update(ask, y[ask])
            self.train(ds)
        return asked, all_scores


@pytest.mark.parametrize("seed, kind", [(3, "models"), (4, "bag"), (5, "tree")])
def test_equals_libact_arithmetic(seed, kind):
    X, y, partial = three_class_pool(seed, n=60)
    ref_ds = Dataset(X, partial)
    ref_models = committee(kind, seed, Dataset(X, partial)).models     # fresh, same kinds
    if kind != "models":
        ref_models = [m.clone() for m in ref_models]
    expected, ref_scores = LibactBALDArithmetic(ref_models, seed).sequence(ref_ds, y, 10)
    ds = Dataset(X, partial)
    qs = committee(kind, seed, ds)
    for step in range(10):
        _, scores = qs._get_scores()
        np.testing.assert_array_equal(scores, ref_scores[step])       # bit for bit
        ask = int(qs.make_query())
        assert ask == expected[step]
        ds.update(ask, y[ask])


def test_clipped_entropy_is_the_shared_helper_bit_for_bit():
    rng = np.random.RandomState(1)
    proba = rng.dirichlet(np.ones(4), size=500)
    proba[:5] = np.eye(4)[[0, 1, 2, 3, 0]]
    proba[5] = [1e-300, 0.5, 0.5 - 1e-300, 0.0]
    np.testing.assert_array_equal(clipped_entropy(proba), entropy(np.clip(proba, 1e-10, 1.0)))


def test_mutual_information_matches_the_definition():
    rng = np.random.RandomState(0)
    proba = rng.dirichlet(np.ones(3), size=(4, 7))
    proba[0, 0] = [1.0, 0.0, 0.0]
    mean = proba.mean(axis=0)
    h = lambda p: -(np.clip(p, 1e-10, 1) * np.log(np.clip(p, 1e-10, 1))).sum(axis=-1)
    np.testing.assert_allclose(mutual_information(proba), h(mean) - h(proba).mean(axis=0),
                               rtol=1e-12)


# -- ties, batches, scores ------------------------------------------------------------

class ConstantModel(ProbabilisticModel):
    """The same probabilities for every row, whatever it was trained on."""

    def train(self, dataset, *args, **kwargs):
        self.n_trained = getattr(self, "n_trained", 0) + 1

    def predict(self, feature, *args, **kwargs):
        return np.zeros(len(feature), dtype=int)

    def score(self, testing_dataset, *args, **kwargs):
        return 0.0

    def predict_proba(self, feature, *args, **kwargs):
        return np.tile([0.3, 0.7], (len(feature), 1))

    def clone(self):
        return ConstantModel()


def test_ties_are_broken_with_random_state_choice():
    X, y, partial = three_class_pool(6, n=30)
    seed = 11
    qs = BALD(Dataset(X, partial), base_model=ConstantModel(), n_models=3, random_state=seed)
    pool = np.flatnonzero([p is None for p in partial])
    # replay libact's random numbers: three bootstrap bags (redrawn while a label is missing)
    rs = np.random.RandomState(seed)
    codes = np.array([partial[i] for i in range(len(partial)) if partial[i] is not None])
    for _ in range(3):
        picks = rs.randint(0, len(codes), size=len(codes))
        tries = 0
        while len(np.unique(codes[picks])) != 3 and tries < 10:
            picks = rs.randint(0, len(codes), size=len(codes))
            tries += 1
    state = rs.get_state()
    assert int(qs.make_query()) == pool[rs.choice(np.arange(len(pool)))]
    # a batch repeats the rule on the rows not picked yet
    rs.set_state(state)
    qs.random_state_.set_state(state)
    left = list(range(len(pool)))
    expected = []
    for _ in range(4):
        pick = rs.choice(np.array(left))
        left.remove(pick)
        expected.append(pool[pick])
    assert qs.make_query(n_instances=4).tolist() == expected


def test_batch_and_return_score():
    X, y, partial = three_class_pool(7, n=60)
    ds = Dataset(X, partial)
    qs = committee("models", 7, ds)
    state = qs.random_state_.get_state()
    ids, scores = qs._get_scores()
    single = qs.make_query()
    qs.random_state_.set_state(state)
    batch = qs.make_query(n_instances=5)
    assert batch[0] == single and len(set(batch.tolist())) == 5
    np.testing.assert_array_equal(np.sort(scores)[::-1][:5],
                                  np.sort(scores[np.searchsorted(ids, batch)])[::-1])
    ask, pairs = qs.make_query(return_score=True)
    assert [p[0] for p in pairs] == ids.tolist()
    np.testing.assert_array_equal([p[1] for p in pairs], scores)
    with pytest.raises(TypeError, match="n_instances"):
        qs.make_query(2)
