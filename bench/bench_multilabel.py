"""Multi-label strategies: fastal against loop restatements of libact's algorithms.

Each restatement below does what libact's strategy does, step by step: a
binary relevance that fills its output matrix label by label behind a joblib
``Parallel`` (libact's ``BinaryRelevance``), MMC's predicted label sets built
row by row, CSRPE's Hamming distances through ``paired_distances`` with
scipy's ``hamming`` (one Python call per row) and its nearest-code distances
through a ball tree, AAL's candidates evaluated by a fresh binary relevance
on a new Dataset each.  Both sides use fastal's Dataset and models (so the
figures are the strategies' own cost), on the same data and seeds, and the
script checks that they ask for the same rows.  Times are wall-clock seconds
for construction plus ``--queries`` queries (``--aal-queries`` for AAL),
each answered, the best of
``--repeat`` runs; BLAS runs on ``--blas-threads`` threads.

Data: ``make_multilabel_classification`` with ``--n`` rows (``--mmc-n`` for
MMC), 20 features, 10 labels, 20 rows labeled; for AAL ``--aal-n`` rows in
the shape of libact's yeast test (103 features, 14 labels, 5 rows labeled:
hundreds of candidates per query).  Binary models are
``LogisticRegression(solver='liblinear')``.  ``aal_jobs`` is AAL
with ``n_jobs=-1``: libact's threads against fastal's processes (started
before the timing).

    python bench/bench_multilabel.py [--n 100000] [--mmc-n 400000] [--aal-n 1500]
        [--queries 3] [--aal-queries 2] [--repeat 2] [--blas-threads 1]
        [--only mmc binmin aal aal_jobs csrpe aux]
"""
import argparse
import copy
import time
import warnings

import numpy as np
from joblib import Parallel, delayed
from scipy.spatial.distance import hamming
from sklearn.datasets import make_multilabel_classification
from sklearn.metrics.pairwise import paired_distances
from sklearn.neighbors import NearestNeighbors
from threadpoolctl import threadpool_limits

from fastal.base.dataset import Dataset
from fastal.models import SVM, LogisticRegression
from fastal.models.multilabel import BinaryRelevance, DummyClf
from fastal.query_strategies.multilabel import (
    MMC, AdaptiveActiveLearning, BinaryMinimization, CostSensitiveReferencePairEncoding,
    MultilabelWithAuxiliaryLearner)
from fastal.utils.multilabel import pairwise_f1_score


def lin(**kwargs):
    return LogisticRegression(solver="liblinear", **kwargs)


# -- loop-based restatements -------------------------------------------------------------

class LoopBR:
    """libact's BinaryRelevance: models listed first, trained behind joblib, outputs
    written into a zero matrix one label at a time."""

    def __init__(self, base_clf, n_jobs=1):
        self.base_clf = copy.copy(base_clf)
        self.n_jobs = n_jobs

    def train(self, dataset):
        X, Y = dataset.format_sklearn()
        X, Y = np.array(X), np.array(Y)
        self.clfs_ = [DummyClf() if len(np.unique(Y[:, i])) == 1 else copy.deepcopy(self.base_clf)
                      for i in range(Y.shape[1])]

        def fit(clf, column):
            clf.train(Dataset(X, column))
        Parallel(n_jobs=self.n_jobs, backend="threading")(
            delayed(fit)(self.clfs_[i], Y[:, i]) for i in range(Y.shape[1]))
        return self

    def _fill(self, X, take):
        out = np.zeros((X.shape[0], len(self.clfs_)))
        for i, clf in enumerate(self.clfs_):
            out[:, i] = take(clf)
        return out

    def predict(self, X):
        return self._fill(X, lambda clf: clf.predict(X)).astype(int)

    def predict_real(self, X):
        return self._fill(X, lambda clf: clf.predict_real(X)[:, 1])

    def predict_proba(self, X):
        return self._fill(X, lambda clf: clf.predict_proba(X)[:, 1])


