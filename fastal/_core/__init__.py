"""Kernel backends: the compiled extension and its pure-NumPy twin.

``KERNELS`` lists the kernel functions every backend provides, with the same
signatures; ``COMPILED`` and ``PYTHON`` are namespaces holding them (COMPILED
is None when the extension did not import, and ``COMPILED_IMPORT_ERROR``
says why).  Which one is used is decided in one place, ``fastal._config``.
"""
import os
from types import SimpleNamespace

from fastal._core import _reference

DENSE_KERNELS = ("pair_sums", "cosine_sums", "knn_search", "min_distance", "max_min_greedy",
                 "value_range")
# the same kernels on CSR rows, same signatures; and dense rows made unit (cosine)
KERNELS = DENSE_KERNELS + tuple("sparse_" + name for name in DENSE_KERNELS) + ("unit_rows",)

try:
    from fastal._core import _density, _knn, _maxmin, _openmp, _scan, _sparse
except ImportError as exc:  # extension not built
    COMPILED = None
    COMPILED_IMPORT_ERROR = ImportError(
        f"fastal's compiled modules are not built in {os.path.dirname(__file__)} ({exc})")
    _openmp = None
else:
    _modules = (_density, _knn, _maxmin, _scan, _sparse)
    COMPILED = SimpleNamespace(name="compiled", **{
        name: next(getattr(m, name) for m in _modules if hasattr(m, name)) for name in KERNELS})
    COMPILED_IMPORT_ERROR = None

PYTHON = SimpleNamespace(name="python", **{name: getattr(_reference, name) for name in KERNELS})


def openmp_enabled():
    """True when the compiled kernels were built with OpenMP (False if not built)."""
    return bool(_openmp is not None and _openmp.openmp_enabled())


def openmp_max_threads():
    """Threads an OpenMP region of the compiled kernels would use now (1 without OpenMP)."""
    return _openmp.max_threads() if _openmp is not None else 1
