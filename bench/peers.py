"""fastal against the peers' own functions, side by side in one run.

For n in --sizes (default 2,000 / 10,000 / 20,000) rows x 50 float64 features:
  pairwise density  fastal.kernels.pairwise_density  vs modAL information_density
                    and a libact-style cdist InformationDensity (n x n)
  graph density     knn_density + graph_density_select(100) vs alipy QueryInstanceGraphDensity
  ranked batch 100  max_min_select(scores=...) vs modAL ranked_batch
  100 CoreSet queries (fastal.query_strategies.CoreSet, cached) vs a libact-style
                    CoreSet (cdist to the labeled set at every query)
and the large cases at 1,000,000 x 64 float32: ranked batch of 1,000 and cosine density.
Prints wall time, peak memory above the start (RSS sampled every 5 ms) and the ratio.
A peer that is not installed, or that would exceed --max-peer-gb of memory, is skipped
with the reason printed.

    python bench/peers.py [--sizes 2000 10000 20000] [--large] [--max-peer-seconds 200]
"""
import argparse

import numpy as np
from scipy.spatial.distance import cdist

import fastal
from fastal import kernels as K
from fastal.base.dataset import Dataset
from fastal.query_strategies import CoreSet
from timing import measure


def row(work, n, who, seconds, mb, base=None):
    ratio = f"{seconds / base:8.1f}x" if base else ""
    print(f"{work:<24} {n:>9,} {who:<34} {seconds:9.3f} s {mb:9.1f} MB {ratio}", flush=True)


def libact_style_coreset(X, labeled_mask, steps, seed=0):
    rs = np.random.RandomState(seed)
    mask = labeled_mask.copy()
    for _ in range(steps):
        pool = np.flatnonzero(~mask)
        md = cdist(X[pool], X[mask]).min(axis=1)
        ask = pool[rs.choice(np.where(np.isclose(md, md.max()))[0])]
        mask[ask] = True


def fastal_coreset(X, labeled_mask, steps, seed=0):
    ds = Dataset(X, [0 if m else None for m in labeled_mask])
    qs = CoreSet(ds, random_state=seed)
    for _ in range(steps):
        ds.update(int(qs.make_query()), 0)


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 10000, 20000])
    parser.add_argument("--features", type=int, default=50)
    parser.add_argument("--large", action="store_true", help="also run the 1,000,000-row cases")
    parser.add_argument("--max-peer-gb", type=float, default=12.0)
    args = parser.parse_args(argv)
    print(f"threads: OpenMP {fastal._core.openmp_max_threads()}, backend {fastal.get_backend()}")
    print(f"{'work':<24} {'n':>9} {'implementation':<34} {'time':>11} {'peak extra':>12} ratio")
    rng = np.random.default_rng(0)
    for n in args.sizes:
        X = rng.normal(size=(n, args.features))
        n_lab = n // 20
        labeled = np.zeros(n, bool)
        labeled[rng.choice(n, n_lab, replace=False)] = True
        u = rng.random(n - n_lab)
        fits = n * n * 8 * 3 / 1e9 < args.max_peer_gb

        t, mb, _ = measure(lambda: K.pairwise_density(X))
        row("pairwise density", n, "fastal pairwise_density", t, mb)
        base = t
        try:
            from modAL.density import information_density
            if fits:
                t, mb, _ = measure(lambda: information_density(X, "euclidean"))
                row("pairwise density", n, "modAL information_density", t, mb, base)
        except ImportError:
            print("  modAL not installed: pip install modAL-python")
        if fits:
            def libact_density():
                S = 1.0 / (1.0 + cdist(X, X))
                np.fill_diagonal(S, 0)
                return S.sum(axis=1) / (n - 1)
            t, mb, _ = measure(libact_density)
            row("pairwise density", n, "libact-style cdist (n x n)", t, mb, base)

        def fastal_graph():
            density, graph = K.knn_density(X)
            return K.graph_density_select(density, graph, 100, exclude=np.flatnonzero(labeled))
        t, mb, _ = measure(fastal_graph)
        row("graph density + 100", n, "fastal knn_density + select", t, mb)
        base = t
        try:
            import collections
            import collections.abc
            if not hasattr(collections, "Iterable"):
                collections.Iterable = collections.abc.Iterable   # alipy 1.2.5 on Python >= 3.10
            from alipy.query_strategy import QueryInstanceGraphDensity

            def alipy_graph():
                q = QueryInstanceGraphDensity(X, np.zeros(n), np.arange(n))
                return q.select(np.flatnonzero(labeled), np.flatnonzero(~labeled), 100)
            t, mb, _ = measure(alipy_graph)
            row("graph density + 100", n, "alipy QueryInstanceGraphDensity", t, mb, base)
        except ImportError:
            print("  alipy not installed: pip install alipy")

        t, mb, _ = measure(lambda: K.max_min_select(X[~labeled], X[labeled], 100, scores=u))
        row("ranked batch 100", n, "fastal max_min_select", t, mb)
        base = t
        try:
            from modAL.batch import ranked_batch

            class Fitted:
                X_training = X[labeled]
                on_transformed = False
            t, mb, _ = measure(lambda: ranked_batch(Fitted(), X[~labeled], u, 100, "euclidean", None))
            row("ranked batch 100", n, "modAL ranked_batch", t, mb, base)
        except ImportError:
            pass

        t, mb, _ = measure(lambda: fastal_coreset(X, labeled, 100))
        row("100 CoreSet queries", n, "fastal CoreSet (cached)", t, mb)
        base = t
        t, mb, _ = measure(lambda: libact_style_coreset(X, labeled, 100))
        row("100 CoreSet queries", n, "libact-style cdist per query", t, mb, base)

    if args.large:
        n = 1_000_000
        X = rng.normal(size=(n, 64)).astype(np.float32)
        L = rng.normal(size=(1000, 64)).astype(np.float32)
        u = rng.random(n)
        t, mb, _ = measure(lambda: K.max_min_select(X, L, 1000, scores=u))
        row("ranked batch 1000", n, "fastal, |L| = 1000, float32", t, mb)
        t, mb, _ = measure(lambda: K.pairwise_density(X, similarity="cosine"))
        row("cosine density", n, "fastal, float32", t, mb)


if __name__ == "__main__":
    main()
