"""``python -m fastal.benchmark dask``: ``fastal.dask`` on a cluster against
single-process fastal, on the same data.

    python -m fastal.benchmark dask [--n 10000000] [--d 64] [--chunk-rows 250000]
        [--labeled 1000] [--batch 1000] [--workers 2] [--no-single]
        [--scheduler ADDRESS] [--json out.json]

The pool (n x d float32, standard normal) is generated chunk by chunk on the
workers (one NumPy Generator per chunk, seeded by the chunk's number) and
persisted there; the first ``--labeled`` rows are labeled (y = [x0 + x1 > 0])
and a scikit-learn ``LogisticRegression`` is fitted on them.  Timed on the
cluster: the uncertainty top-``batch`` (``next_batch(strategy="uncertainty")``)
and a ranked batch of ``batch`` (``next_batch(strategy="ranked")``: the model's
scores, the minimum distances to the labeled rows, then one round trip per
pick); the picks' share of the ranked batch is timed separately.  Then the
pool is computed into this process, released on the workers, and the same work
runs here with ``fastal.kernels.max_min_select`` (and the answers are
compared).

Printed: seconds, the peak resident memory of every worker on this host (its
process polled every 0.2 s) and of this process, the ratio dask / single
process, the overhead per pick ((dask - single) / picks), and the time of a
trivial task round trip and of a trivial call to an actor.

Without ``--scheduler`` a ``distributed.LocalCluster`` of ``--workers``
processes of one thread each is started, and closed before the single-process
runs; with it, the existing cluster is used as it is.
"""
import argparse
import contextlib
import json
import os
import socket
import statistics
import sys
import threading
import time

import numpy as np

from fastal.benchmark._measure import machine_info, measure, rss_bytes

FORMAT = "fastal-benchmark-dask/1"
INSTALL_HINT = 'pip install "fastal[dask]"'
TASK_ROUND_TRIPS = 50
ACTOR_CALLS = 200
POLL_SECONDS = 0.2
# rows of predict_proba per call in the single-process run
PROBA_ROWS = 1_000_000


# ------------------------------------------------------------------ the pool

def random_block(index, rows, d, seed):
    """Chunk ``index`` of the pool: ``rows`` x ``d`` float32 standard normal.

    Seeded by ``(seed, index)``, so a chunk is the same wherever it is made.
    """
    return np.random.default_rng([seed, index]).standard_normal((rows, d), dtype=np.float32)


def chunked_normal_pool(n, d, chunk_rows, seed=0):
    """A lazy ``n`` x ``d`` float32 dask array in chunks of ``chunk_rows`` rows.

    Every chunk is one task (:func:`random_block`), so the pool is generated on
    the workers and never passes through this process.
    """
    import dask
    import dask.array as da
    sizes = [min(chunk_rows, n - start) for start in range(0, n, chunk_rows)]
    chunks = [da.from_delayed(dask.delayed(random_block)(i, rows, d, seed), shape=(rows, d),
                              dtype=np.float32)
              for i, rows in enumerate(sizes)]
    return da.concatenate(chunks)


def labels_of(rows):
    """The benchmark's labels: 1 where x0 + x1 > 0, else 0."""
    return (rows[:, 0] + rows[:, 1] > 0).astype(int)


# ------------------------------------------------------------------ measuring

class WorkerMemoryPoller:
    """Peak resident memory of some processes of this host, polled in a thread.

    Parameters
    ----------
    pids : iterable of int
        Process ids; one that cannot be read keeps a peak of None.
    every : float
        Seconds between two polls.
    """

    def __init__(self, pids, every=POLL_SECONDS):
        import psutil
        self.processes = {}
        self.peak = {}
        for pid in pids:
            self.peak[pid] = None
            try:
                self.processes[pid] = psutil.Process(pid)
            except psutil.Error:
                pass
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self):
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.every)

    def sample(self):
        """Read every process's resident memory once and keep the peaks."""
        for pid, process in self.processes.items():
            try:
                rss = process.memory_info().rss
            except Exception:      # the process has gone away
                continue
            self.peak[pid] = rss if self.peak[pid] is None else max(self.peak[pid], rss)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.sample()


