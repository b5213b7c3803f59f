"""Multiclass strategies: fastal against loop restatements of libact's algorithms.

Three parts; each also checks that the two give the same results:

* HierarchicalSampling -- n rows in 10 Gaussian classes (10 features), 20
  labeled; the tree is built, then ``--hs-queries`` rounds of query + label,
  then ``report_all_label``.  The loop version keeps libact's data
  structures: a per-leaf walk up the tree for sizes and depths, a Python list
  of pruning nodes searched with ``in``, class-by-class loops per node,
  recursive leaf listing.  Both build the same Ward tree (scipy), which
  dominates construction (its time is in both builds).
* EER -- a pool of ``--eer-pool`` iris-like rows (3 classes) with
  ``LogisticRegression(solver='liblinear', multi_class='ovr')``; one query.
  The loop version retrains a ``deepcopy`` of the model per candidate and
  label and scores it, as libact does.  Nearly all the time is the k u model
  fits, which fastal keeps; it runs them in parallel with ``n_jobs`` (timed
  after the worker processes have started).
* ActiveLearningWithCostEmbedding -- the MDS of a random ``--alce-classes``
  x ``--alce-classes`` cost matrix (8 starts, up to 300 iterations, libact's
  defaults) and ``--alce-queries`` queries.  The loop version runs the 8 starts
  one after the other with scikit-learn's ``euclidean_distances`` and
  ``IsotonicRegression`` at every iteration, as libact does.

If libact itself can be imported (it needs ``six``), its classes are timed too.

    python bench/bench_multiclass.py [--hs-n 6000] [--hs-queries 4000] [--eer-pool 200]
                                     [--alce-classes 16] [--alce-queries 20] [--repeat 1]
"""
import argparse
import copy
import os
import time
import warnings

import numpy as np
from sklearn.cluster import AgglomerativeClustering
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LinearRegression
from sklearn.metrics import euclidean_distances
from sklearn.neighbors import NearestNeighbors

from fastal.base.dataset import Dataset
from fastal.models import LogisticRegression
from fastal.query_strategies.multiclass import EER, ActiveLearningWithCostEmbedding, \
    HierarchicalSampling

N_CLASSES_HS = 10


def best_of(repeat, fn):
    """(seconds of the fastest run, its result)."""
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        runs.append((time.perf_counter() - t0, out))
    return min(runs, key=lambda r: r[0])


def gaussian_classes(n, n_classes, d, seed=0):
    rng = np.random.RandomState(seed)
    centres = 3.0 * rng.randn(n_classes, d)
    y = rng.randint(0, n_classes, size=n)
    return centres[y] + rng.randn(n, d), y


# =============================================================================
# Hierarchical sampling, libact's way
# =============================================================================

