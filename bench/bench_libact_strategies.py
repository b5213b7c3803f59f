"""DWUS, ActiveLearningByLearning and BALD against loop-based restatements of libact's code.

Each restatement below does what libact's strategy does, step by step: Python
passes over ``dataset.data``, the EM with tiled arrays for all ``max_iter``
iterations, one ``predict`` call per queried row for the ALBL reward, a
Dataset per bootstrap bag.  Both sides run on fastal's Dataset (so the
figures are the strategies' own cost, not libact's Dataset bookkeeping), on
the same data and seeds, and the script checks that they ask for the same
rows.  Times are wall-clock seconds for construction plus all queries, the
best of --repeat runs (the two sides alternate, so a busy machine slows both).
BLAS runs on --blas-threads threads (default 1): the many tiny model fits
both sides make are erratic with several BLAS threads on a busy machine.

    python bench/bench_libact_strategies.py [--dwus-n 200000] [--albl-n 20000]
        [--albl-queries 300] [--bald-n 50000] [--repeat 3] [--blas-threads 1]
        [--only dwus albl bald]
"""
import argparse
import copy
import time

import numpy as np
from scipy.optimize import minimize
from scipy.stats import multivariate_normal
from sklearn.cluster import KMeans
from sklearn.linear_model import LogisticRegression as SkLR
from threadpoolctl import threadpool_limits

from fastal.base.dataset import Dataset
from fastal.models import SklearnProbaAdapter
from fastal.query_strategies import RandomSampling, UncertaintySampling
from fastal.query_strategies.active_learning_by_learning import ActiveLearningByLearning
from fastal.query_strategies.bald import BALD
from fastal.query_strategies.density_weighted_uncertainty_sampling import DWUS


# -- loop-based restatements ------------------------------------------------------

class LoopDWUS:
    """libact's DWUS: rows gathered by a Python pass, EM with np.tile, scipy pdfs."""

    def __init__(self, dataset, n_clusters=5, sigma=0.1, max_iter=100, C=1., random_state=None):
        self.dataset, self.C = dataset, C
        all_x = np.array([row[0] for row in dataset.data])
        self.kmeans_ = KMeans(n_clusters=n_clusters,
                              random_state=np.random.RandomState(random_state))
        self.kmeans_.fit(all_x)
        centres = self.kmeans_.cluster_centers_
        n, d = all_x.shape
        prior = np.ones(n_clusters) / float(n_clusters)
        kernel = np.zeros((n, n_clusters))
        for k in range(n_clusters):
            diff = all_x - centres[k]
            kernel[:, k] = np.exp(-np.einsum("ij,ji->i", diff, diff.T) / 2 / sigma)
        for _ in range(max_iter):
            joint = kernel * np.tile(prior, (n, 1))
            posterior = joint / np.tile(np.sum(joint, axis=1), (n_clusters, 1)).T
            prior = 1. / n * np.sum(posterior, axis=0)
        self.P_k_x = posterior
        density = np.zeros((n, n_clusters))
        for k in range(n_clusters):
            density[:, k] = multivariate_normal.pdf(all_x, mean=centres[k],
                                                    cov=np.ones(d) * np.sqrt(sigma))
        self.p_x = np.dot(density, prior).reshape(-1)

    def make_query(self):
        pool, _ = self.dataset.get_unlabeled_entries()
        labeled = np.array([i for i, row in enumerate(self.dataset.data) if row[1] is not None])
        y = np.array([row[1] for row in self.dataset.data if row[1] is not None]).reshape(-1, 1)
        centres = self.kmeans_.cluster_centers_
        density = self.P_k_x[labeled, :]

        def objective(w):
            w = w.reshape(-1, 1)
            sig = 1. / (1. + np.exp(-np.dot(y, (np.dot(centres, w[:-1]) + w[-1]).T)))
            return (self.C / 2. * np.dot(w[:-1].T, w[:-1])
                    - np.sum(np.log(np.sum(density * sig, axis=1)), axis=0))[0][0]

        w = minimize(objective, np.zeros(centres.shape[1] + 1), method="CG").x.reshape(-1, 1)
        p_label_cluster = 1. / (1. + np.exp(-(np.dot(centres, w[:-1]) + w[-1])))
        p_label = np.zeros(len(pool))
        for k in range(len(centres)):
            p_label += p_label_cluster[k] * self.P_k_x[pool, k]
        error = p_label.copy()
        error[p_label >= 0.5] = 1. - p_label[p_label >= 0.5]
        return pool[np.argmax(error * self.p_x[list(pool)])]


