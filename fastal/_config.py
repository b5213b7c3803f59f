"""Backend selection and thread counts: the one place that decides them.

The backend is, in order of precedence: the innermost ``use_backend(...)``
block, then the ``FASTAL_BACKEND`` environment variable (``auto``,
``compiled`` or ``python``), then ``auto`` (compiled when it imported).
"""
import contextlib
import os
import warnings
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


def _report_missing_extension():
    """At import: a missing extension is an ImportError under FASTAL_BACKEND=compiled,
    a warning under auto (the NumPy twins are used), silent under python."""
    if _core.COMPILED is not None:
        return
    try:
        requested = requested_backend()
    except ValueError:       # a bad FASTAL_BACKEND is reported by the first kernel call
        return
    if requested == "compiled":
        raise ImportError(missing_compiled_message())
    if requested == "auto":
        warnings.warn(
            f"{_core.COMPILED_IMPORT_ERROR}; using the NumPy kernels, which give the same results "
            "more slowly. In a source checkout, install with 'pip install -e .' or run from "
            "another directory; set FASTAL_BACKEND=python to silence this warning.",
            RuntimeWarning, stacklevel=4)


_report_missing_extension()


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


def available_cpus():
    """CPUs this process may run on (its affinity mask where the OS reports one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _env_thread_limit():
    raw = os.environ.get("FASTAL_NUM_THREADS", "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"FASTAL_NUM_THREADS must be a positive integer, got {raw!r}") from None
    if value < 1:
        raise ValueError(f"FASTAL_NUM_THREADS must be a positive integer, got {raw!r}")
    return value


_process_limit = _env_thread_limit()


def set_num_threads(n_threads):
    """Set the process-wide limit on kernel threads; return the previous one.

    The limit applies to every kernel call with ``n_jobs=None`` from any
    Python thread (``threadpoolctl``'s OpenMP limits, by contrast, apply only
    to the thread that set them).  ``None`` removes it.  The environment
    variable ``FASTAL_NUM_THREADS`` sets it at import.

    Examples
    --------
    >>> import fastal
    >>> previous = fastal.set_num_threads(1)
    >>> fastal.resolve_n_threads(None)
    1
    >>> _ = fastal.set_num_threads(previous)
    """
    global _process_limit
    if n_threads is not None:
        if isinstance(n_threads, bool) or not hasattr(n_threads, "__index__"):
            raise TypeError(f"n_threads must be a positive int or None, got {n_threads!r}")
        n_threads = int(n_threads)
        if n_threads < 1:
            raise ValueError(f"n_threads must be a positive int or None, got {n_threads}")
    previous, _process_limit = _process_limit, n_threads
    return previous


def resolve_n_threads(n_jobs):
    """Thread count for one kernel call, never more than the CPUs available.

    ``None``: what OpenMP would use now in the calling thread (so
    ``threadpoolctl.threadpool_limits`` in that thread applies), at most the
    process-wide limit of ``set_num_threads``; a positive int: that many;
    ``-1``: all CPUs; ``-k``: all but k-1.  Counts above the CPUs available to
    the process are capped to them (each thread gets its own workspace).
    """
    cpus = available_cpus()
    if n_jobs is None:
        n = max(1, _core.openmp_max_threads())
        if _process_limit is not None:
            n = min(n, _process_limit)
        return min(n, cpus)
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, (int,)) and not hasattr(n_jobs, "__index__"):
        raise TypeError(f"n_jobs must be an int or None, got {n_jobs!r}")
    n_jobs = int(n_jobs)
    if n_jobs == 0:
        raise ValueError("n_jobs must not be 0 (use None, a positive count or -1 for all CPUs)")
    if n_jobs < 0:
        return max(1, cpus + 1 + n_jobs)
    return min(n_jobs, cpus)
