"""The benchmark cases: one list shared by ``python -m fastal.benchmark`` and the
pytest-benchmark suite.

A ``Case`` builds its inputs from (n, d, dtype, batch, labeled, seed[, data])
and runs fastal on them (``run(inputs, n_jobs)``); the backend is chosen by the
caller with ``fastal.use_backend``.  Its ``peers`` run the same work with other
libraries, each imported only when it is run.
"""
from dataclasses import dataclass, field, replace
from typing import Callable, Optional, Tuple

import numpy as np
import scipy.sparse as sp

from fastal import kernels as K

__all__ = ["Case", "Peer", "CASES", "case_names", "get_cases", "pool_rows", "make_inputs",
           "numpy_max_min", "NUMPY_INCREMENTAL", "DENSITY_SAMPLES"]

# reference rows of the sampled density cases unless --density-samples says otherwise
DENSITY_SAMPLES = 10_000
# rows whose sampled density or approximate neighbours are checked against the exact ones
CHECKED_ROWS = 5_000


@dataclass(frozen=True)
class Peer:
    """Another library's implementation of a case's work.

    ``module``: the import that must succeed (else "skipped: not installed").
    ``run(inputs)``: the work.  ``memory(inputs)``: bytes it is expected to
    hold at its peak (its n x n matrices).  ``exponent``: its time grows as
    n ** exponent (used to scale a small trial run to the requested n).
    ``sparse``: it also takes sparse (CSR) rows.
    """
    name: str
    module: str
    run: Callable
    memory: Callable = lambda inputs: 0
    exponent: float = 2.0
    sparse: bool = False


@dataclass(frozen=True)
class Case:
    """One piece of work timed on both backends and against its peers.

    ``kind``: "kernel" (``run`` takes ``n_jobs``) or "strategy" (a
    ``make_query(n_instances=batch)`` from a fresh Dataset; threads are set
    with ``fastal.set_num_threads``).  ``bound(inputs)``: (operations, unit)
    with unit "flop" (timed against the GEMM rate) or "byte" (against the copy
    bandwidth), or None.  ``exponent``: the NumPy twin's time grows as
    n ** exponent.  ``bench_n``: the rows the pytest-benchmark suite uses.
    ``check(inputs, results)``: after the timing, a one-line account of the
    answers (``results`` maps each implementation's label to the result of
    its last timed call): the error of an approximation, whether a peer
    picked the same rows.  ``default_n``: the rows used when the user gives
    no ``--n`` (cases whose work grows faster than the others').
    ``sparse``: the case also runs on sparse (CSR) rows.  ``own_data``: the
    case makes its own rows from n and the seed (``--pool``, ``--data``,
    ``--d`` and ``--dtype`` do not apply to it).
    """
    name: str
    kind: str
    setup: Callable
    run: Callable
    description: str
    bound: Optional[Callable] = None
    peers: Tuple[Peer, ...] = field(default_factory=tuple)
    bench_n: int = 4000
    exponent: float = 1.0
    check: Optional[Callable] = None
    default_n: Optional[int] = None
    sparse: bool = False
    own_data: bool = False


def pool_rows(n, d, dtype, seed, data=None):
    """The rows every case works on: ``data`` (its first n rows; dense or CSR) or n x d
    normal rows."""
    if data is not None:
        rows = data if n is None else data[:n]
        if sp.issparse(rows):
            return sp.csr_matrix(rows, dtype=dtype)
        return np.ascontiguousarray(rows, dtype=dtype)
    return np.random.default_rng(seed).normal(size=(n, d)).astype(dtype)


def make_inputs(n, d, dtype, batch, labeled, seed, data=None):
    """Inputs shared by the cases.

    X: the rows; L: the first ``labeled`` rows (the labeled set); P: the other
    rows (the pool); u: uncertainty scores of P in [0, 0.5) and ``proba`` the
    two-class probabilities that give them (1 - max proba = u); y: labels of
    the labeled rows (alternating 0, 1); k: neighbours for k-NN density;
    density_samples, density_sampling: the reference rows of sampled density
    (m, at most n) and how they are drawn.
    """
    X = pool_rows(n, d, dtype, seed, data)
    n = X.shape[0]
    rs = np.random.default_rng(seed + 1)
    u = 0.5 * rs.random(n - labeled)
    return {
        "X": X, "L": X[:labeled], "P": X[labeled:], "u": u,
        "proba": np.column_stack([1.0 - u, u]),
        "y": np.arange(labeled) % 2, "batch": batch, "labeled": labeled,
        "k": min(10, n - 1), "seed": seed, "density_samples": min(DENSITY_SAMPLES, n),
        "density_sampling": "local",
    }


