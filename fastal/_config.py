"""Backend selection and thread counts: the one place that decides them.

The backend is, in order of precedence: the innermost ``use_backend(...)``
block, then the ``FASTAL_BACKEND`` environment variable (``auto``,
``compiled`` or ``python``), then ``auto`` (compiled when it imported).
"""
import contextlib
import os
from contextvars import ContextVar

from fastal import _core

BACKENDS = ("auto", "compiled", "python")
_forced = ContextVar("fastal_backend", default=None)


def _check_name(name, source):
    if not isinstance(name, str) or name.strip().lower() not in BACKENDS:
        raise ValueError(f"{source} must be one of {BACKENDS}, got {name!r}")
    return name.strip().lower()


def requested_backend():
    """The backend asked for (``auto``, ``compiled`` or ``python``), before resolution."""
    forced = _forced.get()
    if forced is not None:
        return forced
    return _check_name(os.environ.get("FASTAL_BACKEND", "auto") or "auto", "FASTAL_BACKEND")


def missing_compiled_message():
    return (
        "the compiled backend was requested but fastal's extension modules "
        f"could not be imported ({_core.COMPILED_IMPORT_ERROR!r}). Build them by "
        "installing fastal from source with a C compiler available "
        "(pip install .), or use FASTAL_BACKEND=python for the pure-NumPy kernels."
    )


def get_backend():
    """Name of the backend the kernels will use now: ``"compiled"`` or ``"python"``.

    Raises
    ------
    ImportError
        When ``compiled`` is requested and the extension did not import.
    """
    requested = requested_backend()
    if requested == "python":
        return "python"
    if _core.COMPILED is None:
        if requested == "compiled":
            raise ImportError(missing_compiled_message())
        return "python"
    return "compiled"


def backend_impl():
    """The namespace of kernel functions for the current backend."""
    return _core.COMPILED if get_backend() == "compiled" else _core.PYTHON


@contextlib.contextmanager
def use_backend(name):
    """Run a block with the kernels forced to one backend.

    Examples
    --------
    >>> import fastal
    >>> with fastal.use_backend("python"):
    ...     fastal.get_backend()
    'python'
    """
    name = _check_name(name, "backend")
    token = _forced.set(name)
    try:
        if name == "compiled":
            get_backend()  # fail at once, not at the first kernel call
        yield
    finally:
        _forced.reset(token)


def resolve_n_threads(n_jobs):
    """Thread count for a kernel call.

    ``None``: what OpenMP would use now (so ``threadpoolctl.threadpool_limits``
    applies); a positive int: that many; ``-1``: all CPUs; ``-k``: all but k-1.
    """
    if n_jobs is None:
        return max(1, _core.openmp_max_threads())
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int,)) and not hasattr(n_jobs, "__index__"):
        raise TypeError(f"n_jobs must be an int or None, got {n_jobs!r}")
    n_jobs = int(n_jobs)
    if n_jobs == 0:
        raise ValueError("n_jobs must not be 0 (use None, a positive count or -1 for all CPUs)")
    if n_jobs < 0:
        return max(1, (os.cpu_count() or 1) + 1 + n_jobs)
    return n_jobs
