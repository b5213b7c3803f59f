"""Running protocols: one resumable task per protocol x strategy x seed.

Every round appends one JSON line (a record) to
``OUT/records/<protocol>/<strategy>/seed-<seed>.jsonl`` with a single write
followed by fsync.  A line cut short by a kill has no newline and is dropped
when the file is read back; a rerun replays the recorded queries and goes on
from the first missing round.  Each round builds its strategy afresh with a
random state derived from (seed, strategy, round), so a resumed task gives the
same records as one that was never interrupted.

Every line read back is checked (see ``read_records``).  At the first line
that is not the next record of its task, a ``RecordWarning`` names the file
and the line; that line and the ones after it are not used.  Before going
on, the runner replaces the file by one holding only the valid lines (a
temporary file in the same folder, then ``os.replace``) and recomputes the
rounds it dropped.

A run holds an exclusive lock on ``OUT/.lock`` (``output_lock``) while it
writes, so a second run on the same folder stops at once with
``OutputInUseError``.  Each task also holds a lock of its own under
``OUT/.locks/``: a worker process left running by a killed run finishes the
task it is on before a new run touches that task's file.  The operating
system releases these locks when their process ends, however it ends.  Where
``fcntl`` is missing (Windows) no lock is taken: there, do not start two runs
on one output folder.
"""
import contextlib
import json
import math
import os
import shutil
import signal
import tempfile
import threading
import time
import warnings
import zlib

import numpy as np

from fastal.base.dataset import Dataset
from fastal.experiment.oracles import noisy_labels
from fastal.experiment.models import model_from_spec
from fastal.experiment.protocols import Protocol, get_protocol
from fastal.experiment.stopping import StopAfterLabels, StopOnBudget, any_of, parse_stop
from fastal.experiment.strategies import get_strategy

try:
    import fcntl
except ImportError:  # Windows: runs are not locked
    fcntl = None

__all__ = ["run", "run_task", "read_records", "saved_rounds", "task_path", "task_of_path",
           "output_lock", "is_finished", "RecordWarning", "OutputInUseError", "TIMING_FIELDS"]

TIMING_FIELDS = ("fit_seconds", "query_seconds")

# the fields of a record and what each must hold
_FIELDS = {"protocol": "a string", "config": "an object", "strategy": "a string",
           "seed": "an integer", "round": "an integer", "n_labeled": "an integer",
           "accuracy": "a finite number", "full_accuracy": "a finite number",
           "query_ids": "an array", "fit_seconds": "a finite number",
           "query_seconds": "a finite number"}
_IDENTITY = ("protocol", "strategy", "seed")
_LOCK_NAME = ".lock"
_HELD = {}   # real path of an output folder -> pid of this process while it holds its lock


class RecordWarning(RuntimeWarning):
    """A task file holds a line that is not the next record of its task."""


class OutputInUseError(RuntimeError):
    """Another process is running an experiment into the same output folder."""


def _task_name(protocol, strategy, seed):
    return os.path.join(protocol, strategy, f"seed-{seed:04d}")


def task_path(out, protocol, strategy, seed):
    """The records file of one protocol x strategy x seed task in ``out``."""
    return os.path.join(out, "records", _task_name(protocol, strategy, seed) + ".jsonl")


def task_of_path(path):
    """``(protocol, strategy, seed)`` of a ``task_path``; None for a part the path lacks.

    Examples
    --------
    >>> task_of_path(task_path("out", "digits", "margin", 7))
    ('digits', 'margin', 7)
    """
    folder, name = os.path.split(path)
    folder, strategy = os.path.split(folder)
    protocol = os.path.basename(folder)
    seed = None
    if name.startswith("seed-") and name.endswith(".jsonl"):
        with contextlib.suppress(ValueError):
            seed = int(name[len("seed-"):-len(".jsonl")])
    return protocol or None, strategy or None, seed


# ---------------------------------------------------------------- reading back

def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def _is_finite_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) \
        and math.isfinite(value)