def timed(fn):
    """(seconds, peak resident bytes of this process or None, result) of ``fn()``."""
    before = rss_bytes()
    seconds, extra_mb, result = measure(fn, interval=0.02)
    peak = None if before is None or extra_mb is None else int(before + extra_mb * 1e6)
    return seconds, peak, result


def median_call_seconds(fn, calls):
    """Median wall-clock seconds of ``calls`` calls of ``fn()``."""
    seconds = []
    for _ in range(calls):
        t0 = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - t0)
    return statistics.median(seconds)


@contextlib.contextmanager
def pick_timer():
    """Record the seconds of every greedy pick of ``fastal.dask`` within the block.

    Yields the list the durations of ``fastal.dask``'s selection steps (one
    round trip to the workers per pick) are appended to.
    """
    import fastal.dask as fd
    durations = []
    step = fd._Selection.step

    def timed_step(selection):
        t0 = time.perf_counter()
        try:
            return step(selection)
        finally:
            durations.append(time.perf_counter() - t0)

    fd._Selection.step = timed_step
    try:
        yield durations
    finally:
        fd._Selection.step = step


def _host_and_pid():
    return socket.gethostname(), os.getpid()


def _noop():
    return None


class _Echo:
    """A trivial actor: the cost of one call is the cost of the round trip."""

    def ping(self):
        return None


def _max_or_none(values):
    values = [v for v in values if v is not None]
    return max(values) if values else None


def _ratio(a, b):
    return a / b if b > 0 else float("inf")


# ------------------------------------------------------------------ the work

def check_settings(n, d, chunk_rows, labeled, batch):
    """Raise ValueError for settings the benchmark cannot run with."""
    if d < 2:
        raise ValueError(f"--d must be at least 2 (the labels use the first two features), "
                         f"got {d}")
    if chunk_rows < 1:
        raise ValueError(f"--chunk-rows must be at least 1, got {chunk_rows}")
    if labeled < 2:
        raise ValueError(f"--labeled must be at least 2 (two classes for the model), got "
                         f"{labeled}")
    if batch < 1:
        raise ValueError(f"--batch must be at least 1, got {batch}")
    if labeled + batch > n:
        raise ValueError(f"--labeled + --batch ({labeled} + {batch}) must not exceed --n ({n})")


def run_dask_benchmark(client, *, n, d, chunk_rows, labeled, batch, single=True, out=print):
    """Time ``fastal.dask.next_batch`` on the cluster of ``client`` and the same work here.

    Parameters
    ----------
    client : distributed.Client
        The cluster to run on; it is made the current client for the work.
    n, d : int
        The pool's rows and features (float32, standard normal, generated on
        the workers; see :func:`chunked_normal_pool`).
    chunk_rows : int
        Rows per chunk of the pool.
    labeled : int
        The first ``labeled`` rows are labeled; the model is fitted on them.
    batch : int
        Rows of each query.
    single : bool
        Also compute the pool into this process, release it on the workers,
        and run the same queries here with ``fastal.kernels``.
    out : callable
        Called with every line of the report.

    Returns
    -------
    dict
        The figures of :func:`run_on_cluster` and, with ``single``, those of
        :func:`run_single_process` and :func:`compare_runs`.
    """
    results, X, model = run_on_cluster(client, n=n, d=d, chunk_rows=chunk_rows,
                                       labeled=labeled, batch=batch, fetch=single, out=out)
    if single:
        results.update(run_single_process(X, model, labeled, batch))
        compare_runs(results, out=out)
    results["settings"]["single"] = bool(single)
    return results


