"""QUIRE: fastal's kept state against recomputing libact's formula at every query.

Each run builds a pool of n rows (10 features, 20 labeled), then performs
``--queries`` rounds of query + label and times three implementations of the
same scores:

* fastal's ``QUIRE``: K + lambda I is factored once, the rest is updated per
  label (O(n^2)) and each query is three n x n matrix-vector products;
* "direct": the same closed form, but everything that depends on the labeled
  set -- M, det(L[U, U]) -- recomputed at every query (O(u^3) per query);
* "libact loop": libact's algorithm as written, one candidate at a time with
  a (u-1) x (u-1) matrix per candidate (O(u^3) per query with large
  constants).  It is timed on ``--libact-candidates`` candidates per query and
  extrapolated linearly to the whole pool (each candidate does the same work);
  ``--full-libact`` runs every candidate instead.

When libact itself can be imported, its ``QUIRE._get_scores`` is timed for
one query as well (at the smallest n only).

    python bench/bench_quire.py [--n 2000 5000] [--queries 10] [--repeat 1]
"""
import argparse
import time

import numpy as np
from sklearn.metrics.pairwise import rbf_kernel

from fastal.base.dataset import Dataset
from fastal.query_strategies.quire import QUIRE

N_FEATURES = 10
N_LABELED = 20
GAMMA = 0.1


def make_pool(n, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, N_FEATURES))
    y = np.where(X[:, 0] + 0.5 * rng.normal(size=n) > 0, 1.0, -1.0)
    return X, y


class DirectQUIRE:
    """libact's state (K and L once) with everything else recomputed per query."""

    def __init__(self, X, labeled, y, lmbda=1.0, gamma=GAMMA):
        self.K = rbf_kernel(X, X, gamma=gamma)
        self.L = np.linalg.inv(self.K + lmbda * np.eye(len(X)))
        self.lmbda = lmbda
        self.labeled = labeled.copy()
        self.y = y.copy()

    def update(self, entry_id, label):
        self.labeled[entry_id] = True
        self.y[entry_id] = label

    def _prepare(self):
        U = np.flatnonzero(~self.labeled)
        Lb = np.flatnonzero(self.labeled)
        K, L, lmbda = self.K, self.L, self.lmbda
        det = np.linalg.det(L[np.ix_(U, U)])
        M = lmbda * np.eye(len(U)) + K[np.ix_(U, U)] - K[np.ix_(U, Lb)] @ K[np.ix_(Lb, U)] / lmbda
        a = L[np.ix_(U, Lb)] @ self.y[Lb]
        return U, Lb, det, M, a

    def scores(self):
        """Closed form (see fastal.query_strategies.quire), state recomputed."""
        U, _, det, M, a = self._prepare()
        P = self.L[np.ix_(U, U)]
        p, m = np.diag(P).copy(), np.diag(M).copy()
        np.fill_diagonal(P, 0.0)
        np.fill_diagonal(M, 0.0)
        b = M @ a + m * a
        tmp = a - (P @ b - a * (P * M.T).sum(axis=1))
        tmp += (1.0 / m) * (M * M).sum(axis=0) * P.sum(axis=1) * (a.sum() - a)
        return U, -(p - det / p + 2.0 * np.abs(tmp))

    def libact_loop_seconds(self, n_candidates=None):
        """Seconds libact's per-candidate loop takes: the shared part (det, M) measured
        once, the loop on the first ``n_candidates`` candidates scaled to all of them."""
        t0 = time.perf_counter()
        U, Lb, det, M, a = self._prepare()
        shared = time.perf_counter() - t0
        L = self.L
        y = self.y[Lb]
        measured = len(U) if n_candidates is None else min(n_candidates, len(U))
        t0 = time.perf_counter()
        eva = []
        for pos in range(measured):
            i = U[pos]
            rest = np.delete(np.arange(len(U)), pos)
            r = U[rest]
            inner = M[np.ix_(rest, rest)] - (M[rest, pos] @ M[rest, pos]) / M[pos, pos]
            tmp = (L[i, Lb] - (L[i, r] @ inner) @ L[np.ix_(r, Lb)]) @ y
            eva.append(L[i, i] - det / L[i, i] + 2.0 * abs(tmp))
        loop = time.perf_counter() - t0
        return shared + loop * len(U) / measured


def run_fastal(X, y, labeled, queries):
    ds = Dataset(X, [y[i] if labeled[i] else None for i in range(len(y))])
    t0 = time.perf_counter()
    qs = QUIRE(ds, gamma=GAMMA)
    build = time.perf_counter() - t0
    asked, query_time, update_time = [], 0.0, 0.0
    for _ in range(queries):
        t0 = time.perf_counter()
        ask = int(qs.make_query())
        t1 = time.perf_counter()
        ds.update(ask, y[ask])
        t2 = time.perf_counter()
        query_time += t1 - t0
        update_time += t2 - t1
        asked.append(ask)
    return asked, build, query_time, update_time, qs


