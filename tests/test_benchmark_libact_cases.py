"""fastal.benchmark.libact_cases: every case on both backends asks for the same rows as its
libact-style peers, through run_case, at tiny sizes (no timing is asserted)."""
import dataclasses

import numpy as np
import pytest

import fastal
from fastal.benchmark import cli
from fastal.benchmark.cases import CASES, Peer
from fastal.benchmark.libact_cases import LIBACT_CASES, same_answers

# rows per case: a few queries each, well under a second per implementation
TINY = {"hierarchical_sampling": 60, "eer": 12, "eer_jobs": 10, "alce": 24, "mmc": 26,
        "binary_minimization": 26, "aal": 12, "aal_jobs": 12, "csrpe": 22,
        "auxiliary_learner": 24, "quire": 30, "hintsvm": 40, "hintsvm_rbf": 40, "dwus": 20,
        "albl": 40, "bald": 34}


def settings(case):
    return (TINY[case.name], 4, "float64", 3, 6, 0, None)


def is_libact(peer):
    return peer.module.startswith("libact")


def capturing(case):
    """``case`` with the last result of every implementation kept in a dict.

    The case's own run is labeled by the backend it ran on ("compiled", or
    "numpy" for the twin), the peers by their names.
    """
    results = {}

    def run(inputs, n_jobs=None):
        label = "compiled" if fastal.get_backend() == "compiled" else "numpy"
        results[label] = case.run(inputs)
        return results[label]

    def keep(peer):
        def run_peer(inputs):
            results[peer.name] = peer.run(inputs)
            return results[peer.name]
        return dataclasses.replace(peer, run=run_peer)

    return dataclasses.replace(case, run=run, peers=tuple(map(keep, case.peers))), results


@pytest.fixture
def no_loops(monkeypatch):
    """run_case times every call once (no loops of short calls)."""
    monkeypatch.setattr(cli, "SHORT_CALL_S", 0.0)


def test_case_list():
    names = [case.name for case in LIBACT_CASES]
    assert len(names) == len(set(names)) and set(names) == set(TINY)
    # in the benchmark's list, marked as making their own rows
    listed = {case.name: case for case in CASES}
    assert all(listed[name].own_data for name in names)
    assert not any(case.own_data for case in CASES if case.name not in names)
    for case in LIBACT_CASES:
        assert case.kind == "strategy" and case.check is not None
        assert case.default_n and case.bench_n and case.description
        assert any(not is_libact(peer) for peer in case.peers)
        assert all(len(peer.name) <= 44 for peer in case.peers)     # the printed column


@pytest.mark.parametrize("case", LIBACT_CASES, ids=lambda c: c.name)
def test_both_backends_and_the_peers_ask_alike(case, no_loops):
    wrapped, results = capturing(case)
    records = cli.run_case(wrapped, settings(case), [None], 1, settle=0)
    status = {rec["impl"]: rec for rec in records}
    assert status["compiled"]["status"] == "ok", status["compiled"]["reason"]
    assert status["numpy"]["status"] == "ok", status["numpy"]["reason"]
    for peer in case.peers:
        rec = status[peer.name]
        if is_libact(peer):
            assert rec["status"] in ("ok", "skipped"), rec["reason"]
        else:
            assert rec["status"] == "ok", rec["reason"]
        if rec["status"] == "ok":
            assert len(rec["times"]) == 1 and rec["median"] > 0

    queries = results["compiled"]["queries"]
    assert len(queries) >= 1 and len(set(queries)) == len(queries)
    assert results["numpy"]["queries"] == queries
    for peer in case.peers:
        answer = results.get(peer.name)
        if not is_libact(peer) and isinstance(answer, dict):
            assert answer["queries"] == queries, peer.name
    # run_case's check line; without libact's own answers where libact ran
    libact = {peer.name for peer in case.peers if is_libact(peer)}
    verdict = status["compiled"].get("check")
    if verdict is None or any(status[name]["status"] == "ok" for name in libact):
        verdict = case.check(case.setup(*settings(case)),
                             {label: r for label, r in results.items() if label not in libact})
    assert verdict.startswith("same ") and ": yes" in verdict, verdict
    assert "differ" not in verdict


@pytest.mark.parametrize("name", ["hierarchical_sampling", "mmc", "quire", "albl"])
def test_runs_are_repeatable_and_leave_the_inputs_alone(name):
    case = next(c for c in LIBACT_CASES if c.name == name)
    inputs = case.setup(*settings(case))
    fresh = case.setup(*settings(case))
    first = case.run(inputs)
    peer = next(p for p in case.peers if not is_libact(p))
    peer_answer = peer.run(inputs)
    assert case.run(inputs)["queries"] == first["queries"] == peer_answer["queries"]
    assert inputs.keys() == fresh.keys()
    for key, value in fresh.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(inputs[key], value)
        else:
            assert inputs[key] == value, key


def test_missing_peers_are_skipped(monkeypatch, no_loops):
    real = cli.importlib.import_module

    def without_libact(name, *args, **kwargs):
        if name == "libact" or name.startswith(("libact.", "fastal_absent_peer")):
            raise ImportError(f"No module named {name!r}")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(cli.importlib, "import_module", without_libact)
    case = next(c for c in LIBACT_CASES if c.name == "hintsvm")
    absent = Peer("absent peer", "fastal_absent_peer", lambda inputs: 1 / 0)
    case = dataclasses.replace(case, peers=case.peers + (absent,))
    records = cli.run_case(case, settings(case), [None], 1, settle=0)
    status = {rec["impl"]: rec for rec in records}
    assert status["compiled"]["status"] == status["numpy"]["status"] == "ok"
    assert status["absent peer"]["status"] == "skipped"
    assert status["absent peer"]["reason"] == "skipped: not installed (fastal_absent_peer)"
    assert status["libact HintSVM"]["status"] == "skipped"
    assert status["libact HintSVM"]["reason"].startswith("skipped: not installed (libact")
    assert status["scikit-learn SVC.fit (all rows, for scale)"]["status"] == "ok"


def test_check_says_what_it_compared():
    check = same_answers("report")
    ref = {"queries": [4, 7, 9], "report": np.array([0, 1, 1])}
    assert check({}, {"compiled": ref}) == \
        "only compiled asked (3 queries): nothing to compare"
    assert check({}, {"numpy": ref, "loop": dict(ref)}) == \
        "same queries and report as numpy (3 each) from loop: yes"
    verdict = check({}, {"compiled": ref, "numpy": dict(ref), "SVC.fit": None,
                         "loop": {"queries": [4, 8, 9], "report": np.array([0, 1, 0])}})
    assert verdict == ("queries and report against compiled (3 each): numpy: same; "
                       "loop: differ at query 2 of 3, report differs (SVC.fit: no queries)")
    assert check({}, {"SVC.fit": None}) == "no queries to compare (SVC.fit: no queries)"
    assert "asked 2 rows instead of 3" in check({}, {"compiled": ref,
                                                     "loop": {"queries": [4, 7]}})