def _setup(n, d, dtype, batch, labeled, seed, data=None):
    return make_inputs(n, d, dtype, batch, labeled, seed, data)


def _all_pairs(inp):
    n, d = inp["X"].shape
    return float(n) * n * d, "flop"


def _to_labeled(inp):
    n, d = inp["P"].shape
    return float(n) * inp["L"].shape[0] * d, "flop"


def _read_once(inp):
    return float(inp["X"].nbytes), "byte"


def _n2_bytes(factor=1.0):
    return lambda inp: factor * 8.0 * inp["X"].shape[0] ** 2


# ---------------------------------------------------------------- peers

def _modal_density(metric):
    def run(inp):
        from modAL.density import information_density
        return information_density(inp["X"], metric)
    return Peer(f"modAL information_density ({metric})", "modAL.density", run, _n2_bytes(2.0),
                sparse=True)


def _sklearn_cosine(inp):
    from sklearn.metrics.pairwise import cosine_similarity
    return cosine_similarity(inp["X"]).mean(axis=1)


def _sklearn_knn(metric):
    def run(inp):
        from sklearn.neighbors import NearestNeighbors
        nn = NearestNeighbors(n_neighbors=inp["k"], algorithm="brute", metric=metric)
        return nn.fit(inp["X"]).kneighbors_graph(mode="distance")
    # chunked by scikit-learn's working_memory (1 GB by default)
    return Peer(f"scikit-learn NearestNeighbors(brute, {metric})", "sklearn.neighbors", run,
                lambda inp: min(8.0 * inp["X"].shape[0] ** 2, 1e9), sparse=True)


class _FixedProba:
    """A fitted classifier as modAL sees it: labeled rows and given probabilities."""

    on_transformed = False

    def __init__(self, X_training, proba):
        self.X_training = X_training
        self._proba = proba

    def predict_proba(self, X):
        return self._proba


def _modal_ranked(inp):
    from modAL.batch import uncertainty_batch_sampling
    return uncertainty_batch_sampling(_FixedProba(inp["L"], inp["proba"]), inp["P"],
                                      inp["batch"])


def _cardinal_ranked(inp):
    from cardinal.batch import RankedBatchSampler
    weights = np.concatenate([-np.ones(inp["labeled"]), inp["u"]])
    return RankedBatchSampler(inp["batch"]).fit(inp["L"]).select_samples(inp["X"], weights)


def _skactiveml_coreset(inp):
    from skactiveml.pool import CoreSet
    y = np.full(inp["X"].shape[0], np.nan)
    y[:inp["labeled"]] = inp["y"]
    return CoreSet(random_state=0).query(inp["X"], y, batch_size=inp["batch"])


def _sklearn_min_distance(inp):
    from sklearn.metrics import pairwise_distances_argmin_min
    return pairwise_distances_argmin_min(inp["X"], inp["L"])[1]


def numpy_max_min(pool, labeled, batch, scores=None):
    """Max-min selection as NumPy code does it: eager and incremental, float64 arithmetic.

    The minimum distances to the labeled rows come from a blocked norm
    expansion, then live in one vector updated with one matrix-vector product
    per pick; every pick is a full argmax.  With ``scores``: ranked batch
    (modAL's score, alpha = |U| / (|U| + |L|)); without: k-center.  The
    baseline ranked batch and k-center are measured against.
    """
    P = np.asarray(pool, dtype=np.float64)
    Lb = np.asarray(labeled, dtype=np.float64)
    sq = np.einsum("ij,ij->i", P, P)
    sq_l = np.einsum("ij,ij->i", Lb, Lb)
    md = np.empty(len(P))
    for start in range(0, len(P), 4096):
        block = sq[start:start + 4096, None] + sq_l[None, :] - 2.0 * (P[start:start + 4096] @ Lb.T)
        md[start:start + 4096] = np.sqrt(np.maximum(block.min(axis=1), 0.0))
    n, n_lab = len(P), len(Lb)
    available = np.ones(n, dtype=bool)
    picks = []
    for t in range(batch):
        if scores is None:
            s = md.copy()
        else:
            alpha = (n - t) / (n - t + n_lab + t)
            s = alpha * (1.0 - 1.0 / (1.0 + md)) + (1.0 - alpha) * scores
        s[~available] = -np.inf
        p = int(np.argmax(s))
        picks.append(p)
        available[p] = False
        d2 = sq + sq[p] - 2.0 * (P @ P[p])
        np.minimum(md, np.sqrt(np.maximum(d2, 0.0)), out=md)
    return np.asarray(picks)


