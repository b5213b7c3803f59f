"""fastal: fast pool-based active learning with libact's API and a compiled core."""
__version__ = "0.1.0"

from fastal._config import (get_backend, resolve_n_threads, set_num_threads,  # noqa: E402
                            use_backend)
from fastal import _core  # noqa: E402
from fastal.api import query  # noqa: E402


def show_config(file=None):
    """Print the backend, OpenMP facts and library versions.

    Examples
    --------
    >>> import fastal
    >>> fastal.show_config()  # doctest: +SKIP
    fastal 0.1.0
    backend: compiled (requested: auto)
    ...
    """
    import platform
    import sys

    import numpy
    import scipy
    import sklearn

    from fastal._config import requested_backend

    try:
        backend = get_backend()
    except ImportError as exc:
        backend = f"unavailable ({exc})"
    lines = [
        f"fastal {__version__}",
        f"backend: {backend} (requested: {requested_backend()})",
        f"compiled extension: {'available' if _core.COMPILED is not None else 'missing: %r' % (_core.COMPILED_IMPORT_ERROR,)}",
        f"openmp: {_core.openmp_enabled()}",
        f"openmp threads: {_core.openmp_max_threads()}",
        f"kernel threads (n_jobs=None): {resolve_n_threads(None)}",
        f"python: {platform.python_version()}",
        f"numpy: {numpy.__version__}",
        f"scipy: {scipy.__version__}",
        f"scikit-learn: {sklearn.__version__}",
    ]
    print("\n".join(lines), file=file or sys.stdout)


__all__ = ["__version__", "query", "show_config", "get_backend", "use_backend", "set_num_threads",
           "resolve_n_threads"]
