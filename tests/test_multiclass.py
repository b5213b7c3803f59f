"""Multiclass strategies: libact's test expectations, libact's query sequences, the
definitions restated as plain loops, errors, batches, scores and ties.

The recorded sequences were produced by libact's own modules on the same
data and seeds.
"""
import copy
import math
import warnings

import joblib
import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn import datasets
from sklearn.cluster import AgglomerativeClustering
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LinearRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.svm import SVR
from sklearn.utils import shuffle

from fastal.base.dataset import Dataset
from fastal.base.interfaces import QueryStrategy
from fastal.benchmark.libact_cases import libact_style_eer_errors
from fastal.models import SVM, LogisticRegression, SklearnProbaAdapter
from fastal.query_strategies import UncertaintySampling
from fastal.query_strategies._selection import EMPTY_POOL
from fastal.query_strategies.multiclass import ActiveLearningWithCostEmbedding as ALCE
from fastal.query_strategies.multiclass import EER, HierarchicalSampling as HS
from fastal.query_strategies.multiclass.expected_error_reduction import (
    expected_errors_from, pool_loss)
from fastal.query_strategies.multiclass.hierarchical_sampling import NO_LABEL, NO_NODE
from fastal.query_strategies.multiclass.mdsp import MDSP, isotonic_fit, smacof_p
from fastal.testing import query_sequence

IRIS = datasets.load_iris()


def iris_shuffled():
    """libact's test_hierarchical_sampling data."""
    X, y = shuffle(IRIS.data, IRIS.target, random_state=1126)
    return X.tolist(), y.tolist()


def iris_first_of_class():
    """libact's test_iris data: the first row of each class labeled, the rest the pool."""
    X, y = IRIS.data, IRIS.target
    Xs, ys, pool, truth = [], [], [], []
    for c in range(3):
        Xs.append(X[y == c][0].tolist())
        ys.append(c)
        pool += X[y == c][1:].tolist()
        truth += y[y == c].tolist()
    return Xs, ys, pool, truth


