"""Kernel backends: the compiled extension and its pure-NumPy twin.

``backend_module(name)`` returns an object exposing the kernel functions
(``pair_mean``, ``cosine_mean``, ``knn_search``, ``min_distance``,
``max_min_greedy``) for ``"compiled"`` or ``"python"``.  Which one is used by
default is decided in one place, ``fastal._config``.
"""
import os
import warnings
from types import SimpleNamespace

from fastal._core import _reference

try:
    from fastal._core import _density, _knn, _maxmin, _openmp
except ImportError as exc:  # extension not built
    COMPILED = None
    COMPILED_IMPORT_ERROR = ImportError(
        f"fastal's compiled modules are not built in {os.path.dirname(__file__)} ({exc})")
    _openmp = None
    if os.environ.get("FASTAL_BACKEND", "auto").strip().lower() in ("", "auto"):
        warnings.warn(
            f"{COMPILED_IMPORT_ERROR}; using the NumPy kernels, which give the same results "
            "more slowly. In a source checkout, install with 'pip install -e .' or run from "
            "another directory; set FASTAL_BACKEND=python to silence this warning.",
            RuntimeWarning, stacklevel=2)
else:
    COMPILED = SimpleNamespace(
        name="compiled",
        pair_mean=_density.pair_mean,
        cosine_mean=_density.cosine_mean,
        knn_search=_knn.knn_search,
        min_distance=_maxmin.min_distance,
        max_min_greedy=_maxmin.max_min_greedy,
    )
    COMPILED_IMPORT_ERROR = None

PYTHON = SimpleNamespace(
    name="python",
    pair_mean=_reference.pair_mean,
    cosine_mean=_reference.cosine_mean,
    knn_search=_reference.knn_search,
    min_distance=_reference.min_distance,
    max_min_greedy=_reference.max_min_greedy,
)


def openmp_enabled():
    """True when the compiled kernels were built with OpenMP (False if not built)."""
    return bool(_openmp is not None and _openmp.openmp_enabled())


def openmp_max_threads():
    """Threads an OpenMP region of the compiled kernels would use now (1 without OpenMP)."""
    return _openmp.max_threads() if _openmp is not None else 1