_KINDS = {"a string": lambda v: isinstance(v, str), "an object": lambda v: isinstance(v, dict),
          "an array": lambda v: isinstance(v, list), "an integer": _is_int,
          "a finite number": _is_finite_number}


def _parse(line):
    """(record, None) for a line holding a JSON object with every field of a record,
    else (None, what is wrong with it)."""
    if not line.strip():
        return None, "empty line"
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON ({exc.msg} at column {exc.colno})"
    except UnicodeDecodeError:
        return None, "not UTF-8 text"
    if not isinstance(record, dict):
        return None, "valid JSON but not an object"
    missing = [key for key in _FIELDS if key not in record]
    if missing:
        return None, f"missing field{'s' * (len(missing) > 1)} {', '.join(map(repr, missing))}"
    for key, kind in _FIELDS.items():
        if not _KINDS[kind](record[key]):
            value = json.dumps(record[key])
            value = value if len(value) <= 40 else value[:37] + "..."
            return None, f"{key!r} is {value}, not {kind}"
    if not all(_is_int(i) and i >= 0 for i in record["query_ids"]):
        return None, "'query_ids' holds something other than row numbers"
    if "stopped" in record and not isinstance(record["stopped"], bool):
        return None, "'stopped' is not true or false"
    if "cost_spent" in record and not _is_finite_number(record["cost_spent"]):
        return None, "'cost_spent' is not a finite number"
    return record, None


def _config_problem(record):
    """What makes the configuration of a task's first record unusable (None if nothing)."""
    config = record["config"]
    if config.get("name") != record["protocol"]:
        return f"'config' names protocol {config.get('name')!r}, the record {record['protocol']!r}"
    for key in ("rounds", "batch", "initial"):
        if not _is_int(config.get(key)) or config[key] < 1:
            return f"'config' has no positive integer {key!r}"
    return None


def _sequence_problem(record, task, previous):
    """What keeps ``record`` from following ``previous`` (None for the first) in ``task``."""
    for key in _IDENTITY:
        if record[key] != task[key]:
            return f"a record of {key} {record[key]!r} in the file of {key} {task[key]!r}"
    if record["config"] != task["config"]:
        return f"a record of another configuration ({record['config']})"
    if previous is not None and previous.get("stopped"):
        return f"a record after round {previous['round']}, where the task stopped"
    rnd = 0 if previous is None else previous["round"] + 1
    rounds = task["config"]["rounds"]
    if record["round"] != rnd:
        return f"round {record['round']} where round {rnd} belongs"
    if rnd > rounds:
        return f"round {rnd} of a task of {rounds} rounds"
    n_labeled = task["config"]["initial"] if previous is None else \
        previous["n_labeled"] + len(previous["query_ids"])
    if record["n_labeled"] != n_labeled:
        return f"round {rnd} with {record['n_labeled']} labels where {n_labeled} belong"
    if rnd == rounds and record["query_ids"]:
        return f"queries in round {rnd}, the last one"
    if record.get("stopped") and record["query_ids"]:
        return f"queries in round {rnd}, where the task stopped"
    return None


def is_finished(records):
    """Whether a task's records are complete: every round, or up to a stopping criterion."""
    return bool(records) and (records[-1].get("stopped", False)
                              or len(records) == records[0]["config"]["rounds"] + 1)


def _scan(data, protocol=None, strategy=None, seed=None):
    """Check the complete lines of a task file's content.

    Parameters
    ----------
    data : bytes
        The content of a task file.
    protocol, strategy, seed : optional
        The task; each one not given is taken from the first record.

    Returns
    -------
    records : list of dict
        The records before the first bad line.
    end : int
        Byte length of their lines.
    problem : tuple or None
        ``(line number (1-based), what is wrong, number of complete lines
        after it)`` for the first bad line; None when every complete line is
        good.
    """
    lines = data[:data.rfind(b"\n") + 1].split(b"\n")[:-1]
    task = {"protocol": protocol, "strategy": strategy, "seed": seed}
    records, end = [], 0
    for number, line in enumerate(lines, 1):
        record, problem = _parse(line)
        if record is not None and not records:
            task = {key: record[key] if value is None else value for key, value in task.items()}
            task["config"] = record["config"]
            problem = _config_problem(record)
        if problem is None:
            problem = _sequence_problem(record, task, records[-1] if records else None)
        if problem is not None:
            return records, end, (number, problem, len(lines) - number)
        records.append(record)
        end += len(line) + 1
    return records, end, None


