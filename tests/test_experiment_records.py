"""Experiment records: checked on read, repaired on rerun, one run per folder, clean Ctrl-C."""
import contextlib
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import warnings

import pytest

from fastal.experiment import RecordWarning, read_records, run, saved_rounds, summarize
from fastal.experiment import runner as runner_mod
from fastal.experiment.runner import TIMING_FIELDS, task_of_path, task_path

PROTOCOL = "digits"
STRATEGIES = ["margin", "random"]
SEEDS = [0, 1]
SMALL = dict(rounds=3, batch=10)
DEADLINE = 120          # seconds; only to fail instead of hanging

# A strategy for the tests with several processes: ``fastal_test_gate:margin``
# is margin sampling that, once FASTAL_TEST_HOLD_AFTER queries are made in its
# process, creates FASTAL_TEST_GATE + ".waiting" and waits for the file
# FASTAL_TEST_GATE.  A run is thereby held mid-work for as long as a test needs.
GATE_MODULE = '''
import os
import time

from fastal.experiment.strategies import STRATEGIES

_calls = 0


def margin(dataset, make_model, random_state):
    global _calls
    gate = os.environ.get("FASTAL_TEST_GATE")
    if gate and _calls >= int(os.environ.get("FASTAL_TEST_HOLD_AFTER", "0")):
        open(gate + ".waiting", "w").close()
        while not os.path.exists(gate):
            time.sleep(0.01)
    _calls += 1
    return STRATEGIES["margin"](dataset, make_model, random_state)
'''
GATED = ["fastal_test_gate:margin", "random"]


def records_of(out):
    """{task file relative to out: records without timing fields}; every line must be valid."""
    found = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error", RecordWarning)
        for path in sorted(glob.glob(os.path.join(out, "records", "*", "*", "*.jsonl"))):
            records, n_bytes = read_records(path, *task_of_path(path))
            assert n_bytes == os.path.getsize(path)
            found[os.path.relpath(path, out)] = [
                {k: v for k, v in r.items() if k not in TIMING_FIELDS} for r in records]
    return found


def cli(out, strategies, n_jobs=1, seeds=len(SEEDS), rounds=SMALL["rounds"],
        batch=SMALL["batch"]):
    """The arguments of ``python -m fastal.experiment`` after the module name."""
    return ["--protocol", PROTOCOL, "--strategies", ",".join(strategies), "--seeds", str(seeds),
            "--rounds", str(rounds), "--batch", str(batch), "--out", out,
            "--n-jobs", str(n_jobs), "--no-progress"]


def cli_env(gate_dir, **extra):
    """The environment of the command lines: the gate module importable.

    margin and random use no kernels; the NumPy backend keeps a checkout
    without the compiled extension from adding an import warning to the
    stderr the tests read.
    """
    env = dict(os.environ, FASTAL_BACKEND="python", **extra)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(gate_dir), env.get("PYTHONPATH")]))
    return env


def wait_for(condition, proc):
    """Wait until condition() holds while proc runs; fail with its stderr if it ends first."""
    deadline = time.time() + DEADLINE
    while not condition():
        if proc.poll() is not None:
            pytest.fail(f"the run ended first (exit {proc.returncode}): {proc.stderr.read()}")
        if time.time() > deadline:
            proc.kill()
            pytest.fail("the run made no progress")
        time.sleep(0.01)


def lines_of(path):
    with open(path, "rb") as fh:
        return fh.read().splitlines(keepends=True)


def write_lines(path, lines):
    with open(path, "wb") as fh:
        fh.write(b"".join(lines))


@pytest.fixture(scope="module")
def clean(tmp_path_factory):
    """A finished run nothing happened to."""
    out = str(tmp_path_factory.mktemp("clean"))
    run([PROTOCOL], STRATEGIES, SEEDS, out, progress=False, n_jobs=1, **SMALL)
    return out


@pytest.fixture(scope="module")
def gate_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gate")
    (folder / "fastal_test_gate.py").write_text(GATE_MODULE)
    return folder


@pytest.fixture(scope="module")
def gated_clean(tmp_path_factory, gate_dir):
    """A finished run of the gated strategies with the gate open."""
    out = str(tmp_path_factory.mktemp("gated_clean"))
    sys.path.insert(0, str(gate_dir))
    try:
        run([PROTOCOL], GATED, SEEDS, out, progress=False, n_jobs=1, **SMALL)
    finally:
        sys.path.remove(str(gate_dir))
        sys.modules.pop("fastal_test_gate", None)
    return records_of(out)


@pytest.fixture
def copy(clean, tmp_path):
    """A copy of the clean run and its margin seed-0 task file."""
    out = str(tmp_path / "copy")
    shutil.copytree(clean, out)
    return out, task_path(out, PROTOCOL, "margin", 0)


def rerun(out, monkeypatch):
    """Run the clean run's command again into out; return the (file, round) pairs it wrote."""
    written = []
    original = runner_mod._append
    monkeypatch.setattr(runner_mod, "_append",
                        lambda path, record: (written.append((path, record["round"])),
                                              original(path, record)))
    run([PROTOCOL], STRATEGIES, SEEDS, out, progress=False, n_jobs=1, **SMALL)
    return written


