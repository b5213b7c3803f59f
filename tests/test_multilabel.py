"""Multi-label strategies: libact's query sequences, its arithmetic restated, ties, batches,
errors; multi-label rows in Dataset, IdealLabeler and the models."""
import copy
import os
import pickle

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.spatial.distance import hamming
from sklearn.datasets import load_svmlight_file, make_multilabel_classification
from sklearn.metrics.pairwise import paired_distances
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import MultiLabelBinarizer

from fastal.base.dataset import Dataset
from fastal.base.interfaces import ContinuousModel
from fastal.labelers import IdealLabeler
from fastal.models import SVM, LogisticRegression
from fastal.models.multilabel import BinaryRelevance
from fastal.query_strategies._selection import EMPTY_POOL
from fastal.query_strategies.multilabel import (
    MMC, AdaptiveActiveLearning, BinaryMinimization, CostSensitiveReferencePairEncoding,
    MaximumLossReductionMaximalConfidence, MultilabelWithAuxiliaryLearner)
from fastal.query_strategies.multilabel import adaptive_active_learning as aal_module
from fastal.query_strategies.multilabel.adaptive_active_learning import (
    approximate_error, candidate_rows, separation_margin)
from fastal.query_strategies.multilabel.binary_minimization import closest_to_a_boundary
from fastal.query_strategies.multilabel.cost_sensitive_reference_pair_encoding import (
    CSRPE, BinaryCLF, nearest_code_distances)
from fastal.query_strategies.multilabel.maximum_margin_reduction import predicted_label_sets
from fastal.query_strategies.multilabel.multilabel_with_auxiliary_learner import disagreement
from fastal.testing import query_sequence
from fastal.utils.multilabel import pairwise_f1_score, pairwise_rank_loss

pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning")
YEAST = os.path.join(os.path.dirname(__file__), "data", "yeast_head120.svm")


def lin(**kwargs):
    return LogisticRegression(solver="liblinear", **kwargs)


def ovr(**kwargs):
    return LogisticRegression(solver="liblinear", multi_class="ovr", **kwargs)


def pool_data(seed, n=120, d=8, n_labels=5, dup=False, n_init=6):
    """make_multilabel_classification; ``dup`` appends copies of 20 pool rows (exact ties)."""
    X, Y = make_multilabel_classification(n_samples=n, n_features=d, n_classes=n_labels,
                                          random_state=seed)
    X = X.astype(float)
    if dup:
        X = np.vstack([X, X[n_init:n_init + 20]])
        Y = np.vstack([Y, Y[n_init:n_init + 20]])
    return X, Y


def partial(Y, n_init=6):
    return Y[:n_init].tolist() + [None] * (len(Y) - n_init)


def make(kind, ds, rs):
    if kind == "mmc_default":
        return MMC(ds, random_state=rs)
    if kind == "mmc_lr":
        return MMC(ds, br_base=lin(), random_state=rs)
    if kind == "binmin_lr":
        return BinaryMinimization(ds, lin(), random_state=rs)
    if kind == "binmin_svm":
        return BinaryMinimization(ds, SVM(kernel="linear"), random_state=rs)
    if kind == "aal":
        return AdaptiveActiveLearning(ds, lin(), random_state=rs)
    if kind == "aal_betas":
        return AdaptiveActiveLearning(ds, lin(C=0.1), betas=[0.0, 0.5, 1.0], random_state=rs)
    if kind == "csrpe_f1":
        return CostSensitiveReferencePairEncoding(ds, pairwise_f1_score, BinaryRelevance(lin()),
                                                  lin(random_state=rs), n_models=12,
                                                  random_state=rs)
    if kind == "csrpe_rank":
        return CostSensitiveReferencePairEncoding(ds, pairwise_rank_loss, BinaryRelevance(lin()),
                                                  lin(random_state=rs), n_models=20,
                                                  random_state=rs)
    criterion = kind.split("_")[1]
    return MultilabelWithAuxiliaryLearner(ds, BinaryRelevance(lin()),
                                          BinaryRelevance(SVM(gamma="auto")), criterion=criterion,
                                          b=0.5 if criterion == "shlr" else 1.0, random_state=rs)


# -- libact's query sequences ---------------------------------------------------------------