def _read_bytes(path):
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        return b""


def _warn_bad_line(path, problem, then):
    number, what, after = problem
    rest = f" and the {after} line{'s' * (after != 1)} after it" if after else ""
    warnings.warn(f"{path}, line {number}: {what}; ignoring it{rest}{then}", RecordWarning,
                  stacklevel=3)


def read_records(path, protocol=None, strategy=None, seed=None):
    """The valid records of a task file and the byte length they occupy.

    Parameters
    ----------
    path : str
        A task file (see ``task_path``); a missing one holds no records.
    protocol, strategy, seed : optional
        The task the file belongs to; each one not given is taken from the
        first record.

    Returns
    -------
    records : list of dict
        The records before the first line that is not the next record of the
        task: not a JSON object with every field of a record and the right
        types, of another protocol, strategy, seed or configuration, or out
        of round order.  A last line without newline (cut short by a kill)
        is not read.
    n_bytes : int
        Byte length of the lines of ``records``.

    Warns
    -----
    RecordWarning
        Naming the file and the line, when a bad line ends the records early.
    """
    records, end, problem = _scan(_read_bytes(path), protocol, strategy, seed)
    if problem:
        _warn_bad_line(path, problem, "")
    return records, end


# ---------------------------------------------------------------- writing

def _append(path, record):
    line = (json.dumps(record, sort_keys=True) + "\n").encode()
    with open(path, "ab") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())


def _replace_file(path, data):
    """Give the file ``path`` the content ``data`` in one step (temporary file + os.replace)."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        shutil.copymode(path, tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _config_change(old, new):
    """What differs between two task configurations, in words."""
    if old.get("data") != new.get("data") and "data" in old and "data" in new:
        return "the data changed since (its checksum differs)"
    keys = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
    return ", ".join(f"{k}: {old.get(k)!r} then, {new.get(k)!r} now" for k in keys)


def _load_task(path, protocol, strategy, seed, config):
    """The valid records of a task file, after rewriting it to hold only them."""
    data = _read_bytes(path)
    records, end, problem = _scan(data, protocol, strategy, seed)
    if records and records[0]["config"] != config:
        raise ValueError(f"{path} holds results of another configuration "
                         f"({_config_change(records[0]['config'], config)}); use another "
                         "output folder, or the configuration it was run with")
    if problem:
        _warn_bad_line(path, problem, "; those rounds are recomputed")
    if end < len(data):
        _replace_file(path, data[:end])
    return records


# ---------------------------------------------------------------- locking

def _lock_holder(path):
    """The pid written in a lock file, or None."""
    try:
        with open(path) as fh:
            return int(fh.read(32).strip())
    except (OSError, ValueError):
        return None


@contextlib.contextmanager
def _locked(path, wait):
    """Hold ``fcntl.flock`` on the file ``path`` (created; it gets this pid) in a ``with`` block.

    Yields False, having taken nothing, when another process holds the lock
    and ``wait`` is false.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield True
    finally:
        os.close(fd)       # releases the lock


@contextlib.contextmanager
def output_lock(out):
    """Hold the lock of the output folder ``out`` (created if missing) in a ``with`` block.

    The lock is ``fcntl.flock`` on ``out/.lock``, which holds the pid of its
    holder; the operating system releases it when the process ends.  It is
    re-entrant within a process: a ``with`` inside another one for the same
    folder takes nothing more.  Without ``fcntl`` (Windows) it does nothing.

    Raises
    ------
    OutputInUseError
        When another process holds the lock.
    """
    os.makedirs(out, exist_ok=True)
    key = os.path.realpath(out)
    if fcntl is None or _HELD.get(key) == os.getpid():
        yield
        return
    path = os.path.join(out, _LOCK_NAME)
    with _locked(path, wait=False) as taken:
        if not taken:
            pid = _lock_holder(path)
            holder = f" (pid {pid})" if pid else ""
            raise OutputInUseError(f"another fastal.experiment run is using {out}{holder}; "
                                   "wait for it or use another --out")
        _HELD[key] = os.getpid()
        try:
            yield
        finally:
            del _HELD[key]


