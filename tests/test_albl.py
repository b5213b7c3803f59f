"""ActiveLearningByLearning: libact's sequences, Exp4.P restated, batches, budget, errors."""
import copy
import os

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression as SkLR

from fastal.base.dataset import Dataset, import_libsvm_sparse
from fastal.models import LogisticRegression, SklearnProbaAdapter
from fastal.query_strategies import QueryByCommittee, RandomSampling, UncertaintySampling
from fastal.query_strategies.active_learning_by_learning import ActiveLearningByLearning, Exp4P
from fastal.query_strategies.hintsvm import HintSVM
from fastal.testing import query_sequence

HEART_SCALE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "heart_scale")


def small_pool(seed, n=80, d=4):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d)
    y = np.where(X[:, 0] - 0.5 * X[:, 2] + 0.3 * rng.randn(n) > 0, 1, 0)
    first = list(np.flatnonzero(y == 0)[:2]) + list(np.flatnonzero(y == 1)[:2])
    partial = [y[i] if i in first else None for i in range(n)]
    return X, y, partial


def lr(C=1.0):
    return SklearnProbaAdapter(SkLR(C=C, solver="liblinear"))


def arms(ds, seed, committee=False):
    chosen = [UncertaintySampling(ds, model=lr()), RandomSampling(ds, random_state=seed)]
    if committee:
        chosen.append(QueryByCommittee(ds, models=[lr(1.0), lr(0.01)], random_state=seed))
    return chosen


def build(seed, T=15, committee=False, **kwargs):
    X, y, partial = small_pool(seed)
    ds = Dataset(X, partial)
    qs = ActiveLearningByLearning(ds, T=T, query_strategies=arms(ds, seed, committee),
                                  model=lr(), random_state=seed, **kwargs)
    return qs, ds, y


# -- libact's expected sequences -------------------------------------------

def test_libact_realdata_sequence_with_hintsvm():
    """libact's test_realdata: ALBL over UncertaintySampling and HintSVM on heart_scale."""
    X, y = import_libsvm_sparse(HEART_SCALE).format_sklearn()
    ds = Dataset(X, np.concatenate([y[:10], [None] * (len(y) - 10)]))
    qs = ActiveLearningByLearning(
        ds, T=10,
        query_strategies=[UncertaintySampling(ds, model=LogisticRegression(solver="liblinear",
                                                                          multi_class="ovr")),
                          HintSVM(ds, random_state=1126)],
        model=LogisticRegression(solver="liblinear", multi_class="ovr"), random_state=1126)
    assert query_sequence(qs, ds, y, 10) == [173, 103, 133, 184, 187, 147, 251, 83, 93, 33]


def test_libact_sequence_heart_scale_uncertainty_and_random():
    """Recorded from libact: ALBL over UncertaintySampling and RandomSampling on heart_scale."""
    X, y = import_libsvm_sparse(HEART_SCALE).format_sklearn()
    ds = Dataset(X, np.concatenate([y[:10], [None] * (len(y) - 10)]))
    qs = ActiveLearningByLearning(
        ds, T=10,
        query_strategies=[UncertaintySampling(ds, model=LogisticRegression(solver="liblinear")),
                          RandomSampling(ds, random_state=1126)],
        model=LogisticRegression(solver="liblinear"), random_state=1126)
    assert query_sequence(qs, ds, y, 10) == [173, 76, 147, 161, 238, 124, 239, 23, 117, 105]


@pytest.mark.parametrize("seed, committee, kwargs, expected, weights", [
    (0, True, {}, [48, 52, 70, 28, 49, 25, 58, 69, 33, 78, 45, 57, 10, 29, 9],
     [3.75335041348007, 4.990691068109606, 5.4466980640123985, 6.776746200643252]),
    (1, False, dict(uniform_sampler=False),
     [39, 51, 19, 13, 9, 21, 24, 4, 12, 55, 28, 73, 27, 52, 31],
     [1.9880013853738185, 1.9821136474893972]),
    (2, False, dict(pmin=0.2, delta=0.5),
     [27, 9, 52, 24, 12, 42, 59, 56, 40, 68, 49, 34, 44, 7, 53],
     [4.9492477107058255, 6.567936736871777, 8.149475630023852]),
])
def test_sequences_and_weights_of_libact(seed, committee, kwargs, expected, weights):
    """Recorded from libact: ALBL over uncertainty, random (and committee) arms."""
    qs, ds, y = build(seed, committee=committee, **kwargs)
    assert query_sequence(qs, ds, y, 15) == expected
    np.testing.assert_allclose(qs.exp4p_.w, weights, rtol=1e-13)


