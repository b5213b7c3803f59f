"""fastal: fast pool-based active learning with libact's API and a compiled core.

fastal picks which unlabeled samples a person should label next.  It keeps
libact's module paths, class names and arguments, and gives the same queries
for the same ``random_state``; the work that grows with the pool runs in
compiled, OpenMP-parallel kernels.

Where to start:

* ``fastal.query(X, y, "margin", batch_size=20)``: the rows to label next in
  one call, without a Dataset (``None`` or ``NaN`` labels for the unlabeled
  rows; strategy names as in ``fastal.experiment.STRATEGIES``).
* libact's way: a ``fastal.base.dataset.Dataset``, a strategy of
  ``fastal.query_strategies`` (``UncertaintySampling``, ``QueryByCommittee``,
  ...) and its ``make_query()``; ``python -m fastal.demo`` runs such a loop on
  scikit-learn's digits.
* libact code as it is: ``import fastal.compat; fastal.compat.install()``
  before it runs.
* ``fastal.show_config()``: compiled kernels or NumPy, OpenMP, versions.

Subpackages and modules:

``fastal.base``
    ``Dataset`` (the pool: features, labels, the unlabeled ids) and the
    interfaces ``Model``, ``Labeler`` and ``QueryStrategy``.
``fastal.query_strategies``
    The strategies: uncertainty sampling, query by committee, density
    weighting, core-set, ranked batch, ...; ``.multiclass`` and
    ``.multilabel`` hold libact's strategies for those settings.
``fastal.models``
    Models for the strategies (``LogisticRegression``, ``SVM``,
    ``Perceptron``), scikit-learn adapters and ``as_model``; ``.multilabel``.
``fastal.labelers``
    Oracles: ``IdealLabeler`` (known labels) and ``InteractiveLabeler``
    (a person at the keyboard).
``fastal.utils``
    ``seed_random_state`` and libact's helper functions.
``fastal.kernels``
    The compiled kernels on plain arrays: pairwise and k-NN density,
    max-min selection.
``fastal.experiment``
    The resumable comparison of strategies (``python -m fastal.experiment``).
``fastal.benchmark``
    Timings of the kernels against their NumPy twins and peer libraries
    (``python -m fastal.benchmark``).
``fastal.compat``
    ``libact`` imports answered by fastal.
``fastal.testing``
    Helpers to compare backends and query sequences in tests.
"""
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
