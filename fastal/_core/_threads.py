"""BLAS threads while the compiled kernels run their own threads.

The matrix-product paths call ``dgemm`` from inside OpenMP threads, one tile
per thread, so the BLAS library they call must run single-threaded meanwhile
(else every tile would spawn BLAS threads of its own).  Thread counts of a
BLAS library are process-wide state, and kernels may run in several Python
threads at once, so the limit is reference-counted under a lock: the first
kernel to enter saves the library's thread count and sets 1, the last one to
leave restores the saved count.  Only the BLAS library that SciPy's
``cython_blas`` (the one the kernels call) is bound to is touched when it can
be identified; NumPy's own BLAS keeps its threads.
"""
import os
import threading
from contextlib import contextmanager

__all__ = ["single_threaded_blas", "blas_thread_counts"]

_lock = threading.Lock()
_users = 0
_saved = []
_libraries = None


def _kernel_blas_libraries():
    """threadpoolctl controllers of the BLAS library the kernels call (all BLAS if unsure)."""
    global _libraries
    if _libraries is None:
        import scipy
        import scipy.linalg.cython_blas  # noqa: F401  (loads the library)
        from threadpoolctl import ThreadpoolController

        blas = ThreadpoolController().select(user_api="blas").lib_controllers
        scipy_dir = os.path.dirname(os.path.abspath(scipy.__file__))
        roots = (scipy_dir + os.sep, scipy_dir + ".libs" + os.sep)
        own = [lib for lib in blas
               if os.path.abspath(lib.filepath or "").startswith(roots)]
        _libraries = own or blas
    return _libraries


def blas_thread_counts():
    """Current thread count of every BLAS library loaded in the process, by path."""
    from threadpoolctl import threadpool_info
    return {info["filepath"]: info["num_threads"] for info in threadpool_info()
            if info["user_api"] == "blas"}


@contextmanager
def single_threaded_blas():
    """Run a block with the kernels' BLAS library at one thread (safe from any thread)."""
    global _users, _saved
    with _lock:
        if _users == 0:
            _saved = [(lib, lib.num_threads) for lib in _kernel_blas_libraries()]
            for lib, count in _saved:
                if count != 1:
                    lib.set_num_threads(1)
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                for lib, count in _saved:
                    if count != 1:
                        lib.set_num_threads(count)
                _saved = []