# Recorded from libact on make_multilabel_classification(n_samples=120, n_features=8,
# n_classes=5, random_state=seed), six rows labeled; "dup" appends copies of 20 pool rows, so
# that exact ties occur; "rs" passes a RandomState object instead of the int seed.
LIBACT_SEQUENCES = [
    ("mmc_default", 0, "", [58, 107, 71, 30, 51, 33, 96, 109, 38, 52]),
    ("mmc_default", 1, "dup", [77, 80, 57, 130, 67, 94, 76, 63, 92, 53]),
    ("mmc_lr", 2, "", [59, 23, 7, 42, 58, 19, 94, 27, 86, 76, 24, 13]),
    ("mmc_lr", 3, "rs", [18, 12, 73, 47, 55, 84, 27, 59, 75, 39, 78, 25]),
    ("binmin_lr", 4, "", [38, 44, 61, 56, 40, 70, 113, 49, 46, 87, 83, 93]),
    ("binmin_svm", 5, "dup", [130, 39, 9, 36, 100, 41, 101, 138, 115, 118, 127, 48]),
    ("aal", 6, "", [90, 98, 21, 88, 96, 100]),
    ("aal_betas", 7, "dup", [45, 131, 9, 88, 48, 97]),
    ("csrpe_f1", 8, "", [105, 57, 8, 27, 91, 83, 52, 79, 64, 93, 77, 85]),
    ("csrpe_rank", 9, "rs dup", [32, 80, 85, 63, 90, 44, 27, 23, 52, 24, 28, 93]),
    ("aux_hlr", 10, "", [69, 29, 112, 28, 51, 118, 24, 65, 52, 117, 21, 46]),
    ("aux_shlr", 11, "", [91, 7, 13, 36, 111, 16, 65, 104, 12, 89, 41, 102]),
    ("aux_mmr", 12, "dup", [129, 32, 69, 53, 35, 125, 101, 37, 46, 36, 76, 52]),
]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("kind, seed, flags, expected", LIBACT_SEQUENCES)
def test_sequences_of_libact(kind, seed, flags, expected):
    X, Y = pool_data(seed, dup="dup" in flags)
    ds = Dataset(X, partial(Y))
    rs = np.random.RandomState(seed) if "rs" in flags else seed
    assert query_sequence(make(kind, ds, rs), ds, Y.tolist(), len(expected)) == expected


def yeast():
    X, y = load_svmlight_file(YEAST, multilabel=True)
    return X.todense().tolist(), MultiLabelBinarizer().fit_transform(y).tolist()


# Recorded from libact with the models of libact's test_multilabel_realdata, on the first 120
# rows of its yeast_train.svm (103 features, 14 labels), five rows labeled.
YEAST_SEQUENCES = [
    ("mmc", lambda ds: MMC(ds, random_state=1126),
     [117, 107, 18, 40, 50, 70, 88, 64, 69, 19]),
    ("binmin", lambda ds: BinaryMinimization(ds, ovr(), random_state=1126),
     [64, 69, 86, 96, 101, 82, 27, 28, 100, 98]),
    ("aal", lambda ds: AdaptiveActiveLearning(ds, base_clf=ovr(), n_jobs=1, random_state=1126),
     [33, 101, 92]),
    ("csrpe", lambda ds: CostSensitiveReferencePairEncoding(
        ds, scoring_fn=pairwise_f1_score, model=BinaryRelevance(lin()),
        base_model=lin(random_state=1126), n_models=10, n_jobs=1, random_state=1126),
     [23, 31, 83, 104, 46, 115, 11, 72, 61, 33]),
    ("aux_hlr", lambda ds: MultilabelWithAuxiliaryLearner(
        ds, BinaryRelevance(ovr(random_state=1126)), BinaryRelevance(SVM(gamma="auto")),
        criterion="hlr", random_state=1126),
     [10, 8, 114, 66, 58, 67, 111, 12, 57, 11]),
    ("aux_shlr", lambda ds: MultilabelWithAuxiliaryLearner(
        ds, BinaryRelevance(ovr(random_state=1126)), BinaryRelevance(SVM(gamma="auto")),
        criterion="shlr", random_state=1126),
     [10, 60, 115, 34, 47, 86, 16, 73, 111, 76]),
    ("aux_mmr", lambda ds: MultilabelWithAuxiliaryLearner(
        ds, BinaryRelevance(ovr(random_state=1126)), BinaryRelevance(SVM(gamma="auto")),
        criterion="mmr", random_state=1126),
     [10, 60, 115, 34, 47, 86, 82, 118, 26, 95]),
]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name, factory, expected", YEAST_SEQUENCES,
                         ids=[c[0] for c in YEAST_SEQUENCES])
def test_sequences_of_libact_on_yeast(name, factory, expected):
    X, Y = yeast()
    ds = Dataset(X, Y[:5] + [None] * (len(Y) - 5))
    assert query_sequence(factory(ds), ds, Y, len(expected)) == expected