class LoopMMC:
    def __init__(self, dataset, br_base, random_state):
        self.dataset, self.br_base = dataset, br_base
        self.n_labels = len(dataset.get_labeled_entries()[1][0])
        self.random_state_ = np.random.RandomState(random_state)
        self.lr = LogisticRegression(multi_class="multinomial", solver="newton-cg")

    def make_query(self):
        labeled, Y = self.dataset.get_labeled_entries()
        ids, X_pool = self.dataset.get_unlabeled_entries()
        Y = np.array(Y)
        br = LoopBR(self.br_base).train(Dataset(labeled, Y))
        trnf, poolf = br.predict_proba(labeled), br.predict_proba(X_pool)
        f = poolf * 2 - 1
        trnf = np.sort(trnf, axis=1)[:, ::-1]
        trnf /= np.tile(trnf.sum(axis=1).reshape(-1, 1), (1, trnf.shape[1]))
        self.lr.train(Dataset(trnf, Y.sum(axis=1)))
        idx_poolf = np.argsort(poolf, axis=1)[:, ::-1]
        poolf = np.sort(poolf, axis=1)[:, ::-1]
        poolf /= np.tile(poolf.sum(axis=1).reshape(-1, 1), (1, poolf.shape[1]))
        counts = self.lr.predict(poolf).astype(int)
        yhat = -1 * np.ones((len(X_pool), self.n_labels), dtype=int)
        for i, p in enumerate(counts):
            yhat[i, idx_poolf[i, :p]] = 1
        score = ((1 - yhat * f) / 2).sum(axis=1)
        return ids[self.random_state_.choice(np.where(score == np.max(score))[0])]


class LoopBinMin:
    def __init__(self, dataset, base_clf, random_state):
        self.dataset, self.base_clf = dataset, base_clf
        self.n_labels = len(dataset.data[0][1])
        self.random_state_ = np.random.RandomState(random_state)

    def make_query(self):
        X, Y = self.dataset.get_labeled_entries()
        Y = np.array(Y)
        ids, X_pool = self.dataset.get_unlabeled_entries()
        boundaries = []
        for i in range(self.n_labels):
            clf = DummyClf() if len(np.unique(Y[:, i])) == 1 else copy.deepcopy(self.base_clf)
            clf.train(Dataset(X, Y[:, i]))
            boundaries.append(np.abs(clf.predict_real(X_pool)[:, 1]))
        choices = np.where(np.array(boundaries) == np.min(boundaries))[1]
        return ids[self.random_state_.choice(choices)]


def loop_approx_err(br, dataset, X_pool):
    br.train(dataset)
    real = br.predict_real(X_pool)
    pos = np.copy(real)
    pos[real < 0] = 1
    neg = np.copy(real)
    neg[real > 0] = -1
    return np.sum(np.max(1. - pos, axis=1) + np.max(1. + neg, axis=1))


class LoopAAL:
    def __init__(self, dataset, base_clf, n_jobs, random_state):
        self.dataset, self.base_clf, self.n_jobs = dataset, copy.deepcopy(base_clf), n_jobs
        self.betas = [i / 10. for i in range(11)]
        self.random_state_ = np.random.RandomState(random_state)

    def make_query(self):
        X, Y = self.dataset.get_labeled_entries()
        ids, X_pool = self.dataset.get_unlabeled_entries()
        Y = np.array(Y)
        clf = LoopBR(self.base_clf, n_jobs=self.n_jobs).train(self.dataset)
        real, pred = clf.predict_real(X_pool), clf.predict(X_pool)
        pos = np.copy(real)
        pos[real <= 0] = np.inf
        neg = np.copy(real)
        neg[real >= 0] = -np.inf
        uncertainty = 1. / (pos.min(axis=1) - neg.max(axis=1))
        cardinality = np.sqrt((pred.sum(axis=1) - Y.mean(axis=0).sum()) ** 2)
        found = set()
        for b in self.betas:
            score = uncertainty ** b * cardinality ** (1. - b)
            for idx in np.where(score == np.max(score))[0]:
                found.add(idx)
        candidates = list(found)
        errors = Parallel(n_jobs=self.n_jobs, backend="threading")(
            delayed(loop_approx_err)(LoopBR(self.base_clf),
                                     Dataset(np.vstack((X, X_pool[i])), np.vstack((Y, pred[i]))),
                                     X_pool)
            for i in candidates)
        choices = np.where(np.array(errors) == np.min(errors))[0]
        return ids[candidates[self.random_state_.choice(choices)]]