@contextlib.contextmanager
def _task_lock(out, name):
    """Hold the lock of one task's records in a ``with`` block.

    The lock of ``out`` keeps other runs away; this one also waits for a
    worker process of a killed run that is still finishing the task.
    """
    if fcntl is None:
        yield
        return
    path = os.path.join(out, ".locks", name + ".lock")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with _locked(path, wait=True):
        yield


# ---------------------------------------------------------------- running

def round_seed(seed, strategy, rnd):
    """A random-state seed for one round of one task, independent of history."""
    return int(np.random.SeedSequence([seed, zlib.crc32(strategy.encode()), rnd]).generate_state(1)[0])


def _task_config(protocol, noise):
    """What identifies a task's results besides protocol, strategy and seed."""
    return dict(protocol.config(), noise=noise)


def run_task(protocol, strategy, seed, out, factory=None, noise=0.0):
    """Run (or finish) one protocol x strategy x seed task; return its records.

    The lock of ``out`` is held meanwhile (see ``output_lock``); a bad line
    in the task file is reported as in ``run``.
    """
    with output_lock(out):
        return _run_task(protocol, strategy, seed, out, factory or get_strategy(strategy), noise)


def _run_task(protocol, strategy, seed, out, factory, noise):
    with _task_lock(out, _task_name(protocol.name, strategy, seed)):
        return _run_task_locked(protocol, strategy, seed, out, factory, noise)


def _run_task_locked(protocol, strategy, seed, out, factory, noise):
    path = task_path(out, protocol.name, strategy, seed)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    config = _task_config(protocol, noise)
    records = _load_task(path, protocol.name, strategy, seed, config)
    if is_finished(records):
        return records
    X_pool, y_pool, X_test, y_test, initial = protocol.split(seed)
    answers = noisy_labels(y_pool, noise, seed) if noise else y_pool
    stop = any_of(*protocol.stop) if protocol.stop else None
    cost = protocol.pool_cost(seed)
    labeled = [int(i) for i in initial]
    history = []
    for rec in records:
        history.append((rec["n_labeled"], rec["accuracy"],
                        float(cost[labeled[len(initial):]].sum())))
        labeled.extend(rec["query_ids"])
    test = Dataset(X_test, y_test)
    if records:
        full_accuracy = records[0]["full_accuracy"]
    else:
        full_model = protocol.make_model()
        full_model.train(Dataset(X_pool, answers))
        full_accuracy = float(full_model.score(test))
    for rnd in range(len(records), protocol.rounds + 1):
        labels = [None] * len(y_pool)
        for i in labeled:
            labels[i] = answers[i]
        ds = Dataset(X_pool, labels)
        model = protocol.make_model()
        t0 = time.perf_counter()
        model.train(ds)
        fit_seconds = time.perf_counter() - t0
        accuracy = float(model.score(test))
        spent = float(cost[labeled[len(initial):]].sum())
        history.append((len(labeled), accuracy, spent))
        stopped = rnd < protocol.rounds and stop is not None and stop(history)
        query_ids, query_seconds = [], 0.0
        if rnd < protocol.rounds and not stopped:
            batch = _batch_within_budget(protocol, len(labeled))
            t0 = time.perf_counter()
            qs = factory(ds, protocol.make_model, round_seed(seed, strategy, rnd))
            query_ids = [int(i) for i in np.atleast_1d(qs.make_query(n_instances=batch))]
            query_seconds = time.perf_counter() - t0
            query_ids = _queries_within_cost(protocol, query_ids, cost, spent)
            stopped = not query_ids
            labeled.extend(query_ids)
        record = {"protocol": protocol.name, "config": config, "strategy": strategy, "seed": seed,
                  "round": rnd, "n_labeled": len(labeled) - len(query_ids),
                  "accuracy": accuracy, "full_accuracy": full_accuracy,
                  "query_ids": query_ids, "fit_seconds": fit_seconds,
                  "query_seconds": query_seconds}
        if protocol.stop or protocol.cost is not None:
            record["cost_spent"] = spent
        if stopped:
            record["stopped"] = True
        _append(path, record)
        records.append(record)
        if stopped:
            break
    return records