def test_deleted_middle_line_is_recomputed_from_the_gap(copy, clean, monkeypatch):
    out, path = copy
    lines = lines_of(path)
    write_lines(path, lines[:2] + lines[3:])            # rounds 0, 1, 3
    inode = os.stat(path).st_ino
    message = re.escape(f"{path}, line 3: round 3 where round 2 belongs")
    with pytest.warns(RecordWarning, match=message):
        assert read_records(path, PROTOCOL, "margin", 0)[0] == \
            [json.loads(line) for line in lines[:2]]
    with pytest.warns(RecordWarning, match=message):
        written = rerun(out, monkeypatch)
    assert written == [(path, 2), (path, 3)]
    assert os.stat(path).st_ino != inode                # replaced, not truncated in place
    assert sorted(os.listdir(os.path.dirname(path))) == ["seed-0000.jsonl", "seed-0001.jsonl"]
    assert records_of(out) == records_of(clean)


def _rename_key(line):
    return line.replace(b'"accuracy"', b'"acc"')


def _drop_query_ids(line):
    record = json.loads(line)
    del record["query_ids"]
    return json.dumps(record).encode() + b"\n"


def _line_of(strategy, seed):
    return lambda out, line: lines_of(task_path(out, PROTOCOL, strategy, seed))[2]


@pytest.mark.parametrize("edit, what", [
    (lambda out, line: _rename_key(line), "missing field 'accuracy'"),
    (lambda out, line: _drop_query_ids(line), "missing field 'query_ids'"),
    (lambda out, line: b"garbage\n", "not valid JSON (Expecting value at column 1)"),
    (_line_of("margin", 1), "a record of seed 1 in the file of seed 0"),
    (_line_of("random", 0), "a record of strategy 'random' in the file of strategy 'margin'"),
    (lambda out, line: line.replace(b'"round": 2', b'"round": 1'),
     "round 1 where round 2 belongs"),
], ids=["wrong-key", "no-query-ids", "garbage", "other-seed", "other-strategy", "same-round"])
def test_bad_line_is_named_never_used_and_recomputed(copy, clean, monkeypatch, edit, what):
    out, path = copy
    lines = lines_of(path)
    lines[2] = edit(out, lines[2])
    write_lines(path, lines)
    message = re.escape(f"{path}, line 3: {what}; ignoring it and the 1 line after it")
    with pytest.warns(RecordWarning, match=message):
        rows = {r["strategy"]: r for r in summarize(out, PROTOCOL)}
    assert rows["margin"]["seeds"] == 1 and rows["random"]["seeds"] == 2
    with pytest.warns(RecordWarning, match=message):
        written = rerun(out, monkeypatch)
    assert written == [(path, 2), (path, 3)]
    assert records_of(out) == records_of(clean)


def test_duplicated_line_is_dropped(copy, clean, monkeypatch):
    out, path = copy
    lines = lines_of(path)
    write_lines(path, lines[:2] + lines[1:])            # rounds 0, 1, 1, 2, 3
    with pytest.warns(RecordWarning, match=re.escape(
            f"{path}, line 3: round 1 where round 2 belongs; ignoring it and the 2 lines")):
        assert rerun(out, monkeypatch) == [(path, 2), (path, 3)]
    assert records_of(out) == records_of(clean)


def test_torn_last_line_is_dropped_without_warning(copy, clean, monkeypatch):
    out, path = copy
    lines = lines_of(path)
    write_lines(path, lines[:3] + [lines[3][:20]])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RecordWarning)
        assert saved_rounds([PROTOCOL], STRATEGIES, SEEDS, out, **SMALL) == 15
        assert rerun(out, monkeypatch) == [(path, 3)]
    assert records_of(out) == records_of(clean)


@pytest.fixture
def start(tmp_path, gate_dir):
    """Start ``python -m fastal.experiment ARGS`` (or ``python -c CODE``) in a session of its own.

    Whatever of it still runs at the end of the test is killed, joblib workers
    included.  POSIX only: process groups, signals and the runner's locks.
    """
    if os.name == "nt":
        pytest.skip("needs POSIX process groups and signals")
    started = []

    def start(args, code=None, **env):
        command = [sys.executable] + (["-c", code] if code else ["-m", "fastal.experiment"] + args)
        proc = subprocess.Popen(command, cwd=tmp_path, env=cli_env(gate_dir, **env), text=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                start_new_session=True)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        proc.stderr.close()


def finish(proc):
    """Exit status and stderr of a started process once it ends."""
    _, stderr = proc.communicate(timeout=DEADLINE)
    return proc.returncode, stderr