class LoopHS:
    """Hierarchical sampling with libact's data structures and loops."""

    def __init__(self, X, labels, n_classes, seed):
        children = AgglomerativeClustering().fit(X).children_
        self.rs = np.random.RandomState(seed)
        n = len(children) + 1
        self.n, self.m, self.k = n, 2 * n - 1, n_classes
        m = self.m
        self.parent = np.full(m, -1)
        for i, (a, b) in enumerate(children):
            self.parent[a] = self.parent[b] = n + i
        self.left = np.concatenate([np.full(n, -1), children[:, 0]])
        self.right = np.concatenate([np.full(n, -1), children[:, 1]])
        self.size = np.zeros(m, int)
        self.depth = np.zeros(m, int)
        for leaf in range(n):
            node, d = leaf, 0
            while node != -1:
                self.size[node] += 1
                self.depth[node] = max(self.depth[node], d)
                d += 1
                node = self.parent[node]
        self.count = np.zeros((m, n_classes), int)
        self.total = np.zeros(m, int)
        self.upper = np.ones((m, n_classes))
        self.lower = np.zeros((m, n_classes))
        self.admissible = np.zeros((m, n_classes), bool)
        self.best = np.full(m, -1)
        self.split = np.zeros(m, bool)
        self.cost = self.size.copy()
        self.prunings = [m - 1]
        for i, label in enumerate(labels):
            if label is not None:
                self.update(i, label)

    def root_pruning(self, node):
        while node != -1 and node not in self.prunings:
            node = self.parent[node]
        return node

    def leaves(self, node):
        if self.size[node] == 1:
            return [node]
        return self.leaves(self.left[node]) + self.leaves(self.right[node])

    def update(self, entry, c):
        root = self.root_pruning(entry)
        node = entry
        while node != -1:
            s = self.size[node]
            self.count[node, c] += 1
            self.total[node] += 1
            t = self.total[node]
            for lab in range(self.k):
                f = self.count[node, lab] / t
                fs = 1.0 - t / s
                delta = fs / t + np.sqrt(fs * f * (1. - f) / t)
                self.lower[node][lab] = max(self.count[node][lab], f * s - delta * s)
                self.upper[node][lab] = min(s - (t - self.count[node, lab]), f * s + delta * s)
            top = 0
            for lab in range(self.k):
                self.admissible[node, lab] = True
                for other in range(self.k):
                    if lab != other and self.lower[node, lab] <= 2 * self.upper[node, other] - s:
                        self.admissible[node, lab] = False
                if self.admissible[node, lab] and self.count[node, lab] > top:
                    top = self.count[node, lab]
                    self.best[node] = lab
            b = self.best[node]
            basic = s - self.lower[node][b] if b != -1 else s
            if s == 1:
                self.cost[node] = basic
            else:
                split_cost = self.cost[self.left[node]] + self.cost[self.right[node]]
                if split_cost < basic and b != -1:
                    self.cost[node] = split_cost
                    self.split[node] = True
                else:
                    self.cost[node] = basic
            if node == root:
                break
            node = self.parent[node]
        self.prunings.remove(root)
        stack = [root]
        while stack:
            node = stack.pop()
            if self.split[node]:
                stack += [self.left[node], self.right[node]]
            else:
                self.prunings.append(node)

    def query(self):
        weights = []
        for p in self.prunings:
            b = self.best[p]
            weights.append(self.size[p] if b == -1 else self.size[p] - self.lower[p][b])
        weights = weights / sum(weights)
        node = self.rs.choice(self.prunings, p=weights)
        while self.size[node] > 1:
            unseen = self.size[node] - self.total[node]
            a = self.left[node]
            node = a if self.rs.rand() < (self.size[a] - self.total[a]) / unseen \
                else self.right[node]
        return int(node)

    def report_all(self):
        out = np.empty(self.n, int)
        for p in self.prunings:
            b = self.best[p] if self.best[p] != -1 else (
                self.best[self.parent[p]] if self.parent[p] != -1 else 0)
            out[self.leaves(p)] = b
        return out