def _batch_within_budget(protocol, n_labeled):
    """The batch of the next round: the protocol's, cut so that no labels budget is passed."""
    budgets = [c.n_labels for c in protocol.stop if isinstance(c, StopAfterLabels)]
    return max(1, min([protocol.batch] + [b - n_labeled for b in budgets]))


def _queries_within_cost(protocol, query_ids, cost, spent):
    """The longest first part of ``query_ids`` that stays within every cost budget."""
    budgets = [c.budget for c in protocol.stop if isinstance(c, StopOnBudget)]
    if not budgets:
        return query_ids
    room = min(budgets) - spent
    total = np.cumsum(cost[query_ids])
    return query_ids[:int(np.searchsorted(total, room, side="right"))]


def _task(protocol, strategy, seed, out, factory, noise, parent):
    """One task of ``run``, which holds the lock of ``out`` for it in process ``parent``.

    A worker process ignores Ctrl-C: the parent stops the workers when it
    is interrupted, and a worker taking it between two tasks would print a
    traceback of its own.
    """
    from threadpoolctl import threadpool_limits
    if os.getpid() != parent and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        # committees re-draw bootstrap bags that miss a class; with ten classes and
        # few labels that is the rule, not news worth a warning per round
        warnings.filterwarnings("ignore", message="QueryByCommittee: bootstrap bags",
                                category=UserWarning)
        _run_task(protocol, strategy, seed, out, factory, noise)
    return protocol.name, strategy, seed


