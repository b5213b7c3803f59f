"""Thread scaling of every kernel: time with 1, 2, ... threads and the speed-up over 1.

    python bench/bench_threads.py [--n 50000] [--d 50] [--threads 1 2 4 8 16]

n_jobs is passed to each kernel; ranked batch and k-center take 1,000 rows
against 1,000 labeled rows of the same pool (1,000,000 x 64 in the large run:
--ranked-n 1000000 --ranked-d 64).  Best of --repeats runs.
"""
import argparse
import os

import numpy as np
from timing import best_of

from fastal.kernels import knn_density, max_min_select, min_distance, pairwise_density


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--d", type=int, default=50)
    parser.add_argument("--ranked-n", type=int, default=None)
    parser.add_argument("--ranked-d", type=int, default=64)
    parser.add_argument("--threads", type=int, nargs="+",
                        default=sorted({1, 2, os.cpu_count() or 1}))
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(args.n, args.d))
    rn = args.ranked_n or args.n
    R = X if rn == args.n and args.ranked_d == args.d else rng.normal(size=(rn, args.ranked_d))
    u = rng.random(rn - 1000)
    work = {
        "density euclidean": lambda j: pairwise_density(X, n_jobs=j),
        "density manhattan": lambda j: pairwise_density(X, metric="manhattan", n_jobs=j),
        "knn euclidean": lambda j: knn_density(X, 10, metric="euclidean", n_jobs=j),
        "knn manhattan": lambda j: knn_density(X, 10, metric="manhattan", n_jobs=j),
        "min_distance (n x 1,000)": lambda j: min_distance(X, X[:1000], n_jobs=j),
        "ranked batch 1,000": lambda j: max_min_select(R[1000:], R[:1000], 1000, scores=u,
                                                       n_jobs=j),
        "k-center 1,000": lambda j: max_min_select(R[1000:], R[:1000], 1000, n_jobs=j),
    }
    header = f"{'kernel':26s}" + "".join(f"{t:>9d}T" for t in args.threads) + "   speed-up"
    print(f"n = {args.n} x {args.d}, ranked/k-center on {rn} x {args.ranked_d}; seconds")
    print(header)
    for name, fn in work.items():
        times = [best_of(lambda: fn(t), args.repeats) for t in args.threads]
        ups = " ".join(f"{times[0] / t:.2f}" for t in times[1:])
        print(f"{name:26s}" + "".join(f"{t:10.3f}" for t in times) + f"   {ups}", flush=True)


if __name__ == "__main__":
    main()