# -- libact's arithmetic restated, row by row -----------------------------------------------

def labeled_pool(seed=21, dup=False, n=80):
    X, Y = pool_data(seed, n=n, dup=dup)
    return X, Y, Dataset(X, partial(Y))


def test_mmc_scores_equal_the_row_by_row_restatement():
    X, Y, ds = labeled_pool(22)
    for _ in range(3):
        qs = MMC(ds, br_base=lin(), random_state=0)
        ids, scores = qs._get_scores()
        Xl, Yl = ds.format_sklearn()
        br = BinaryRelevance(lin()).train(Dataset(Xl, Yl))
        trn = br.predict_proba(Xl)
        poolf = br.predict_proba(X[ids])
        f = poolf * 2 - 1
        trn = np.sort(trn, axis=1)[:, ::-1]
        trn /= np.tile(trn.sum(axis=1).reshape(-1, 1), (1, trn.shape[1]))
        counts = lin_multinomial().fit(trn, Yl.sum(axis=1))
        order = np.argsort(poolf, axis=1)[:, ::-1]
        poolf = np.sort(poolf, axis=1)[:, ::-1]
        poolf /= np.tile(poolf.sum(axis=1).reshape(-1, 1), (1, poolf.shape[1]))
        k = counts.predict(poolf).astype(int)
        expected = []
        for i in range(len(ids)):
            yhat = -np.ones(Yl.shape[1], dtype=int)
            yhat[order[i, :k[i]]] = 1
            expected.append(((1 - yhat * f[i]) / 2).sum())
        np.testing.assert_array_equal(scores, expected)
        ask = qs.make_query()
        ds.update(ask, Y[ask].tolist())


def lin_multinomial():
    import sklearn.linear_model
    return sklearn.linear_model.LogisticRegression(solver="newton-cg")


def test_predicted_label_sets_follow_python_slices():
    rng = np.random.RandomState(0)
    order = np.argsort(rng.rand(50, 6), axis=1)
    counts = rng.randint(-8, 9, size=50)
    got = predicted_label_sets(order, counts, 6)
    for i in range(50):
        row = -np.ones(6, dtype=int)
        row[order[i, :counts[i]]] = 1
        np.testing.assert_array_equal(got[i], row)


def libact_binmin_choices(distances):
    """libact: every (label, row) at the minimum, label by label (rows repeat)."""
    low = min(min(row) for row in distances)
    return [i for row in distances for i, value in enumerate(row) if value == low]


def test_binary_minimization_choices_repeat_a_row_per_label():
    d = np.array([[0.3, 0.1, 0.5, 0.1], [0.1, 0.7, 0.1, 0.2], [0.9, 0.1, 0.4, 0.8]])
    assert libact_binmin_choices(d.tolist()) == [1, 3, 0, 2, 1]
    for seed in range(20):
        expected = np.random.RandomState(seed).choice(libact_binmin_choices(d.tolist()))
        got = closest_to_a_boundary(d, np.ones(4, dtype=bool), np.random.RandomState(seed))
        assert got == expected
    # among the rows left, the same rule
    rs = np.random.RandomState(3)
    got = closest_to_a_boundary(d, np.array([True, False, True, True]), rs)
    expected_rows = [0, 2, 3]
    sub = d[:, expected_rows]
    pick = np.random.RandomState(3).choice(libact_binmin_choices(sub.tolist()))
    assert got == expected_rows[pick]


def test_binary_minimization_scores_and_query_restated():
    X, Y, ds = labeled_pool(23, dup=True)
    qs = BinaryMinimization(ds, lin(), random_state=5)
    state = qs.random_state_.get_state()
    ids, scores = qs._get_scores()
    Xl, Yl = ds.format_sklearn()
    distances = []
    for j in range(Yl.shape[1]):
        if len(np.unique(Yl[:, j])) == 1:
            distances.append(np.ones(len(ids)))
            continue
        clf = lin()
        clf.train(Dataset(Xl, Yl[:, j]))
        distances.append(np.abs(clf.predict_real(X[ids])[:, 1]))
    np.testing.assert_array_equal(scores, -np.min(distances, axis=0))
    qs.random_state_.set_state(state)
    rs = np.random.RandomState(5)
    assert qs.make_query() == ids[rs.choice(libact_binmin_choices(np.array(distances).tolist()))]


def libact_candidates(uncertainty, cardinality, betas):
    """libact: a set filled beta by beta with numpy integers, then listed."""
    found = set()
    for b in betas:
        score = uncertainty ** b * cardinality ** (1. - b)
        for idx in np.where(score == np.max(score))[0]:
            found.add(idx)
    return list(found)