def _prepared(protocol, rounds, batch, initial, stop, model):
    """One protocol of ``run`` with the run's overrides, model and stopping criteria."""
    protocol = get_protocol(protocol, batch=batch, initial=initial)
    if model is not None:
        if isinstance(model, str):
            model = model_from_spec(model)
        protocol = protocol.with_model(model)
    criteria = parse_stop(stop)
    for c in criteria:
        if isinstance(c, StopAfterLabels) and c.n_labels <= protocol.initial:
            raise ValueError(f"the labels budget ({c.n_labels}) must be larger than the "
                             f"initial labels ({protocol.initial}) of protocol "
                             f"{protocol.name!r}")
    budgets = [c.n_labels for c in criteria if isinstance(c, StopAfterLabels)]
    if rounds is None and budgets:
        # enough rounds to spend the budget
        rounds = -(-(min(budgets) - protocol.initial) // protocol.batch)
    protocol = protocol.with_changes(rounds=rounds)
    if criteria:
        settings = dict(protocol.settings, stop=" ".join(c.spec() for c in criteria))
        protocol = protocol.with_changes(stop=criteria, settings=tuple(sorted(settings.items())))
    return protocol


def _plan(protocols, strategies, seeds, noise, rounds, batch, initial, stop=None, model=None):
    """Check the arguments of ``run``; return the protocols, seeds and strategy factories."""
    if isinstance(seeds, (int, np.integer)):
        if seeds < 1:
            raise ValueError(f"seeds must be at least 1, got {seeds}")
        seeds = list(range(int(seeds)))
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("no seeds given")
    if not strategies:
        raise ValueError("no strategies given")
    if not 0.0 <= noise < 1.0:
        raise ValueError(f"noise must be in [0, 1), got {noise}")
    if isinstance(protocols, (str, Protocol)):
        protocols = [protocols]
    built = [_prepared(p, rounds, batch, initial, stop, model) for p in protocols]
    names = [p.name for p in built]
    if len(set(names)) != len(names):
        raise ValueError(f"two protocols share a name ({names}); results are stored by name")
    factories = {s: get_strategy(s) for s in strategies}
    return built, seeds, factories


def saved_rounds(protocols, strategies, seeds, out, noise=0.0, rounds=None, batch=None,
                 initial=None, stop=None, model=None):
    """How many rounds of the tasks of a ``run`` call ``out`` holds already.

    Takes the arguments of ``run``; counts the valid records (see
    ``read_records``) of the tasks' configuration, changes nothing and warns
    about nothing.

    Raises
    ------
    ValueError
        For arguments ``run`` refuses.
    """
    return _round_counts(protocols, strategies, seeds, out, noise, rounds, batch, initial,
                         stop, model)[0]


def _round_counts(protocols, strategies, seeds, out, noise=0.0, rounds=None, batch=None,
                  initial=None, stop=None, model=None):
    """``(saved, planned)``: the rounds of a ``run`` call that ``out`` holds, and all of them.

    A task that stopped early plans the rounds it recorded."""
    built, seeds, _ = _plan(protocols, strategies, seeds, noise, rounds, batch, initial, stop,
                            model)
    saved = planned = 0
    for protocol in built:
        config = _task_config(protocol, noise)
        for strategy in strategies:
            for seed in seeds:
                data = _read_bytes(task_path(out, protocol.name, strategy, seed))
                records, _, _ = _scan(data, protocol.name, strategy, seed)
                if records and records[0]["config"] == config:
                    saved += len(records)
                    if records[-1].get("stopped"):
                        planned += len(records)
                        continue
                planned += protocol.rounds + 1
    return saved, planned


def run(protocols, strategies, seeds, out, n_jobs=None, noise=0.0, progress=True,
        rounds=None, batch=None, initial=None, stop=None, model=None):
    """Run every protocol x strategy x seed task into ``out`` (resuming finished work).

    Parameters
    ----------
    protocols : list of protocol names (see ``PROTOCOLS``) or ``Protocol`` objects
        (one's own data: ``Protocol.from_arrays``, ``Protocol.from_file``)
    strategies : list of strategy names (see ``STRATEGIES``) or ``module:factory``
    seeds : int (seeds 0..n-1) or list of ints
    out : output folder
    n_jobs : parallel tasks (joblib); None = number of CPUs
    noise : label flip rate of the simulated oracle (0 = ideal)
    rounds, batch, initial : override the protocols' values
    stop : stopping criteria (see ``fastal.experiment.stopping.parse_stop``)
        A task stops once any of them says so; a labels or cost budget is
        never passed (the last batch is cut to fit).  With a labels budget
        and ``rounds`` not given, the rounds are those that spend it.
    model : "package.module:name", a ``ModelSpec`` or a factory of fastal models
        Replaces the protocols' model (see ``fastal.experiment.ModelSpec``).

    Returns
    -------
    list of the built Protocol objects.

    Raises
    ------
    OutputInUseError
        When another process runs into ``out`` (see ``output_lock``).

    Warns
    -----
    RecordWarning
        For a task file with a bad line, which is recomputed with the lines
        after it (see ``read_records``).
    """
    from joblib import Parallel, delayed
    from tqdm.auto import tqdm

    built, seeds, factories = _plan(protocols, strategies, seeds, noise, rounds, batch, initial,
                                    stop, model)
    for protocol in built:            # fail early on sizes that cannot fit the pool
        protocol.split(seeds[0])
    tasks = [(p, s, seed) for p in built for s in strategies for seed in seeds]
    jobs = (delayed(_task)(p, s, seed, out, factories[s], noise, os.getpid())
            for p, s, seed in tasks)
    n_jobs = n_jobs or os.cpu_count() or 1
    with output_lock(out):
        bar = tqdm(total=len(tasks), desc="seed x strategy", disable=not progress, unit="task")
        with bar:
            if n_jobs == 1:
                for job in jobs:
                    job[0](*job[1], **job[2])
                    bar.update()
            else:
                for _ in Parallel(n_jobs=n_jobs, return_as="generator_unordered")(jobs):
                    bar.update()
    return built