NUMPY_INCREMENTAL = "NumPy incremental (GEMV per pick)"


def _labeled_by_pool_bytes(inp):
    return 8.0 * inp["P"].shape[0] * max(1, inp["L"].shape[0])


def _alipy_graph(inp):
    import collections
    import collections.abc
    if not hasattr(collections, "Iterable"):     # alipy 1.2.x on Python >= 3.10
        collections.Iterable = collections.abc.Iterable
    from alipy.query_strategy import QueryInstanceGraphDensity
    n, lab = inp["X"].shape[0], inp["labeled"]
    q = QueryInstanceGraphDensity(inp["X"], np.zeros(n), np.arange(n))
    return q.select(np.arange(lab), np.arange(lab, n), inp["batch"])


def _modal_uncertainty(inp):
    from modAL.uncertainty import uncertainty_sampling
    from sklearn.linear_model import LogisticRegression
    clf = LogisticRegression().fit(inp["L"], inp["y"])
    return uncertainty_sampling(clf, inp["P"], n_instances=inp["batch"])


def _libact_uncertainty(inp):
    from libact.base.dataset import Dataset
    from libact.models import LogisticRegression
    from libact.query_strategies import UncertaintySampling
    ds = Dataset(inp["X"], _labels(inp))
    return UncertaintySampling(ds, model=LogisticRegression()).make_query()


# ---------------------------------------------------------------- strategies

def _labels(inp):
    return list(inp["y"]) + [None] * (inp["X"].shape[0] - inp["labeled"])


def _dataset(inp):
    from fastal.base.dataset import Dataset
    return Dataset(inp["X"], _labels(inp))


def _logistic():
    from sklearn.linear_model import LogisticRegression

    from fastal.models import SklearnProbaAdapter
    return SklearnProbaAdapter(LogisticRegression())


def _strategy(build):
    def run(inp, n_jobs=None):
        return build(_dataset(inp)).make_query(n_instances=inp["batch"])
    return run


def _uncertainty(ds):
    from fastal.query_strategies import UncertaintySampling
    return UncertaintySampling(ds, model=_logistic())


def _ranked(ds):
    from fastal.query_strategies import RankedBatch
    return RankedBatch(ds, _logistic())


def _coreset(ds):
    from fastal.query_strategies import CoreSet
    return CoreSet(ds, random_state=0)


def _information_density(ds):
    from fastal.query_strategies import InformationDensity
    return InformationDensity(ds, model=_logistic(), random_state=0)


def _graph_density(ds):
    from fastal.query_strategies import GraphDensity
    return GraphDensity(ds)


def _coreset_queries(inp, n_jobs=None):
    """``batch`` single CoreSet queries, each answered (label 0) before the next."""
    from fastal.query_strategies import CoreSet
    ds = _dataset(inp)
    qs = CoreSet(ds, random_state=0)
    asked = []
    for _ in range(inp["batch"]):
        asked.append(int(qs.make_query()))
        ds.update(asked[-1], 0)
    return np.array(asked)


def _dataset_updates(inp, n_jobs=None):
    """``batch`` x (``update`` + ``get_unlabeled_entries``) on a Dataset of the rows."""
    ds = _dataset(inp)
    order = np.random.default_rng(inp["seed"]).permutation(
        np.arange(inp["labeled"], inp["X"].shape[0]))[:inp["batch"]]
    for i in order:
        ds.update(int(i), 1)
        ids, _ = ds.get_unlabeled_entries()
    return ids


