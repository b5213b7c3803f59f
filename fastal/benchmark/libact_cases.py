"""Benchmark cases of fastal's strategies against loop restatements of libact's algorithms.

Every case here is of kind "strategy": its ``run`` builds a fresh Dataset and
strategy, then asks a fixed number of queries, labeling each answer from the
generated ground truth before the next (the count is in the description; it is
lowered to half the unlabeled rows on small pools).  Its result is a dict with
the ``"queries"`` asked and, for some cases, what else the implementations
should agree on (the final labeling of hierarchical sampling, the expected errors of
EER, the class embedding of ALCE).

The peers named "libact-style ..." are restatements, written for this
benchmark, of what libact's strategies do step by step: its Python loops, its
per-candidate model copies, its data structures.  They run on fastal's Dataset
and models, so that their time is the strategy's own cost, not libact's
bookkeeping.  A peer named "libact ..." runs libact itself (when it is
installed, and not fastal's compatibility alias of it).

Every case generates its own data (rows and labels) from ``n`` and ``seed``;
``d``, ``dtype``, ``batch``, ``labeled``, ``--pool`` and ``--data`` are not
used: the features, the labeled rows and the number of queries are fixed per
case and given in its description.  With ``seed`` 0, at the same sizes, the
data are those of the stand-alone scripts under ``bench/``.

``check`` reports whether every implementation that ran asked for the same
rows as fastal's compiled backend (and gave the same extras).
"""
import copy
import dataclasses
import functools

import numpy as np

from fastal.benchmark.cases import Case, Peer

__all__ = ["LIBACT_CASES", "LoopHierarchicalSampling", "libact_style_eer_errors",
           "libact_style_smacof", "LoopALCE", "LoopBinaryRelevance", "LoopMMC",
           "LoopBinaryMinimization", "LoopAAL", "LoopCSRPE", "LoopAuxiliaryLearner",
           "DirectQUIRE", "LoopDWUS", "LoopALBL", "LoopBALD", "same_answers"]


# =============================================================================
# shared pieces
# =============================================================================

