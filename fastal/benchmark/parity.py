"""``python -m fastal.benchmark parity``: the query sequences of libact itself and
of fastal, side by side.

    python -m fastal.benchmark parity [--queries 30] [--json out.json]

Needs libact installed next to fastal.  For every case (a strategy, a data set
and a seed) both libraries run the same loop on the same data and seed: ask
``make_query()``, label the answer with the true label, ask again.  Printed:
whether the two sequences of queried ids are identical, and where they first
differ.

The strategies: ``UncertaintySampling`` (lc, sm and entropy with
``LogisticRegression``, lc and sm with ``SVM``), ``RandomSampling`` and
``QueryByCommittee`` (vote and KL divergence, three ``LogisticRegression``
members); the data: iris (shuffled) and a binary 300 x 8 problem; seeds 0, 1
and 2.  The first three rows of every class are labeled at the start.
"""
import argparse
import importlib
import importlib.metadata
import json
import sys

import numpy as np

from fastal.benchmark._measure import machine_info

FORMAT = "fastal-benchmark-parity/1"
STRATEGIES = ("us_lr_lc", "us_lr_sm", "us_lr_entropy", "us_svm_lc", "us_svm_sm", "random",
              "qbc_vote", "qbc_kl")
DATA = ("iris", "binary")
SEEDS = (0, 1, 2)
START_PER_CLASS = 3
LIBACT_HINT = (
    "Install libact 0.1.6 next to fastal: it installs on current Python only as pure Python, "
    "with its C extensions switched off (LIBACT_BUILD_HINTSVM=0 "
    "LIBACT_BUILD_VARIANCE_REDUCTION=0); the whole recipe is in fastal's README.md, section "
    "'Use', paragraph 'Checked against libact itself'.")


def parity_cases():
    """Every case as (strategy, data, seed): 8 strategies x 2 data sets x 3 seeds."""
    return [(strategy, data, seed) for strategy in STRATEGIES for data in DATA
            for seed in SEEDS]


def parity_pool(data, seed=0):
    """(X, y, partial labels) of a case's data set.

    ``data`` is ``"iris"`` (shuffled with ``seed``) or ``"binary"``
    (``make_classification``, 300 rows, 8 features, seeded with ``seed``); in
    the partial labels, the first ``START_PER_CLASS`` rows of every class keep
    their label and the other rows are None.
    """
    from sklearn.datasets import load_iris, make_classification
    if data == "iris":
        X, y = load_iris(return_X_y=True)
        order = np.random.RandomState(seed).permutation(len(y))
        X, y = X[order], y[order]
    elif data == "binary":
        X, y = make_classification(n_samples=300, n_features=8, n_informative=5, n_classes=2,
                                   random_state=seed)
    else:
        raise ValueError(f"unknown data set {data!r}; valid: {list(DATA)}")
    start = set(np.concatenate([np.flatnonzero(y == c)[:START_PER_CLASS]
                                for c in np.unique(y)]).tolist())
    partial = [y[i] if i in start else None for i in range(len(y))]
    return X, y, partial


def query_sequence(library, strategy, data, seed, queries):
    """The ids ``library`` (``"libact"`` or ``"fastal"``) asks in a case, in order.

    Both libraries are driven through the same names (libact's module paths,
    classes and arguments), so the loop is the same code for both.
    """
    from fastal.testing import query_sequence as ask_and_label
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; valid: {list(STRATEGIES)}")
    dataset_module = importlib.import_module(f"{library}.base.dataset")
    models = importlib.import_module(f"{library}.models")
    strategies = importlib.import_module(f"{library}.query_strategies")
    X, y, partial = parity_pool(data, seed)
    dataset = dataset_module.Dataset(X, partial)
    if strategy.startswith("us_"):
        _, model_name, method = strategy.split("_")
        model = models.LogisticRegression() if model_name == "lr" else models.SVM()
        qs = strategies.UncertaintySampling(dataset, model=model, method=method)
    elif strategy == "random":
        qs = strategies.RandomSampling(dataset, random_state=seed)
    else:
        disagreement = "vote" if strategy == "qbc_vote" else "kl_divergence"
        qs = strategies.QueryByCommittee(
            dataset, models=[models.LogisticRegression(C=c) for c in (1.0, 0.1, 0.01)],
            disagreement=disagreement, random_state=seed)
    return ask_and_label(qs, dataset, y, queries)