def _libact_style_dataset_updates(inp):
    """The same loop with libact's mask semantics: a Python pass over every label per call."""
    X = inp["X"]
    y = np.array(_labels(inp), dtype=object)

    def labeled_mask():
        return ~np.fromiter((e is None for e in y), dtype=bool)

    def unlabeled():       # as libact: the mask is built twice
        return np.where(~labeled_mask())[0], X[~labeled_mask()]

    order = np.random.default_rng(inp["seed"]).permutation(
        np.arange(inp["labeled"], X.shape[0]))[:inp["batch"]]
    for i in order:
        y[int(i)] = 1
        ids, _ = unlabeled()
    return ids


def _libact_style_density(metric):
    def run(inp):
        from scipy.spatial.distance import cdist
        X = inp["X"]
        S = 1.0 / (1.0 + cdist(X, X, "cityblock" if metric == "manhattan" else metric))
        np.fill_diagonal(S, 0.0)
        return S.sum(axis=1) / (len(X) - 1)
    return run


def _libact_style_coreset_queries(inp):
    """libact's CoreSet loop: distances of the pool to the labeled set recomputed per query."""
    from scipy.spatial.distance import cdist
    X = inp["X"]
    labeled = np.zeros(len(X), dtype=bool)
    labeled[:inp["labeled"]] = True
    rs = np.random.RandomState(0)
    asked = []
    for _ in range(inp["batch"]):
        pool = np.flatnonzero(~labeled)
        md = cdist(X[pool], X[labeled]).min(axis=1)
        asked.append(int(pool[rs.choice(np.flatnonzero(np.isclose(md, md.max())))]))
        labeled[asked[-1]] = True
    return np.array(asked)


# ---------------------------------------------------------------- approximations

def _to_samples(inp):
    n, d = inp["X"].shape
    return float(n) * inp["density_samples"] * d, "flop"


def _density_sampled(inp, n_jobs=None):
    return K.pairwise_density(inp["X"], n_samples=inp["density_samples"],
                              random_state=inp["seed"], sampling=inp["density_sampling"],
                              n_jobs=n_jobs)


def _checked_rows(inp, count):
    n = inp["X"].shape[0]
    return np.sort(np.random.default_rng(inp["seed"] + 2).choice(n, min(count, n),
                                                                  replace=False))