# -- libact's algorithm restated -------------------------------------------

def reference_albl(ds, strategies, model, T, seed, labels, steps, delta=0.1, pmin=None,
                   uniform_sampler=True, label_between=None):
    """libact's ALBL loop: Exp4.P as a generator, the reward summed row by row."""
    rs = np.random.RandomState(seed)
    pool_ids = ds.get_unlabeled_entries()[0]
    invert = {int(e): i for i, e in enumerate(pool_ids)}
    N = len(strategies) + uniform_sampler
    K = N
    pmin = np.sqrt(np.log(N) / K / T) if pmin is None else pmin
    state = {"w": np.ones(N)}

    def exp4p():
        while True:
            query = np.zeros((N, len(invert)))
            if uniform_sampler:
                query[-1, :] = 1. / len(invert)
            for i, s in enumerate(strategies):
                query[i][invert[s.make_query()]] = 1
            p = (1 - K * pmin) * state["w"] / np.sum(state["w"]) + pmin
            qv = np.dot(p, query)
            reward, ask_id = yield qv
            ask = invert[ask_id]
            rhat = reward * query[:, ask] / qv[ask]
            state["w"] = state["w"] * np.exp(pmin / 2 * (rhat + 1 / p * np.sqrt(
                np.log(N / delta) / K / T)))

    gen = exp4p()
    W, hist, asked, dist = [], [], [], None

    def record(entry_id):
        W.append(1. / dist[invert[entry_id]])
        hist.append(entry_id)

    for step in range(steps):
        unlabeled = set(ds.get_unlabeled_entries()[0].tolist())
        while True:
            if dist is None:
                dist = next(gen)
            else:
                m = copy.copy(model)
                m.train(ds)
                reward = 0.
                for j in range(len(hist)):
                    reward += W[j] * (m.predict(ds[hist[j]][0].reshape(1, -1))[0] == ds[hist[j]][1])
                reward /= len(ds)
                reward /= T
                dist = gen.send((reward, hist[-1]))
            ask_id = int(pool_ids[rs.choice(np.arange(len(invert)), size=1, p=dist)[0]])
            if ask_id in unlabeled:
                break
            record(ask_id)
        asked.append(ask_id)
        ds.update(ask_id, labels[ask_id])
        record(ask_id)
        if label_between is not None:
            extra = label_between(step, ds)
            if extra is not None:
                ds.update(extra, labels[extra])
                record(extra)
    return asked, state["w"], W, dist


