"""Experiment runner: resume, determinism, errors, plots, building blocks."""
import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

from fastal.base.dataset import Dataset
from fastal.experiment import (STRATEGIES, MarginSVC, NoisyLabeler, StopAfterLabels,
                               StopAfterRounds, StopOnBudget, StopOnPlateau, any_of,
                               markdown_table, noisy_labels, plot_curves, read_records,
                               register_strategy, run, summarize)
from fastal.experiment import runner as runner_mod
from fastal.experiment.runner import TIMING_FIELDS, task_path

SMALL = dict(rounds=3, batch=10, progress=False, n_jobs=1)


def all_records(out):
    found = {}
    for root, _, files in os.walk(os.path.join(out, "records")):
        for name in files:
            recs, _ = read_records(os.path.join(root, name))
            found[os.path.relpath(os.path.join(root, name), out)] = [
                {k: v for k, v in r.items() if k not in TIMING_FIELDS} for r in recs]
    return found


def test_runs_and_is_deterministic(tmp_path):
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    run(["synthetic"], ["random", "margin", "coreset"], [0, 1], a, **SMALL)
    run(["synthetic"], ["random", "margin", "coreset"], [0, 1], b, **SMALL)
    ra, rb = all_records(a), all_records(b)
    assert len(ra) == 6 and ra == rb
    recs = next(iter(ra.values()))
    assert [r["round"] for r in recs] == [0, 1, 2, 3]
    assert [r["n_labeled"] for r in recs] == [20, 30, 40, 50]
    assert all(len(r["query_ids"]) == 10 for r in recs[:-1]) and recs[-1]["query_ids"] == []


def test_resume_after_interruption_between_records(tmp_path, monkeypatch):
    clean, broken = str(tmp_path / "clean"), str(tmp_path / "broken")
    run(["digits"], ["margin", "random"], [3], clean, rounds=4, batch=20, progress=False, n_jobs=1)
    original = runner_mod._append
    calls = {"n": 0}

    def dying_append(path, record):
        if calls["n"] == 6:
            raise KeyboardInterrupt("killed between records")
        calls["n"] += 1
        original(path, record)

    monkeypatch.setattr(runner_mod, "_append", dying_append)
    with pytest.raises(KeyboardInterrupt):
        run(["digits"], ["margin", "random"], [3], broken, rounds=4, batch=20, progress=False,
            n_jobs=1)
    monkeypatch.setattr(runner_mod, "_append", original)
    partial = all_records(broken)
    assert sum(len(v) for v in partial.values()) == 6
    written = []
    monkeypatch.setattr(runner_mod, "_append", lambda p, r: (written.append(r), original(p, r)))
    run(["digits"], ["margin", "random"], [3], broken, rounds=4, batch=20, progress=False, n_jobs=1)
    assert len(written) == 10 - 6            # finished rounds were not recomputed
    assert all_records(broken) == all_records(clean)


