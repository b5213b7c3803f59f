"""A short active learning loop on scikit-learn's digits: ``python -m fastal.demo``.

Ten labeled digits to start; each round uncertainty sampling (smallest
margin) asks for 20 more labels from an ideal oracle, and the test accuracy
is printed next to random sampling's.
"""
import argparse
import textwrap
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from fastal.base.dataset import Dataset
from fastal.labelers import IdealLabeler
from fastal.models import LogisticRegression
from fastal.query_strategies import RandomSampling, UncertaintySampling


def run(rounds=10, batch=20, seed=0, out=print):
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=seed,
                                                        stratify=y)
    start = np.random.RandomState(seed).choice(len(y_train), 10, replace=False)
    partial = [y_train[i] if i in set(start) else None for i in range(len(y_train))]
    oracle = IdealLabeler(Dataset(X_train, y_train))
    test = Dataset(X_test, y_test)
    pools, models, strategies = {}, {}, {}
    for name in ("margin", "random"):
        pools[name] = Dataset(X_train, partial)
        models[name] = LogisticRegression(max_iter=2000)
        if name == "margin":
            strategies[name] = UncertaintySampling(pools[name], model=models[name], method="sm")
        else:
            strategies[name] = RandomSampling(pools[name], random_state=seed)
    intro = (f"fastal demo: active learning on scikit-learn's digits ({len(y_train)} pool "
             f"images of 8x8 pixels, {len(y_test)} test images, 10 classes). Two learners start "
             f"from the same 10 labeled images. Each round, one asks for the {batch} labels its "
             f"model is least sure about (uncertainty sampling, smallest margin) and the other "
             f"for {batch} random ones; a logistic regression is trained on each pool and "
             f"scored on the test images. Columns: labels = labeled images; margin acc, random "
             f"acc = test accuracy of each learner; query s = seconds both queries took.")
    out(textwrap.fill(intro, width=88))
    out("")
    out(f"{'round':>5} {'labels':>6} {'margin acc':>10} {'random acc':>10} {'query s':>8}")
    history = []
    for r in range(rounds + 1):
        accs = {}
        for name in ("margin", "random"):
            models[name].train(pools[name])
            accs[name] = models[name].score(test)
        t0 = time.perf_counter()
        if r < rounds:
            for name in ("margin", "random"):
                for entry_id in strategies[name].make_query(n_instances=batch):
                    pools[name].update(entry_id, oracle.label(X_train[entry_id]))
        elapsed = time.perf_counter() - t0
        labels = pools["margin"].len_labeled() - (batch if r < rounds else 0)
        out(f"{r:>5} {labels:>6} {accs['margin']:>10.3f} {accs['random']:>10.3f} {elapsed:>8.3f}")
        history.append((labels, accs["margin"], accs["random"]))
    return history


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m fastal.demo",
        description="Active learning on scikit-learn's digits: uncertainty sampling (smallest "
                    "margin) against random sampling, test accuracy after each round of labels.")
    parser.add_argument("--rounds", type=int, default=10,
                        help="rounds of queries after the 10 starting labels (default 10)")
    parser.add_argument("--batch", type=int, default=20,
                        help="labels each learner asks for per round (default 20)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the train/test split, the starting labels and random "
                             "sampling (default 0)")
    return parser


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.batch < 1:
        parser.error("--rounds and --batch must be positive")
    run(args.rounds, args.batch, args.seed)


if __name__ == "__main__":
    main()