def run_on_cluster(client, *, n, d, chunk_rows, labeled, batch, fetch=True, out=print):
    """The cluster's half of :func:`run_dask_benchmark`.

    Parameters
    ----------
    client, n, d, chunk_rows, labeled, batch, out
        As for :func:`run_dask_benchmark`.
    fetch : bool
        Compute the pool into this process at the end (it is released on the
        workers when this function returns).

    Returns
    -------
    results : dict
        ``settings`` (the arguments, the workers and the backend) and the
        figures, in seconds and bytes: ``generate_s``, ``task_round_trip_s``
        and ``actor_call_s`` (medians), ``dask_uncertainty_s``,
        ``dask_ranked_s``, ``picks``, ``dask_picks_s``, ``dask_pick_s`` (per
        pick), ``dask_ranked_setup_s`` (scores, minimum distances and set-up),
        ``worker_peak_bytes`` (worker address: peak, None for a worker not on
        this host), ``client_peak_bytes`` (this process), the ids picked,
        ``dask_uncertainty_ids`` and ``dask_ranked_ids``, and with ``fetch``
        ``fetch_s``.  Memory that cannot be read is None.
    X : ndarray (n, d) or None
        The pool, with ``fetch``.
    model : sklearn.linear_model.LogisticRegression
        Fitted on the labeled rows.
    """
    check_settings(n, d, chunk_rows, labeled, batch)
    from sklearn.linear_model import LogisticRegression

    import fastal
    import fastal.dask as fd

    threads = client.nthreads()
    settings = {"n": n, "d": d, "chunk_rows": chunk_rows, "labeled": labeled, "batch": batch,
                "workers": len(threads), "worker_threads": sorted(set(threads.values())),
                "scheduler": client.scheduler.address, "backend": fastal.get_backend()}
    per_worker = "/".join(str(t) for t in settings["worker_threads"]) or "0"
    out(f"pool {n:,} x {d} float32 ({n * d * 4 / 2**30:.2f} GiB), chunks of {chunk_rows:,} "
        f"rows, {labeled} labeled, batch {batch}, {len(threads)} workers x {per_worker} "
        f"thread(s), backend {settings['backend']}, {os.cpu_count()} CPUs")
    results = {"settings": settings}
    client_peaks = []
    X = None

    with client.as_current():
        here = socket.gethostname()
        located = client.run(_host_and_pid)
        local_pids = {address: pid for address, (host, pid) in located.items() if host == here}
        with WorkerMemoryPoller(local_pids.values()) as memory:
            results["generate_s"], peak, pool = timed(
                lambda: _persisted(client, chunked_normal_pool(n, d, chunk_rows)))
            client_peaks.append(peak)
            out(f"generate + persist on the workers: {results['generate_s']:.2f} s")

            labeled_mask = np.zeros(n, dtype=bool)
            labeled_mask[:labeled] = True
            X_labeled = pool[:labeled].compute()
            y_labeled = labels_of(X_labeled)
            if np.unique(y_labeled).size < 2:
                raise ValueError(f"the first {labeled} rows hold one class only; raise --labeled")
            model = LogisticRegression().fit(X_labeled, y_labeled)

            results["task_round_trip_s"] = median_call_seconds(
                lambda: client.submit(_noop, pure=False).result(), TASK_ROUND_TRIPS)
            echo_future = client.submit(_Echo, actor=True)
            echo = echo_future.result()
            results["actor_call_s"] = median_call_seconds(lambda: echo.ping().result(),
                                                          ACTOR_CALLS)
            del echo, echo_future
            out(f"trivial task round trip: {results['task_round_trip_s'] * 1e3:.2f} ms "
                f"(median of {TASK_ROUND_TRIPS}); trivial actor call: "
                f"{results['actor_call_s'] * 1e3:.2f} ms (median of {ACTOR_CALLS})")

            results["dask_uncertainty_s"], peak, dask_uncertainty = timed(
                lambda: fd.next_batch(pool, labeled_mask, model, batch, strategy="uncertainty"))
            client_peaks.append(peak)
            out(f"dask uncertainty top-{batch}: {results['dask_uncertainty_s']:.2f} s")

            with pick_timer() as pick_seconds:
                results["dask_ranked_s"], peak, dask_ranked = timed(
                    lambda: fd.next_batch(pool, labeled_mask, model, batch, strategy="ranked"))
            client_peaks.append(peak)
            picks = len(pick_seconds)
            results["picks"] = picks
            results["dask_picks_s"] = float(sum(pick_seconds))
            results["dask_pick_s"] = results["dask_picks_s"] / max(1, picks)
            results["dask_ranked_setup_s"] = results["dask_ranked_s"] - results["dask_picks_s"]
            out(f"dask ranked batch of {batch}: {results['dask_ranked_s']:.2f} s, of which the "
                f"{picks} picks {results['dask_picks_s']:.2f} s "
                f"({results['dask_pick_s'] * 1e3:.2f} ms per pick) and the scores, minimum "
                f"distances and set-up {results['dask_ranked_setup_s']:.2f} s")
        results["worker_peak_bytes"] = {address: memory.peak.get(local_pids.get(address))
                                        for address in located}
        for i, (address, peak) in enumerate(results["worker_peak_bytes"].items()):
            shown = "n/a (not on this host)" if peak is None else f"{peak / 2**30:.2f} GiB"
            out(f"worker {i} ({address}): peak resident memory {shown}")
        results["dask_uncertainty_ids"] = [int(i) for i in dask_uncertainty]
        results["dask_ranked_ids"] = [int(i) for i in dask_ranked]
        if fetch:
            results["fetch_s"], peak, X = timed(pool.compute)
            client_peaks.append(peak)
            out(f"computed the pool into this process: {results['fetch_s']:.2f} s")
    results["client_peak_bytes"] = _max_or_none(client_peaks)
    return results, X, model