class LoopBit:
    """libact's BinaryCLF: a bit once constant stays so, its model is trained anyway."""

    def __init__(self, base_clf, scoring_fn, rep_label):
        self.base_clf, self.scoring_fn, self.rep_label = base_clf, scoring_fn, rep_label
        self.label = None

    def _scores(self, Y):
        return (self.scoring_fn(Y, np.tile(self.rep_label[0], (len(Y), 1))),
                self.scoring_fn(Y, np.tile(self.rep_label[1], (len(Y), 1))))

    def enc(self, Y):
        score0, score1 = self._scores(Y)
        return ((score1 - score0) > 0) + 0.0

    def train(self, X, Y):
        score0, score1 = self._scores(Y)
        bits = ((score1 - score0) > 0) + 0.0
        weight = np.abs(score1 - score0)
        if np.sum(weight) > 0:
            weight = weight / np.sum(weight) * len(X)
        if len(np.unique(bits)) == 1:
            self.label = np.unique(bits)[0]
            self.base_clf_ = None
        else:
            self.base_clf_ = copy.deepcopy(self.base_clf)
            self.base_clf_.train(Dataset(X, bits), sample_weight=weight)

    def predict(self, X):
        if self.label is not None:
            return np.ones(len(X)) * self.label
        return self.base_clf_.predict(X)


class LoopCSRPE:
    """libact's CSRPE query: bits one by one, per-row Hamming distances, a ball tree."""

    def __init__(self, dataset, scoring_fn, model, base_model, n_models, random_state):
        self.dataset, self.model_ = dataset, model
        self.scoring_fn, self.base_model, self.n_models = scoring_fn, base_model, n_models
        self.rs_codes = np.random.RandomState(random_state)
        self.random_state_ = np.random.RandomState(random_state)
        self.bits = None

    def code(self, X):
        out = np.zeros((X.shape[0], self.n_models))
        for i, bit in enumerate(self.bits):
            out[:, i] = bit.predict(X)
        return out

    def make_query(self):
        ids, X_pool = self.dataset.get_unlabeled_entries()
        X, Y = self.dataset.format_sklearn()
        if self.bits is None:
            self.bits = [LoopBit(self.base_model, self.scoring_fn,
                                 self.rs_codes.randint(0, 2, (2, Y.shape[1])))
                         for _ in range(self.n_models)]
        Parallel(n_jobs=1, backend="threading")(delayed(bit.train)(X, Y) for bit in self.bits)
        nn = NearestNeighbors(n_neighbors=1, algorithm="ball_tree").fit(self.code(X))
        self.model_.train(self.dataset)
        predY = self.model_.predict(X_pool)
        Z = self.code(X_pool)
        predZ = np.zeros((len(predY), self.n_models))
        for i, bit in enumerate(self.bits):
            predZ[:, i] = bit.enc(predY)
        dist = paired_distances(Z, predZ, metric=hamming) + \
            nn.kneighbors(self.code(X_pool), 1)[0].reshape(-1)
        return ids[self.random_state_.choice(np.where(np.isclose(dist, np.max(dist)))[0])]


class LoopAux:
    def __init__(self, dataset, major, aux, criterion, random_state):
        self.dataset, self.major, self.aux, self.criterion = dataset, major, aux, criterion
        self.random_state_ = np.random.RandomState(random_state)

    def make_query(self):
        ids, X_pool = self.dataset.get_unlabeled_entries()
        major = copy.deepcopy(self.major)
        major.train(self.dataset)
        aux = copy.deepcopy(self.aux)
        aux.train(self.dataset)
        major_pred = major.predict(X_pool) * 2 - 1
        aux_pred = aux.predict_real(X_pool)
        score = np.sum((1. - major_pred * aux_pred) / 2., axis=1)
        return ids[self.random_state_.choice(np.where(score == np.max(score))[0])]