class LoopALBL:
    """libact's ALBL: Exp4.P as a generator, the reward one predict call per queried row."""

    def __init__(self, dataset, query_strategies, T, model, random_state, delta=0.1):
        self.dataset, self.qs, self.T, self.model = dataset, query_strategies, T, model
        self.rs = np.random.RandomState(random_state)
        self.pool_ids = dataset.get_unlabeled_entries()[0]
        self.invert = {e: i for i, e in enumerate(self.pool_ids)}
        self.N = self.K = len(query_strategies) + 1
        self.pmin = np.sqrt(np.log(self.N) / self.K / T)
        self.delta, self.w = delta, np.ones(self.N)
        self.gen, self.dist, self.W, self.hist, self.used = self._exp4p(), None, [], [], 0
        dataset.on_update(self.update)

    def _exp4p(self):
        n = len(self.invert)
        while True:
            query = np.zeros((self.N, n))
            query[-1, :] = 1. / n
            for i, s in enumerate(self.qs):
                query[i][self.invert[s.make_query()]] = 1
            p = (1 - self.K * self.pmin) * self.w / np.sum(self.w) + self.pmin
            qv = np.dot(p, query)
            reward, ask_id = yield qv
            ask = self.invert[ask_id]
            rhat = reward * query[:, ask] / qv[ask]
            self.w = self.w * np.exp(self.pmin / 2 * (rhat + 1 / p * np.sqrt(
                np.log(self.N / self.delta) / self.K / self.T)))

    def _reward(self):
        model = copy.copy(self.model)
        model.train(self.dataset)
        reward = 0.
        for j in range(len(self.hist)):
            row = self.dataset.data[self.hist[j]]
            reward += self.W[j] * (model.predict(row[0].reshape(1, -1))[0] == row[1])
        return reward / len(self.dataset) / self.T

    def update(self, entry_id, label):
        self.W.append(1. / self.dist[self.invert[entry_id]])
        self.hist.append(entry_id)

    def make_query(self):
        unlabeled = self.dataset.get_unlabeled_entries()[0]
        while self.used < self.T:
            if self.dist is None:
                self.dist = next(self.gen)
            else:
                self.dist = self.gen.send((self._reward(), self.hist[-1]))
            position = self.rs.choice(np.arange(len(self.invert)), size=1, p=self.dist)[0]
            ask_id = self.pool_ids[position]
            if ask_id in unlabeled:
                self.used += 1
                return ask_id
            self.update(ask_id, self.dataset.data[ask_id][1])
        raise ValueError("Out of query budget")


class LoopBALD:
    """libact's BALD: a Dataset per bag, per-model entropies in a list."""

    def __init__(self, dataset, models, random_state):
        self.dataset, self.models = dataset, models
        self.rs = np.random.RandomState(random_state)
        dataset.on_update(lambda entry_id, label: self.train())
        self.train()

    def train(self):
        n_labeled = self.dataset.len_labeled()

        def bag():
            X, y = self.dataset.get_labeled_entries()
            idx = self.rs.randint(0, len(X), size=n_labeled)
            return Dataset(X[idx], np.array(y)[idx])

        for model in self.models:
            sample, attempts = bag(), 0
            while sample.get_num_of_labels() != self.dataset.get_num_of_labels():
                sample, attempts = bag(), attempts + 1
                if attempts >= 10:
                    break
            model.train(sample)

    def make_query(self):
        ids, X_pool = self.dataset.get_unlabeled_entries()

        def entropy(p):
            p = np.clip(p, 1e-10, 1.0)
            return -np.sum(p * np.log(p), axis=1)

        proba = np.array([np.asarray(m.predict_proba(X_pool)) for m in self.models])
        member_entropy = np.array([entropy(p) for p in proba])
        scores = entropy(np.mean(proba, axis=0)) - np.mean(member_entropy, axis=0)
        return ids[self.rs.choice(np.where(np.isclose(scores, np.max(scores)))[0])]


# -- driver -----------------------------------------------------------------------

def timed_run(make, X, y, partial, n_queries):
    ds = Dataset(X, partial)
    t0 = time.perf_counter()
    qs = make(ds)
    asked = []
    for _ in range(n_queries):
        ask = int(qs.make_query())
        asked.append(ask)
        ds.update(ask, y[ask])
    return time.perf_counter() - t0, asked