def test_candidate_order_is_libacts_set_order():
    rng = np.random.RandomState(0)
    for _ in range(30):
        n = rng.randint(5, 400)
        uncertainty = rng.randint(0, 4, size=n).astype(float)
        cardinality = rng.randint(0, 4, size=n).astype(float)
        betas = [i / 10. for i in range(11)]
        assert candidate_rows(uncertainty, cardinality, betas) == \
            [int(i) for i in libact_candidates(uncertainty, cardinality, betas)]


def test_aal_restated():
    X, Y, ds = labeled_pool(24, dup=True)
    qs = AdaptiveActiveLearning(ds, lin(), random_state=7)
    state = qs.random_state_.get_state()
    ids, scores, context = qs._evaluate()
    Xl, Yl = ds.format_sklearn()
    br = BinaryRelevance(lin()).train(ds)
    real = br.predict_real(X[ids])
    pred = br.predict(X[ids]).astype(int)
    margin = []
    for row in real:
        pos = [v for v in row if v > 0]
        neg = [v for v in row if v < 0]
        margin.append((min(pos) if pos else np.inf) - (max(neg) if neg else -np.inf))
    np.testing.assert_array_equal(separation_margin(real), margin)
    np.testing.assert_array_equal(context["uncertainty"], 1. / np.array(margin))
    cardinality = np.sqrt((pred.sum(axis=1) - Yl.mean(axis=0).sum()) ** 2)
    np.testing.assert_array_equal(context["cardinality"], cardinality)
    candidates = libact_candidates(context["uncertainty"], cardinality, qs.betas)
    errors = []
    for idx in candidates:
        more = BinaryRelevance(lin()).train(
            Dataset(np.vstack((Xl, X[ids][idx])), np.vstack((Yl, pred[idx]))))
        f = more.predict_real(X[ids])
        total = 0.0
        row_terms = []
        for row in f:
            p = max([1 - v if v >= 0 else 0 for v in row])
            q = max([1 + v if v <= 0 else 0 for v in row])
            row_terms.append(p + q)
        total = np.sum(row_terms)
        errors.append(total)
        assert context["errors"][int(idx)] == pytest.approx(total, rel=1e-12)
        assert context["errors"][int(idx)] == approximate_error(f)
    expected_scores = np.full(len(ids), -np.inf)
    expected_scores[candidates] = [-context["errors"][int(i)] for i in candidates]
    np.testing.assert_array_equal(scores, expected_scores)
    exact = [context["errors"][int(i)] for i in candidates]
    qs.random_state_.set_state(state)
    rs = np.random.RandomState(7)
    best = candidates[rs.choice(np.where(np.array(exact) == np.min(exact))[0])]
    assert qs.make_query() == ids[best]


def test_csrpe_scores_equal_libacts_pairwise_and_ball_tree_distances():
    X, Y, ds = labeled_pool(25, dup=True)
    qs = CostSensitiveReferencePairEncoding(ds, pairwise_f1_score, BinaryRelevance(lin()),
                                            lin(), n_models=15, random_state=3)
    for _ in range(3):
        ids, scores = qs._get_scores()
        code = qs.csrpe_.predicted_code(X[ids])
        label_code = qs.csrpe_.encode(qs.model_.predict(X[ids]))
        nn = NearestNeighbors(n_neighbors=1, algorithm="ball_tree").fit(
            qs.csrpe_.predicted_code(ds.format_sklearn()[0]))
        expected = paired_distances(code, label_code, metric=hamming) + \
            nn.kneighbors(code, 1, return_distance=True)[0].reshape(-1)
        np.testing.assert_array_equal(scores, expected)
        ask = qs.make_query()
        ds.update(ask, Y[ask].tolist())


def test_nearest_code_distances_in_blocks_and_for_other_codes(monkeypatch):
    rng = np.random.RandomState(0)
    codes = rng.randint(0, 2, size=(300, 40)).astype(float)
    ref = rng.randint(0, 2, size=(25, 40)).astype(float)
    nn = NearestNeighbors(n_neighbors=1, algorithm="ball_tree").fit(ref)
    expected = nn.kneighbors(codes, 1)[0].reshape(-1)
    monkeypatch.setattr(
        "fastal.query_strategies.multilabel.cost_sensitive_reference_pair_encoding._BLOCK", 100)
    np.testing.assert_array_equal(nearest_code_distances(codes, ref), expected)
    signed = codes * 2 - 1
    np.testing.assert_array_equal(
        nearest_code_distances(signed, ref * 2 - 1),
        NearestNeighbors(n_neighbors=1, algorithm="ball_tree").fit(ref * 2 - 1)
        .kneighbors(signed, 1)[0].reshape(-1))


