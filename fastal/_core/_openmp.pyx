"""OpenMP facts of the compiled build."""
from fastal._core._common cimport FASTAL_HAVE_OPENMP, omp_get_max_threads


def openmp_enabled():
    """True when the compiled kernels were built with OpenMP."""
    return bool(FASTAL_HAVE_OPENMP)


def max_threads():
    """Threads an OpenMP parallel region would use now (respects threadpoolctl limits)."""
    return int(omp_get_max_threads())
