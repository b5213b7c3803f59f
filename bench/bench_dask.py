"""fastal.dask on a local 2-worker cluster against single-process fastal, same data.

    python bench/bench_dask.py [--n 10000000] [--d 64] [--chunk-rows 250000]
                               [--labeled 1000] [--batch 1000] [--workers 2]
                               [--no-single]

The pool (n x d float32, standard normal) is generated chunk by chunk on the
workers (one NumPy Generator per chunk, seeded by the chunk's number) and
persisted there; the first ``--labeled`` rows are labeled (y = [x0 + x1 > 0])
and a scikit-learn LogisticRegression is fitted on them.  Timed on the
cluster: uncertainty top-``batch`` (``next_batch(strategy="uncertainty")``)
and a ranked batch of ``batch`` (``next_batch(strategy="ranked")``: the
model's scores, the minimum distances to the labeled rows, then one round
trip per pick); the picks' share of the ranked batch is timed separately.
Then the same work in this process on the computed array with
``fastal.kernels.max_min_select`` (and the same answers checked).  Printed:
seconds, peak resident memory of every worker (its process polled every 0.2 s)
and of this process, the ratio dask / single process, the overhead per pick
((dask - single) / picks) and the time of a trivial task round trip and of a
trivial call to an actor.
"""
import argparse
import os
import resource
import threading
import time

import numpy as np


def _block(i, rows, d, seed):
    return np.random.default_rng([seed, i]).standard_normal((rows, d), dtype=np.float32)


def make_pool(n, d, chunk_rows, seed=0):
    import dask
    import dask.array as da
    sizes = [min(chunk_rows, n - start) for start in range(0, n, chunk_rows)]
    parts = [da.from_delayed(dask.delayed(_block)(i, rows, d, seed), shape=(rows, d),
                             dtype=np.float32) for i, rows in enumerate(sizes)]
    return da.concatenate(parts)


class MemoryPoller:
    """Peak resident memory of some processes, polled in a thread."""

    def __init__(self, pids, every=0.2):
        import psutil
        self.procs = {pid: psutil.Process(pid) for pid in pids}
        self.peak = {pid: 0 for pid in pids}
        self.every = every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            for pid, proc in self.procs.items():
                try:
                    self.peak[pid] = max(self.peak[pid], proc.memory_info().rss)
                except Exception:     # the process went away
                    pass
            self._stop.wait(self.every)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def _noop():
    return None


class _Echo:
    def ping(self):
        return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--d", type=int, default=64)
    parser.add_argument("--chunk-rows", type=int, default=250_000)
    parser.add_argument("--labeled", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-single", action="store_true",
                        help="skip the single-process comparison")
    args = parser.parse_args(argv)

    import dask.array as da  # noqa: F401
    import distributed
    from sklearn.linear_model import LogisticRegression

    import fastal
    import fastal.dask as fd
    from fastal import kernels

    n, d, L, b = args.n, args.d, args.labeled, args.batch
    print(f"pool {n:,} x {d} float32 ({n * d * 4 / 2**30:.2f} GiB), chunks of "
          f"{args.chunk_rows:,} rows, {L} labeled, batch {b}, {args.workers} workers x 1 "
          f"thread, backend {fastal.get_backend()}, {os.cpu_count()} CPUs")
    with distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        pids = client.run(os.getpid)
        with MemoryPoller(pids.values()) as mem:
            t = time.perf_counter()
            X = make_pool(n, d, args.chunk_rows).persist()
            distributed.wait(X)
            t_gen = time.perf_counter() - t
            print(f"generate + persist on the workers: {t_gen:.2f} s")

            labeled = np.zeros(n, dtype=bool)
            labeled[:L] = True
            X_lab = X[:L].compute()
            y_lab = (X_lab[:, 0] + X_lab[:, 1] > 0).astype(int)
            model = LogisticRegression().fit(X_lab, y_lab)

            rounds = []
            for _ in range(50):
                t = time.perf_counter()
                client.submit(_noop, pure=False).result()
                rounds.append(time.perf_counter() - t)
            echo_future = client.submit(_Echo, actor=True)
            echo = echo_future.result()
            calls = []
            for _ in range(200):
                t = time.perf_counter()
                echo.ping().result()
                calls.append(time.perf_counter() - t)
            del echo, echo_future
            print(f"trivial task round trip: {np.median(rounds) * 1e3:.2f} ms (median of 50); "
                  f"trivial actor call: {np.median(calls) * 1e3:.2f} ms (median of 200)")

            t = time.perf_counter()
            unc = fd.next_batch(X, labeled, model, b, strategy="uncertainty")
            t_unc = time.perf_counter() - t
            print(f"dask uncertainty top-{b}: {t_unc:.2f} s")

            step_times = []
            step = fd._Selection.step

            def timed_step(selection):
                t0 = time.perf_counter()
                try:
                    return step(selection)
                finally:
                    step_times.append(time.perf_counter() - t0)

            fd._Selection.step = timed_step
            try:
                t = time.perf_counter()
                ranked = fd.next_batch(X, labeled, model, b, strategy="ranked")
                t_ranked = time.perf_counter() - t
            finally:
                fd._Selection.step = step
            t_picks = sum(step_times)
            print(f"dask ranked batch of {b}: {t_ranked:.2f} s, of which the {len(step_times)} "
                  f"picks {t_picks:.2f} s ({t_picks / max(1, len(step_times)) * 1e3:.2f} ms "
                  f"per pick) and the scores, minimum distances and set-up "
                  f"{t_ranked - t_picks:.2f} s")
        for i, (addr, pid) in enumerate(pids.items()):
            print(f"worker {i} ({addr}): peak resident memory {mem.peak[pid] / 2**30:.2f} GiB")

        if args.no_single:
            return
        t = time.perf_counter()
        Xn = X.compute()
        print(f"computed the pool into this process: {time.perf_counter() - t:.2f} s")
    # the cluster is closed: the single-process runs have the machine to themselves
    pool = Xn[L:]
    t = time.perf_counter()
    p = np.concatenate([model.predict_proba(pool[i:i + 1_000_000])
                        for i in range(0, pool.shape[0], 1_000_000)])
    t_proba = time.perf_counter() - t
    score = -p.max(axis=1)
    order = np.lexsort((np.arange(pool.shape[0]), -score))[:b]
    t_unc1 = time.perf_counter() - t
    u = 1.0 - p.max(axis=1)
    t = time.perf_counter()
    picks = kernels.max_min_select(pool, Xn[:L], b, scores=u)
    t_mm = time.perf_counter() - t
    t_ranked1 = t_proba + t_mm
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"single process ({fastal.resolve_n_threads(None)} kernel threads): uncertainty "
          f"top-{b} {t_unc1:.2f} s, ranked batch {t_ranked1:.2f} s (scores {t_proba:.2f} s + "
          f"max_min_select {t_mm:.2f} s); peak resident memory of this process "
          f"{rss:.2f} GiB")
    print(f"same picks: uncertainty {np.array_equal(order + L, unc)}, ranked "
          f"{np.array_equal(picks + L, ranked)}")
    print(f"dask / single process: uncertainty {t_unc / t_unc1:.2f}x, ranked batch "
          f"{t_ranked / t_ranked1:.2f}x; overhead per pick (dask - single) / {b} = "
          f"{(t_ranked - t_ranked1) / b * 1e3:.2f} ms")


if __name__ == "__main__":
    main()