# -- the runs --------------------------------------------------------------------------------

def problem(n, seed=0, n_labeled=20, n_features=20, n_labels=10):
    """``n`` rows; the first ``n_labeled`` rows labeled."""
    X, Y = make_multilabel_classification(n_samples=n, n_features=n_features,
                                          n_classes=n_labels, random_state=seed)
    return X.astype(float), Y, Y[:n_labeled].tolist() + [None] * (n - n_labeled)


def run(build, X, Y, labels, queries):
    ds = Dataset(X, labels)
    start = time.perf_counter()
    qs = build(ds)
    asked = []
    for _ in range(queries):
        ask = int(qs.make_query())
        ds.update(ask, Y[ask].tolist())
        asked.append(ask)
    return time.perf_counter() - start, asked


# AAL: yeast's shape (103 features, 14 labels, five rows labeled as in libact's test), where
# hundreds of rows are candidates
AAL_SHAPE = {"n_labeled": 5, "n_features": 103, "n_labels": 14}

CASES = {
    "mmc": (lambda ds: MMC(ds, br_base=lin(), random_state=0),
            lambda ds: LoopMMC(ds, lin(), 0), "mmc_n"),
    "binmin": (lambda ds: BinaryMinimization(ds, lin(), random_state=0),
               lambda ds: LoopBinMin(ds, lin(), 0), "n"),
    "aal": (lambda ds: AdaptiveActiveLearning(ds, lin(), random_state=0),
            lambda ds: LoopAAL(ds, lin(), 1, 0), "aal_n"),
    "aal_jobs": (lambda ds: AdaptiveActiveLearning(ds, lin(), n_jobs=-1, random_state=0),
                 lambda ds: LoopAAL(ds, lin(), -1, 0), "aal_n"),
    "csrpe": (lambda ds: CostSensitiveReferencePairEncoding(
        ds, pairwise_f1_score, BinaryRelevance(lin()), lin(), n_models=100, random_state=0),
              lambda ds: LoopCSRPE(ds, pairwise_f1_score, LoopBR(lin()), lin(), 100, 0), "n"),
    "aux": (lambda ds: MultilabelWithAuxiliaryLearner(
        ds, BinaryRelevance(lin()), BinaryRelevance(SVM(kernel="linear")), criterion="mmr",
        random_state=0),
            lambda ds: LoopAux(ds, LoopBR(lin()), LoopBR(SVM(kernel="linear")), "mmr", 0), "n"),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100000)
    parser.add_argument("--mmc-n", type=int, default=400000)
    parser.add_argument("--aal-n", type=int, default=1500)
    parser.add_argument("--queries", type=int, default=3)
    parser.add_argument("--aal-queries", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--blas-threads", type=int, default=1)
    parser.add_argument("--only", nargs="*", default=None)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    sizes = {"n": args.n, "mmc_n": args.mmc_n, "aal_n": args.aal_n}
    print(f"{'strategy':10s} {'rows':>8s} {'loop (s)':>10s} {'fastal (s)':>11s} "
          f"{'ratio':>7s}  same")
    with threadpool_limits(args.blas_threads):
        for name, (fast, loop, size) in CASES.items():
            if args.only and name not in args.only:
                continue
            shape = AAL_SHAPE if size == "aal_n" else {}
            X, Y, labels = problem(sizes[size], **shape)
            if name == "aal_jobs":       # start the worker processes outside the timing
                run(fast, *problem(200, **shape)[:3], 1)
            best = {"loop": np.inf, "fastal": np.inf}
            asked = {}
            for _ in range(args.repeat):
                for side, build in (("loop", loop), ("fastal", fast)):
                    queries = args.aal_queries if size == "aal_n" else args.queries
                    seconds, asked[side] = run(build, X, Y, labels, queries)
                    best[side] = min(best[side], seconds)
            print(f"{name:10s} {sizes[size]:8d} {best['loop']:10.3f} {best['fastal']:11.3f} "
                  f"{best['loop'] / best['fastal']:7.2f}  {asked['loop'] == asked['fastal']}",
                  flush=True)


if __name__ == "__main__":
    main()
