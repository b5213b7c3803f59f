"""Time one HintSVM query against scikit-learn's SVC fit, at a few pool sizes.

    python bench/bench_hintsvm.py [--sizes 500 2000] [--repeat 7]

For each pool size n (20 labeled rows, the rest unlabeled, p=0.5 so about n/2
hint rows) it prints the median time of one ``HintSVM._get_scores()`` on each
backend (the solver's iteration count beside it), and of ``SVC.fit`` on all n
rows with the same kernel and C, for scale.  When libact with its compiled
HintSVM is importable, libact's query is timed too on the same data.
"""
import argparse
import time

import numpy as np
from sklearn.datasets import make_classification
from sklearn.svm import SVC

import fastal
from fastal.base.dataset import Dataset
from fastal.query_strategies.hintsvm import HintSVM


def median_time(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def fastal_query(X, y, kernel, backend, repeat):
    ds = Dataset(X, list(y[:20]) + [None] * (len(y) - 20))
    qs = HintSVM(ds, kernel=kernel, random_state=0)
    with fastal.use_backend(backend):
        qs._get_scores()
        t = median_time(qs._get_scores, repeat)
    return t, qs.fit_.n_iter


def libact_query(X, y, kernel, repeat):
    try:
        from libact.base.dataset import Dataset as LDataset
        from libact.query_strategies import HintSVM as LHintSVM
    except ImportError:
        return None
    def once():
        ds = LDataset(X, list(y[:20]) + [None] * (len(y) - 20))
        LHintSVM(ds, kernel=kernel, random_state=0)._get_scores()  # parameters hold for one query
    return median_time(once, repeat)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    print(f"{'n':>6} {'kernel':>7} {'compiled ms':>12} {'numpy ms':>9} {'iters':>6} "
          f"{'SVC.fit ms':>10} {'libact ms':>9}")
    for n in args.sizes:
        X, y = make_classification(n_samples=n, n_features=20, n_informative=10, random_state=0)
        y = 2 * y - 1
        for kernel in ("linear", "rbf"):
            compiled, iters = fastal_query(X, y, kernel, "compiled", args.repeat)
            numpy_t, _ = fastal_query(X, y, kernel, "python", max(1, args.repeat // 3))
            svc = median_time(lambda: SVC(kernel=kernel, C=0.1, gamma=0.1).fit(X, y), args.repeat)
            lib = libact_query(X, y, kernel, args.repeat)
            lib_s = f"{lib * 1e3:9.1f}" if lib is not None else f"{'-':>9}"
            print(f"{n:>6} {kernel:>7} {compiled * 1e3:12.1f} {numpy_t * 1e3:9.1f} {iters:>6} "
                  f"{svc * 1e3:10.1f} {lib_s}")


if __name__ == "__main__":
    main()