def iris_small():
    """Three labeled rows and every 6th row of the rest of iris (25 unlabeled)."""
    Xs, ys, pool, _ = iris_first_of_class()
    keep = list(range(0, len(pool), 6))
    X = Xs + [pool[k] for k in keep]
    truth = ys + [k // 49 for k in keep]
    return X, ys + [None] * len(keep), truth


# =============================================================================
# HierarchicalSampling
# =============================================================================

def hs_dataset(n_labeled=10):
    X, y = iris_shuffled()
    return Dataset(X, y[:n_labeled] + [None] * (len(y) - n_labeled)), y


# -- libact's test_hierarchical_sampling, restated -----------------------------

def test_hs_libact_random_selecting():
    ds, y = hs_dataset()
    qs = HS(ds, [0, 1, 2], active_selecting=False, random_state=1126)
    qseq = query_sequence(qs, ds, y, len(y) - 10)
    assert qseq[:10] + qseq[-10:] == [39, 126, 66, 135, 37, 33, 118, 132, 142, 144,
                                      71, 28, 63, 41, 140, 34, 20, 110, 136, 36]


def test_hs_libact_active_selecting():
    ds, y = hs_dataset()
    qs = HS(ds, [0, 1, 2], active_selecting=True, random_state=1126)
    qseq = query_sequence(qs, ds, y, len(y) - 10)
    assert qseq[:10] + qseq[-10:] == [39, 126, 66, 135, 37, 33, 118, 132, 142, 144,
                                      89, 117, 48, 67, 75, 14, 79, 62, 105, 19]


def test_hs_libact_subsampling():
    ds, y = hs_dataset()
    sub_qs = UncertaintySampling(ds, model=SVM(gamma="auto", decision_function_shape="ovr"))
    qs = HS(ds, [0, 1, 2], subsample_qs=sub_qs, random_state=1126)
    qseq = query_sequence(qs, ds, y, len(y) - 10)
    assert qseq[:10] + qseq[-10:] == [120, 50, 33, 28, 78, 133, 52, 124, 102, 109,
                                      81, 108, 10, 89, 126, 114, 92, 48, 25, 13]


def test_hs_libact_reports_of_a_fully_labeled_dataset():
    X, y = iris_shuffled()
    qs = HS(Dataset(X, y), [0, 1, 2], random_state=1126)
    assert_array_equal(qs.report_all_label(), y)
    assert [qs.report_entry_label(i) for i in range(len(y))] == y


# -- libact's sequences on more seeds --------------------------------------------

# first 20 and last 10 of the 140 queries, recorded from libact
HS_SEQUENCES = {
    (True, 0): ([22, 99, 135, 16, 144, 68, 137, 73, 132, 21, 70, 11, 95, 77, 122, 54, 121, 78,
                 118, 106], [124, 98, 50, 131, 43, 10, 101, 62, 55, 147]),
    (True, 7): ([144, 121, 74, 37, 96, 77, 68, 22, 135, 97, 149, 122, 139, 32, 72, 12, 10, 79,
                 66, 104], [67, 14, 13, 25, 110, 48, 114, 105, 41, 43]),
    (True, 2024): ([76, 105, 94, 92, 45, 21, 127, 82, 113, 120, 101, 23, 78, 129, 146, 80, 16,
                    17, 35, 77], [108, 142, 53, 12, 68, 27, 84, 72, 131, 13]),
    (False, 0): ([22, 28, 43, 133, 114, 93, 35, 12, 97, 41, 24, 11, 95, 132, 149, 118, 23, 78,
                  146, 111], [69, 37, 20, 141, 126, 92, 18, 81, 121, 82]),
    (False, 7): ([144, 84, 98, 31, 58, 106, 47, 76, 22, 135, 97, 67, 95, 13, 110, 51, 88, 26,
                  113, 91], [139, 46, 75, 28, 72, 92, 42, 35, 12, 122]),
    (False, 2024): ([76, 105, 94, 92, 45, 21, 127, 82, 113, 120, 101, 23, 78, 129, 84, 106, 53,
                     85, 64, 119], [73, 22, 104, 27, 116, 132, 121, 20, 111, 139]),
}


@pytest.mark.parametrize("active, seed", sorted(HS_SEQUENCES))
def test_hs_libact_sequences(active, seed):
    ds, y = hs_dataset()
    qs = HS(ds, [0, 1, 2], active_selecting=active, random_state=seed)
    qseq = query_sequence(qs, ds, y, len(y) - 10)
    assert (qseq[:20], qseq[-10:]) == HS_SEQUENCES[active, seed]
    assert sorted(qseq) == sorted(set(range(150)) - set(range(10)))


def blobs():
    rng = np.random.RandomState(5)
    X = np.vstack([rng.randn(30, 3) + c for c in (0, 3, 6, 9)])
    y = np.repeat(["a", "b", "c", "d"], 30).tolist()
    perm = rng.permutation(len(y))
    return X[perm], [y[i] for i in perm]


@pytest.mark.parametrize("active, expected", [
    (True, [19, 35, 98, 54, 119, 10, 61, 40, 78, 66, 15, 80, 79, 68, 109, 102, 17, 74, 55, 32,
            96, 41, 9, 39, 70, 63, 88, 103, 11, 57]),
    (False, [19, 35, 46, 103, 27, 96, 52, 40, 32, 92, 28, 75, 113, 14, 102, 8, 105, 77, 41, 119,
             25, 17, 39, 84, 37, 18, 69, 58, 10, 78])])
def test_hs_string_classes_libact_sequence_and_reports(active, expected):
    X, y = blobs()
    ds = Dataset(X, y[:6] + [None] * 114)
    qs = HS(ds, ["a", "b", "c", "d"], active_selecting=active, random_state=3)
    assert query_sequence(qs, ds, y, 30) == expected
    assert [qs.report_entry_label(i) for i in range(12)] == list("cbdbaaddabcd")
    assert qs.report_all_label()[:12].tolist() == [2, 1, 3, 1, 0, 0, 3, 3, 0, 1, 2, 3]


def test_hs_reports_midway_as_libact():
    ds, y = hs_dataset()
    qs = HS(ds, [0, 1, 2], random_state=1126)
    query_sequence(qs, ds, y, 15)
    assert [int(p) for p in qs.prunings] == [294, 296, 295]
    expected = ("010221022101000112102011202020221102212001100100011120011202120120201111211"
                "011102001011220010110210110121012000120011111011200021110121121111202121021")
    assert "".join(map(str, qs.report_all_label())) == expected


# -- the tree and the per-node bounds, restated -----------------------------------

def test_hs_tree_is_scikit_learn_ward_tree():
    X, _ = iris_shuffled()
    qs = HS(Dataset(X, [None] * len(X)), [0, 1, 2])
    children = AgglomerativeClustering().fit(X).children_
    n = len(X)
    assert (qs.n, qs.m) == (n, 2 * n - 1)
    assert_array_equal(qs.left_child[n:], children[:, 0])
    assert_array_equal(qs.right_child[n:], children[:, 1])
    # size and depth as libact defines them: walk up from every leaf
    size, depth = np.zeros(qs.m, int), np.zeros(qs.m, int)
    for leaf in range(n):
        node, d = leaf, 0
        while node != NO_NODE:
            size[node] += 1
            depth[node] = max(depth[node], d)
            d += 1
            node = qs.parent[node]
    assert_array_equal(qs.size, size)
    assert_array_equal(qs.depth, depth)
    for node in (qs.m - 1, n + 3, 7):
        leaves = qs._find_leaves(node)
        assert len(leaves) == qs.size[node]
        if node >= n:     # left subtree first
            assert leaves == qs._find_leaves(qs.left_child[node]) + \
                qs._find_leaves(qs.right_child[node])


class ScalarHS:
    """libact's label update written out node by node, class by class."""

    def __init__(self, hs):
        self.hs = hs
        m, k = hs.m, hs.num_class
        self.count = np.zeros((m, k), int)
        self.total = np.zeros(m, int)
        self.lower = np.zeros((m, k))
        self.upper = np.ones((m, k))
        self.admissible = np.zeros((m, k), bool)
        self.best = np.full(m, NO_LABEL)
        self.split = np.zeros(m, bool)
        self.cost = hs.size.copy()
        self.prunings = [m - 1]

    def label(self, leaf, c):
        hs = self.hs
        root = leaf
        while root not in self.prunings:
            root = hs.parent[root]
        node = leaf
        while True:
            s = int(hs.size[node])
            self.count[node, c] += 1
            self.total[node] += 1
            t = int(self.total[node])
            for lab in range(hs.num_class):
                cnt = int(self.count[node, lab])
                f = cnt / t
                fs = 1.0 - t / s
                delta = fs / t + math.sqrt(fs * f * (1. - f) / t)
                self.lower[node, lab] = max(cnt, f * s - delta * s)
                self.upper[node, lab] = min(s - (t - cnt), f * s + delta * s)
            top = 0
            for lab in range(hs.num_class):
                ok = all(not (self.lower[node, lab] <= 2 * self.upper[node, other] - s)
                         for other in range(hs.num_class) if other != lab)
                self.admissible[node, lab] = ok
                if ok and self.count[node, lab] > top:
                    top = self.count[node, lab]
                    self.best[node] = lab
            b = self.best[node]
            basic = s - self.lower[node, b] if b != NO_LABEL else s
            if s == 1:
                self.cost[node] = int(basic)
            else:
                split_cost = self.cost[hs.left_child[node]] + self.cost[hs.right_child[node]]
                if split_cost < basic and b != NO_LABEL:
                    self.cost[node] = split_cost
                    self.split[node] = True
                else:
                    self.cost[node] = int(basic)
            if node == root:
                break
            node = hs.parent[node]
        self.prunings.remove(root)
        stack = [root]
        while stack:
            node = stack.pop()
            if self.split[node]:
                stack += [hs.left_child[node], hs.right_child[node]]
            else:
                self.prunings.append(node)


def test_hs_state_equals_the_scalar_update_after_every_label():
    X, y = blobs()
    ds = Dataset(X, [None] * len(y))
    classes = ["a", "b", "c", "d"]
    qs = HS(ds, classes)
    ref = ScalarHS(qs)
    for i in np.random.RandomState(0).permutation(len(y))[:70]:
        ds.update(int(i), y[i])
        ref.label(int(i), classes.index(y[i]))
        assert_array_equal(qs.count, ref.count)
        assert_array_equal(qs.total, ref.total)
        assert_array_equal(qs.lower_bound, ref.lower)
        assert_array_equal(qs.upper_bound, ref.upper)
        assert_array_equal(qs.admissible, ref.admissible)
        assert_array_equal(qs.best_label, ref.best)
        assert_array_equal(qs.split, ref.split)
        assert_array_equal(qs.cost, ref.cost)
        assert [int(p) for p in qs.prunings] == [int(p) for p in ref.prunings]


# -- batches, scores, draws -----------------------------------------------------------

@pytest.mark.parametrize("active", [True, False])
def test_hs_batch_first_is_the_single_query_and_ids_are_distinct(active):
    ds, _ = hs_dataset()
    one = HS(ds, [0, 1, 2], active_selecting=active, random_state=4)
    twin = copy.deepcopy(one)
    batch = twin.make_query(n_instances=25)
    assert batch[0] == one.make_query()
    assert len(set(batch.tolist())) == 25
    assert not ds.get_labeled_mask()[batch].any()
    everything = copy.deepcopy(one).make_query(n_instances=140)
    assert sorted(everything.tolist()) == list(range(10, 150))


def test_hs_batch_with_subsample_strategy():
    ds, _ = hs_dataset()
    sub_qs = UncertaintySampling(ds, model=SVM(gamma="auto", decision_function_shape="ovr"))
    one = HS(ds, [0, 1, 2], subsample_qs=sub_qs, random_state=8)
    twin = copy.deepcopy(one)
    batch = twin.make_query(n_instances=12)
    assert batch[0] == one.make_query()
    assert len(set(batch.tolist())) == 12


def test_hs_return_score_is_the_pick_probability():
    # no label: the root is the only pruning and every row is equally likely
    X, _ = iris_shuffled()
    ds = Dataset(X[:20], [None] * 20)
    ask, scores = HS(ds, [0, 1, 2], active_selecting=False, random_state=0).make_query(
        return_score=True)
    assert [i for i, _ in scores] == list(range(20))
    assert np.allclose([p for _, p in scores], 1 / 20)
    # frequencies of single queries from the same state match the probabilities
    ds, y = hs_dataset(n_labeled=0)
    qs = HS(ds, [0, 1, 2], random_state=0)
    query_sequence(qs, ds, y, 40)
    _, scores = qs.make_query(return_score=True)
    ids = np.array([i for i, _ in scores])
    proba = np.array([p for _, p in scores])
    assert proba.sum() == pytest.approx(1.0) and (proba >= 0).all()
    draws = 3000
    hits = np.zeros(150)
    state = copy.deepcopy(qs)
    for _ in range(draws):
        hits[state.make_query()] += 1
    expected = np.zeros(150)
    expected[ids] = proba
    assert np.abs(hits / draws - expected).max() < 0.03
    assert hits[ds.get_labeled_mask()].sum() == 0


def test_hs_return_score_with_subsample_strategy():
    ds, _ = hs_dataset()
    sub_qs = UncertaintySampling(ds, model=SVM(gamma="auto", decision_function_shape="ovr"))
    ask, scores = HS(ds, [0, 1, 2], subsample_qs=sub_qs, random_state=2).make_query(
        return_score=True)
    proba = dict(scores)
    assert sum(proba.values()) == pytest.approx(1.0)
    assert proba[ask] > 0
    assert sum(p > 0 for p in proba.values()) <= 3      # one row per pruning node at most


def test_hs_draws_again_a_node_without_unlabeled_rows():
    ds, _ = hs_dataset()
    qs = HS(ds, [0, 1, 2], random_state=0)
    prunings = np.array([5, 6, 7])
    p = np.array([0.98, 0.01, 0.01])
    for _ in range(20):
        assert qs._draw_pruning(prunings, p, np.array([False, True, True])) in (6, 7)


def test_hs_get_scores_is_not_provided():
    ds, _ = hs_dataset()
    with pytest.raises(NotImplementedError):
        HS(ds, [0, 1, 2])._get_scores()


def test_hs_errors():
    ds, y = hs_dataset()
    with pytest.raises(TypeError, match="subsample_qs has to be a QueryStrategy"):
        HS(ds, [0, 1, 2], subsample_qs=object())
    qs = HS(ds, [0, 1, 2], random_state=0)
    with pytest.raises(ValueError, match="Unknown class of entry 20: 7"):
        ds.update(20, 7)
    count = qs.count.copy()
    with pytest.raises(ValueError, match="already labeled"):
        ds.update(3, y[3])
    assert_array_equal(qs.count, count)
    with pytest.raises(ValueError, match="not in the hierarchical clustering"):
        qs.report_entry_label(150)
    new = ds.append(np.zeros(4))
    with pytest.raises(ValueError, match="not in the hierarchical clustering"):
        ds.update(new, 0)
    assert qs.report_all_label()[new] == -1
    with pytest.raises(ValueError, match="at least 2 rows"):
        HS(Dataset([[0.0, 1.0]], [None]), [0, 1])
    X, y = iris_shuffled()
    full = HS(Dataset(X, y), [0, 1, 2])
    with pytest.raises(ValueError, match=EMPTY_POOL):
        full.make_query()
    with pytest.raises(ValueError, match="larger than the pool"):
        qs.make_query(n_instances=1000)


def test_hs_libact_attributes():
    ds, _ = hs_dataset()
    qs = HS(ds, (0, 1, 2), random_state=3)
    assert isinstance(qs, QueryStrategy)
    assert qs.classes == [0, 1, 2] and qs.num_class == 3 and qs.class_id == {0: 0, 1: 1, 2: 2}
    assert qs.sub_qs is None and qs.active_selecting is True


# =============================================================================
# ActiveLearningWithCostEmbedding and its MDS
# =============================================================================

def alce_dataset():
    Xs, ys, pool, truth = iris_first_of_class()
    return Dataset(Xs + pool, ys + [None] * len(pool)), truth


def libact_cost_matrix(seed=1126, zero_diagonal=True):
    cost = np.random.RandomState(seed).rand(3, 3)
    if zero_diagonal:
        np.fill_diagonal(cost, 0)
    return cost


# -- libact's test_iris (ALCE part), restated ------------------------------------

def test_alce_libact_lr():
    ds, truth = alce_dataset()
    qs = ALCE(ds, libact_cost_matrix(), LinearRegression(), random_state=1126)
    assert query_sequence(qs, ds, truth, 10) == [58, 118, 134, 43, 60, 139, 87, 78, 67, 146]


def test_alce_libact_lr_embed5():
    ds, truth = alce_dataset()
    qs = ALCE(ds, libact_cost_matrix(), LinearRegression(), embed_dim=5, random_state=1126)
    assert query_sequence(qs, ds, truth, 10) == [106, 118, 141, 43, 63, 99, 65, 89, 26, 52]


# -- libact's sequences, embedding and MDS runs ---------------------------------------

ALCE_SEQUENCES = {
    ("lr", None, 0): [106, 118, 141, 34, 59, 80, 96, 131, 36, 87, 65, 27, 43, 89, 99],
    ("lr", None, 42): [106, 118, 141, 34, 59, 80, 96, 89, 26, 52, 99, 11, 65, 27, 135],
    ("lr", 2, 42): [106, 118, 141, 34, 59, 80, 96, 131, 36, 87, 65, 27, 43, 89, 99],
    ("svr", None, 0): [85, 115, 137, 73, 110, 142, 119, 61, 77, 78, 126, 133, 67, 106, 69],
    ("svr", 2, 0): [91, 131, 141, 78, 116, 111, 76, 147, 87, 113, 73, 127, 126, 60, 84],
    ("svr", 2, 42): [91, 136, 116, 138, 99, 57, 146, 53, 84, 113, 149, 127, 86, 133, 64],
}


@pytest.mark.parametrize("regressor, embed_dim, seed", sorted(ALCE_SEQUENCES, key=str))
def test_alce_libact_sequences(regressor, embed_dim, seed):
    ds, truth = alce_dataset()
    base = LinearRegression() if regressor == "lr" else SVR()
    qs = ALCE(ds, libact_cost_matrix(0), base, embed_dim=embed_dim, random_state=seed)
    assert query_sequence(qs, ds, truth, 10) == ALCE_SEQUENCES[regressor, embed_dim, seed][:10]


def test_alce_embedding_and_random_numbers_are_libacts():
    ds = Dataset(np.arange(12.).reshape(6, 2), [0, 1, 2, None, None, None])
    qs = ALCE(ds, libact_cost_matrix(), LinearRegression(), random_state=1126)
    expected = [[-0.47869464578989934, -0.08297568763059276, -0.17938674939988475],
                [0.17770242535385417, 0.022376011580928227, -0.23767682728743553],
                [0.30108611027677445, 0.060027050723703644, 0.41708508284198975]]
    np.testing.assert_allclose(qs.class_embed, expected, rtol=1e-10, atol=1e-13)
    assert qs.random_state_.randint(1000) == 705     # the MDS drew what libact's draws


def cost_dissimilarity(cost):
    k = len(cost)
    D = np.zeros((2 * k, 2 * k))
    D[:k, k:] = cost
    D[k:, :k] = cost.T
    return D


@pytest.mark.parametrize("kwargs, positions, stress, n_iter", [
    (dict(metric=True),
     [[-0.3503671105322152, 0.19859016364564835], [0.02668426063665049, -0.013624188658267445],
      [0.306400910031186, -0.1838981808997126], [-0.3504632670047623, 0.20885207950873624],
      [0.10234872599261753, -0.05712276802644013], [0.26539648087652334, -0.15279710556996431]],
     0.12436028100459261, 10),
    (dict(metric=False, n_jobs=2),
     [[-0.3659732708894119, -0.26789242651757017], [0.4186854840981417, -0.18603294843214874],
      [-0.048276152618097486, 0.45388684998505296], [-0.36863873557513854, -0.26544929131000117],
      [0.4183909427512379, -0.18842276488598186], [-0.05418826776673179, 0.45391058116064875]],
     0.0005014807598109929, 8),
    (dict(metric=False, n_init=3, eps=1e-9),
     [[0.3121595283253473, -0.33299880975777846], [0.13231145766590147, 0.4368380604227591],
      [-0.4444684810094503, -0.10383728751398981], [0.3121564424065147, -0.3330016983136422],
      [0.13230912360193242, 0.4368387641584395], [-0.4444680709902454, -0.10383902899578829]],
     2.3136380121243118e-10, 18),
])
def test_smacof_p_runs_are_libacts(kwargs, positions, stress, n_iter):
    D = cost_dissimilarity(libact_cost_matrix())
    X, s, it = smacof_p(D, 3, n_components=2, random_state=3, return_n_iter=True, **kwargs)
    np.testing.assert_allclose(X, positions, rtol=1e-9, atol=1e-12)
    assert s == pytest.approx(stress, rel=1e-8)
    assert it == n_iter


def test_isotonic_step_is_scikit_learns_to_the_last_bit():
    rng = np.random.RandomState(0)
    for trial in range(60):
        m = rng.randint(2, 40)
        x = rng.choice(rng.rand(max(2, m // 3)), size=m)        # many ties
        if trial % 5 == 0:
            x[0] = x[1] + 1e-16                                  # closer than 1e-15: pooled
        Y = rng.rand(4, m) ** (1 + trial % 3)
        got = isotonic_fit(x, Y)
        for row in range(4):
            assert_array_equal(got[row], IsotonicRegression().fit_transform(x, Y[row]))
    assert isotonic_fit([1.0, 1.0], [3.0, 1.0]).tolist() == [2.0, 2.0]


def test_mdsp_estimator_and_errors():
    D = cost_dissimilarity(libact_cost_matrix())
    mds = MDSP(n_components=2, n_uq=3, metric=False, dissimilarity="precomputed", random_state=1)
    emb = mds.fit_transform(D)
    assert emb.shape == (6, 2) and emb is mds.embedding_
    assert mds.n_iter_ >= 1 and mds.stress_ >= 0
    assert mds.get_params()["n_uq"] == 3
    # 'euclidean' computes the distances between the rows first
    rows = np.random.RandomState(0).rand(5, 3)
    assert MDSP(random_state=0).fit(rows).dissimilarity_matrix_.shape == (5, 5)
    with pytest.warns(UserWarning, match="dissimilarity=precomputed"):
        MDSP(random_state=0).fit(np.random.RandomState(0).rand(4, 4))
    with pytest.raises(ValueError, match="Proximity must be"), \
            pytest.warns(UserWarning, match="dissimilarity=precomputed"):
        MDSP(dissimilarity="cosine").fit(D)
    with pytest.raises(ValueError, match="symmetric"):
        smacof_p(D + np.triu(np.ones((6, 6))), 3)
    with pytest.raises(ValueError, match="init matrix should be of shape"):
        smacof_p(D, 3, init=np.zeros((5, 2)), n_init=1)
    with pytest.raises(ValueError, match="n_init"):
        smacof_p(D, 3, n_init=0)
    with pytest.warns(UserWarning, match="performing only one init"):
        X, _ = smacof_p(D, 3, init=np.random.RandomState(0).rand(6, 2), n_init=4)
    assert X.shape == (6, 2)


def test_mdsp_verbose_prints_each_run(capsys):
    D = cost_dissimilarity(libact_cost_matrix())
    smacof_p(D, 3, metric=False, n_init=2, eps=1e-3, verbose=2, random_state=0)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("it: 0, stress")
    assert sum(line.startswith("breaking at iteration") for line in lines) == 2


# -- queries, scores, ties, errors ------------------------------------------------

def test_alce_ties_batches_and_scores():
    X = np.array([[0.0], [1.0], [2.0], [5.0], [5.0], [5.0], [0.5]])
    cost = np.array([[0., 1., 2.], [1., 0., 1.], [2., 1., 0.]])
    rs_seed = 7
    ds = Dataset(X, [0, 1, 2, None, None, None, None])
    qs = ALCE(ds, cost, LinearRegression(), random_state=rs_seed)
    ids, dist = qs.embedding_distances()
    assert_array_equal(ids, [3, 4, 5, 6])
    assert dist[0] == dist[1] == dist[2] > dist[3]       # the three copies tie
    twin = copy.deepcopy(qs)
    expected = int(copy.deepcopy(qs.random_state_).choice(np.array([3, 4, 5])))
    ask, scores = qs.make_query(return_score=True)
    assert ask == expected
    assert [i for i, _ in scores] == [3, 4, 5, 6]
    np.testing.assert_array_equal([s for _, s in scores], dist)
    batch = twin.make_query(n_instances=4)
    assert batch[0] == ask and sorted(batch[:3].tolist()) == [3, 4, 5] and batch[3] == 6
    with pytest.raises(NotImplementedError):
        qs._get_scores()


def test_alce_parameters_and_errors():
    ds, truth = alce_dataset()
    cost = libact_cost_matrix()
    qs = ALCE(ds, cost.tolist(), LinearRegression(), mds_params={"n_init": 2},
              nn_params={"metric": "manhattan"}, random_state=0)
    assert qs.mds_params["n_init"] == 2 and qs.mds_params["n_uq"] == 3
    assert qs.nn_.metric == "manhattan" and len(qs.regressors) == 3
    assert qs.make_query() in set(ds.get_unlabeled_ids().tolist())
    with pytest.raises(ValueError, match="square"):
        ALCE(ds, np.ones((3, 2)), LinearRegression())
    with pytest.raises(TypeError):
        ALCE(ds, cost, LinearRegression(), mds_params={"no_such": 1})
    Xs, ys, _, _ = iris_first_of_class()
    full = ALCE(Dataset(Xs, ys), cost, LinearRegression(), random_state=0)
    with pytest.raises(ValueError, match=EMPTY_POOL):
        full.make_query()


# =============================================================================
# EER
# =============================================================================

def ovr_lr():
    return LogisticRegression(solver="liblinear", multi_class="ovr")


def nb():
    return SklearnProbaAdapter(GaussianNB())


# -- libact's test_iris (EER part), restated for its first query --------------------

@pytest.mark.parametrize("loss, first", [("log", 131), ("01", 105)])
def test_eer_libact_first_query(loss, first):
    """libact's test_eer / test_eer_01 start with these queries (their full runs are
    libact's own tests, run against fastal by tools/run_libact_tests.py)."""
    ds, _ = alce_dataset()
    qs = EER(ds, ovr_lr(), loss=loss, random_state=1126)
    assert qs.make_query() == first


def test_eer_parallel_fits_give_the_same_errors():
    X, y, _ = iris_small()
    ds = Dataset(X, y)
    _, serial = EER(ds, nb(), loss="01").expected_errors()
    with joblib.parallel_backend("threading"):
        _, parallel = EER(ds, nb(), loss="01", n_jobs=2).expected_errors()
    assert_array_equal(parallel, serial)


@pytest.mark.parametrize("model, loss, seed, expected", [
    (nb, "01", 0, [22, 18, 25, 19, 15, 16, 13, 26]),
    (nb, "01", 1126, [5, 21, 26, 27, 23, 9, 3, 12]),
    (ovr_lr, "log", 0, [25, 8, 24]),
])
def test_eer_libact_sequences(model, loss, seed, expected):
    X, y, truth = iris_small()
    ds = Dataset(X, y)
    qs = EER(ds, model(), loss=loss, random_state=seed)
    assert query_sequence(qs, ds, truth, len(expected)) == expected


@pytest.mark.parametrize("model, loss", [(ovr_lr, "log"), (ovr_lr, "01"), (nb, "01")])
def test_eer_expected_errors_equal_the_loop_exactly(model, loss):
    X, y, _ = iris_small()
    ds = Dataset(X[:15], y[:15])
    ids, errors = EER(ds, model(), loss=loss).expected_errors()
    ref_ids, ref = libact_style_eer_errors(model(), ds, loss)
    assert_array_equal(ids, ref_ids)
    assert_array_equal(errors, ref)


def test_eer_losses_and_sums_are_libacts_expressions():
    rng = np.random.RandomState(1)
    for u in (1, 7, 8, 9, 130, 1001):
        for c in (2, 3, 8, 9):
            P = rng.rand(u, c) ** 3
            P /= P.sum(axis=-1, keepdims=True)
            for p in (P, np.asfortranarray(P)):      # OneVsRest returns F-ordered arrays
                assert pool_loss(p, "01") == np.sum(1 - np.max(p, axis=1))
                assert pool_loss(p, "log") == -np.sum(p * np.log(p))
            proba, L = rng.rand(u, c), rng.rand(u, c) * 50
            assert_array_equal(expected_errors_from(proba, L),
                               [np.sum([proba[i, k] * L[i, k] for k in range(c)])
                                for i in range(u)])


def test_eer_exact_ties_batches_and_scores():
    X, y, _ = iris_small()
    X = X[:12] + [X[5], X[5], X[5]]
    y = y[:12] + [None] * 3
    ds = Dataset(X, y)
    qs = EER(ds, nb(), loss="01", random_state=3)
    ids, errors = qs.expected_errors()
    best = ids[errors == errors.min()]
    assert set(best.tolist()) >= {5, 12, 13, 14}       # the copies of row 5 tie exactly
    twin = copy.deepcopy(qs)
    expected = int(copy.deepcopy(qs.random_state_).choice(best))
    ask, scores = qs.make_query(return_score=True)
    assert ask == expected
    assert_array_equal([s for _, s in scores], -errors)
    batch = twin.make_query(n_instances=3)
    assert batch[0] == ask and len(set(batch.tolist())) == 3
    assert set(batch.tolist()) <= set(best.tolist())       # ties first, drawn in turn
    with pytest.raises(NotImplementedError):
        qs._get_scores()


def test_eer_model_is_left_trained_and_errors():
    X, y, _ = iris_small()
    ds = Dataset(X[:8], y[:8])
    model = nb()
    EER(ds, model, loss="01").expected_errors()
    assert model.predict_proba(np.asarray(X[:2])).shape == (2, 3)
    with pytest.raises(TypeError, match="missing required keyword-only argument: 'model'"):
        EER(ds)
    with pytest.raises(TypeError, match="ProbabilisticModel"):
        EER(ds, SVM())
    with pytest.raises(TypeError, match="supported methods are"):
        EER(ds, nb(), loss="hinge")
    with pytest.raises(ValueError, match="n_jobs"):
        EER(ds, nb(), n_jobs=0)
    with pytest.raises(ValueError, match=EMPTY_POOL):
        EER(Dataset(X[:3], y[:3]), nb()).make_query()
    # probabilities of exactly 0 make the log loss NaN: libact fails there too
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError):
            EER(Dataset(X[:8], y[:8]), nb(), loss="log").make_query()
