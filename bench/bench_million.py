"""Every strategy family on a million-row pool: time per query and peak extra memory.

    python bench/bench_million.py [--n 1000000] [--d 64] [--batch 100] [--density-samples 20000]

The pool: float32 rows near an 8-dimensional subspace, in 20 clusters (as
embeddings are), 5 classes; 1,000 rows labeled at random; scikit-learn's
LogisticRegression as the model.  Each line is one ``make_query`` of a batch
(the model is trained inside, as libact's strategies do), with the resident
memory it needed above what the process held before it.
"""
import argparse
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from fastal.base.dataset import Dataset
from fastal.models import SklearnProbaAdapter
from fastal.query_strategies import (CoreSet, GraphDensity, InformationDensity, RankedBatch,
                                     UncertaintySampling)
from fastal.benchmark import measure


def embedding_like(n, d, seed=0, latent=8, clusters=20, classes=5):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=3.0, size=(clusters, latent))
    basis = rng.normal(size=(latent, d)).astype(np.float32)
    which = rng.integers(clusters, size=n)
    X = np.empty((n, d), dtype=np.float32)
    for start in range(0, n, 100_000):
        part = which[start:start + 100_000]
        Z = (centres[part] + rng.normal(size=(len(part), latent))).astype(np.float32)
        X[start:start + len(part)] = Z @ basis + 0.05 * rng.standard_normal(
            (len(part), d), dtype=np.float32)
    return X, which % classes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--d", type=int, default=64)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--labeled", type=int, default=1000)
    parser.add_argument("--density-samples", type=int, default=20_000)
    args = parser.parse_args(argv)

    warnings.simplefilter("ignore", ConvergenceWarning)   # lbfgs at max_iter on some rounds
    X, y = embedding_like(args.n, args.d)
    labels = np.full(args.n, None, dtype=object)
    known = np.random.default_rng(1).choice(args.n, args.labeled, replace=False)
    labels[known] = y[known]
    ds = Dataset(X, labels)
    print(f"pool {args.n:,} x {args.d} float32 ({X.nbytes / 1e6:.0f} MB), {args.labeled:,} "
          f"labeled, batches of {args.batch}")

    def model():
        return SklearnProbaAdapter(LogisticRegression(max_iter=300))

    strategies = {
        "uncertainty (margin)": lambda: UncertaintySampling(ds, model=model(), method="sm"),
        "ranked batch": lambda: RankedBatch(ds, model()),
        "core-set (k-center)": lambda: CoreSet(ds, random_state=0),
        f"information density, sampled (m = {args.density_samples:,})":
            lambda: InformationDensity(ds, model=model(), density_samples=args.density_samples,
                                       random_state=0),
        "graph density, approximate 10-NN": lambda: GraphDensity(
            ds, metric="euclidean", algorithm="approximate"),
    }
    print(f"{'strategy':<46} {'time':>9} {'peak extra':>12}")
    for name, make in strategies.items():
        seconds, mb, picks = measure(lambda: make().make_query(n_instances=args.batch))
        assert len(set(np.asarray(picks).tolist())) == args.batch
        print(f"{name:<46} {seconds:8.1f} s {mb:9.0f} MB", flush=True)


if __name__ == "__main__":
    main()