def _persisted(client, array):
    """``array`` persisted on the cluster of ``client``, once every chunk is there."""
    import distributed
    array = client.persist(array)
    distributed.wait(array)
    return array


def run_single_process(X, model, labeled, batch):
    """The cluster's two queries in this process, on the computed pool ``X``.

    Parameters
    ----------
    X : ndarray (n, d)
        The pool; its first ``labeled`` rows are the labeled ones.
    model : fitted classifier with ``predict_proba``
    labeled, batch : int

    Returns
    -------
    dict
        ``single_threads``, ``single_scores_s`` (``predict_proba`` of the
        unlabeled rows), ``single_uncertainty_s`` (scores and the top
        ``batch``), ``single_max_min_select_s``, ``single_ranked_s`` (scores
        and ``max_min_select``), ``single_peak_bytes`` (this process, None
        where it cannot be read), ``single_uncertainty_ids`` and
        ``single_ranked_ids`` (pool row indices).
    """
    import fastal
    from fastal import kernels

    unlabeled = X[labeled:]

    def probabilities():
        return np.concatenate([np.asarray(model.predict_proba(unlabeled[i:i + PROBA_ROWS]),
                                          dtype=np.float64)
                               for i in range(0, unlabeled.shape[0], PROBA_ROWS)])

    scores_s, scores_peak, p = timed(probabilities)
    largest = p.max(axis=1)

    def top_uncertain():
        return np.lexsort((np.arange(largest.shape[0]), largest))[:batch]

    top_s, top_peak, top = timed(top_uncertain)
    select_s, select_peak, picks = timed(
        lambda: kernels.max_min_select(unlabeled, X[:labeled], batch, scores=1.0 - largest))
    return {"single_threads": fastal.resolve_n_threads(None),
            "single_scores_s": scores_s,
            "single_uncertainty_s": scores_s + top_s,
            "single_max_min_select_s": select_s,
            "single_ranked_s": scores_s + select_s,
            "single_peak_bytes": _max_or_none([scores_peak, top_peak, select_peak]),
            "single_uncertainty_ids": [int(i) + labeled for i in top],
            "single_ranked_ids": [int(i) + labeled for i in picks]}


def compare_runs(results, out=print):
    """Add the comparisons of the two runs to ``results`` and print them.

    ``results`` holds the figures of :func:`run_on_cluster` and of
    :func:`run_single_process`; added: ``same_uncertainty`` and
    ``same_ranked`` (the same ids in the same order), ``uncertainty_ratio``
    and ``ranked_ratio`` (dask / single process) and ``overhead_per_pick_s``
    ((dask - single) / batch).
    """
    batch = results["settings"]["batch"]
    results["same_uncertainty"] = results["single_uncertainty_ids"] == \
        results["dask_uncertainty_ids"]
    results["same_ranked"] = results["single_ranked_ids"] == results["dask_ranked_ids"]
    results["uncertainty_ratio"] = _ratio(results["dask_uncertainty_s"],
                                          results["single_uncertainty_s"])
    results["ranked_ratio"] = _ratio(results["dask_ranked_s"], results["single_ranked_s"])
    results["overhead_per_pick_s"] = (results["dask_ranked_s"] - results["single_ranked_s"]) \
        / batch
    peak = results["single_peak_bytes"]
    shown = "n/a" if peak is None else f"{peak / 2**30:.2f} GiB"
    out(f"single process ({results['single_threads']} kernel threads): uncertainty "
        f"top-{batch} {results['single_uncertainty_s']:.2f} s, ranked batch "
        f"{results['single_ranked_s']:.2f} s (scores {results['single_scores_s']:.2f} s + "
        f"max_min_select {results['single_max_min_select_s']:.2f} s); peak resident memory "
        f"of this process {shown}")
    out(f"same picks: uncertainty {results['same_uncertainty']}, ranked "
        f"{results['same_ranked']}")
    out(f"dask / single process: uncertainty {results['uncertainty_ratio']:.2f}x, ranked "
        f"batch {results['ranked_ratio']:.2f}x; overhead per pick (dask - single) / {batch} = "
        f"{results['overhead_per_pick_s'] * 1e3:.2f} ms")