def test_second_run_on_the_same_folder_fails_at_once(tmp_path, start, gated_clean):
    out, gate = str(tmp_path / "out"), str(tmp_path / "gate")
    first = start(cli(out, GATED), FASTAL_TEST_GATE=gate)
    wait_for(lambda: os.path.exists(gate + ".waiting"), first)    # first is mid-run
    status, stderr = finish(start(cli(out, GATED)))
    assert first.poll() is None                                   # second did not wait for it
    assert status == 1
    assert stderr == (f"python -m fastal.experiment: error: another fastal.experiment run is "
                      f"using {out} (pid {first.pid}); wait for it or use another --out\n")
    open(gate, "w").close()
    status, stderr = finish(first)
    assert status == 0, stderr
    assert records_of(out) == gated_clean


def test_lock_is_released_when_its_holder_is_killed(tmp_path, start, gated_clean):
    out, gate = str(tmp_path / "out"), str(tmp_path / "gate")
    first = start(cli(out, GATED), FASTAL_TEST_GATE=gate, FASTAL_TEST_HOLD_AFTER="2")
    wait_for(lambda: os.path.exists(gate + ".waiting"), first)    # two rounds saved
    first.kill()
    first.wait(timeout=DEADLINE)
    status, stderr = finish(start(cli(out, GATED)))
    assert status == 0, stderr
    planned = len(GATED) * len(SEEDS) * (SMALL["rounds"] + 1)
    assert f"resuming: 2 of {planned} rounds found in {out}\n" in stderr
    assert records_of(out) == gated_clean


def test_workers_left_by_a_killed_run_finish_their_task_first(tmp_path, start, gated_clean):
    out, gate = str(tmp_path / "out"), str(tmp_path / "gate")
    first = start(cli(out, GATED, n_jobs=2), FASTAL_TEST_GATE=gate, FASTAL_TEST_HOLD_AFTER="2")
    wait_for(lambda: os.path.exists(gate + ".waiting"), first)    # a worker mid-task
    first.kill()                            # its workers live on, one waiting at the gate
    first.wait(timeout=DEADLINE)
    second = start(cli(out, GATED))
    wait_for(lambda: runner_mod._lock_holder(os.path.join(out, ".lock")) == second.pid, second)
    assert second.poll() is None            # it cannot finish the task a worker still writes
    open(gate, "w").close()
    status, stderr = finish(second)
    assert status == 0, stderr
    assert records_of(out) == gated_clean


CTRL_C = dict(seeds=2, rounds=6, batch=20)


def from_resource_tracker(line):
    """Whether a line of stderr is a warning of joblib's resource tracker.

    That process of joblib's own, which outlives the run for a moment, now
    and then reports a semaphore as leaked after joblib killed the workers of
    an interrupted run.
    """
    return "resource_tracker" in line or line.strip() == "warnings.warn("


@pytest.fixture(scope="module")
def ctrl_c_clean(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("ctrl_c_clean"))
    run([PROTOCOL], STRATEGIES, CTRL_C["seeds"], out, progress=False, n_jobs=1,
        rounds=CTRL_C["rounds"], batch=CTRL_C["batch"])
    return records_of(out)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_ctrl_c_prints_one_line_and_the_rerun_resumes(tmp_path, start, ctrl_c_clean, n_jobs):
    out = str(tmp_path / "out")
    args = cli(out, STRATEGIES, n_jobs=n_jobs, **CTRL_C)
    count = lambda: saved_rounds([PROTOCOL], STRATEGIES, CTRL_C["seeds"], out,  # noqa: E731
                                 rounds=CTRL_C["rounds"], batch=CTRL_C["batch"])
    # A process started in the background (as test runners often are) inherits
    # SIGINT ignored, and Python keeps it ignored.  The child installs Python's
    # own handler, signal.default_int_handler, which turns SIGINT into
    # KeyboardInterrupt as Ctrl-C in a terminal does, before it runs the
    # command line: with SIG_DFL the outcome would depend on what Python makes
    # of an inherited disposition at startup.
    proc = start(None, code="import runpy, signal, sys; "
                            "signal.signal(signal.SIGINT, signal.default_int_handler); "
                            f"sys.argv = ['fastal.experiment'] + {args!r}; "
                            "runpy.run_module('fastal.experiment', run_name='__main__', "
                            "alter_sys=True)")
    wait_for(lambda: count() >= 1, proc)
    os.killpg(proc.pid, signal.SIGINT)      # Ctrl-C reaches the whole foreground job
    status, stderr = finish(proc)
    saved = count()
    assert status == 130
    assert stderr.startswith(
        f"interrupted; {saved} rounds saved — rerun the same command to resume\n")
    assert [line for line in stderr.splitlines()[1:] if not from_resource_tracker(line)] == []
    assert 1 <= saved < CTRL_C["seeds"] * len(STRATEGIES) * (CTRL_C["rounds"] + 1)
    status, stderr = finish(start(args))
    assert status == 0, stderr
    planned = CTRL_C["seeds"] * len(STRATEGIES) * (CTRL_C["rounds"] + 1)
    assert stderr.startswith(f"resuming: {saved} of {planned} rounds found in {out}\n")
    assert records_of(out) == ctrl_c_clean