def label_middle_every_third(step, ds):
    if step % 3:
        return None
    pool = ds.get_unlabeled_entries()[0]
    return int(pool[len(pool) // 2])


@pytest.mark.parametrize("seed, committee, kwargs, between", [
    (3, True, {}, None), (4, False, dict(uniform_sampler=False), None),
    (5, False, dict(pmin=0.1, delta=0.3), None), (6, False, {}, label_middle_every_third),
])
def test_equals_libact_algorithm(seed, committee, kwargs, between):
    X, y, partial = small_pool(seed)
    ref_ds = Dataset(X, partial)
    expected, w, W, dist = reference_albl(ref_ds, arms(ref_ds, seed, committee), lr(),
                                          15, seed, y, 15, label_between=between, **kwargs)
    qs, ds, _ = build(seed, T=15, committee=committee, **kwargs)
    asked = []
    for step in range(15):
        ask = int(qs.make_query())
        asked.append(ask)
        ds.update(ask, y[ask])
        extra = between(step, ds) if between else None
        if extra is not None:
            ds.update(extra, y[extra])
    assert asked == expected
    np.testing.assert_array_equal(qs.exp4p_.w, w)
    np.testing.assert_array_equal(qs.W, W)
    np.testing.assert_array_equal(qs.query_dist, dist)
    assert qs.budget_used == 15 and len(qs.queried_hist_) == len(W)


def test_a_labeled_draw_is_recorded_and_redrawn():
    """With a few rows labeled behind ALBL's back, draws of them cost no budget."""
    qs, ds, y = build(7, T=5)
    first = int(qs.make_query())
    ds.update(first, y[first])
    pool = ds.get_unlabeled_entries()[0]
    for entry in pool[::2]:                      # half of the pool, labeled outside ALBL
        ds.update(int(entry), y[entry])
    n_hist = len(qs.queried_hist_)
    ask = int(qs.make_query())
    assert ds[ask][1] is None
    assert qs.budget_used == 2
    assert len(qs.queried_hist_) == n_hist + 2          # two draws hit labeled rows
    assert all(ds[e][1] is not None for e in qs.queried_hist_[n_hist:])


# -- batches and scores --------------------------------------------------------

def test_batch_first_pick_is_the_single_query_and_the_rest_are_drawn_without_replacement():
    single, ds1, y = build(8)
    batched, ds2, _ = build(8)
    one = int(single.make_query())
    batch = batched.make_query(n_instances=6)
    assert batch[0] == one
    assert len(set(batch.tolist())) == 6
    assert all(ds2[int(e)][1] is None for e in batch)
    assert batched.budget_used == 6 and single.budget_used == 1
    # the other five: the same distribution restricted to the rest of the pool, renormalised
    rs = single.random_state_
    dist = single.query_dist
    pool_ids = single.unlabeled_entry_ids
    left = np.ones(len(pool_ids), dtype=bool)
    left[np.flatnonzero(pool_ids == one)] = False
    expected = [one]
    for _ in range(5):
        positions = np.flatnonzero(left)
        position = rs.choice(positions, p=dist[positions] / dist[positions].sum())
        left[position] = False
        expected.append(int(pool_ids[position]))
    assert batch.tolist() == expected


def test_batch_without_mass_left_is_uniform():
    X, y, partial = small_pool(9)
    ds = Dataset(X, partial)
    qs = ActiveLearningByLearning(ds, T=20, uniform_sampler=False, random_state=9,
                                  query_strategies=[RandomSampling(ds, random_state=1)], model=lr())
    batch = qs.make_query(n_instances=4)        # one arm: all mass on one row
    assert len(set(batch.tolist())) == 4 and qs.budget_used == 4


def test_return_score_is_the_draw_distribution():
    qs, ds, y = build(10)
    ask, pairs = qs.make_query(return_score=True)
    pool = ds.get_unlabeled_entries()[0]
    assert [p[0] for p in pairs] == pool.tolist()
    proba = np.array([p[1] for p in pairs])
    np.testing.assert_array_equal(proba, qs.query_dist[[qs.unlabeled_invert_id_idx[int(e)]
                                                        for e in pool]])
    assert proba.sum() == pytest.approx(1.0)
    ds.update(int(ask), y[ask])
    ds.append(np.zeros(4))                                    # not drawable
    batch, pairs = qs.make_query(return_score=True, n_instances=3)
    assert len(batch) == 3 and pairs[-1] == (len(ds) - 1, 0.0)


def test_get_scores_is_not_implemented():
    qs, _, _ = build(11)
    with pytest.raises(NotImplementedError):
        qs._get_scores()


# -- budget and errors --------------------------------------------------------

def test_budget():
    qs, ds, y = build(12, T=3)
    query_sequence(qs, ds, y, 3)
    with pytest.raises(ValueError, match="Out of query budget"):
        qs.make_query()
    qs, ds, y = build(12, T=3)
    state = qs.random_state_.get_state()[1].copy()
    with pytest.raises(ValueError, match="Out of query budget"):
        qs.make_query(n_instances=4)
    np.testing.assert_array_equal(qs.random_state_.get_state()[1], state)   # nothing drawn
    assert qs.make_query(n_instances=3).shape == (3,)
    with pytest.raises(ValueError, match="Out of query budget"):
        qs.make_query()
    qs, _, _ = build(12, T=0)
    with pytest.raises(ValueError, match="Out of query budget"):
        qs.make_query()


def test_constructor_errors():
    X, y, partial = small_pool(13)
    ds = Dataset(X, partial)
    model = lr()
    arm = [RandomSampling(ds, random_state=0)]
    with pytest.raises(TypeError, match="query_strategies"):
        ActiveLearningByLearning(ds, T=5, model=model)
    with pytest.raises(ValueError, match="empty"):
        ActiveLearningByLearning(ds, T=5, query_strategies=[], model=model)
    with pytest.raises(ValueError, match="same"):
        ActiveLearningByLearning(ds, T=5, model=model,
                                 query_strategies=[RandomSampling(Dataset(X, partial))])
    with pytest.raises(TypeError, match="'T'"):
        ActiveLearningByLearning(ds, query_strategies=arm, model=model)
    with pytest.raises(ValueError, match="uniform_sampler"):
        ActiveLearningByLearning(ds, T=5, query_strategies=arm, model=model, uniform_sampler=1)
    for pmin in (0.6, -0.1):                      # two arms: 0 < pmin <= 1/2
        with pytest.raises(ValueError, match="pmin"):
            ActiveLearningByLearning(ds, T=5, query_strategies=arm, model=model, pmin=pmin)
    ActiveLearningByLearning(ds, T=5, query_strategies=arm, model=model, pmin=0.5)
    with pytest.raises(TypeError, match="'model'"):
        ActiveLearningByLearning(ds, T=5, query_strategies=arm)
    with pytest.raises(ValueError):
        ActiveLearningByLearning(ds, T=5, query_strategies=arm, model=model, random_state="x")
    full = Dataset(X, y)
    with pytest.raises(ValueError, match="No unlabeled samples available"):
        ActiveLearningByLearning(full, T=5, query_strategies=[RandomSampling(full)], model=model)


def test_labels_it_cannot_have_drawn_are_not_recorded():
    qs, ds, y = build(14)
    ds.update(int(ds.get_unlabeled_entries()[0][0]), 1)       # before the first query
    assert qs.queried_hist_ == [] and qs.W == []
    ask = int(qs.make_query())
    labeled_at_start = next(i for i, label in enumerate(small_pool(14)[2]) if label is not None)
    ds.update(labeled_at_start, y[labeled_at_start])           # relabel: never drawable
    assert qs.queried_hist_ == []
    ds.update(ask, y[ask])
    assert qs.queried_hist_ == [ask]
    assert qs.W == [1. / qs.query_dist[qs.unlabeled_invert_id_idx[ask]]]


def test_queries_without_labels_in_between():
    """Repeated queries with nothing labeled: new bandit rounds, no reward (libact fails)."""
    qs, ds, y = build(15, T=100)
    batch = qs.make_query(n_instances=7)
    w = qs.exp4p_.w.copy()
    ask, pairs = qs.make_query(return_score=True)
    np.testing.assert_array_equal(qs.exp4p_.w, w)
    assert qs.exp4p_.t == 2 and qs.budget_used == 8
    whole = qs.make_query(n_instances=ds.len_unlabeled())
    assert sorted(whole.tolist()) == ds.get_unlabeled_entries()[0].tolist()
    assert set(batch.tolist()) <= set(whole.tolist())
    with pytest.raises(TypeError, match="n_instances"):
        qs.make_query(2)
    with pytest.raises(ValueError, match="n_instances"):
        qs.make_query(n_instances=0)
    assert isinstance(qs.make_query(True), tuple)


def test_exp4p_defaults_and_errors():
    ds = Dataset(np.arange(8.0).reshape(4, 2), [None] * 4)
    arm = [RandomSampling(ds, random_state=0)]
    bandit = Exp4P(query_strategies=arm, unlabeled_invert_id_idx={i: i for i in range(4)})
    assert (bandit.T, bandit.delta, bandit.N, bandit.K) == (100, 0.1, 2, 2)
    assert bandit.pmin == pytest.approx(np.sqrt(np.log(2) / 2 / 100))
    with pytest.raises(TypeError):
        bandit.next(0.5, 0, None)                 # the first round takes reward -1
    q = bandit.next(-1, None, None)
    assert q.sum() == pytest.approx(1.0)
    with pytest.raises(TypeError):
        bandit.next(-1, None, None)
    with pytest.raises(TypeError):
        Exp4P(unlabeled_invert_id_idx={0: 0})
    with pytest.raises(ValueError):
        Exp4P(query_strategies=[], unlabeled_invert_id_idx={0: 0})
    with pytest.raises(TypeError):
        Exp4P(query_strategies=arm)
    with pytest.raises(TypeError):
        Exp4P(query_strategies=arm, unlabeled_invert_id_idx={})