# ------------------------------------------------------------------ records

def benchmark_document(results, machine):
    """The ``--json`` record: the format, the machine, the settings and every figure."""
    figures = {key: value for key, value in results.items() if key != "settings"}
    return {"format": FORMAT, "machine": machine, "settings": results["settings"],
            "figures": figures}


def write_document(path, document):
    """Write a record as indented JSON (NaN and infinity as JSON's extensions)."""
    with open(path, "w") as fh:
        json.dump(document, fh, indent=1)


# ------------------------------------------------------------------ main

def build_parser():
    """The options of ``python -m fastal.benchmark dask``."""
    parser = argparse.ArgumentParser(
        prog="python -m fastal.benchmark dask",
        description="fastal.dask on a cluster (a local one by default) against "
                    "single-process fastal on the same data: generation, uncertainty and "
                    "ranked batches, round trips, and the workers' memory.")
    parser.add_argument("--n", type=int, default=10_000_000, help="rows of the pool")
    parser.add_argument("--d", type=int, default=64, help="features of the pool (at least 2)")
    parser.add_argument("--chunk-rows", type=int, default=250_000, help="rows per chunk")
    parser.add_argument("--labeled", type=int, default=1000,
                        help="labeled rows (the first ones); the model is fitted on them")
    parser.add_argument("--batch", type=int, default=1000, help="rows of each query")
    parser.add_argument("--workers", type=int, default=2,
                        help="worker processes of the local cluster, one thread each "
                             "(ignored with --scheduler)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="use the cluster of this scheduler (e.g. tcp://host:8786) "
                             "instead of starting a local one")
    parser.add_argument("--no-single", action="store_true",
                        help="skip the single-process comparison")
    parser.add_argument("--json", default=None, metavar="PATH",
                        help="write the machine, the settings and every figure here")
    return parser


def _import_dask(parser):
    """``distributed``, or a parser error (exit status 2) naming the extra to install."""
    try:
        import dask.array  # noqa: F401
        import distributed
        import psutil  # noqa: F401
    except ImportError as exc:
        parser.error(f"needs dask and distributed ({exc}); install them with {INSTALL_HINT}")
    return distributed


def main(argv=None):
    """Run the benchmark; 0 on success (a usage error exits with status 2)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error(f"--workers must be at least 1, got {args.workers}")
    try:
        check_settings(args.n, args.d, args.chunk_rows, args.labeled, args.batch)
    except ValueError as exc:
        parser.error(str(exc))
    distributed = _import_dask(parser)
    shape = dict(n=args.n, d=args.d, chunk_rows=args.chunk_rows, labeled=args.labeled,
                 batch=args.batch)
    single = not args.no_single
    if args.scheduler is not None:
        with distributed.Client(args.scheduler) as client:
            results = run_dask_benchmark(client, single=single, **shape)
        results["settings"]["local_cluster"] = False
    else:
        with distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1,
                                      processes=True, dashboard_address=None) as cluster, \
                distributed.Client(cluster) as client:
            results, X, model = run_on_cluster(client, fetch=single, **shape)
        # the cluster is closed: the single-process runs have the machine to themselves
        if single:
            results.update(run_single_process(X, model, args.labeled, args.batch))
            compare_runs(results)
        results["settings"]["local_cluster"] = True
    results["settings"]["single"] = single
    if args.json:
        write_document(args.json, benchmark_document(results, machine_info()))
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