def run_direct(X, y, labeled, queries, asked_by_fastal):
    t0 = time.perf_counter()
    qs = DirectQUIRE(X, labeled, y)
    build = time.perf_counter() - t0
    asked, query_time, worst = [], 0.0, 0.0
    for step in range(queries):
        t0 = time.perf_counter()
        U, scores = qs.scores()
        ask = int(U[np.argmax(scores)])
        query_time += time.perf_counter() - t0
        asked.append(ask)
        qs.update(asked_by_fastal[step], y[asked_by_fastal[step]])
    return asked, build, query_time, qs


def time_libact_loop(X, y, labeled, queries, asked, n_candidates):
    qs = DirectQUIRE(X, labeled, y)
    total = 0.0
    for step in range(queries):
        total += qs.libact_loop_seconds(n_candidates)
        qs.update(asked[step], y[asked[step]])
    return total


def time_libact_itself(X, y, labeled):
    try:
        from libact.base.dataset import Dataset as LibactDataset
        from libact.query_strategies import QUIRE as LibactQUIRE
    except ImportError:
        return None
    ds = LibactDataset(X, [y[i] if labeled[i] else None for i in range(len(y))])
    qs = LibactQUIRE(ds, gamma=GAMMA)
    t0 = time.perf_counter()
    qs._get_scores()
    return time.perf_counter() - t0


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, nargs="+", default=[2000, 5000])
    parser.add_argument("--queries", type=int, default=10)
    parser.add_argument("--libact-candidates", type=int, default=20)
    parser.add_argument("--full-libact", action="store_true")
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs of fastal and of direct; the fastest of each is shown")
    args = parser.parse_args(argv)
    n_candidates = None if args.full_libact else args.libact_candidates
    X, y = make_pool(200)                    # warm-up: imports, BLAS threads, first calls
    warm = np.arange(200) < N_LABELED
    run_fastal(X, y, warm, 2)
    run_direct(X, y, warm, 2, [N_LABELED, N_LABELED + 1])
    for n in args.n:
        X, y = make_pool(n)
        labeled = np.zeros(n, dtype=bool)
        labeled[:N_LABELED] = True
        # the fastest of --repeat runs of each (the machine may be shared)
        runs = [run_fastal(X, y, labeled, args.queries) for _ in range(args.repeat)]
        asked, f_build, f_query, f_update, qs = min(runs, key=lambda r: sum(r[1:4]))
        fastal_total = f_build + f_query + f_update
        runs = [run_direct(X, y, labeled, args.queries, asked) for _ in range(args.repeat)]
        d_asked, d_build, d_query, direct = min(runs, key=lambda r: r[1] + r[2])
        direct_total = d_build + d_query
        # agreement on the final state
        ids, fast_scores = qs._get_scores()
        _, ref = direct.scores()
        rel = np.abs(fast_scores - ref).max() / np.abs(ref).max()
        libact_loop = time_libact_loop(X, y, labeled, args.queries, asked, n_candidates)
        how = "every candidate" if n_candidates is None else \
            f"{n_candidates} candidates per query, extrapolated"
        print(f"n={n} features={N_FEATURES} labeled at start={N_LABELED} queries={args.queries} "
              f"(label after each)")
        print(f"  fastal QUIRE     {fastal_total:9.2f} s  (build {f_build:.2f} s, "
              f"{f_query / args.queries * 1e3:.0f} ms per query, "
              f"{f_update / args.queries * 1e3:.0f} ms per label)")
        print(f"  direct per query {direct_total:9.2f} s  (build {d_build:.2f} s, "
              f"{d_query / args.queries * 1e3:.0f} ms per query)   "
              f"ratio {direct_total / fastal_total:.1f}x; "
              f"queries only {d_query / (f_query + f_update):.1f}x")
        print(f"  libact loop      {d_build + libact_loop:9.1f} s  ({how}: "
              f"{libact_loop / args.queries:.1f} s per query)   "
              f"ratio {(d_build + libact_loop) / fastal_total:.0f}x; "
              f"queries only {libact_loop / (f_query + f_update):.0f}x")
        print(f"  same queries: {asked == d_asked}; max |score difference| / max |score| "
              f"= {rel:.1e}")
        if n == min(args.n):
            libact_time = time_libact_itself(X, y, labeled)
            if libact_time is not None:
                print(f"  libact QUIRE._get_scores, one query: {libact_time:.1f} s")
            else:
                print("  (libact not importable: its own QUIRE was not timed)")


if __name__ == "__main__":
    main()