def test_torn_last_line_is_never_read_and_is_replaced(tmp_path):
    clean, torn = str(tmp_path / "clean"), str(tmp_path / "torn")
    run(["synthetic"], ["margin"], [0], clean, **SMALL)
    run(["synthetic"], ["margin"], [0], torn, **SMALL)
    path = task_path(torn, "synthetic", "margin", 0)
    with open(path, "rb") as fh:
        lines = fh.read().splitlines(keepends=True)
    with open(path, "wb") as fh:                   # two whole records, then half of one
        fh.write(b"".join(lines[:2]) + lines[2][: len(lines[2]) // 2])
    recs, valid = read_records(path)
    assert len(recs) == 2 and valid == len(b"".join(lines[:2]))
    run(["synthetic"], ["margin"], [0], torn, **SMALL)
    assert all_records(torn) == all_records(clean)


def test_resume_after_a_real_kill(tmp_path):
    out = str(tmp_path / "killed")
    cmd = [sys.executable, "-m", "fastal.experiment", "--protocol", "digits", "--strategies",
           "margin", "--seeds", "1", "--rounds", "8", "--batch", "20", "--out", out,
           "--n-jobs", "1", "--no-progress"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    path = task_path(out, "digits", "margin", 0)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if os.path.exists(path) and len(read_records(path)[0]) >= 3:
            proc.kill()             # SIGKILL (TerminateProcess on Windows)
            break
        time.sleep(0.005)
    proc.wait(timeout=60)
    interrupted = len(read_records(path)[0])
    subprocess.run(cmd, cwd=tmp_path, check=True, capture_output=True)
    clean = str(tmp_path / "clean")
    subprocess.run(cmd[:-5] + ["--out", clean, "--n-jobs", "1", "--no-progress"], cwd=tmp_path,
                   check=True, capture_output=True)
    assert 1 <= interrupted <= 9
    assert all_records(out) == all_records(clean)


@pytest.mark.parametrize("kwargs, match", [
    (dict(protocols=["mnist"]), "unknown protocol"),
    (dict(strategies=["clairvoyant"]), "unknown strategy"),
    (dict(batch=600), "needs"),
    (dict(rounds=0), "rounds must be a positive integer"),
    (dict(seeds=0), "seeds"),
    (dict(noise=1.5), "noise"),
    (dict(strategies=["no.such.module:factory"]), "cannot load"),
])
def test_bad_arguments(tmp_path, kwargs, match):
    args = dict(protocols=["synthetic"], strategies=["random"], seeds=1, out=str(tmp_path),
                progress=False, n_jobs=1)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        run(**args)


def test_cli_errors_are_clear(tmp_path):
    out = subprocess.run([sys.executable, "-m", "fastal.experiment", "--strategies", "magic",
                          "--out", str(tmp_path)], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 2 and "unknown strategy 'magic'" in out.stderr


def test_other_configuration_in_same_folder_is_refused(tmp_path):
    run(["synthetic"], ["random"], [0], str(tmp_path), **SMALL)
    with pytest.raises(ValueError, match="another configuration"):
        run(["synthetic"], ["random"], [0], str(tmp_path), rounds=4, batch=10, progress=False,
            n_jobs=1)


def test_summary_and_png(tmp_path):
    out = str(tmp_path)
    run(["synthetic"], ["random", "margin"], 3, out, rounds=3, batch=10, progress=False, n_jobs=2)
    rows = summarize(out, "synthetic")
    assert {r["strategy"] for r in rows} == {"random", "margin"}
    for r in rows:
        assert r["seeds"] == 3 and 0 < r["aulc"] <= 1 and 0 < r["final_accuracy"] <= 1
    table = markdown_table(rows, "synthetic")
    assert table.count("\n| ") >= 2 and "labels to 90 %" in table
    png = plot_curves(out, "synthetic")
    with open(png, "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    import matplotlib.image
    image = matplotlib.image.imread(png)
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
    with pytest.raises(ValueError, match="no finished results"):
        plot_curves(out, "digits")


def test_user_strategy(tmp_path):
    from fastal.query_strategies import UncertaintySampling

    def least_confident_lr(dataset, make_model, random_state):
        from fastal.models import LogisticRegression
        return UncertaintySampling(dataset, model=LogisticRegression(max_iter=500))

    register_strategy("lc_logreg", least_confident_lr)
    try:
        run(["synthetic"], ["lc_logreg"], [0], str(tmp_path), **SMALL)
        assert len(read_records(task_path(str(tmp_path), "synthetic", "lc_logreg", 0))[0]) == 4
    finally:
        STRATEGIES.pop("lc_logreg")
    with pytest.raises(TypeError):
        register_strategy("x", 3)


def test_every_builtin_strategy_runs(tmp_path):
    run(["synthetic"], sorted(STRATEGIES), [0], str(tmp_path), rounds=2, batch=5,
        progress=False, n_jobs=1)
    assert {r["strategy"] for r in summarize(str(tmp_path), "synthetic")} == set(STRATEGIES)


def test_margin_svc_probabilities():
    X = np.array([[0.0], [1.0], [2.0], [5.0], [6.0], [7.0], [10.0], [11.0]])
    m = MarginSVC()
    m.train(Dataset(X, [0, 0, 0, 1, 1, 1, 2, 2]))
    p = m.predict_proba(X)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert (p.argmax(axis=1) == m.predict_real(X).argmax(axis=1)).all()


def test_noisy_oracle_and_stopping():
    y = np.repeat([0, 1, 2], 200)
    noisy = noisy_labels(y, 0.2, random_state=1)
    assert 0.15 < (noisy != y).mean() < 0.25 and set(noisy) <= {0, 1, 2}
    assert (noisy_labels(y, 0.0, 1) == y).all()
    X = np.arange(600, dtype=float)[:, None]
    oracle = NoisyLabeler(X, y, 0.2, random_state=1)
    assert [oracle.label(X[i]) for i in range(20)] == noisy[:20].tolist()
    with pytest.raises(ValueError):
        oracle.label([1000.0])
    history = [(10, 0.5, 10.0), (20, 0.6, 20.0), (30, 0.61, 30.0), (40, 0.612, 40.0)]
    assert StopAfterLabels(40)(history) and not StopAfterLabels(41)(history)
    assert StopAfterRounds(3)(history) and not StopAfterRounds(4)(history)
    assert StopOnPlateau(patience=2, min_delta=0.05)(history)
    assert not StopOnPlateau(patience=3, min_delta=0.05)(history)
    assert StopOnBudget(40.0)(history) and not StopOnBudget(41.0)(history)
    assert any_of(StopAfterRounds(10), StopOnBudget(30.0))(history)
    with pytest.raises(ValueError):
        StopOnPlateau(patience=0)
