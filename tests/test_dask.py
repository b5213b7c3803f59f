"""fastal.dask against the single-machine kernels and strategies, on a real 2-worker cluster."""
import logging
import os
import subprocess
import sys

import numpy as np
import pytest

dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")

import fastal  # noqa: E402
import fastal.dask as fd  # noqa: E402
from fastal import kernels  # noqa: E402
from fastal.query_strategies._uncertainty import positive_uncertainty  # noqa: E402

CHUNKINGS = {
    "one-row": lambda n: 1,
    "uneven": lambda n: (7, 1, n // 2, n - 8 - n // 2),
    "single": lambda n: n,
}


@pytest.fixture(scope="module")
def client(dask_client):
    """The 2-worker cluster of ``conftest.dask_client``."""
    return dask_client


def pool(Xn, chunking):
    return da.from_array(Xn, chunks=(CHUNKINGS[chunking](Xn.shape[0]), Xn.shape[1]))


def grid(rng, n, d, dtype):
    """Rows on a small integer grid: many exactly tied distances."""
    return rng.integers(0, 3, size=(n, d)).astype(dtype)


# -- kernels ---------------------------------------------------------------------------

@pytest.mark.parametrize("metric", ["euclidean", "manhattan", "cosine"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_min_distance_bitwise(client, backend, rng, metric, dtype):
    Xn = rng.normal(size=(45, 18)).astype(dtype)
    ref = rng.normal(size=(20, 18))
    expected = kernels.min_distance(Xn, ref.astype(dtype), metric=metric)
    for chunking in CHUNKINGS:
        got = fd.min_distance(pool(Xn, chunking), ref, metric=metric)
        assert got.chunks[0] == pool(Xn, chunking).chunks[0]
        np.testing.assert_array_equal(got.compute(), expected)


@pytest.mark.parametrize("chunking", ["one-row", "uneven"])
@pytest.mark.parametrize("metric", ["euclidean", "manhattan", "cosine"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_min_select_equals_kernel(client, backend, rng, chunking, metric, dtype):
    n = 24 if chunking == "one-row" else 60
    Xn = rng.normal(size=(n, 17)).astype(dtype)
    labeled = rng.normal(size=(20, 17)).astype(dtype)    # >= 16 rows: the matrix-product path
    scores = rng.random(n)
    X = pool(Xn, chunking)
    variants = (None, scores, da.from_array(scores, chunks=(X.chunks[0],)))
    for s in variants[::2] if chunking == "one-row" else variants:
        expected = kernels.max_min_select(
            Xn, labeled, 9, scores=None if s is None else scores, metric=metric)
        got = fd.max_min_select(X, labeled, 9, scores=s, metric=metric)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("metric", ["euclidean", "manhattan", "cosine"])
def test_max_min_select_ties_and_cold_start(client, backend, rng, metric):
    """Grid rows tie exactly, across chunks too: the lowest index must win, as in the kernel."""
    Xn = grid(rng, 40, 3, np.float64)
    scores = rng.integers(0, 2, size=40) / 2.0
    for chunking, labeled in (("one-row", Xn[:3]), ("uneven", Xn[:3]), ("uneven", None)):
        X = pool(Xn, chunking)
        for s in (None, scores):
            expected = kernels.max_min_select(Xn, labeled, 12, scores=s, metric=metric)
            got = fd.max_min_select(X, labeled, 12, scores=s, metric=metric)
            np.testing.assert_array_equal(got, expected)


def test_max_min_select_whole_pool_and_extreme_scale(client, rng):
    Xn = rng.normal(size=(30, 4)) * 2.0 ** 700        # rescaled by a power of two inside
    X = pool(Xn, "uneven")
    np.testing.assert_array_equal(fd.max_min_select(X, Xn[:2], 30),
                                  kernels.max_min_select(Xn, Xn[:2], 30))
    scores = rng.random(30)
    np.testing.assert_array_equal(fd.max_min_select(X, Xn[:2], 10, scores=scores),
                                  kernels.max_min_select(Xn, Xn[:2], 10, scores=scores))


def test_max_min_select_without_client(backend, rng):
    """With dask set to a local scheduler the state stays in this process."""
    Xn = rng.normal(size=(60, 5))
    scores = rng.random(60)
    with dask.config.set(scheduler="sync"):
        got = fd.max_min_select(pool(Xn, "uneven"), Xn[:4], 8, scores=scores)
    np.testing.assert_array_equal(got, kernels.max_min_select(Xn, Xn[:4], 8, scores=scores))


@pytest.mark.parametrize("similarity,metric", [("inverse", "euclidean"), ("inverse", "manhattan"),
                                               ("inverse", "cosine"), ("cosine", "euclidean")])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pairwise_density_reference(client, backend, rng, similarity, metric, dtype):
    Xn = rng.normal(size=(33, 6)).astype(dtype)
    ref = rng.normal(size=(12, 6)).astype(dtype)
    expected = kernels.pairwise_density(Xn, ref, metric=metric, similarity=similarity, beta=2.0)
    for chunking in ("one-row", "uneven"):
        got = fd.pairwise_density(pool(Xn, chunking), ref, metric=metric,
                                  similarity=similarity, beta=2.0).compute()
        assert got.dtype == dtype
        if similarity == "cosine":   # the dot product with the summed unit rows, blocked
            np.testing.assert_allclose(got, expected, rtol=1e-12 if dtype == np.float64 else 1e-6)
        else:
            np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("metric", ["euclidean", "manhattan"])
def test_pairwise_density_sampled(client, backend, rng, include_self, metric):
    Xn = rng.normal(size=(40, 5))
    for m, beta, chunkings in ((9, 1.0, ("one-row", "uneven")), (25, 1.5, ("uneven",)),
                               (40, 1.0, ("uneven",)), (500, 1.0, ("single",))):
        expected = kernels.pairwise_density(Xn, metric=metric, include_self=include_self,
                                            n_samples=m, random_state=3, beta=beta)
        for chunking in chunkings:
            got = fd.pairwise_density(pool(Xn, chunking), metric=metric,
                                      include_self=include_self, n_samples=m, random_state=3,
                                      beta=beta).compute()
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)


def _logistic(Xn, y):
    from sklearn.linear_model import LogisticRegression
    return LogisticRegression().fit(Xn, y)


@pytest.mark.parametrize("method", ["lc", "sm", "entropy"])
def test_uncertainty_top_k(client, rng, method):
    from fastal.query_strategies._uncertainty import entropy, top_margin
    Xn = rng.normal(size=(40, 4))
    Xn[30:35] = Xn[10]                      # duplicated rows: exactly tied scores
    y = np.arange(40) % 3
    model = _logistic(Xn, y)
    p = model.predict_proba(Xn)
    score = {"lc": -p.max(axis=1), "sm": -top_margin(p), "entropy": entropy(p)}[method]
    for chunking in ("one-row", "uneven", "single"):
        idx, got = fd.uncertainty_top_k(model, pool(Xn, chunking), 12, method=method)
        order = np.lexsort((np.arange(40), -score))[:12]
        np.testing.assert_array_equal(idx, order)
        np.testing.assert_allclose(got, score[order], rtol=1e-12, atol=1e-15)
    mask = np.zeros(40, bool)
    mask[::3] = True
    idx, _ = fd.uncertainty_top_k(model, pool(Xn, "uneven"), 5, method=method, candidates=mask)
    cand = np.flatnonzero(mask)
    np.testing.assert_array_equal(idx, cand[np.lexsort((cand, -score[cand]))[:5]])


# -- strategies ------------------------------------------------------------------------

def _dataset(Xn, y, labeled):
    from fastal.base.dataset import Dataset
    return Dataset(Xn, [int(v) if lab else None for v, lab in zip(y, labeled)])


@pytest.fixture
def problem(rng):
    Xn = rng.normal(size=(90, 6))
    y = (Xn[:, 0] + 0.5 * Xn[:, 1] > 0).astype(int)
    labeled = np.zeros(90, bool)
    labeled[[0, 5, 17, 30, 61]] = True
    y[[0, 5]] = [0, 1]
    return Xn, y, labeled


def test_next_batch_ranked_equals_strategy(client, backend, problem):
    from fastal.query_strategies import RankedBatch
    Xn, y, labeled = problem
    model = _logistic(Xn[labeled], y[labeled])
    expected = RankedBatch(_dataset(Xn, y, labeled), _logistic(Xn[labeled], y[labeled])
                           ).make_query(n_instances=7)
    for chunking in ("one-row", "uneven"):
        got = fd.next_batch(pool(Xn, chunking), labeled, model, 7, strategy="ranked")
        np.testing.assert_array_equal(got, expected)
    # no labeled row: u = 1 and the cold start, with the model unused
    none = np.zeros(90, bool)
    expected = RankedBatch(_dataset(Xn, y, none), _logistic(Xn[labeled], y[labeled])
                           ).make_query(n_instances=4)
    got = fd.next_batch(pool(Xn, "uneven"), none, None, 4, strategy="ranked")
    np.testing.assert_array_equal(got, expected)


def test_next_batch_coreset_equals_strategy(client, backend, problem):
    from fastal.query_strategies import CoreSet
    Xn, y, labeled = problem
    expected = CoreSet(_dataset(Xn, y, labeled)).make_query(n_instances=6)
    got = fd.next_batch(pool(Xn, "uneven"), np.flatnonzero(labeled), None, 6, strategy="coreset")
    np.testing.assert_array_equal(got, expected)
    none = np.zeros(90, bool)
    expected = CoreSet(_dataset(Xn, y, none), random_state=4).make_query(n_instances=5)
    got = fd.next_batch(pool(Xn, "one-row"), none, None, 5, strategy="coreset", random_state=4)
    np.testing.assert_array_equal(got, expected)


def test_next_batch_uncertainty_and_density(client, backend, problem):
    Xn, y, labeled = problem
    model = _logistic(Xn[labeled], y[labeled])
    unl = np.flatnonzero(~labeled)
    p = model.predict_proba(Xn[unl])
    for method in ("lc", "sm", "entropy"):
        score = {"lc": -p.max(axis=1), "sm": -np.abs(p[:, 1] - p[:, 0]),
                 "entropy": -(p * np.log(p)).sum(axis=1)}[method]
        got = fd.next_batch(pool(Xn, "uneven"), labeled, model, 5, method=method)
        np.testing.assert_array_equal(got, unl[np.lexsort((unl, -score))[:5]])
    for m in (10, 200):
        density = kernels.pairwise_density(Xn[unl], include_self=False, n_samples=m,
                                           random_state=2)
        score = np.maximum(positive_uncertainty(p, "entropy"), 0.0) * density ** 2.0
        for chunking in (("one-row", "uneven") if m == 10 else ("uneven",)):
            got = fd.next_batch(pool(Xn, chunking), labeled, model, 6, strategy="density",
                                density_samples=m, random_state=2, beta=2.0)
            np.testing.assert_array_equal(got, unl[np.lexsort((unl, -score))[:6]])


def test_next_batch_loop(client, problem):
    """A few rounds of a loop: picks are unlabeled, distinct and become labeled."""
    Xn, y, labeled = problem
    labeled = labeled.copy()
    X = pool(Xn, "uneven").persist()
    for strategy in ("ranked", "uncertainty", "coreset", "density"):
        model = _logistic(Xn[labeled], y[labeled])
        picks = fd.next_batch(X, labeled, model, 4, strategy=strategy, random_state=0)
        assert len(set(picks.tolist())) == 4 and not labeled[picks].any()
        labeled[picks] = True


# -- a worker lost in the middle of a selection --------------------------------------------

def test_worker_killed_mid_selection(client, rng, caplog, monkeypatch):
    Xn = rng.normal(size=(6000, 16)).astype(np.float32)
    labeled = Xn[:40]
    expected = kernels.max_min_select(Xn, labeled, 300)
    X = da.from_array(Xn, chunks=(500, -1))
    victim = list(client.run(os.getpid).values())[0]
    step = fd._Selection.step
    held = []

    def step_then_kill(selection):
        held.append(len(selection.groups))
        if len(selection.picks) == 120:       # in the middle of the selection
            os.kill(victim, 9)
        return step(selection)

    monkeypatch.setattr(fd._Selection, "step", step_then_kill)
    caplog.set_level(logging.WARNING, logger="fastal.dask")
    try:
        got = fd.max_min_select(X, labeled, 300)
    except fd.WorkerLostError as exc:            # allowed: a clear error, never a wrong answer
        assert "no result is returned" in str(exc) or "could not be rebuilt" in str(exc)
    else:
        np.testing.assert_array_equal(got, expected)
        assert held[0] == 2                       # the state was spread over both workers
        assert any("rebuilding the selection state" in r.getMessage() for r in caplog.records)
    monkeypatch.undo()
    client.wait_for_workers(2, timeout=60)
    # the cluster is usable afterwards, with the same answers
    np.testing.assert_array_equal(fd.max_min_select(X, labeled, 20),
                                  kernels.max_min_select(Xn, labeled, 20))


def test_worker_lost_without_recovery_is_an_error(client, rng, monkeypatch):
    """With no rebuild allowed a lost worker ends the selection with WorkerLostError."""
    client.wait_for_workers(2, timeout=60)
    Xn = rng.normal(size=(2000, 8))
    X = da.from_array(Xn, chunks=(250, -1))
    victim = list(client.run(os.getpid).values())[1]
    step = fd._Selection.step

    def step_then_kill(selection):
        if len(selection.picks) == 30:
            os.kill(victim, 9)
        return step(selection)

    monkeypatch.setattr(fd._Selection, "step", step_then_kill)
    monkeypatch.setattr(fd, "MAX_RECOVERIES", 0)
    with pytest.raises(fd.WorkerLostError, match="no result is returned"):
        fd.max_min_select(X, Xn[:5], 100)
    monkeypatch.undo()
    client.wait_for_workers(2, timeout=60)


def test_rebuilt_state_gives_same_picks(client, rng):
    """Every group's state is rebuilt from the labeled rows and the picks so far, in the
    middle of a ranked batch: the remaining picks do not change."""
    Xn = rng.normal(size=(300, 5))
    scores = rng.random(300)
    expected = kernels.max_min_select(Xn, Xn[:3], 25, scores=scores)
    X = da.from_array(Xn, chunks=(70, -1))
    spec_scores = fd._check_scores(scores, X)
    spec = dict(metric="euclidean", scale=1.0, n_unl0=300, n_lab0=3, n_jobs=None, n_features=5)
    sel = fd._Selection(client.persist(X), spec, client.persist(spec_scores), None, Xn[:3],
                        fastal.get_backend())
    for t in range(25):
        if t in (5, 17):
            for g in range(len(sel.groups)):
                sel._recover(g, RuntimeError("test"))
            sel.recoveries = 0
        sel.step()
    sel.close()
    np.testing.assert_array_equal(sel.picks, expected)


# -- bad input ---------------------------------------------------------------------------

def test_numpy_pool_is_a_type_error(rng):
    Xn = rng.normal(size=(10, 3))
    for call in (lambda: fd.min_distance(Xn, Xn[:1]), lambda: fd.max_min_select(Xn, Xn[:1], 2),
                 lambda: fd.next_batch(Xn, [0], None, 2, strategy="coreset")):
        with pytest.raises(TypeError, match=r"dask.array.from_array\(X, chunks=\(rows"):
            call()


def test_column_chunks_and_mismatched_scores(rng):
    Xn = rng.normal(size=(10, 4))
    with pytest.raises(ValueError, match=r"column chunks \(2, 2\)"):
        fd.max_min_select(da.from_array(Xn, chunks=(5, 2)), Xn[:1], 2)
    X = da.from_array(Xn, chunks=(5, -1))
    with pytest.raises(ValueError, match=r"X has row chunks \(5, 5\), scores has \(4, 4, 2\)"):
        fd.max_min_select(X, Xn[:1], 2, scores=da.from_array(np.ones(10), chunks=4))
    with pytest.raises(ValueError, match="length 10"):
        fd.max_min_select(X, Xn[:1], 2, scores=np.ones(9))
    with pytest.raises(ValueError, match="2-D"):
        fd.min_distance(da.ones(5, chunks=2), Xn[:1])
    with pytest.raises(ValueError, match="X has 4 features but reference has 3"):
        fd.min_distance(X, Xn[:1, :3])


def test_values_and_counts(client, rng):
    Xn = rng.normal(size=(10, 3))
    bad = Xn.copy()
    bad[7, 1] = np.nan
    with pytest.raises(ValueError, match="X contains NaN"):
        fd.max_min_select(da.from_array(bad, chunks=(3, -1)), Xn[:1], 2)
    with pytest.raises(ValueError, match="X contains NaN"):
        fd.min_distance(da.from_array(bad, chunks=(3, -1)), Xn[:1]).compute()
    inf_scores = np.ones(10)
    inf_scores[2] = np.inf
    X = da.from_array(Xn, chunks=(3, -1))
    with pytest.raises(ValueError, match="scores contains infinity"):
        fd.max_min_select(X, Xn[:1], 2, scores=inf_scores)
    with pytest.raises(ValueError, match="scores contains infinity"):
        fd.max_min_select(X, Xn[:1], 2, scores=da.from_array(inf_scores, chunks=(X.chunks[0],)))
    with pytest.raises(ValueError, match="X_labeled contains NaN"):
        fd.max_min_select(X, bad[7:8], 2)
    with pytest.raises(ValueError, match="batch_size must be between 1 and 10, got 11"):
        fd.max_min_select(X, Xn[:1], 11)
    with pytest.raises(ValueError, match="batch_size must be between 1 and 7, got 8"):
        fd.next_batch(X, [0, 1, 2], None, 8, strategy="coreset")
    with pytest.raises(ValueError, match="nothing left to query"):
        fd.next_batch(X, np.ones(10, bool), None, 1, strategy="coreset")
    with pytest.raises(ValueError, match="unknown metric 'hamming'"):
        fd.max_min_select(X, Xn[:1], 2, metric="hamming")
    with pytest.raises(ValueError, match="unknown strategy"):
        fd.next_batch(X, [0], None, 1, strategy="qbc")
    with pytest.raises(ValueError, match="unknown method"):
        fd.next_batch(X, [0], None, 1, method="margin")
    with pytest.raises(ValueError, match="k must be between 1 and 10"):
        fd.uncertainty_top_k(_logistic(Xn, np.arange(10) % 2), X, 11)
    with pytest.raises(ValueError, match="needs n_samples"):
        fd.pairwise_density(X)
    with pytest.raises(ValueError, match=r"labeled holds index 10, outside \[0, 10\)"):
        fd.next_batch(X, [10], None, 1, strategy="coreset")


def test_unfitted_model(rng):
    from sklearn.exceptions import NotFittedError
    from sklearn.linear_model import LogisticRegression
    X = da.from_array(rng.normal(size=(10, 3)), chunks=(5, -1))
    for strategy in ("uncertainty", "ranked", "density"):
        with pytest.raises(NotFittedError, match="LogisticRegression is not fitted: fit it"):
            fd.next_batch(X, [0, 1], LogisticRegression(), 2, strategy=strategy)
    with pytest.raises(NotFittedError, match="is not fitted"):
        fd.uncertainty_top_k(LogisticRegression(), X, 2)
    with pytest.raises(TypeError, match="predict_proba"):
        fd.uncertainty_top_k(object(), X, 2)


def test_import_error_names_the_extra():
    code = ("import sys; sys.modules['distributed'] = None\n"
            "try:\n    import fastal.dask\nexcept ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, cwd=os.path.dirname(os.path.dirname(fd.__file__)))
    assert 'pip install "fastal[dask]"' in out.stdout, out.stdout + out.stderr