def bench_hs(n, queries, repeat, libact):
    X, y = gaussian_classes(n, N_CLASSES_HS, 10)
    init = [int(y[i]) if i < 20 else None for i in range(n)]

    def run_fastal():
        ds = Dataset(X, init)
        t0 = time.perf_counter()
        qs = HierarchicalSampling(ds, list(range(N_CLASSES_HS)), random_state=0)
        build = time.perf_counter() - t0
        asked = []
        for _ in range(queries):
            ask = qs.make_query()
            ds.update(ask, int(y[ask]))
            asked.append(ask)
        t1 = time.perf_counter()
        report = qs.report_all_label()
        return build, asked, report, time.perf_counter() - t1

    def run_loop():
        t0 = time.perf_counter()
        qs = LoopHS(X, init, N_CLASSES_HS, 0)
        build = time.perf_counter() - t0
        asked = []
        for _ in range(queries):
            ask = qs.query()
            qs.update(ask, int(y[ask]))
            asked.append(ask)
        t1 = time.perf_counter()
        report = qs.report_all()
        return build, asked, report, time.perf_counter() - t1

    f_total, (f_build, f_asked, f_report, f_rep) = best_of(repeat, run_fastal)
    l_total, (l_build, l_asked, l_report, l_rep) = best_of(repeat, run_loop)
    f_rest, l_rest = f_total - f_build - f_rep, l_total - l_build - l_rep
    same = f_asked == l_asked and np.array_equal(f_report, l_report)
    print(f"HierarchicalSampling  n={n} (10 classes, 10 features, 20 labeled), "
          f"{queries} queries + labels, report_all_label")
    print(f"  fastal                      {f_total:8.2f} s  (build with the Ward tree "
          f"{f_build:.2f} s, queries + labels {f_rest:.3f} s, report {f_rep * 1e3:.2f} ms)")
    print(f"  libact loop                 {l_total:8.2f} s  (build with the Ward tree "
          f"{l_build:.2f} s, queries + labels {l_rest:.3f} s, report {l_rep * 1e3:.2f} ms)")
    print(f"  ratio: total {l_total / f_total:.1f}x; build {l_build / f_build:.1f}x; queries + "
          f"labels {l_rest / f_rest:.1f}x; report {l_rep / f_rep:.0f}x; "
          f"same queries and report: {same}")
    if libact is not None:
        def run_libact():
            ds = libact["Dataset"](X, init)
            qs = libact["HierarchicalSampling"](ds, list(range(N_CLASSES_HS)), random_state=0)
            asked = []
            for _ in range(queries):
                ask = qs.make_query()
                ds.update(ask, int(y[ask]))
                asked.append(int(ask))
            qs.report_all_label()
            return asked
        seconds, asked = best_of(repeat, run_libact)
        print(f"  libact itself               {seconds:8.2f} s  ratio {seconds / f_total:.1f}x; "
              f"same queries: {asked == f_asked}")


# =============================================================================
# EER, libact's way
# =============================================================================

def loop_eer_errors(model, dataset, loss):
    X, y = dataset.get_labeled_entries()
    ids, pool = dataset.get_unlabeled_entries()
    model.train(dataset)
    proba = model.predict_proba(pool)
    errors = []
    for i, x in enumerate(pool):
        terms = []
        for label in range(len(np.unique(y))):
            clone = copy.deepcopy(model)
            clone.train(Dataset(np.vstack((X, [x])), list(y) + [label]))
            p = clone.predict_proba(pool)
            if loss == "01":
                terms.append(proba[i, label] * np.sum(1 - np.max(p, axis=1)))
            else:
                terms.append(proba[i, label] * -np.sum(p * np.log(p)))
        errors.append(np.sum(terms))
    return ids, np.array(errors)


def bench_eer(pool, repeat, jobs, libact):
    X, y = gaussian_classes(pool + 6, 3, 4, seed=1)
    labels = [int(v) if i < 6 else None for i, v in enumerate(y)]
    make_model = lambda: LogisticRegression(solver="liblinear", multi_class="ovr")  # noqa: E731
    ds = Dataset(X, labels)
    l_time, (ids, ref) = best_of(repeat, lambda: loop_eer_errors(make_model(), ds, "log"))
    print(f"EER  pool {pool} rows (4 features, 3 classes, 6 labeled), LogisticRegression "
          f"liblinear one-vs-rest, log loss, one query ({3 * pool} model fits)")
    print(f"  libact loop                 {l_time:8.2f} s")
    for n_jobs in jobs:
        if n_jobs != 1:     # start the worker processes first (once per session)
            EER(Dataset(X[:12], labels[:12]), make_model(), n_jobs=n_jobs).expected_errors()
        qs = EER(ds, make_model(), loss="log", n_jobs=n_jobs)
        f_time, (_, errors) = best_of(repeat, qs.expected_errors)
        print(f"  fastal n_jobs={n_jobs:<3}          {f_time:8.2f} s  ratio "
              f"{l_time / f_time:.2f}x; same errors bit for bit: {np.array_equal(errors, ref)}")
    if libact is not None:
        libact_ds = libact["Dataset"](X, labels)
        qs = libact["EER"](libact_ds, libact["ovr_model"](), loss="log", random_state=0)
        seconds, ask = best_of(repeat, qs.make_query)
        print(f"  libact itself               {seconds:8.2f} s  ratio {seconds / l_time:.2f}x "
              f"the loop; its query is a smallest error: {int(ask) in set(ids[ref == ref.min()])}")