def test_a_bit_once_constant_stays_constant_as_in_libact():
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    clf = BinaryCLF(lin(), pairwise_f1_score, rep_label=np.array([[1, 0], [0, 1]]))
    clf.train(X[:2], np.array([[0, 1], [0, 1]]))          # both prefer rep 1: bit constant 1
    assert clf.label == 1.0 and clf.base_clf_ is None
    clf.train(X, np.array([[0, 1], [0, 1], [1, 0], [1, 0]]))  # two bit values now
    assert clf.predict(X).tolist() == [1.0] * 4              # libact's predict keeps the constant
    assert clf.enc(np.array([[1, 0], [0, 1]])).tolist() == [0.0, 1.0]


def test_csrpe_predict_and_width_checks():
    X, Y, ds = labeled_pool(26)
    enc = CSRPE(pairwise_f1_score, lin(), n_clfs=6, n_jobs=1, random_state=0)
    with pytest.raises(ValueError, match="trained"):
        enc.predicted_code(X)
    enc.train(ds)
    labeled = ds.format_sklearn()[1]
    tokens = enc.predict(X[:10])
    assert tokens.shape == (10, Y.shape[1])
    assert all(any((t == row).all() for row in labeled) for t in tokens)
    with pytest.raises(ValueError, match="label size"):
        enc.encode(np.zeros((2, Y.shape[1] + 1)))


def test_auxiliary_scores_restated():
    X, Y, ds = labeled_pool(27)
    for criterion in ("hlr", "shlr", "mmr"):
        qs = MultilabelWithAuxiliaryLearner(ds, BinaryRelevance(lin()),
                                            BinaryRelevance(SVM(gamma="auto")),
                                            criterion=criterion, b=0.7, random_state=0)
        ids, scores = qs._get_scores()
        major = BinaryRelevance(lin()).train(ds).predict(X[ids])
        aux = BinaryRelevance(SVM(gamma="auto")).train(ds)
        for i in range(len(ids)):
            if criterion == "hlr":
                value = np.mean(np.abs(major[i] - aux.predict(X[ids][i:i + 1])[0]))
            else:
                s = major[i] * 2 - 1
                a = aux.predict_real(X[ids][i:i + 1])[0]
                if criterion == "mmr":
                    value = np.sum((1. - s * a) / 2.)
                else:
                    value = np.sum((0.7 - np.clip(s * a, -0.7, 0.7)) / 2. / 0.7)
            assert scores[i] == pytest.approx(value, rel=1e-12, abs=1e-15)


def test_auxiliary_with_predict_proba_only():
    class ProbaOnly:
        def __init__(self):
            self.br = BinaryRelevance(lin())

        def train(self, dataset):
            self.br.train(dataset)

        def predict(self, X):
            return self.br.predict(X)

        def predict_proba(self, X):
            return self.br.predict_proba(X)

    X, Y, ds = labeled_pool(28)
    qs = MultilabelWithAuxiliaryLearner(ds, BinaryRelevance(lin()), ProbaOnly(), criterion="mmr")
    ids, scores = qs._get_scores()
    major = BinaryRelevance(lin()).train(ds).predict(X[ids])
    np.testing.assert_array_equal(
        scores, disagreement(major, BinaryRelevance(lin()).train(ds).predict_proba(X[ids]) * 2 - 1,
                             "mmr"))


# -- batches, scores, errors -------------------------------------------------------------------