def _check_sampled_density(inp, results):
    """Relative error of the compiled estimate on CHECKED_ROWS rows against their exact
    density over every row; then of estimates from m/2 and m/4 rows for the same checked
    rows (drawn the same way from the whole pool)."""
    estimate = results.get("compiled")
    if estimate is None:
        return "not checked (no compiled result)"
    X, m, sampling = inp["X"], inp["density_samples"], inp["density_sampling"]
    rows = _checked_rows(inp, CHECKED_ROWS)
    exact = np.asarray(K.pairwise_density(X[rows], X), dtype=np.float64)

    def spread(values):
        err = np.abs(np.asarray(values, dtype=np.float64) - exact) / exact
        return (f"median {np.median(err):.3%}, 99th percentile {np.quantile(err, 0.99):.3%}, "
                f"max {err.max():.3%}")
    parts = [f"m = {m} ({sampling}): {spread(np.asarray(estimate)[rows])}"]
    for fewer in (m // 2, m // 4):
        if fewer >= 2:
            parts.append(f"m = {fewer}: " + spread(K.pairwise_density(
                X[rows], X, n_samples=fewer, random_state=inp["seed"], sampling=sampling)))
    return (f"relative error on {len(rows)} rows against their exact density: "
            + "; ".join(parts))


def _knn_approximate(inp, n_jobs=None):
    return K.knn_density(inp["X"], inp["k"], metric="euclidean", algorithm="approximate",
                         n_jobs=n_jobs)


def _check_approximate_knn(inp, results):
    """recall@k of the approximate search on 2,000 rows against their exact neighbours
    (the search is repeated with the same parameters; the graph of the result is the
    union of both directions)."""
    if results.get("compiled") is None:
        return "not checked (no compiled result)"
    from fastal._ann import approximate_neighbors
    X, k = inp["X"], inp["k"]
    rows = _checked_rows(inp, 2000)
    from sklearn.neighbors import NearestNeighbors

    import fastal
    found, _ = approximate_neighbors(K.prepare_rows("euclidean", X)[1], k, "euclidean",
                                     fastal.resolve_n_threads(None))
    _, nearest = NearestNeighbors(n_neighbors=k + 1, algorithm="brute").fit(X).kneighbors(
        X[rows])
    exact = [e[e != r][:k] for r, e in zip(rows, nearest)]
    hits = sum(len(set(found[r].tolist()) & set(np.asarray(e).tolist()))
               for r, e in zip(rows, exact))
    return f"recall@{k} on {len(rows)} rows against their exact neighbours: " \
           f"{hits / (len(rows) * k):.4f}"


def _information_sampled(inp, n_jobs=None):
    from fastal.query_strategies import InformationDensity
    qs = InformationDensity(_dataset(inp), model=_logistic(), random_state=0,
                            density_samples=inp["density_samples"])
    return qs.make_query(n_instances=inp["batch"])


def _graph_approximate(ds):
    from fastal.query_strategies import GraphDensity
    return GraphDensity(ds, metric="euclidean", algorithm="approximate")


# ---------------------------------------------------------------- the list

def _density(metric):
    return Case(
        f"density_{metric}", "kernel", _setup,
        lambda inp, n_jobs=None: K.pairwise_density(inp["X"], metric=metric, n_jobs=n_jobs),
        f"pairwise density 1/(1+d), {metric}, every row against every row",
        _all_pairs, (_modal_density(metric),
                     Peer("libact-style cdist n x n (InformationDensity)", "scipy.spatial",
                          _libact_style_density(metric), _n2_bytes(2.0))),
        2000 if metric == "manhattan" else 4000, 2.0, sparse=True)


def _knn(metric):
    return Case(
        f"knn_density_{metric}", "kernel", _setup,
        lambda inp, n_jobs=None: K.knn_density(inp["X"], inp["k"], metric=metric,
                                               n_jobs=n_jobs),
        f"k-NN graph density, {metric}, k = 10 (exact)", _all_pairs, (_sklearn_knn(metric),),
        2000, 2.0, sparse=True)


CASES = [
    _density("euclidean"),
    _density("manhattan"),
    _density("cosine"),
    Case("cosine_similarity_density", "kernel", _setup,
         lambda inp, n_jobs=None: K.pairwise_density(inp["X"], similarity="cosine",
                                                     n_jobs=n_jobs),
         "mean cosine similarity to every row (exact, O(n d))", _read_once,
         (Peer("scikit-learn cosine_similarity (n x n)", "sklearn.metrics", _sklearn_cosine,
               _n2_bytes(1.0), sparse=True),), sparse=True),
    _knn("euclidean"),
    _knn("cosine"),
    _knn("manhattan"),
    Case("ranked_batch", "kernel", _setup,
         lambda inp, n_jobs=None: K.max_min_select(inp["P"], inp["L"], inp["batch"],
                                                   scores=inp["u"], n_jobs=n_jobs),
         "ranked batch (max_min_select with scores) of the pool against the labeled rows",
         _to_labeled,
         (Peer(NUMPY_INCREMENTAL, "numpy",
               lambda inp: numpy_max_min(inp["P"], inp["L"], inp["batch"], inp["u"]),
               exponent=1.0),
          Peer("modAL uncertainty_batch_sampling", "modAL.batch", _modal_ranked,
               _labeled_by_pool_bytes, 1.0, sparse=True),
          Peer("cardinal RankedBatchSampler", "cardinal.batch", _cardinal_ranked,
               _labeled_by_pool_bytes, 1.0)), sparse=True),
    Case("kcenter", "kernel", _setup,
         lambda inp, n_jobs=None: K.max_min_select(inp["P"], inp["L"], inp["batch"],
                                                   n_jobs=n_jobs),
         "k-center greedy batch (max_min_select without scores)", _to_labeled,
         (Peer(NUMPY_INCREMENTAL, "numpy",
               lambda inp: numpy_max_min(inp["P"], inp["L"], inp["batch"]), exponent=1.0),
          Peer("scikit-activeml CoreSet", "skactiveml.pool", _skactiveml_coreset,
               _labeled_by_pool_bytes, 1.0)), sparse=True),
    Case("min_distance", "kernel", _setup,
         lambda inp, n_jobs=None: K.min_distance(inp["X"], inp["L"], n_jobs=n_jobs),
         "distance of every row to its nearest labeled row", _to_labeled,
         (Peer("scikit-learn pairwise_distances_argmin_min", "sklearn.metrics",
               _sklearn_min_distance, lambda inp: min(_labeled_by_pool_bytes(inp), 1e9), 1.0,
               sparse=True),), sparse=True),
    Case("uncertainty_sampling", "strategy", _setup, _strategy(_uncertainty),
         "UncertaintySampling(LogisticRegression).make_query(n_instances=batch)", None,
         (Peer("modAL uncertainty_sampling (+ fit)", "modAL.uncertainty", _modal_uncertainty,
               exponent=1.0, sparse=True),
          Peer("libact UncertaintySampling (1 query)", "libact.query_strategies",
               _libact_uncertainty, exponent=1.0)), sparse=True),
    Case("ranked_batch_strategy", "strategy", _setup, _strategy(_ranked),
         "RankedBatch(LogisticRegression).make_query(n_instances=batch)", sparse=True),
    Case("coreset", "strategy", _setup, _strategy(_coreset),
         "CoreSet.make_query(n_instances=batch)", sparse=True),
    Case("coreset_queries", "strategy", _setup, _coreset_queries,
         "batch single CoreSet.make_query() calls, each labeled before the next", None,
         (Peer("libact-style CoreSet (cdist to the labeled set per query)", "scipy.spatial",
               _libact_style_coreset_queries, _labeled_by_pool_bytes, 1.0),), sparse=True),
    Case("dataset_updates", "strategy", _setup, _dataset_updates,
         "batch x (Dataset.update + get_unlabeled_entries), the bookkeeping of a query loop",
         None,
         (Peer("libact-style Dataset (labeled mask rebuilt per call)", "numpy",
               _libact_style_dataset_updates, exponent=1.0, sparse=True),), sparse=True),
    Case("information_density", "strategy", _setup, _strategy(_information_density),
         "InformationDensity(LogisticRegression).make_query(n_instances=batch)", None, (), 2000,
         2.0, sparse=True),
    Case("graph_density", "strategy", _setup, _strategy(_graph_density),
         "GraphDensity.make_query(n_instances=batch)", None,
         (Peer("alipy QueryInstanceGraphDensity", "alipy.query_strategy", _alipy_graph,
               exponent=2.0),), 2000, 2.0, sparse=True),
    Case("density_sampled", "kernel", _setup, _density_sampled,
         "pairwise density, euclidean, estimated from m = --density-samples reference rows "
         "(--density-sampling, default local); checked against the exact density of 5,000 "
         "rows", _to_samples,
         check=_check_sampled_density, sparse=True),
    Case("knn_density_approximate", "kernel", _setup, _knn_approximate,
         "k-NN graph density, euclidean, k = 10, approximate neighbours (faiss, fastal[ann]); "
         "recall@10 checked on 2,000 rows", check=_check_approximate_knn),
    Case("information_density_sampled", "strategy", _setup, _information_sampled,
         "InformationDensity(LogisticRegression, density_samples=m).make_query(n_instances="
         "batch)", sparse=True),
    Case("graph_density_approximate", "strategy", _setup, _strategy(_graph_approximate),
         "GraphDensity(algorithm='approximate').make_query(n_instances=batch) (fastal[ann])"),
]


def case_names():
    return [case.name for case in CASES]


def get_cases(names=None):
    """The cases named (all for None); an unknown name raises ValueError listing the valid ones."""
    if not names:
        return list(CASES)
    by_name = {case.name: case for case in CASES}
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise ValueError(f"unknown case(s) {', '.join(map(repr, unknown))}; valid: "
                         f"{', '.join(case_names())}")
    return [by_name[name] for name in names]


# the strategies of libact's other families, against loop restatements of libact's code
from fastal.benchmark.libact_cases import LIBACT_CASES  # noqa: E402  (they use Case and Peer)

CASES += [replace(case, own_data=True) for case in LIBACT_CASES]