def compare(make_fast, make_slow, X, y, partial, n_queries, repeat):
    """Best times of both sides over ``repeat`` alternating runs, and whether all asked alike."""
    t_fast = t_slow = np.inf
    sequences = []
    for _ in range(repeat):
        t, asked = timed_run(make_slow, X, y, partial, n_queries)
        t_slow = min(t_slow, t)
        sequences.append(asked)
        t, asked = timed_run(make_fast, X, y, partial, n_queries)
        t_fast = min(t_fast, t)
        sequences.append(asked)
    return t_fast, t_slow, all(s == sequences[0] for s in sequences)


def report(name, detail, result):
    t_fast, t_slow, same = result
    same = "same queries" if same else "QUERIES DIFFER"
    print(f"{name:5s} {detail:44s} loop {t_slow:7.2f} s   fastal {t_fast:7.2f} s   "
          f"ratio {t_slow / t_fast:5.1f}x   {same}")


def bench_dwus(n, d, n_queries, repeat):
    rng = np.random.RandomState(0)
    centres = rng.uniform(-3, 3, size=(5, d))
    X = centres[rng.randint(0, 5, size=n)] + rng.randn(n, d)
    X /= np.sqrt(d)                                 # keeps libact's EM away from underflow
    y = np.where(X[:, 0] + X[:, 1] > 0, 1, -1)
    partial = [y[i] if i < 10 else None for i in range(n)]
    result = compare(lambda ds: DWUS(ds, random_state=0), lambda ds: LoopDWUS(ds, random_state=0),
                     X, y, partial, n_queries, repeat)
    report("DWUS", f"n={n} d={d}, build + {n_queries} queries", result)


def bench_albl(n, d, n_queries, repeat):
    rng = np.random.RandomState(1)
    X = rng.randn(n, d)
    y = (X[:, 0] + 0.5 * X[:, 1] + 0.5 * rng.randn(n) > 0).astype(int)
    partial = [y[i] if i < 10 else None for i in range(n)]

    def lr():
        return SklearnProbaAdapter(SkLR(solver="liblinear"))

    def arms(ds):
        return [UncertaintySampling(ds, model=lr()), RandomSampling(ds, random_state=1)]

    result = compare(lambda ds: ActiveLearningByLearning(ds, query_strategies=arms(ds), T=n_queries,
                                                         model=lr(), random_state=1),
                     lambda ds: LoopALBL(ds, arms(ds), n_queries, lr(), 1),
                     X, y, partial, n_queries, repeat)
    report("ALBL", f"n={n} d={d}, {n_queries} queries (US + random)", result)


def bench_bald(n, d, n_queries, repeat, n_models=10):
    rng = np.random.RandomState(2)
    y = rng.randint(0, 3, size=n)
    X = 1.5 * rng.randn(3, d)[y] + rng.randn(n, d)
    partial = [y[i] if i < 30 else None for i in range(n)]

    def members():
        return [SklearnProbaAdapter(SkLR(C=c)) for c in np.logspace(-2, 1, n_models)]

    result = compare(lambda ds: BALD(ds, models=members(), random_state=2),
                     lambda ds: LoopBALD(ds, members(), 2), X, y, partial, n_queries, repeat)
    report("BALD", f"n={n} d={d}, {n_models} models, {n_queries} queries", result)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dwus-n", type=int, default=200_000)
    parser.add_argument("--dwus-queries", type=int, default=20)
    parser.add_argument("--albl-n", type=int, default=20_000)
    parser.add_argument("--albl-queries", type=int, default=300)
    parser.add_argument("--bald-n", type=int, default=50_000)
    parser.add_argument("--bald-queries", type=int, default=10)
    parser.add_argument("--features", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--blas-threads", type=int, default=1)
    parser.add_argument("--only", nargs="*", default=["dwus", "albl", "bald"])
    args = parser.parse_args(argv)
    threadpool_limits(args.blas_threads, user_api="blas")
    if "dwus" in args.only:
        bench_dwus(args.dwus_n, args.features, args.dwus_queries, args.repeat)
    if "albl" in args.only:
        bench_albl(args.albl_n, args.features, args.albl_queries, args.repeat)
    if "bald" in args.only:
        bench_bald(args.bald_n, args.features, args.bald_queries, args.repeat)


if __name__ == "__main__":
    main()
