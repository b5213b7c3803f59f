"""Query sequences of the libact strategies, against inline re-statements of libact's rules.

Each reference below is written from libact's documented behaviour with
scikit-learn directly (no fastal code), and the same seeds must give the same
ids on both backends.
"""
import math

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression as SkLR
from sklearn.multiclass import OneVsRestClassifier
from sklearn.svm import SVC

from fastal.base.dataset import Dataset
from fastal.models import SVM, LogisticRegression
from fastal.query_strategies import QueryByCommittee, RandomSampling, UncertaintySampling

N_QUERIES = 12


def make_pool(n_classes=3, seed=0, n=120, n_labeled=9):
    X, y = make_classification(n_samples=n, n_features=6, n_informative=4, n_redundant=0,
                               n_classes=n_classes, n_clusters_per_class=1, random_state=seed)
    labeled = np.concatenate([np.flatnonzero(y == c)[:n_labeled // n_classes] for c in range(n_classes)])
    partial = [y[i] if i in set(labeled) else None for i in range(n)]
    return X, y, partial


def reference_uncertainty(X, y, partial, make_est, method, continuous):
    """libact UncertaintySampling: train, score, first argmax, label, repeat."""
    labels = list(partial)
    asked = []
    for _ in range(N_QUERIES):
        lab = np.array([l is not None for l in labels])
        est = make_est().fit(X[lab], np.array([l for l in labels if l is not None]))
        pool = np.flatnonzero(~lab)
        if continuous:
            d = est.decision_function(X[pool])
            d = np.vstack((-d, d)).T if d.ndim == 1 else d
        else:
            d = est.predict_proba(X[pool])
        if method == "lc":
            score = -d.max(axis=1)
        elif method == "sm":
            top2 = np.sort(d, axis=1)[:, -2:]
            score = -np.abs(top2[:, 1] - top2[:, 0])
        else:
            score = -np.sum(d * np.log(d), axis=1)
        ask = int(pool[np.argmax(score)])
        asked.append(ask)
        labels[ask] = y[ask]
    return asked


def run_strategy(qs, ds, y):
    asked = []
    for _ in range(N_QUERIES):
        ask = qs.make_query()
        asked.append(int(ask))
        ds.update(ask, y[ask])
    return asked


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("method", ["lc", "sm", "entropy"])
def test_uncertainty_sampling_logistic_regression(backend, method, n_classes):
    X, y, partial = make_pool(n_classes)
    expected = reference_uncertainty(X, y, partial, lambda: SkLR(), method, continuous=False)
    ds = Dataset(X, partial)
    qs = UncertaintySampling(ds, model=LogisticRegression(), method=method)
    assert run_strategy(qs, ds, y) == expected


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("method", ["lc", "sm"])
def test_uncertainty_sampling_svm(backend, method, n_classes):
    X, y, partial = make_pool(n_classes, seed=1)
    expected = reference_uncertainty(X, y, partial, lambda: OneVsRestClassifier(SVC()),
                                     method, continuous=True)
    ds = Dataset(X, partial)
    qs = UncertaintySampling(ds, model=SVM(), method=method)
    assert run_strategy(qs, ds, y) == expected


@pytest.mark.parametrize("seed", [0, 7, 1126])
def test_random_sampling_sequence(backend, seed):
    X, y, partial = make_pool()
    labels = list(partial)
    rs = np.random.RandomState(seed)
    expected = []
    for _ in range(N_QUERIES):
        pool = [i for i, l in enumerate(labels) if l is None]
        ask = pool[rs.randint(0, len(pool))]
        expected.append(ask)
        labels[ask] = y[ask]
    ds = Dataset(X, partial)
    assert run_strategy(RandomSampling(ds, random_state=seed), ds, y) == expected


def reference_qbc(X, y, partial, Cs, seed, disagreement):
    """libact QueryByCommittee: bagged students, vote entropy / mean KL, isclose + choice."""
    rs = np.random.RandomState(seed)
    labels = list(partial)
    students = [None] * len(Cs)

    def teach():
        lab_idx = [i for i, l in enumerate(labels) if l is not None]
        n_labels = len({labels[i] for i in lab_idx})
        for s, C in enumerate(Cs):
            while True:
                bag = [lab_idx[rs.randint(0, len(lab_idx))] for _ in range(len(lab_idx))]
                if len({labels[i] for i in bag}) == n_labels:
                    break
            students[s] = SkLR(C=C).fit(X[bag], np.array([labels[i] for i in bag]))

    teach()
    asked = []
    for _ in range(N_QUERIES):
        pool = [i for i, l in enumerate(labels) if l is None]
        if disagreement == "vote":
            votes = np.array([st.predict(X[pool]) for st in students]).T
            score = []
            for row in votes:
                counts = {}
                for v in row:
                    counts[v] = counts.get(v, 0) + 1
                score.append(-sum(c / len(Cs) * math.log(c / len(Cs)) for c in counts.values()))
        else:
            proba = np.array([st.predict_proba(X[pool]) for st in students]).transpose(1, 0, 2)
            cons = proba.mean(axis=1, keepdims=True)
            score = (proba * np.log(proba / cons)).sum(axis=2).mean(axis=1)
        score = np.asarray(score)
        ask = pool[rs.choice(np.where(np.isclose(score, score.max()))[0])]
        asked.append(ask)
        labels[ask] = y[ask]
        teach()
    return asked


@pytest.mark.parametrize("disagreement", ["vote", "kl_divergence"])
@pytest.mark.parametrize("seed", [0, 5])
def test_query_by_committee_sequence(backend, disagreement, seed):
    X, y, partial = make_pool(seed=2)
    Cs = [1.0, 0.1, 0.01]
    expected = reference_qbc(X, y, partial, Cs, seed, disagreement)
    ds = Dataset(X, partial)
    qs = QueryByCommittee(ds, models=[LogisticRegression(C=C) for C in Cs],
                          disagreement=disagreement, random_state=seed)
    assert run_strategy(qs, ds, y) == expected