def fastal_sequence(strategy, data, seed, queries):
    """The ids fastal asks in a case (no libact needed)."""
    return query_sequence("fastal", strategy, data, seed, queries)


def first_difference(a, b):
    """The first position where the sequences ``a`` and ``b`` differ, or None."""
    for position, (u, v) in enumerate(zip(a, b)):
        if u != v:
            return position
    return None if len(a) == len(b) else min(len(a), len(b))


def require_libact():
    """Import the real libact; ImportError (saying what to do) when it is missing.

    ``fastal.compat.install()`` makes ``libact`` an alias of fastal; that alias
    does not count.
    """
    try:
        libact = importlib.import_module("libact")
    except ImportError as exc:
        raise ImportError(f"the parity check needs libact itself ({exc}). {LIBACT_HINT}") \
            from None
    from fastal.compat import _LibactModule
    if isinstance(libact, _LibactModule):
        raise ImportError("'libact' is fastal's alias here (fastal.compat.install() was "
                          "called), so libact itself cannot be imported next to it; run the "
                          "parity check in a fresh process")
    return libact


def run_parity(queries, out=print, cases=None):
    """Run every case with libact and with fastal; one row per case.

    Parameters
    ----------
    queries : int
        Queries per case.
    out : callable
        Called with every line of the report.
    cases : list of (strategy, data, seed), optional
        Default :func:`parity_cases`.

    Returns
    -------
    list of dict
        ``case`` (strategy), ``data``, ``seed``, ``identical`` (bool) and
        ``first_difference`` (the first position where the ids differ, None
        when identical), ``libact_ids`` and ``fastal_ids``.
    """
    require_libact()
    rows = []
    for strategy, data, seed in (parity_cases() if cases is None else cases):
        libact_ids = query_sequence("libact", strategy, data, seed, queries)
        fastal_ids = query_sequence("fastal", strategy, data, seed, queries)
        where = first_difference(libact_ids, fastal_ids)
        rows.append({"case": strategy, "data": data, "seed": seed, "identical": where is None,
                     "first_difference": where, "libact_ids": libact_ids,
                     "fastal_ids": fastal_ids})
        status = "identical" if where is None else f"differs from query {where}"
        out(f"{strategy:<14} {data:<7} seed {seed}: {status}")
    same = sum(row["identical"] for row in rows)
    out(f"{same}/{len(rows)} sequences of {queries} queries identical")
    return rows


def _libact_version():
    try:
        return importlib.metadata.version("libact")
    except importlib.metadata.PackageNotFoundError:
        return None


def build_parser():
    """The options of ``python -m fastal.benchmark parity``."""
    parser = argparse.ArgumentParser(
        prog="python -m fastal.benchmark parity",
        description="The query sequences of libact itself and of fastal on the same data and "
                    "seeds, side by side (needs libact installed next to fastal).")
    parser.add_argument("--queries", type=int, default=30, help="queries per case")
    parser.add_argument("--json", default=None, metavar="PATH",
                        help="write the machine, the settings and every case's ids here")
    return parser


def main(argv=None):
    """Run the parity check; 0 on success (a usage error or no libact exits with status 2)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.queries < 1:
        parser.error(f"--queries must be at least 1, got {args.queries}")
    try:
        require_libact()
    except ImportError as exc:
        parser.error(str(exc))
    rows = run_parity(args.queries)
    if args.json:
        document = {"format": FORMAT, "machine": machine_info(),
                    "settings": {"queries": args.queries, "libact": _libact_version()},
                    "cases": rows}
        with open(args.json, "w") as fh:
            json.dump(document, fh, indent=1)
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
