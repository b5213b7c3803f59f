"""Shared fixtures: every kernel and strategy test runs on both backends."""
import numpy as np
import pytest

import fastal

BACKENDS = ["compiled", "python"]


@pytest.fixture(params=BACKENDS)
def backend(request):
    """Run the test with the kernels forced to one backend.

    The compiled parameter fails (it is not skipped) when the extension did
    not import: the suite exists to compare the two.
    """
    with fastal.use_backend(request.param):
        yield request.param


@pytest.fixture
def rng():
    return np.random.default_rng(20261124)
