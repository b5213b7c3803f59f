"""pytest-benchmark suite: each kernel on the compiled backend and on its NumPy twin.

    pytest bench/test_bench_kernels.py --benchmark-columns=min,mean --benchmark-group-by=param:case

Sizes are modest so the twins finish; bench/peers.py runs the large cases.
"""
import numpy as np
import pytest

import fastal
from fastal import kernels as K

RNG = np.random.default_rng(0)
X = RNG.normal(size=(4000, 50))
U = RNG.random(3500)

CASES = {
    "pairwise_euclidean": lambda: K.pairwise_density(X, include_self=False),
    "pairwise_manhattan": lambda: K.pairwise_density(X[:2000], metric="manhattan"),
    "cosine_similarity": lambda: K.pairwise_density(X, similarity="cosine"),
    "knn_density_manhattan": lambda: K.knn_density(X[:2000]),
    "ranked_batch_100": lambda: K.max_min_select(X[500:], X[:500], 100, scores=U),
    "kcenter_100": lambda: K.max_min_select(X[500:], X[:500], 100),
}


@pytest.mark.parametrize("backend", ["compiled", "python"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_kernel(benchmark, backend, case):
    with fastal.use_backend(backend):
        benchmark(CASES[case])