def _rounds(count, n_rows, n_labeled):
    """``count`` query rounds, at most half the unlabeled rows (at least one)."""
    return int(max(1, min(count, (n_rows - n_labeled) // 2)))


def _partial(truth, labeled):
    """Initial labels: the truth of the rows in ``labeled`` (a count of first rows, or
    indices), None for the others."""
    if np.isscalar(labeled):
        labeled = range(int(labeled))
    initial = [None] * len(truth)
    for i in labeled:
        initial[i] = _label(truth, i)
    return initial


def _label(truth, entry):
    """The answer for row ``entry`` as a Python value (an int, a float or a list)."""
    return np.asarray(truth[entry]).tolist()


def _initial(inp):
    """A fresh copy of the case's initial labels (lists of a multi-label row copied too)."""
    return [list(v) if isinstance(v, list) else v for v in inp["initial"]]


def _dataset(inp):
    """A fresh fastal Dataset of the case's rows and initial labels."""
    from fastal.base.dataset import Dataset
    return Dataset(inp["X"], _initial(inp))


def _libact_dataset(inp):
    """A fresh libact Dataset of the case's rows and initial labels."""
    (Dataset,) = _libact("libact.base.dataset", "Dataset")
    return Dataset(inp["X"], _initial(inp))


def _inputs(X, truth, labeled, rounds, **more):
    """The inputs of a case: rows, true labels, initial labels, query rounds, the rest."""
    inp = {"X": X, "truth": truth, "initial": _partial(truth, labeled), "rounds": rounds}
    inp.update(more)
    return inp


def _ask_and_label(dataset, ask, truth, rounds):
    """``rounds`` times: ``ask()`` for an entry id, label it from ``truth``; the ids."""
    asked = []
    for _ in range(rounds):
        entry = int(ask())
        dataset.update(entry, _label(truth, entry))
        asked.append(entry)
    return asked


def _strategy_rounds(build, ask=None, extras=None, libact=False):
    """A ``run(inputs)``: a fresh Dataset, ``build(dataset, inputs)``, the query rounds.

    ``ask(strategy, dataset)`` gives one entry id (default ``strategy.make_query()``);
    ``extras(strategy, dataset)`` a dict of further results merged into the answer.
    """
    def run(inp, n_jobs=None):
        ds = _libact_dataset(inp) if libact else _dataset(inp)
        qs = build(ds, inp)
        query = (lambda: qs.make_query()) if ask is None else (lambda: ask(qs, ds))
        answer = {"queries": _ask_and_label(ds, query, inp["truth"], inp["rounds"])}
        if extras is not None:
            answer.update(extras(qs, ds))
        return answer
    return run


def _one_blas_thread(run):
    """``run`` with BLAS on one thread.

    The multi-label cases and DWUS, ALBL and BALD make many tiny model fits,
    whose times are erratic (and far longer) with several BLAS threads on a
    busy machine; every implementation of these cases runs this way.  The
    threads of fastal's own kernels are not limited.
    """
    @functools.wraps(run)
    def limited(inp, *args, **kwargs):
        from threadpoolctl import threadpool_limits
        with threadpool_limits(1, user_api="blas"):
            return run(inp, *args, **kwargs)
    return limited


def _libact(module, *names):
    """The named attributes of libact's ``module``.

    Raises ImportError when libact is missing, or when ``libact`` is fastal's
    compatibility alias (``fastal.compat.install()``) rather than libact.
    """
    import importlib
    dataset = importlib.import_module("libact.base.dataset")
    if dataset.Dataset.__module__.startswith("fastal"):
        raise ImportError("'libact' is fastal's compatibility alias here, not libact")
    found = importlib.import_module(module)
    return tuple(getattr(found, name) for name in names)


def _first_difference(a, b):
    """None when the query lists agree, else where they part."""
    a, b = list(a), list(b)
    if a == b:
        return None
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"differ at query {i + 1} of {len(a)}"
    return f"asked {len(b)} rows instead of {len(a)}"


def _same_array(a, b):
    """Whether two arrays agree: exactly, or for floats to a relative 1e-9."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype.kind in "fc" or b.dtype.kind in "fc":
        return bool(np.allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True))
    return bool(np.array_equal(a, b))


def same_answers(*extras):
    """A ``check(inputs, results)``: did every implementation ask for the same rows?

    The answers (dicts with ``"queries"``) are compared with the compiled
    backend's, or with the first one given when it is missing; each name in
    ``extras`` (such as ``"report"``) is compared too where both answers have it
    (floats to a relative 1e-9).  Implementations that did not run are not
    mentioned; those whose result holds no queries are listed as such.

    Returns
    -------
    str
        e.g. "same queries as compiled (10 each) from numpy, libact-style X: yes",
        or "queries against compiled (10 each): numpy: same; Y: differ at query 3 of 10".
    """
    def check(inputs, results):
        answers = {label: r for label, r in results.items()
                   if isinstance(r, dict) and "queries" in r}
        others = [label for label in results if label not in answers]
        note = f" ({', '.join(others)}: no queries)" if others else ""
        if not answers:
            return "no queries to compare" + note
        reference = "compiled" if "compiled" in answers else next(iter(answers))
        ref = answers[reference]
        n_queries = len(ref["queries"])
        compared = [label for label in answers if label != reference]
        if not compared:
            return f"only {reference} asked ({n_queries} queries): nothing to compare" + note
        verdicts = {}
        for label in compared:
            problems = []
            where = _first_difference(ref["queries"], answers[label]["queries"])
            if where:
                problems.append(where)
            for name in extras:
                if name in ref and name in answers[label] and \
                        not _same_array(ref[name], answers[label][name]):
                    problems.append(f"{name} differs")
            verdicts[label] = ", ".join(problems)
        things = " and ".join(("queries",) + extras)
        if not any(verdicts.values()):
            return (f"same {things} as {reference} ({n_queries} each) from "
                    f"{', '.join(compared)}: yes" + note)
        parts = [f"{label}: {verdicts[label] or 'same'}" for label in compared]
        return (f"{things} against {reference} ({n_queries} each): " + "; ".join(parts)
                + note)
    return check


def _lin(**kwargs):
    """fastal's LogisticRegression with liblinear (the binary models of the multi-label cases)."""
    from fastal.models import LogisticRegression
    return LogisticRegression(solver="liblinear", **kwargs)


def _gaussian_classes(n, n_classes, d, seed):
    """``n`` rows and their classes: unit normal noise around ``n_classes`` centres drawn
    with standard deviation 3."""
    rng = np.random.RandomState(seed)
    centres = 3.0 * rng.randn(n_classes, d)
    y = rng.randint(0, n_classes, size=n)
    return centres[y] + rng.randn(n, d), y


# =============================================================================
# hierarchical sampling
# =============================================================================

HS_CLASSES = 10
HS_LABELED = 20


class LoopHierarchicalSampling:
    """Hierarchical sampling with libact's data structures and loops.

    The Ward tree comes from scikit-learn; sizes and depths by a walk up the
    tree from every leaf; the pruning is a Python list searched with ``in``;
    the bounds are updated class by class per node; the final labeling lists
    the leaves recursively.

    Parameters
    ----------
    X : ndarray
        The rows.
    labels : list
        A class index or None per row.
    n_classes : int
    seed : int
        Seed of the query sampling (as ``random_state`` of fastal's strategy).
    """

    def __init__(self, X, labels, n_classes, seed):
        from sklearn.cluster import AgglomerativeClustering
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
        """The pruning node above ``node`` (a list search per ancestor)."""
        while node != -1 and node not in self.prunings:
            node = self.parent[node]
        return node

    def leaves(self, node):
        """The leaves under ``node``, listed recursively."""
        if self.size[node] == 1:
            return [node]
        return self.leaves(self.left[node]) + self.leaves(self.right[node])

    def update(self, entry, c):
        """Count label ``c`` of leaf ``entry`` up to its pruning node and re-prune below it."""
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
        """A pruning node drawn by weight, then a walk down to an unlabeled leaf."""
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
        """The label of every row: the best label of its pruning node."""
        out = np.empty(self.n, int)
        for p in self.prunings:
            b = self.best[p] if self.best[p] != -1 else (
                self.best[self.parent[p]] if self.parent[p] != -1 else 0)
            out[self.leaves(p)] = b
        return out


def _hs_setup(n, d, dtype, batch, labeled, seed, data=None):
    """n rows in 10 Gaussian classes (10 features), the first 20 labeled."""
    X, y = _gaussian_classes(n, HS_CLASSES, 10, seed)
    rounds = max(1, min(4000, 2 * n // 3, n - HS_LABELED - 1))    # 4000 of 6000 rows
    return _inputs(X, y, HS_LABELED, rounds)


def _hs_fastal(ds, inp):
    from fastal.query_strategies.multiclass import HierarchicalSampling
    return HierarchicalSampling(ds, list(range(HS_CLASSES)), random_state=0)


def _hs_loop(inp):
    """The libact-style hierarchical sampling peer: rounds, then the final labeling."""
    qs = LoopHierarchicalSampling(inp["X"], _initial(inp), HS_CLASSES, 0)
    asked = []
    for _ in range(inp["rounds"]):
        entry = qs.query()
        qs.update(entry, int(inp["truth"][entry]))
        asked.append(entry)
    return {"queries": asked, "report": qs.report_all()}


def _hs_libact(ds, inp):
    (HierarchicalSampling,) = _libact("libact.query_strategies.multiclass",
                                      "HierarchicalSampling")
    return HierarchicalSampling(ds, list(range(HS_CLASSES)), random_state=0)


# =============================================================================
# expected error reduction
# =============================================================================

EER_LABELED = 6


def _eer_model():
    from fastal.models import LogisticRegression
    return LogisticRegression(solver="liblinear", multi_class="ovr")


def libact_style_eer_errors(model, dataset, loss="log"):
    """The expected error of every unlabeled row, as libact computes it.

    For every candidate and label, a ``deepcopy`` of ``model`` is trained on
    the labeled rows plus the candidate with that label and scored on the pool.

    Returns
    -------
    (ndarray, ndarray)
        The unlabeled entry ids and their expected errors (smaller = query).
    """
    from fastal.base.dataset import Dataset
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


def _eer_setup(n, d, dtype, batch, labeled, seed, data=None):
    """n rows in 3 Gaussian classes (4 features), the first 6 labeled; one query."""
    X, y = _gaussian_classes(n, 3, 4, seed + 1)
    return _inputs(X, y, EER_LABELED, 1)


def _eer_fastal(workers):
    """The fastal run of the EER cases (``workers`` processes for the model fits)."""
    def run(inp, n_jobs=None):
        from fastal.query_strategies.multiclass import EER
        ds = _dataset(inp)
        qs = EER(ds, _eer_model(), loss="log", random_state=0, n_jobs=workers)
        asked, errors = [], None
        for _ in range(inp["rounds"]):
            entry, scores = qs.make_query(return_score=True)
            errors = -np.array([score for _, score in scores])
            ds.update(int(entry), _label(inp["truth"], int(entry)))
            asked.append(int(entry))
        return {"queries": asked, "errors": errors}
    return run


def _eer_loop(inp):
    """The libact-style EER peer: expected errors by the loop, the smallest asked."""
    ds = _dataset(inp)
    rs = np.random.RandomState(0)
    asked, errors = [], None
    for _ in range(inp["rounds"]):
        ids, errors = libact_style_eer_errors(_eer_model(), ds, "log")
        entry = int(ids[rs.choice(np.flatnonzero(errors == errors.min()))])
        ds.update(entry, _label(inp["truth"], entry))
        asked.append(entry)
    return {"queries": asked, "errors": errors}


def _libact_ovr_model():
    """libact's LogisticRegression(multi_class='ovr') on current scikit-learn."""
    (ProbabilisticModel,) = _libact("libact.base.interfaces", "ProbabilisticModel")
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier

    class OneVsRestLogistic(ProbabilisticModel):
        def __init__(self):
            self.model = OneVsRestClassifier(LogisticRegression(solver="liblinear"))

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

    return OneVsRestLogistic()


def _eer_libact(ds, inp):
    (EER,) = _libact("libact.query_strategies.multiclass", "EER")
    return EER(ds, _libact_ovr_model(), loss="log", random_state=0)


# =============================================================================
# active learning with cost embedding
# =============================================================================

ALCE_QUERIES = 20


def libact_style_smacof(D, n_uq, n_components, n_init, max_iter, eps, rs):
    """libact's non-metric SMACOF with partial weights, one start after the other.

    Every iteration calls scikit-learn's ``euclidean_distances`` and fits an
    ``IsotonicRegression``.

    Returns
    -------
    (ndarray, float, int)
        The embedding with the smallest stress, that stress, its iterations.
    """
    from sklearn.isotonic import IsotonicRegression
    from sklearn.metrics import euclidean_distances
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
    """ActiveLearningWithCostEmbedding as libact runs it.

    The embedding of the classes by :func:`libact_style_smacof` (8 starts, up
    to 300 iterations), one regressor per embedding dimension, the nearest
    embedded class by a NearestNeighbors query.

    Parameters
    ----------
    cost : ndarray
        The k x k cost matrix.
    regressor : estimator
        scikit-learn regressor, copied per dimension.
    seed : int
    """

    def __init__(self, cost, regressor, seed):
        from sklearn.neighbors import NearestNeighbors
        k = len(cost)
        self.rs = np.random.RandomState(seed)
        D = np.zeros((2 * k, 2 * k))
        D[:k, k:] = cost
        D[k:, :k] = cost.T
        emb = libact_style_smacof(D, k, k, 8, 300, 1e-6, self.rs)[0]
        self.class_embed = emb[:k]
        self.nn = NearestNeighbors(n_neighbors=1).fit(emb[k:])
        self.regressors = [copy.deepcopy(regressor) for _ in range(k)]

    def query(self, dataset):
        """The unlabeled row whose predicted embedding is farthest from every class."""
        ids, pool = dataset.get_unlabeled_entries()
        X, y = dataset.get_labeled_entries()
        pred = np.zeros((len(ids), len(self.regressors)))
        for i, reg in enumerate(self.regressors):
            reg.fit(X, self.class_embed[y, i])
            pred[:, i] = reg.predict(pool)
        dist = self.nn.kneighbors(pred)[0][:, 0]
        return int(ids[self.rs.choice(np.flatnonzero(np.isclose(dist, dist.max())))])


def _alce_setup(n, d, dtype, batch, labeled, seed, data=None):
    """n rows in k = n // 40 Gaussian classes (8 features), a random k x k cost matrix,
    the first row of every class labeled."""
    k = max(2, n // 40)
    cost = np.random.RandomState(seed + 3).rand(k, k)
    np.fill_diagonal(cost, 0)
    X, y = _gaussian_classes(n, k, 8, seed + 2)
    first = [int(np.flatnonzero(y == c)[0]) for c in range(k) if np.any(y == c)]
    return _inputs(X, y, first, _rounds(ALCE_QUERIES, n, len(first)), cost=cost)


def _alce_fastal(ds, inp):
    from sklearn.linear_model import LinearRegression

    from fastal.query_strategies.multiclass import ActiveLearningWithCostEmbedding
    return ActiveLearningWithCostEmbedding(ds, inp["cost"], LinearRegression(), random_state=0)


def _alce_loop(ds, inp):
    from sklearn.linear_model import LinearRegression
    return LoopALCE(inp["cost"], LinearRegression(), 0)


def _alce_libact(ds, inp):
    from sklearn.linear_model import LinearRegression
    (ALCE,) = _libact("libact.query_strategies.multiclass", "ActiveLearningWithCostEmbedding")
    return ALCE(ds, inp["cost"], LinearRegression(), random_state=0)


def _embedding(qs, ds):
    return {"embedding": np.array(qs.class_embed)}


# =============================================================================
# multi-label strategies
# =============================================================================

MULTILABEL_QUERIES = 3
AAL_QUERIES = 2


class LoopBinaryRelevance:
    """libact's BinaryRelevance: models listed first, trained behind joblib, outputs
    written into a zero matrix one label at a time.

    Parameters
    ----------
    base_clf : fastal model
        Copied per label (a constant label gets a ``DummyClf``).
    n_jobs : int
        Threads of the joblib ``Parallel`` that trains the models.
    """

    def __init__(self, base_clf, n_jobs=1):
        self.base_clf = copy.copy(base_clf)
        self.n_jobs = n_jobs

    def train(self, dataset):
        from joblib import Parallel, delayed

        from fastal.base.dataset import Dataset
        from fastal.models.multilabel import DummyClf
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
    """libact's MMC (maximum loss reduction with maximal confidence): the predicted
    label sets built row by row."""

    def __init__(self, dataset, br_base, random_state):
        from fastal.models import LogisticRegression
        self.dataset, self.br_base = dataset, br_base
        self.n_labels = len(dataset.get_labeled_entries()[1][0])
        self.random_state_ = np.random.RandomState(random_state)
        self.lr = LogisticRegression(multi_class="multinomial", solver="newton-cg")

    def make_query(self):
        from fastal.base.dataset import Dataset
        labeled, Y = self.dataset.get_labeled_entries()
        ids, X_pool = self.dataset.get_unlabeled_entries()
        Y = np.array(Y)
        br = LoopBinaryRelevance(self.br_base).train(Dataset(labeled, Y))
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


class LoopBinaryMinimization:
    """libact's BinaryMinimization: a model per label, the row closest to a boundary."""

    def __init__(self, dataset, base_clf, random_state):
        self.dataset, self.base_clf = dataset, base_clf
        self.n_labels = len(dataset.data[0][1])
        self.random_state_ = np.random.RandomState(random_state)

    def make_query(self):
        from fastal.base.dataset import Dataset
        from fastal.models.multilabel import DummyClf
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


def _approximate_error(br, dataset, X_pool):
    """libact's AAL error of a binary relevance trained on ``dataset``, on the pool."""
    br.train(dataset)
    real = br.predict_real(X_pool)
    pos = np.copy(real)
    pos[real < 0] = 1
    neg = np.copy(real)
    neg[real > 0] = -1
    return np.sum(np.max(1. - pos, axis=1) + np.max(1. + neg, axis=1))


class LoopAAL:
    """libact's adaptive active learning: every candidate of every beta is evaluated
    by a fresh binary relevance on a new Dataset (threads when ``n_jobs != 1``)."""

    def __init__(self, dataset, base_clf, n_jobs, random_state):
        self.dataset, self.base_clf, self.n_jobs = dataset, copy.deepcopy(base_clf), n_jobs
        self.betas = [i / 10. for i in range(11)]
        self.random_state_ = np.random.RandomState(random_state)

    def make_query(self):
        from joblib import Parallel, delayed

        from fastal.base.dataset import Dataset
        X, Y = self.dataset.get_labeled_entries()
        ids, X_pool = self.dataset.get_unlabeled_entries()
        Y = np.array(Y)
        clf = LoopBinaryRelevance(self.base_clf, n_jobs=self.n_jobs).train(self.dataset)
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
            delayed(_approximate_error)(
                LoopBinaryRelevance(self.base_clf),
                Dataset(np.vstack((X, X_pool[i])), np.vstack((Y, pred[i]))), X_pool)
            for i in candidates)
        choices = np.where(np.array(errors) == np.min(errors))[0]
        return ids[candidates[self.random_state_.choice(choices)]]


class _LoopBit:
    """libact's CSRPE bit classifier: a bit once constant stays so; the model of a
    varying bit is trained with cost weights."""

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
        from fastal.base.dataset import Dataset
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
    """libact's cost-sensitive reference pair encoding query: the bits trained one by
    one, Hamming distances through ``paired_distances`` with scipy's ``hamming``
    (a Python call per row), the nearest training code by a ball tree."""

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
        from joblib import Parallel, delayed
        from scipy.spatial.distance import hamming
        from sklearn.metrics.pairwise import paired_distances
        from sklearn.neighbors import NearestNeighbors
        ids, X_pool = self.dataset.get_unlabeled_entries()
        X, Y = self.dataset.format_sklearn()
        if self.bits is None:
            self.bits = [_LoopBit(self.base_model, self.scoring_fn,
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


class LoopAuxiliaryLearner:
    """libact's MultilabelWithAuxiliaryLearner, criterion "mmr": both learners copied
    and trained per query."""

    def __init__(self, dataset, major, aux, random_state):
        self.dataset, self.major, self.aux = dataset, major, aux
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


def _multilabel_setup(queries, n_labeled=20, n_features=20, n_labels=10):
    """A setup: ``make_multilabel_classification`` rows, the first ``n_labeled`` labeled."""
    def setup(n, d, dtype, batch, labeled, seed, data=None):
        from sklearn.datasets import make_multilabel_classification
        X, Y = make_multilabel_classification(n_samples=n, n_features=n_features,
                                              n_classes=n_labels, random_state=seed)
        return _inputs(X.astype(float), Y, n_labeled, _rounds(queries, n, n_labeled))
    return setup


def _mmc_fastal(ds, inp):
    from fastal.query_strategies.multilabel import MMC
    return MMC(ds, br_base=_lin(), random_state=0)


def _binmin_fastal(ds, inp):
    from fastal.query_strategies.multilabel import BinaryMinimization
    return BinaryMinimization(ds, _lin(), random_state=0)


def _aal_fastal(n_jobs):
    def build(ds, inp):
        from fastal.query_strategies.multilabel import AdaptiveActiveLearning
        return AdaptiveActiveLearning(ds, _lin(), n_jobs=n_jobs, random_state=0)
    return build


def _csrpe_fastal(ds, inp):
    from fastal.models.multilabel import BinaryRelevance
    from fastal.query_strategies.multilabel import CostSensitiveReferencePairEncoding
    from fastal.utils.multilabel import pairwise_f1_score
    return CostSensitiveReferencePairEncoding(ds, pairwise_f1_score, BinaryRelevance(_lin()),
                                              _lin(), n_models=100, random_state=0)


def _csrpe_loop(ds, inp):
    from fastal.utils.multilabel import pairwise_f1_score
    return LoopCSRPE(ds, pairwise_f1_score, LoopBinaryRelevance(_lin()), _lin(), 100, 0)


def _auxiliary_fastal(ds, inp):
    from fastal.models import SVM
    from fastal.models.multilabel import BinaryRelevance
    from fastal.query_strategies.multilabel import MultilabelWithAuxiliaryLearner
    return MultilabelWithAuxiliaryLearner(ds, BinaryRelevance(_lin()),
                                          BinaryRelevance(SVM(kernel="linear")),
                                          criterion="mmr", random_state=0)


def _auxiliary_loop(ds, inp):
    from fastal.models import SVM
    return LoopAuxiliaryLearner(ds, LoopBinaryRelevance(_lin()),
                                LoopBinaryRelevance(SVM(kernel="linear")), 0)


# =============================================================================
# QUIRE
# =============================================================================

QUIRE_FEATURES = 10
QUIRE_LABELED = 20
QUIRE_GAMMA = 0.1
QUIRE_QUERIES = 10


class DirectQUIRE:
    """QUIRE with libact's state (K and L = (K + lambda I)^-1, once) and everything
    that depends on the labeled set recomputed at every query.

    :meth:`scores` evaluates the closed form of fastal's QUIRE on that state
    (O(u^3) per query for M and det L[U, U]); :meth:`libact_evaluations` runs
    libact's per-candidate loop, a (u-1) x (u-1) matrix per candidate (O(u^3)
    per query with far larger constants).

    Parameters
    ----------
    X : ndarray
    labeled : ndarray of bool
        Which rows are labeled.
    y : ndarray
        Labels (+1/-1) of every row (only the labeled ones are read).
    lmbda, gamma : float
        QUIRE's regularization and the RBF kernel's gamma.
    """

    def __init__(self, X, labeled, y, lmbda=1.0, gamma=QUIRE_GAMMA):
        from sklearn.metrics.pairwise import rbf_kernel
        self.K = rbf_kernel(X, X, gamma=gamma)
        self.L = np.linalg.inv(self.K + lmbda * np.eye(len(X)))
        self.lmbda = lmbda
        self.labeled = labeled.copy()
        self.y = np.array(y, dtype=float)

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
        """``(U, scores)``: the unlabeled rows and their scores (larger = query)."""
        U, _, det, M, a = self._prepare()
        P = self.L[np.ix_(U, U)]
        p, m = np.diag(P).copy(), np.diag(M).copy()
        np.fill_diagonal(P, 0.0)
        np.fill_diagonal(M, 0.0)
        b = M @ a + m * a
        tmp = a - (P @ b - a * (P * M.T).sum(axis=1))
        tmp += (1.0 / m) * (M * M).sum(axis=0) * P.sum(axis=1) * (a.sum() - a)
        return U, -(p - det / p + 2.0 * np.abs(tmp))

    def libact_evaluations(self):
        """``(U, evaluations)`` by libact's loop over the candidates (smaller = query)."""
        U, Lb, det, M, _ = self._prepare()
        L = self.L
        y = self.y[Lb]
        eva = np.empty(len(U))
        for pos in range(len(U)):
            i = U[pos]
            rest = np.delete(np.arange(len(U)), pos)
            r = U[rest]
            inner = M[np.ix_(rest, rest)] - (M[rest, pos] @ M[rest, pos]) / M[pos, pos]
            tmp = (L[i, Lb] - (L[i, r] @ inner) @ L[np.ix_(r, Lb)]) @ y
            eva[pos] = L[i, i] - det / L[i, i] + 2.0 * abs(tmp)
        return U, eva


def _quire_setup(n, d, dtype, batch, labeled, seed, data=None):
    """n normal rows (10 features), labels +-1 from the first feature and noise, the
    first 20 labeled."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, QUIRE_FEATURES))
    y = np.where(X[:, 0] + 0.5 * rng.normal(size=n) > 0, 1.0, -1.0)
    return _inputs(X, y, QUIRE_LABELED, _rounds(QUIRE_QUERIES, n, QUIRE_LABELED))


def _quire_fastal(ds, inp):
    from fastal.query_strategies.quire import QUIRE
    return QUIRE(ds, gamma=QUIRE_GAMMA)


def _quire_peer(pick):
    """A peer run: a DirectQUIRE and ``pick(state)`` for the entry id of each query."""
    def run(inp):
        labeled = np.array([label is not None for label in inp["initial"]])
        state = DirectQUIRE(inp["X"], labeled, inp["truth"])
        asked = []
        for _ in range(inp["rounds"]):
            entry = int(pick(state))
            state.update(entry, inp["truth"][entry])
            asked.append(entry)
        return {"queries": asked}
    return run


def _quire_direct_pick(state):
    """The row of the largest closed-form score."""
    U, scores = state.scores()
    return U[np.argmax(scores)]


def _quire_loop_pick(state):
    """The row of the smallest evaluation by libact's loop."""
    U, evaluations = state.libact_evaluations()
    return U[np.argmin(evaluations)]


def _quire_memory(inp):
    """Bytes held by the peers' n x n matrices (K, L and the u x u blocks of a query)."""
    return 4 * 8.0 * len(inp["X"]) ** 2


def _quire_libact(ds, inp):
    (QUIRE,) = _libact("libact.query_strategies", "QUIRE")
    return QUIRE(ds, gamma=QUIRE_GAMMA)


# =============================================================================
# HintSVM
# =============================================================================

HINTSVM_LABELED = 20


def _hintsvm_setup(n, d, dtype, batch, labeled, seed, data=None):
    """make_classification rows (20 features, 10 informative), labels +-1, the first
    20 labeled; one query."""
    from sklearn.datasets import make_classification
    X, y = make_classification(n_samples=n, n_features=20, n_informative=10,
                               random_state=seed)
    return _inputs(X, 2 * y - 1, HINTSVM_LABELED, 1)


def _hintsvm_fastal(kernel):
    def build(ds, inp):
        from fastal.query_strategies.hintsvm import HintSVM
        return HintSVM(ds, kernel=kernel, random_state=0)
    return build


def _hintsvm_libact(kernel):
    def build(ds, inp):
        (HintSVM,) = _libact("libact.query_strategies", "HintSVM")
        return HintSVM(ds, kernel=kernel, random_state=0)
    return build


def _svc_fit(kernel):
    """A peer fitting SVC on every row with the labels (for scale: it asks nothing)."""
    def run(inp):
        from sklearn.svm import SVC
        SVC(kernel=kernel, C=0.1, gamma=0.1).fit(inp["X"], inp["truth"])
    return run


# =============================================================================
# DWUS, ALBL, BALD
# =============================================================================

LIBACT_STRATEGY_FEATURES = 10
DWUS_LABELED, DWUS_QUERIES = 10, 20
ALBL_LABELED, ALBL_QUERIES = 10, 300
BALD_LABELED, BALD_QUERIES, BALD_MODELS = 30, 10, 10


class LoopDWUS:
    """libact's density weighted uncertainty sampling: rows gathered by a Python pass
    over the Dataset, the EM with ``np.tile`` for all ``max_iter`` iterations,
    scipy's multivariate normal densities, the labeled rows found by another pass."""

    def __init__(self, dataset, n_clusters=5, sigma=0.1, max_iter=100, C=1., random_state=None):
        from scipy.stats import multivariate_normal
        from sklearn.cluster import KMeans
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
        from scipy.optimize import minimize
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
    """libact's active learning by learning: Exp4.P as a generator, the reward
    computed with one ``predict`` call per row asked so far."""

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
    """libact's BALD: a Dataset per bootstrap bag, the members' entropies in a list."""

    def __init__(self, dataset, models, random_state):
        self.dataset, self.models = dataset, models
        self.rs = np.random.RandomState(random_state)
        dataset.on_update(lambda entry_id, label: self.train())
        self.train()

    def train(self):
        from fastal.base.dataset import Dataset
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


def _sk_logistic(**kwargs):
    from sklearn.linear_model import LogisticRegression

    from fastal.models import SklearnProbaAdapter
    return SklearnProbaAdapter(LogisticRegression(**kwargs))


def _dwus_setup(n, d, dtype, batch, labeled, seed, data=None):
    """n rows around 5 random centres (10 features, scaled by 1 / sqrt(10)), labels +-1
    by the side of a plane, the first 10 labeled."""
    d = LIBACT_STRATEGY_FEATURES
    rng = np.random.RandomState(seed)
    centres = rng.uniform(-3, 3, size=(5, d))
    X = centres[rng.randint(0, 5, size=n)] + rng.randn(n, d)
    X /= np.sqrt(d)                                 # keeps the loop's EM away from underflow
    y = np.where(X[:, 0] + X[:, 1] > 0, 1, -1)
    return _inputs(X, y, DWUS_LABELED, _rounds(DWUS_QUERIES, n, DWUS_LABELED))


def _dwus_fastal(ds, inp):
    from fastal.query_strategies.density_weighted_uncertainty_sampling import DWUS
    return DWUS(ds, random_state=0)


def _albl_setup(n, d, dtype, batch, labeled, seed, data=None):
    """n normal rows (10 features), noisy linear labels 0/1, the first 10 labeled."""
    rng = np.random.RandomState(seed + 1)
    X = rng.randn(n, LIBACT_STRATEGY_FEATURES)
    y = (X[:, 0] + 0.5 * X[:, 1] + 0.5 * rng.randn(n) > 0).astype(int)
    return _inputs(X, y, ALBL_LABELED, _rounds(ALBL_QUERIES, n, ALBL_LABELED))


def _albl_arms(ds):
    from fastal.query_strategies import RandomSampling, UncertaintySampling
    return [UncertaintySampling(ds, model=_sk_logistic(solver="liblinear")),
            RandomSampling(ds, random_state=1)]


def _albl_fastal(ds, inp):
    from fastal.query_strategies.active_learning_by_learning import ActiveLearningByLearning
    return ActiveLearningByLearning(ds, query_strategies=_albl_arms(ds), T=inp["rounds"],
                                    model=_sk_logistic(solver="liblinear"), random_state=1)


def _albl_loop(ds, inp):
    return LoopALBL(ds, _albl_arms(ds), inp["rounds"], _sk_logistic(solver="liblinear"), 1)


def _bald_setup(n, d, dtype, batch, labeled, seed, data=None):
    """n rows in 3 Gaussian classes (10 features), the first 30 labeled."""
    rng = np.random.RandomState(seed + 2)
    y = rng.randint(0, 3, size=n)
    X = 1.5 * rng.randn(3, LIBACT_STRATEGY_FEATURES)[y] + rng.randn(n, LIBACT_STRATEGY_FEATURES)
    return _inputs(X, y, BALD_LABELED, _rounds(BALD_QUERIES, n, BALD_LABELED))


def _bald_members():
    return [_sk_logistic(C=c) for c in np.logspace(-2, 1, BALD_MODELS)]


def _bald_fastal(ds, inp):
    from fastal.query_strategies.bald import BALD
    return BALD(ds, models=_bald_members(), random_state=2)


def _bald_loop(ds, inp):
    return LoopBALD(ds, _bald_members(), 2)


# =============================================================================
# the list
# =============================================================================

_DATA_NOTE = "d, dtype, batch, labeled, --pool and --data are not used"


def _case(name, setup, run, description, peers, *, bench_n, exponent, default_n,
          extras=(), one_blas_thread=False):
    """A strategy Case whose check compares the queries (and ``extras``) of every run.

    ``one_blas_thread``: the fastal run and every peer run with BLAS on one
    thread (see :func:`_one_blas_thread`), as the stand-alone script did.
    """
    description = f"{description}; {_DATA_NOTE}"
    if one_blas_thread:
        run = _one_blas_thread(run)
        peers = tuple(dataclasses.replace(peer, run=_one_blas_thread(peer.run))
                      for peer in peers)
        description += "; BLAS on 1 thread"
    return Case(name, "strategy", setup, run, description, None, tuple(peers), bench_n,
                exponent, check=same_answers(*extras), default_n=default_n)


def _libact_peer(name, module, build, exponent):
    """A peer running libact's own strategy (built by ``build(dataset, inputs)``)."""
    return Peer(name, module, _strategy_rounds(build, libact=True), exponent=exponent)


def _loop_peer(name, module, build, exponent, ask=None, extras=None):
    """A peer running a libact-style restatement (built by ``build(dataset, inputs)``)."""
    return Peer(name, module, _strategy_rounds(build, ask=ask, extras=extras),
                exponent=exponent)


_MULTILABEL_DATA = ("make_multilabel_classification rows, 20 features, 10 labels, "
                    "20 labeled")
_MULTILABEL = _multilabel_setup(MULTILABEL_QUERIES)
_YEAST_SHAPED = _multilabel_setup(AAL_QUERIES, n_labeled=5, n_features=103, n_labels=14)
_EER_LOOP = Peer("libact-style EER (deepcopy + fit per label)", "sklearn.linear_model",
                 _eer_loop, exponent=2.0)


def _hs_report(qs, ds):
    """The final labeling of every row by fastal's hierarchical sampling."""
    return {"report": np.asarray(qs.report_all_label())}


LIBACT_CASES = [
    _case("hierarchical_sampling", _hs_setup, _strategy_rounds(_hs_fastal, extras=_hs_report),
          "HierarchicalSampling: Ward tree, min(4000, 2 n / 3) queries + labels, "
          "report_all_label; n rows in 10 Gaussian classes, 10 features, 20 labeled",
          (Peer("libact-style HS (pruning list, class loops)", "sklearn.cluster", _hs_loop,
                exponent=2.0),
           _libact_peer("libact HierarchicalSampling", "libact.query_strategies.multiclass",
                        _hs_libact, 2.0)),
          bench_n=1000, exponent=2.0, default_n=6000, extras=("report",)),
    _case("eer", _eer_setup, _eer_fastal(1),
          "EER(LogisticRegression liblinear ovr, log loss), n_jobs=1: 1 query; n rows "
          "(4 features, 3 classes, 6 labeled): 3 (n - 6) model fits",
          (_EER_LOOP,
           _libact_peer("libact EER", "libact.query_strategies.multiclass", _eer_libact, 2.0)),
          bench_n=40, exponent=2.0, default_n=206, extras=("errors",)),
    _case("eer_jobs", _eer_setup, _eer_fastal(-1),
          "EER as in 'eer' with n_jobs=-1 (fastal's worker processes, started by the "
          "untimed first run) against the serial libact-style loop",
          (_EER_LOOP,),
          bench_n=40, exponent=2.0, default_n=206, extras=("errors",)),
    _case("alce", _alce_setup, _strategy_rounds(_alce_fastal, extras=_embedding),
          "ActiveLearningWithCostEmbedding(LinearRegression): MDS of a random k x k cost "
          "matrix (k = n // 40, at least 2; 8 starts, up to 300 iterations), 20 queries + "
          "labels; n rows in k Gaussian classes, 8 features, the first row of each "
          "class labeled",
          (_loop_peer("libact-style ALCE (sequential SMACOF starts)", "sklearn.isotonic",
                      _alce_loop, 2.0, ask=lambda qs, ds: qs.query(ds), extras=_embedding),
           _libact_peer("libact ActiveLearningWithCostEmbedding",
                        "libact.query_strategies.multiclass", _alce_libact, 2.0)),
          bench_n=160, exponent=2.0, default_n=640, extras=("embedding",)),
    _case("mmc", _MULTILABEL, _strategy_rounds(_mmc_fastal),
          "MMC(br_base=LogisticRegression liblinear): 3 queries + labels; " + _MULTILABEL_DATA,
          (_loop_peer("libact-style MMC (label sets row by row)", "sklearn.linear_model",
                      lambda ds, inp: LoopMMC(ds, _lin(), 0), 1.0),),
          bench_n=5000, exponent=1.0, default_n=200000, one_blas_thread=True),
    _case("binary_minimization", _MULTILABEL, _strategy_rounds(_binmin_fastal),
          "BinaryMinimization(LogisticRegression liblinear): 3 queries + labels; "
          + _MULTILABEL_DATA,
          (_loop_peer("libact-style BinaryMinimization", "sklearn.linear_model",
                      lambda ds, inp: LoopBinaryMinimization(ds, _lin(), 0), 1.0),),
          bench_n=5000, exponent=1.0, default_n=100000, one_blas_thread=True),
    _case("aal", _YEAST_SHAPED, _strategy_rounds(_aal_fastal(1)),
          "AdaptiveActiveLearning(LogisticRegression liblinear), n_jobs=1: 2 queries + "
          "labels; make_multilabel_classification rows in yeast's shape (103 features, "
          "14 labels, 5 labeled: hundreds of candidates per query)",
          (_loop_peer("libact-style AAL (a BR per candidate)", "sklearn.linear_model",
                      lambda ds, inp: LoopAAL(ds, _lin(), 1, 0), 2.0),),
          bench_n=100, exponent=2.0, default_n=250, one_blas_thread=True),
    _case("aal_jobs", _YEAST_SHAPED, _strategy_rounds(_aal_fastal(-1)),
          "AdaptiveActiveLearning as in 'aal' with n_jobs=-1: fastal's worker processes "
          "(started by the untimed first run) against the loop's joblib threads",
          (_loop_peer("libact-style AAL, threads (n_jobs=-1)", "sklearn.linear_model",
                      lambda ds, inp: LoopAAL(ds, _lin(), -1, 0), 2.0),),
          bench_n=100, exponent=2.0, default_n=250, one_blas_thread=True),
    _case("csrpe", _MULTILABEL, _strategy_rounds(_csrpe_fastal),
          "CostSensitiveReferencePairEncoding(pairwise F1, 100 bit models, LogisticRegression "
          "liblinear): 3 queries + labels; " + _MULTILABEL_DATA,
          (_loop_peer("libact-style CSRPE (row-wise Hamming)", "sklearn.neighbors",
                      _csrpe_loop, 1.0),),
          bench_n=2000, exponent=1.0, default_n=50000, one_blas_thread=True),
    _case("auxiliary_learner", _MULTILABEL, _strategy_rounds(_auxiliary_fastal),
          "MultilabelWithAuxiliaryLearner(BR LogisticRegression liblinear, BR linear SVM, "
          "'mmr'): 3 queries + labels; " + _MULTILABEL_DATA,
          (_loop_peer("libact-style auxiliary learner", "sklearn.svm", _auxiliary_loop,
                      1.0),),
          bench_n=5000, exponent=1.0, default_n=100000, one_blas_thread=True),
    _case("quire", _quire_setup, _strategy_rounds(_quire_fastal),
          "QUIRE(rbf, gamma 0.1): 10 queries + labels; n normal rows, 10 features, "
          "20 labeled; 'direct' recomputes M and det L[U, U] per query (O(u^3)), the "
          "libact-style loop builds a (u-1) x (u-1) matrix per candidate",
          (Peer("QUIRE direct (M, det recomputed per query)", "sklearn.metrics",
                _quire_peer(_quire_direct_pick), _quire_memory, exponent=3.0),
           Peer("libact-style QUIRE (a matrix per candidate)", "sklearn.metrics",
                _quire_peer(_quire_loop_pick), _quire_memory, exponent=3.0),
           _libact_peer("libact QUIRE", "libact.query_strategies", _quire_libact, 3.0)),
          bench_n=300, exponent=3.0, default_n=800),
    _case("hintsvm", _hintsvm_setup, _strategy_rounds(_hintsvm_fastal("linear")),
          "HintSVM(kernel='linear'): construction + 1 query; make_classification rows, "
          "20 features, 20 labeled (about (n - 20) / 2 hint rows); SVC.fit on all rows "
          "for scale",
          (Peer("scikit-learn SVC.fit (all rows, for scale)", "sklearn.svm",
                _svc_fit("linear"), exponent=2.0),
           _libact_peer("libact HintSVM", "libact.query_strategies", _hintsvm_libact("linear"),
                        2.0)),
          bench_n=500, exponent=1.0, default_n=5000),
    _case("hintsvm_rbf", _hintsvm_setup, _strategy_rounds(_hintsvm_fastal("rbf")),
          "HintSVM(kernel='rbf', gamma 0.1): construction + 1 query; data as 'hintsvm'",
          (Peer("scikit-learn SVC.fit (all rows, for scale)", "sklearn.svm", _svc_fit("rbf"),
                exponent=2.0),
           _libact_peer("libact HintSVM", "libact.query_strategies", _hintsvm_libact("rbf"),
                        2.0)),
          bench_n=1000, exponent=2.0, default_n=10000),
    _case("dwus", _dwus_setup, _strategy_rounds(_dwus_fastal),
          "DWUS (5 clusters, 100 EM iterations): construction + 20 queries + labels; n rows "
          "around 5 centres, 10 features, 10 labeled",
          (_loop_peer("libact-style DWUS (Python passes, tiled EM)", "scipy.stats",
                      lambda ds, inp: LoopDWUS(ds, random_state=0), 1.0),),
          bench_n=5000, exponent=1.0, default_n=100000, one_blas_thread=True),
    _case("albl", _albl_setup, _strategy_rounds(_albl_fastal),
          "ActiveLearningByLearning (uncertainty + random arms, LogisticRegression "
          "liblinear): T = 300 queries + labels (at most half the pool); n normal rows, "
          "10 features, 10 labeled",
          (_loop_peer("libact-style ALBL (a predict per asked row)", "sklearn.linear_model",
                      _albl_loop, 0.2),),
          bench_n=2000, exponent=0.2, default_n=20000, one_blas_thread=True),
    _case("bald", _bald_setup, _strategy_rounds(_bald_fastal),
          "BALD (10 LogisticRegression members, C from 0.01 to 10): 10 queries + labels; "
          "n rows in 3 Gaussian classes, 10 features, 30 labeled",
          (_loop_peer("libact-style BALD (a Dataset per bag)", "sklearn.linear_model",
                      _bald_loop, 1.0),),
          bench_n=5000, exponent=1.0, default_n=50000, one_blas_thread=True),
]
