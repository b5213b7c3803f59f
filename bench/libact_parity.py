"""Query sequences of libact itself and of fastal, side by side.

Needs libact installed next to fastal (libact 0.1.6 builds on Python 3.11 only
as pure Python; the recipe is in the README).  For every case both libraries
run the same loop on the same data and seed; the script prints whether the
sequences of queried ids are identical.

    python bench/libact_parity.py [--queries 30]
"""
import argparse
import importlib

import numpy as np
from sklearn.datasets import load_iris, make_classification


def pool(kind, seed=0):
    if kind == "iris":
        X, y = load_iris(return_X_y=True)
        order = np.random.RandomState(seed).permutation(len(y))
        X, y = X[order], y[order]
    else:
        X, y = make_classification(n_samples=300, n_features=8, n_informative=5, n_classes=2,
                                   random_state=seed)
    start = np.concatenate([np.flatnonzero(y == c)[:3] for c in np.unique(y)])
    partial = [y[i] if i in set(start) else None for i in range(len(y))]
    return X, y, partial


def loop(lib, case, kind, seed, n_queries):
    base = importlib.import_module(f"{lib}.base.dataset")
    models = importlib.import_module(f"{lib}.models")
    strategies = importlib.import_module(f"{lib}.query_strategies")
    X, y, partial = pool(kind, seed)
    ds = base.Dataset(X, partial)
    if case.startswith("us_"):
        _, model_name, method = case.split("_")
        model = models.LogisticRegression() if model_name == "lr" else models.SVM()
        qs = strategies.UncertaintySampling(ds, model=model, method=method)
    elif case == "random":
        qs = strategies.RandomSampling(ds, random_state=seed)
    else:
        disagreement = "vote" if case == "qbc_vote" else "kl_divergence"
        qs = strategies.QueryByCommittee(
            ds, models=[models.LogisticRegression(C=c) for c in (1.0, 0.1, 0.01)],
            disagreement=disagreement, random_state=seed)
    asked = []
    for _ in range(n_queries):
        ask = int(qs.make_query())
        asked.append(ask)
        ds.update(ask, y[ask])
    return asked


CASES = ["us_lr_lc", "us_lr_sm", "us_lr_entropy", "us_svm_lc", "us_svm_sm", "random",
         "qbc_vote", "qbc_kl"]


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=30)
    args = parser.parse_args(argv)
    import libact  # noqa: F401  (fails clearly when libact is not installed)
    same = total = 0
    for case in CASES:
        for kind in ("iris", "binary"):
            for seed in (0, 1, 2):
                a = loop("libact", case, kind, seed, args.queries)
                b = loop("fastal", case, kind, seed, args.queries)
                total += 1
                same += a == b
                first_diff = next((i for i, (u, v) in enumerate(zip(a, b)) if u != v), None)
                status = "identical" if a == b else f"differs from query {first_diff}"
                print(f"{case:<14} {kind:<7} seed {seed}: {status}")
    print(f"{same}/{total} sequences of {args.queries} queries identical")


if __name__ == "__main__":
    main()
