"""pytest-benchmark suite: every kernel case of ``fastal.benchmark`` on the compiled
backend and on its NumPy twin (the same cases as ``python -m fastal.benchmark``).

    pytest bench/test_bench_kernels.py --benchmark-columns=min,mean --benchmark-group-by=param:case

Each case runs on ``case.bench_n`` rows x 50 float64 features (2,000 for the
k-NN, manhattan and quadratic strategy cases, 4,000 otherwise), a batch of 100
against 500 labeled rows, so the twins finish; ``python -m fastal.benchmark``
runs the user's shapes and the peers.
"""
import pytest

import fastal
from fastal.benchmark import CASES

_INPUTS = {}


def _inputs(case):
    if case.bench_n not in _INPUTS:
        _INPUTS[case.bench_n] = case.setup(case.bench_n, 50, "float64", 100, 500, 0)
    return _INPUTS[case.bench_n]


@pytest.mark.parametrize("backend", ["compiled", "python"])
@pytest.mark.parametrize("case", [c for c in CASES if c.kind == "kernel"], ids=lambda c: c.name)
def test_kernel(benchmark, backend, case):
    inputs = _inputs(case)
    with fastal.use_backend(backend):
        benchmark(case.run, inputs)