FACTORIES = {
    "mmc": lambda ds: MMC(ds, br_base=lin(), random_state=1),
    "binmin": lambda ds: BinaryMinimization(ds, lin(), random_state=1),
    "aal": lambda ds: AdaptiveActiveLearning(ds, lin(), random_state=1),
    "csrpe": lambda ds: CostSensitiveReferencePairEncoding(
        ds, pairwise_f1_score, BinaryRelevance(lin()), lin(), n_models=8, random_state=1),
    "aux": lambda ds: MultilabelWithAuxiliaryLearner(
        ds, BinaryRelevance(lin()), BinaryRelevance(SVM()), criterion="shlr", random_state=1),
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_batch_first_is_the_single_query_and_scores_are_returned(name):
    X, Y, ds = labeled_pool(30, dup=True, n=60)
    qs = FACTORIES[name](ds)
    state = qs.random_state_.get_state()
    single = qs.make_query()
    qs.random_state_.set_state(state)
    batch = qs.make_query(n_instances=5)
    assert batch[0] == single and len(set(batch.tolist())) == 5
    assert set(batch.tolist()) <= set(ds.get_unlabeled_entries()[0].tolist())
    ids, scores = qs._get_scores()
    assert len(ids) == len(scores) == ds.len_unlabeled()
    ask, pairs = qs.make_query(return_score=True)
    assert [p[0] for p in pairs] == ids.tolist()
    np.testing.assert_array_equal([p[1] for p in pairs], scores)
    with pytest.raises(TypeError, match="n_instances"):
        qs.make_query(2)
    with pytest.raises(ValueError):
        qs.make_query(n_instances=ds.len_unlabeled() + 1)


def test_aal_batch_repeats_the_rule_on_the_rows_left():
    X, Y, ds = labeled_pool(31, n=60)
    qs = AdaptiveActiveLearning(ds, lin(), betas=[0.0, 1.0], random_state=2)
    state = qs.random_state_.get_state()
    batch = qs.make_query(n_instances=4).tolist()
    ids, _, context = qs._evaluate()
    rs = np.random.RandomState()
    rs.set_state(state)
    left = np.ones(len(ids), dtype=bool)
    expected = []
    for _ in range(4):
        rows = np.flatnonzero(left)
        cand = [int(rows[i]) for i in candidate_rows(context["uncertainty"][rows],
                                                     context["cardinality"][rows], [0.0, 1.0])]
        errs = np.array([aal_module.error_with_row(qs.base_clf, context["X"], context["Y"],
                                                   context["X_pool"], context["X_pool"][r],
                                                   context["pred"][r]) for r in cand])
        pick = cand[rs.choice(np.flatnonzero(errs == errs.min()))]
        left[pick] = False
        expected.append(int(ids[pick]))
    assert batch == expected


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_empty_pool(name):
    X, Y = pool_data(32, n=20)
    ds = Dataset(X, Y.tolist())
    qs = FACTORIES[name](ds)
    with pytest.raises(ValueError, match=EMPTY_POOL):
        qs.make_query()
    ids, scores = qs._get_scores()
    assert ids.shape == (0,) and scores.shape == (0,)


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_row_zero_unlabeled_and_nothing_labeled(name):
    X, Y = pool_data(33, n=40)
    labels = [None] + Y[1:8].tolist() + [None] * 32          # libact reads row 0's label
    ds = Dataset(X, labels)
    assert FACTORIES[name](ds).make_query() in set(ds.get_unlabeled_entries()[0].tolist())
    qs = FACTORIES[name](Dataset(X, [None] * 40))
    with pytest.raises(ValueError, match="label"):
        qs.make_query()


def test_errors_and_defaults():
    X, Y, ds = labeled_pool(34, n=40)
    with pytest.raises(TypeError, match="criterion"):
        MultilabelWithAuxiliaryLearner(ds, BinaryRelevance(lin()), BinaryRelevance(lin()),
                                       criterion="bogus")
    with pytest.raises(ValueError):
        BinaryMinimization(ds, lin(), random_state=1.5)

    class NoOutputs:
        def train(self, dataset):
            pass

        def predict(self, X):
            return np.zeros((len(X), Y.shape[1]), dtype=int)

    qs = MultilabelWithAuxiliaryLearner(ds, BinaryRelevance(lin()), NoOutputs(), criterion="mmr")
    with pytest.raises(AttributeError, match="predict_real"):
        qs.make_query()
    assert MultilabelWithAuxiliaryLearner(ds, BinaryRelevance(lin()), NoOutputs()).make_query() \
        in set(ds.get_unlabeled_entries()[0].tolist())
    mmc = MaximumLossReductionMaximalConfidence(ds, base_learner=lin(), random_state=3)
    assert MMC is MaximumLossReductionMaximalConfidence
    assert mmc.logreg_param == {"multi_class": "multinomial", "solver": "newton-cg",
                                "random_state": 3}
    svc = mmc.br_base.model
    assert (svc.kernel, svc.probability, svc.gamma, svc.random_state) == ("linear", True, "auto", 3)
    assert mmc.n_labels == Y.shape[1]
    aal = AdaptiveActiveLearning(ds, lin())
    assert aal.betas == [i / 10. for i in range(11)] and aal.n_jobs == 1
    csrpe = CostSensitiveReferencePairEncoding(ds, pairwise_f1_score, BinaryRelevance(lin()), lin())
    assert csrpe.csrpe_.n_clfs == 100
    for strategy in (BinaryMinimization, AdaptiveActiveLearning):
        with pytest.raises(TypeError, match="multi-label"):         # libact: len() of a label
            strategy(Dataset(X, [0, 1] + [None] * 38), lin())


def test_mmc_with_a_single_label_count_uses_a_constant_model():
    X, Y = pool_data(35, n=40)
    labels = [[1, 0, 0, 0, 0], [0, 1, 0, 0, 0], [0, 0, 1, 0, 0]] + [None] * 37
    ds = Dataset(X, labels)
    ids, scores = MMC(ds, br_base=lin(), random_state=0)._get_scores()
    assert np.isfinite(scores).all()
    zeros = Dataset(X, [[0] * 5, [0] * 5] + [None] * 38)    # every label 0: probabilities 0
    ids, scores = MMC(zeros, br_base=lin(), random_state=0)._get_scores()
    np.testing.assert_array_equal(scores, np.zeros(38))


def test_sparse_features():
    X, Y = pool_data(36, n=50)
    dense, sparse = Dataset(X, partial(Y)), Dataset(sp.csr_matrix(X), partial(Y))
    for name in sorted(FACTORIES):
        a = FACTORIES[name](dense)._get_scores()[1]
        b = FACTORIES[name](sparse)._get_scores()[1]
        np.testing.assert_allclose(a, b, rtol=1e-9)


def test_parallel_jobs_give_the_same_queries(monkeypatch):
    monkeypatch.setattr(aal_module, "MIN_PARALLEL_CANDIDATES", 2)
    X, Y = pool_data(37, n=50)
    runs = {}
    for n_jobs in (1, 2):
        ds = Dataset(X, partial(Y))
        aal = AdaptiveActiveLearning(ds, lin(), n_jobs=n_jobs, random_state=4)
        runs[("aal", n_jobs)] = query_sequence(aal, ds, Y.tolist(), 2)
        ds = Dataset(X, partial(Y))
        csrpe = CostSensitiveReferencePairEncoding(ds, pairwise_f1_score, BinaryRelevance(lin()),
                                                   lin(), n_models=8, n_jobs=n_jobs,
                                                   random_state=4)
        runs[("csrpe", n_jobs)] = query_sequence(csrpe, ds, Y.tolist(), 3)
    assert runs[("aal", 1)] == runs[("aal", 2)]
    assert runs[("csrpe", 1)] == runs[("csrpe", 2)]


def test_aal_uses_threads_for_a_model_that_cannot_be_pickled(monkeypatch):
    monkeypatch.setattr(aal_module, "MIN_PARALLEL_CANDIDATES", 2)
    X, Y, ds = labeled_pool(38, n=40)

    class Local(ContinuousModel):        # defined in a function: not picklable
        def __init__(self):
            self.model = lin()

        def train(self, dataset, *args, **kwargs):
            return self.model.train(dataset)

        def predict(self, feature, *args, **kwargs):
            return self.model.predict(feature)

        def score(self, testing_dataset, *args, **kwargs):
            return 0.0

        def predict_real(self, feature, *args, **kwargs):
            return self.model.predict_real(feature)

    qs = AdaptiveActiveLearning(ds, Local(), n_jobs=2, random_state=0)
    with pytest.raises(Exception):
        pickle.dumps(qs.base_clf)
    assert qs._backend() == "threading"
    assert qs.make_query() == AdaptiveActiveLearning(ds, lin(), random_state=0).make_query()


# -- multi-label rows in Dataset, IdealLabeler and the models (libact's behaviour) -------------
# These need the changes of /tmp/multilabel_dataset.patch (Dataset, IdealLabeler) and
# /tmp/multilabel_models.patch (BinaryRelevance.score, LogisticRegression(multi_class='ovr')).

def test_dataset_keeps_label_vectors_as_libact():
    X, Y = make_multilabel_classification(n_samples=8, n_features=3, n_classes=4, random_state=0)
    for labels in (Y, Y.tolist(), list(Y)):
        ds = Dataset(X, labels)
        _, y = ds.get_entries()
        assert y.shape == (8, 4) and y.dtype == object          # libact: np.array(y, dtype=object)
        assert ds[0][1].tolist() == Y[0].tolist() and len(ds.data[0][1]) == 4
        entries = ds.get_labeled_entries()[1]
        assert isinstance(entries[0], list) and entries == Y.tolist()
        assert ds.get_num_of_labels() == 2                       # distinct values, as libact
        assert ds.format_sklearn()[1].tolist() == Y.tolist()
    ragged = Dataset(X, Y[:5].tolist() + [None] * 3)              # rows of lists and None
    assert ragged.get_entries()[1].shape == (8,)
    assert ragged.get_num_of_labels() == len({tuple(r) for r in Y[:5].tolist()})
    sample = ragged.labeled_uniform_sample(4)
    assert sample.get_entries()[1].shape == (4,)                 # an object array keeps its shape
    full = Dataset(X, Y)
    full.update(2, [1, 1, 1, 1])
    assert full.get_entries()[1].shape == (8, 4) and full.format_sklearn()[1][2].tolist() == [1] * 4
    full.update(3, None)                                         # a row unlabeled again
    assert full.len_labeled() == 7 and full[3][1] is None
    assert full.format_sklearn()[1].shape == (7, 4)
    full = Dataset(X, Y)
    assert full.append([1.0, 2.0, 3.0], [0, 1, 0, 1]) == 8
    assert full.get_entries()[1].shape == (9, 4)
    assert full.append([1.0, 2.0, 3.0]) == 9 and full.len_unlabeled() == 1
    assert full.format_sklearn()[1].tolist() == Y.tolist() + [[0, 1, 0, 1]]


def test_ideal_labeler_answers_label_vectors_as_libact():
    X, Y = make_multilabel_classification(n_features=5, random_state=1126)
    labeler = IdealLabeler(Dataset(X, Y))
    answer = labeler.label(np.array([12., 5., 2., 11., 14.]))
    np.testing.assert_array_equal(answer, [0, 1, 0, 0, 1])
    assert answer.dtype == object                                # libact answers a row of its array
    answer[:] = 7                                                # a copy: the truth is unchanged
    np.testing.assert_array_equal(labeler.label(np.array([12., 5., 2., 11., 14.])), [0, 1, 0, 0, 1])
    ds = Dataset(X, Y[:5].tolist() + [None] * (len(Y) - 5))
    qs = BinaryMinimization(ds, lin(), random_state=0)
    for _ in range(3):
        ask = qs.make_query()
        ds.update(ask, labeler.label(X[ask]))
    assert ds.len_labeled() == 8 and ds.format_sklearn()[1].shape == (8, 5)


def test_binary_relevance_score_is_libacts():
    X, Y = make_multilabel_classification(n_samples=60, random_state=1126)
    br = BinaryRelevance(lin(random_state=1126)).train(Dataset(X[:40], Y[:40]))
    test = Dataset(X[40:], Y[40:])
    assert br.score(test, "hamming") == np.mean(np.abs(Y[40:] - br.predict(X[40:])).mean(axis=1))
    with pytest.raises(NotImplementedError):
        br.score(test, criterion="not_exist")
    assert br.predict(X[40:]).dtype.kind == "i"


def test_logistic_regression_ovr_takes_sample_weight_on_two_classes():
    import sklearn.linear_model
    X, Y = make_multilabel_classification(n_samples=60, random_state=3)
    w = np.random.RandomState(0).rand(60)
    model = ovr(random_state=0)
    model.train(Dataset(X, Y[:, 0]), sample_weight=w)
    plain = sklearn.linear_model.LogisticRegression(solver="liblinear", random_state=0)
    plain.fit(X, Y[:, 0], sample_weight=w)
    np.testing.assert_array_equal(model.predict_proba(X), plain.predict_proba(X))
    np.testing.assert_array_equal(model.predict_real(X)[:, 1], plain.decision_function(X))
    # libact's CSRPE test configuration: base model with multi_class="ovr"
    Xy, Yy = yeast()
    ds = Dataset(Xy, Yy[:5] + [None] * (len(Yy) - 5))
    qs = CostSensitiveReferencePairEncoding(ds, scoring_fn=pairwise_f1_score,
                                            model=BinaryRelevance(ovr()),
                                            base_model=ovr(random_state=1126), n_models=10,
                                            random_state=1126)
    assert query_sequence(qs, ds, Yy, 10) == [23, 31, 83, 104, 46, 115, 11, 72, 61, 33]


def test_strategies_are_exported_with_libacts_module_names():
    import fastal.query_strategies.multilabel as ml
    assert ml.__all__ == ["AdaptiveActiveLearning", "BinaryMinimization",
                          "CostSensitiveReferencePairEncoding", "MMC",
                          "MaximumLossReductionMaximalConfidence",
                          "MultilabelWithAuxiliaryLearner"]
    from fastal.query_strategies.multilabel.maximum_margin_reduction import (
        MaximumLossReductionMaximalConfidence as long_name)
    assert long_name is MMC
    assert copy.deepcopy(FACTORIES["binmin"](labeled_pool(39, n=30)[2])).base_clf is not None