# =============================================================================
# ALCE, libact's way
# =============================================================================

def loop_smacof(D, n_uq, n_components, n_init, max_iter, eps, rs):
    """libact's non-metric SMACOF with partial weights, one start after the other."""
    n = D.shape[0]
    W = np.ones((n, n))
    W[:n_uq, :n_uq] = 0.0
    W[n_uq:, n_uq:] = 0.0
    V = -W
    V[np.arange(n), np.arange(n)] = W.sum(axis=1)
    e = np.ones((n, 1))
    Vp = np.linalg.inv(V + np.dot(e, e.T) / n) - np.dot(e, e.T) / n
    flat = D.ravel()
    nonzero = flat != 0
    best = None
    for _ in range(n_init):
        X = rs.rand(n * n_components).reshape((n, n_components))
        old = None
        for it in range(max_iter):
            dis = euclidean_distances(X)
            disp = dis.ravel().copy()
            disp[nonzero] = IsotonicRegression().fit_transform(flat[nonzero], dis.ravel()[nonzero])
            disp = disp.reshape((n, n))
            disp *= np.sqrt((n * (n - 1) / 2) / (disp ** 2).sum())
            disp[D == 0] = 0
            stress = (W.ravel() * ((dis.ravel() - disp.ravel()) ** 2)).sum() / 2
            dis[dis == 0] = 1e-5
            ratio = disp / dis
            B = -W * ratio
            B[np.arange(n), np.arange(n)] += (W * ratio).sum(axis=1)
            X = np.dot(Vp, np.dot(B, X))
            norm = np.sqrt((X ** 2).sum(axis=1)).sum()
            if old is not None and old - stress / norm < eps:
                break
            old = stress / norm
        if best is None or stress < best[1]:
            best = (X, stress, it + 1)
    return best


class LoopALCE:
    def __init__(self, cost, regressor, seed):
        k = len(cost)
        self.rs = np.random.RandomState(seed)
        D = np.zeros((2 * k, 2 * k))
        D[:k, k:] = cost
        D[k:, :k] = cost.T
        emb = loop_smacof(D, k, k, 8, 300, 1e-6, self.rs)[0]
        self.class_embed = emb[:k]
        self.nn = NearestNeighbors(n_neighbors=1).fit(emb[k:])
        self.regressors = [copy.deepcopy(regressor) for _ in range(k)]

    def query(self, dataset):
        ids, pool = dataset.get_unlabeled_entries()
        X, y = dataset.get_labeled_entries()
        pred = np.zeros((len(ids), len(self.regressors)))
        for i, reg in enumerate(self.regressors):
            reg.fit(X, self.class_embed[y, i])
            pred[:, i] = reg.predict(pool)
        dist = self.nn.kneighbors(pred)[0][:, 0]
        return int(ids[self.rs.choice(np.flatnonzero(np.isclose(dist, dist.max())))])


