"""Dataset bookkeeping at scale: 100 x (update + get_unlabeled_entries) on 1,000,000 rows.

Compares fastal's Dataset (mask kept incrementally) with a pure-Python
re-creation of libact's Dataset, which rebuilds the labeled mask with a
Python pass over every label on each call.

    python bench/bench_dataset.py [--rows 1000000] [--features 8] [--steps 100]
"""
import argparse
import time

import numpy as np

from fastal.base.dataset import Dataset


class LibactStyleDataset:
    """libact's mask semantics, re-created: O(n) Python work per call."""

    def __init__(self, X, y):
        self._X = np.asarray(X)
        self._y = np.array(y, dtype=object)

    def get_labeled_mask(self):
        return ~np.fromiter((e is None for e in self._y), dtype=bool)

    def update(self, entry_id, new_label):
        self._y[entry_id] = new_label

    def get_unlabeled_entries(self):
        return np.where(~self.get_labeled_mask())[0], self._X[~self.get_labeled_mask()]


def loop(ds, order, steps):
    t0 = time.perf_counter()
    for step in range(steps):
        ds.update(int(order[step]), 1)
        ids, X = ds.get_unlabeled_entries()
    return time.perf_counter() - t0, ids.size


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=8)
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.rows, args.features))
    y = [None] * args.rows
    order = rng.permutation(args.rows)[: args.steps]
    fast, n_fast = loop(Dataset(X, y), order, args.steps)
    slow, n_slow = loop(LibactStyleDataset(X, y), order, args.steps)
    assert n_fast == n_slow
    print(f"rows={args.rows} features={args.features} steps={args.steps}")
    print(f"fastal Dataset        {fast:8.3f} s  ({fast / args.steps * 1e3:.1f} ms per step)")
    print(f"libact-style mask     {slow:8.3f} s  ({slow / args.steps * 1e3:.1f} ms per step)")
    print(f"ratio (libact-style / fastal): {slow / fast:.1f}x")
    # the part that is bookkeeping only (no copy of the unlabeled rows)
    ds = Dataset(X, y)
    t0 = time.perf_counter()
    for step in range(args.steps):
        ds.update(int(order[step]), 1)
        ids = ds.get_unlabeled_ids()
    ids_only = time.perf_counter() - t0
    print(f"fastal update + get_unlabeled_ids (no row copy): {ids_only:.3f} s")


if __name__ == "__main__":
    main()
