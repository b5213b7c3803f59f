"""Running protocols: one resumable task per protocol x strategy x seed.

Every round appends one JSON line (a record) to
``OUT/records/<protocol>/<strategy>/seed-<seed>.jsonl`` with a single write
followed by fsync.  A line cut short by a kill has no newline and is dropped
when the file is read back; a rerun replays the recorded queries and goes on
from the first missing round.  Each round builds its strategy afresh with a
random state derived from (seed, strategy, round), so a resumed task gives the
same records as one that was never interrupted.
"""
import json
import os
import time
import zlib

import numpy as np

from fastal.base.dataset import Dataset
from fastal.experiment.oracles import noisy_labels
from fastal.experiment.protocols import get_protocol
from fastal.experiment.strategies import get_strategy

__all__ = ["run", "run_task", "read_records", "task_path", "TIMING_FIELDS"]

TIMING_FIELDS = ("fit_seconds", "query_seconds")


def task_path(out, protocol, strategy, seed):
    return os.path.join(out, "records", protocol, strategy, f"seed-{seed:04d}.jsonl")


def read_records(path):
    """The complete records of a task file and the byte length they occupy."""
    if not os.path.exists(path):
        return [], 0
    with open(path, "rb") as fh:
        data = fh.read()
    end = data.rfind(b"\n") + 1
    records = []
    for line in data[:end].splitlines():
        if line.strip():
            records.append(json.loads(line))
    return records, end


def _append(path, record):
    line = (json.dumps(record, sort_keys=True) + "\n").encode()
    with open(path, "ab") as fh:
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())


def round_seed(seed, strategy, rnd):
    """A random-state seed for one round of one task, independent of history."""
    return int(np.random.SeedSequence([seed, zlib.crc32(strategy.encode()), rnd]).generate_state(1)[0])


def run_task(protocol, strategy, seed, out, factory=None, noise=0.0):
    """Run (or finish) one protocol x strategy x seed task; return its records."""
    factory = factory or get_strategy(strategy)
    path = task_path(out, protocol.name, strategy, seed)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    records, valid_bytes = read_records(path)
    config = dict(protocol.config(), noise=noise)
    for rec in records:
        if rec["config"] != config:
            raise ValueError(f"{path} holds results of another configuration ({rec['config']}); "
                             "use another output folder")
    if os.path.exists(path) and os.path.getsize(path) != valid_bytes:
        with open(path, "r+b") as fh:   # drop a torn last line before appending
            fh.truncate(valid_bytes)
    if len(records) == protocol.rounds + 1:
        return records
    X_pool, y_pool, X_test, y_test, initial = protocol.split(seed)
    answers = noisy_labels(y_pool, noise, seed) if noise else y_pool
    labeled = [int(i) for i in initial]
    for rec in records:
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
        query_ids, query_seconds = [], 0.0
        if rnd < protocol.rounds:
            t0 = time.perf_counter()
            qs = factory(ds, protocol.make_model, round_seed(seed, strategy, rnd))
            query_ids = [int(i) for i in np.atleast_1d(qs.make_query(n_instances=protocol.batch))]
            query_seconds = time.perf_counter() - t0
            labeled.extend(query_ids)
        record = {"protocol": protocol.name, "config": config, "strategy": strategy, "seed": seed,
                  "round": rnd, "n_labeled": len(labeled) - len(query_ids),
                  "accuracy": accuracy, "full_accuracy": full_accuracy,
                  "query_ids": query_ids, "fit_seconds": fit_seconds,
                  "query_seconds": query_seconds}
        _append(path, record)
        records.append(record)
    return records


def _task(protocol, strategy, seed, out, factory, noise):
    import logging

    from threadpoolctl import threadpool_limits
    # committees re-draw bootstrap bags that miss a class; with ten classes and
    # few labels that is the rule, not news worth a warning per bag
    logging.getLogger("fastal.query_strategies.query_by_committee").setLevel(logging.ERROR)
    with threadpool_limits(limits=1):
        run_task(protocol, strategy, seed, out, factory, noise)
    return protocol.name, strategy, seed


def run(protocols, strategies, seeds, out, n_jobs=None, noise=0.0, progress=True,
        rounds=None, batch=None, initial=None):
    """Run every protocol x strategy x seed task into ``out`` (resuming finished work).

    Parameters
    ----------
    protocols : list of protocol names (see ``PROTOCOLS``)
    strategies : list of strategy names (see ``STRATEGIES``) or ``module:factory``
    seeds : int (seeds 0..n-1) or list of ints
    out : output folder
    n_jobs : parallel tasks (joblib); None = number of CPUs
    noise : label flip rate of the simulated oracle (0 = ideal)
    rounds, batch, initial : override the protocols' values

    Returns
    -------
    list of the built Protocol objects.
    """
    from joblib import Parallel, delayed
    from tqdm.auto import tqdm

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
    built = [get_protocol(p, rounds=rounds, batch=batch, initial=initial) for p in protocols]
    factories = {s: get_strategy(s) for s in strategies}
    for protocol in built:            # fail early on sizes that cannot fit the pool
        protocol.split(seeds[0])
    tasks = [(p, s, seed) for p in built for s in strategies for seed in seeds]
    jobs = (delayed(_task)(p, s, seed, out, factories[s], noise) for p, s, seed in tasks)
    n_jobs = n_jobs or os.cpu_count() or 1
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