def bench_alce(n_classes, queries, repeat, libact):
    cost = np.random.RandomState(3).rand(n_classes, n_classes)
    np.fill_diagonal(cost, 0)
    X, y = gaussian_classes(40 * n_classes, n_classes, 8, seed=2)
    first = [int(np.flatnonzero(y == c)[0]) for c in range(n_classes)]
    labels = [int(y[i]) if i in first else None for i in range(len(y))]

    def run(make, ask):
        ds = Dataset(X, labels)
        t0 = time.perf_counter()
        qs = make(ds)
        build = time.perf_counter() - t0
        asked = []
        for _ in range(queries):
            a = ask(qs, ds)
            ds.update(a, int(y[a]))
            asked.append(a)
        return build, asked, qs

    f_time, (f_build, f_asked, fq) = best_of(repeat, lambda: run(
        lambda ds: ActiveLearningWithCostEmbedding(ds, cost, LinearRegression(), random_state=0),
        lambda qs, ds: int(qs.make_query())))
    l_time, (l_build, l_asked, lq) = best_of(repeat, lambda: run(
        lambda ds: LoopALCE(cost, LinearRegression(), 0), lambda qs, ds: qs.query(ds)))
    same_embed = np.array_equal(fq.class_embed, lq.class_embed)
    print(f"ActiveLearningWithCostEmbedding  {n_classes} classes (MDS on {2 * n_classes} points, "
          f"8 starts), {len(y)} rows, {queries} queries with LinearRegression")
    print(f"  fastal                      {f_time:8.2f} s  (embedding {f_build:.2f} s)")
    print(f"  libact loop                 {l_time:8.2f} s  (embedding {l_build:.2f} s)")
    print(f"  ratio {l_time / f_time:.1f}x; embedding {l_build / f_build:.1f}x; "
          f"same embedding bit for bit: {same_embed}; same queries: {f_asked == l_asked}")
    if libact is not None:
        def run_libact():
            ds = libact["Dataset"](X, labels)
            qs = libact["ALCE"](ds, cost, LinearRegression(), random_state=0)
            asked = []
            for _ in range(queries):
                a = int(qs.make_query())
                ds.update(a, int(y[a]))
                asked.append(a)
            return asked
        seconds, asked = best_of(repeat, run_libact)
        print(f"  libact itself               {seconds:8.2f} s  ratio {seconds / f_time:.1f}x; "
              f"same queries: {asked == f_asked}")


def import_libact():
    try:
        import libact.base.dataset as ld
        from libact.base.interfaces import ProbabilisticModel
        from libact.query_strategies.multiclass import (
            EER as LEER, ActiveLearningWithCostEmbedding as LALCE,
            HierarchicalSampling as LHS)
    except ImportError:
        return None
    if ld.__name__ != "libact.base.dataset" or ld.Dataset.__module__.startswith("fastal"):
        return None
    from sklearn.linear_model import LogisticRegression as SkLR
    from sklearn.multiclass import OneVsRestClassifier

    class OvrLR(ProbabilisticModel):
        """libact's LogisticRegression(multi_class='ovr') on current scikit-learn."""
        def __init__(self):
            self.model = OneVsRestClassifier(SkLR(solver="liblinear"))

        def train(self, dataset, *args, **kwargs):
            return self.model.fit(*dataset.format_sklearn())

        def predict(self, feature, *args, **kwargs):
            return self.model.predict(feature)

        def score(self, testing_dataset, *args, **kwargs):
            return self.model.score(*testing_dataset.format_sklearn())

        def predict_real(self, feature, *args, **kwargs):
            return self.model.decision_function(feature)

        def predict_proba(self, feature, *args, **kwargs):
            return self.model.predict_proba(feature)

    return {"Dataset": ld.Dataset, "EER": LEER, "ALCE": LALCE, "HierarchicalSampling": LHS,
            "ovr_model": OvrLR}


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--hs-n", type=int, default=6000)
    parser.add_argument("--hs-queries", type=int, default=4000)
    parser.add_argument("--eer-pool", type=int, default=200)
    parser.add_argument("--eer-jobs", type=int, nargs="+", default=[1, -1])
    parser.add_argument("--alce-classes", type=int, default=16)
    parser.add_argument("--alce-queries", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--only", choices=["hs", "eer", "alce"], nargs="+",
                        default=["hs", "alce", "eer"])
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    libact = import_libact()
    print(f"{os.cpu_count()} CPUs; libact itself: "
          f"{'timed too' if libact is not None else 'not importable, not timed'}\n")
    if "hs" in args.only:
        bench_hs(args.hs_n, args.hs_queries, args.repeat, libact)
        print()
    if "alce" in args.only:
        bench_alce(args.alce_classes, args.alce_queries, args.repeat, libact)
        print()
    if "eer" in args.only:
        bench_eer(args.eer_pool, args.repeat, args.eer_jobs, libact)


if __name__ == "__main__":
    main()
