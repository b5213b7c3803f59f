"""Shared fixtures: every kernel and strategy test runs on both backends."""
import importlib.machinery
import os
import sys

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _prefer_installed_fastal():
    """``python -m pytest`` puts the clone's root first on sys.path, and the
    source tree holds no compiled extension: test the installed package when
    there is one."""
    def at_root(entry):
        return os.path.abspath(entry or os.curdir) == _ROOT
    if "fastal" in sys.modules or not any(at_root(p) for p in sys.path):
        return
    rest = [p for p in sys.path if not at_root(p)]
    spec = importlib.machinery.PathFinder.find_spec("fastal", rest)
    if spec is not None and spec.origin and not spec.origin.startswith(_ROOT + os.sep):
        sys.path[:] = rest


_prefer_installed_fastal()

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import fastal  # noqa: E402

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


@pytest.fixture(scope="module")
def dask_client():
    """A real ``distributed`` cluster of 2 worker processes, closed after the module."""
    dask = pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    with dask.config.set({"distributed.comm.timeouts.connect": "30s",
                          "distributed.comm.timeouts.tcp": "30s",
                          "distributed.deploy.lost-worker-timeout": "15s"}):
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           dashboard_address=None, timeout=60)
        c = distributed.Client(cluster, timeout=60)
        try:
            yield c
        finally:
            c.close(timeout=30)
            cluster.close(timeout=30)
