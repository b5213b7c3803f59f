"""One call, no Dataset: ``fastal.query(X, y, strategy)``."""
import copy
import inspect

import numpy as np

from fastal.base.dataset import Dataset
from fastal.base.interfaces import Model, QueryStrategy
from fastal.utils.validation import check_count

__all__ = ["query"]


def _model_factory(model):
    """``make_model()``: a fresh, unfitted model each call (the caller's is never fitted)."""
    from sklearn.base import clone as sklearn_clone

    from fastal.models import as_model

    if model is None:
        from sklearn.linear_model import LogisticRegression

        return lambda: as_model(LogisticRegression(max_iter=1000))
    if isinstance(model, Model):
        return lambda: model.clone() if hasattr(model, "clone") else copy.deepcopy(model)
    as_model(model)      # a clear TypeError now for an object that is no classifier
    return lambda: as_model(sklearn_clone(model))


def _build(strategy, dataset, make_model, random_state, params):
    """The strategy object: a name of ``fastal.experiment.STRATEGIES`` or a class."""
    from fastal.experiment.strategies import get_strategy

    if isinstance(strategy, str):
        return get_strategy(strategy)(dataset, make_model, random_state, **params)
    if isinstance(strategy, QueryStrategy):
        raise TypeError("pass the strategy class (e.g. strategy=CoreSet), not an instance: an "
                        "instance is bound to its own Dataset")
    if not (isinstance(strategy, type) and issubclass(strategy, QueryStrategy)):
        raise TypeError(f"strategy must be a name or a QueryStrategy subclass, got {strategy!r}")
    accepted = inspect.signature(strategy).parameters
    kwargs = dict(params)
    if "model" in accepted and "model" not in kwargs:
        kwargs["model"] = make_model()
    if "random_state" in accepted and "random_state" not in kwargs:
        kwargs["random_state"] = random_state
    return strategy(dataset, **kwargs)


def query(X, y=None, strategy="margin", *, model=None, batch_size=1, random_state=None,
          return_scores=False, **strategy_params):
    """Rows of ``X`` to label next, from labels ``y`` with gaps for the unlabeled rows.

    Builds a :class:`~fastal.base.dataset.Dataset` and the strategy, and asks
    it once: the same strategies, the same answers as the libact-style API.

    Parameters
    ----------
    X : array-like, DataFrame or scipy.sparse matrix (n_samples, n_features)
        The whole pool, labeled and unlabeled rows.
    y : sequence of length n_samples, optional
        The labels; None, NaN or ``pd.NA`` marks an unlabeled row.  None (the
        default) means no row is labeled (strategies such as ``"coreset"``,
        ``"graph_density"`` and ``"random"`` need no labels).
    strategy : str or QueryStrategy subclass, default "margin"
        A name of ``fastal.experiment.STRATEGIES`` ("random", "lc", "margin",
        "entropy", "epsilon_margin", "qbc", "information_density",
        "density_weighted_meta", "graph_density", "coreset", "ranked_batch",
        or a registered one), or a class such as
        ``fastal.query_strategies.CoreSet``.
    model : scikit-learn classifier or fastal Model, optional
        For strategies that need one; cloned, never fitted in place.  Default:
        scikit-learn ``LogisticRegression(max_iter=1000)``.
    batch_size : int, default 1
        Number of rows returned.
    random_state : None, int or RandomState
        Passed to strategies that take one.
    return_scores : bool, default False
        Also return the strategy's score of every row (NaN for labeled rows).
    **strategy_params
        Keyword arguments of the strategy class (``metric="cosine"``, ...);
        an unknown one is a TypeError.

    Returns
    -------
    indices : ndarray of int64, shape (batch_size,)
        Row numbers in ``X``.
    scores : ndarray of float64, shape (n_samples,)
        Only with ``return_scores=True``.

    Examples
    --------
    >>> import numpy as np
    >>> import fastal
    >>> X = np.array([[0.0], [0.1], [0.5], [0.9], [1.0]])
    >>> y = [0, None, None, None, 1]
    >>> fastal.query(X, y, "margin").tolist()
    [2]
    >>> fastal.query(X, y, "coreset", batch_size=2).tolist()
    [2, 1]
    """
    dataset = Dataset(X, y)
    n_unlabeled = dataset.len_unlabeled()
    if n_unlabeled == 0:
        raise ValueError("every row of X is labeled: nothing to query (mark unlabeled rows "
                         "with None or NaN in y)")
    batch_size = check_count(batch_size, "batch_size", 1, n_unlabeled)
    if not isinstance(return_scores, (bool, np.bool_)):
        raise TypeError(f"return_scores must be True or False, got {return_scores!r}")
    qs = _build(strategy, dataset, _model_factory(model), random_state, strategy_params)
    answer = qs.make_query(return_score=bool(return_scores), n_instances=batch_size)
    chosen, pairs = answer if return_scores else (answer, None)
    indices = np.atleast_1d(np.asarray(chosen, dtype=np.int64))
    if not return_scores:
        return indices
    scores = np.full(len(dataset), np.nan)
    if pairs:
        ids, values = zip(*pairs)
        scores[np.asarray(ids, dtype=np.int64)] = np.asarray(values, dtype=np.float64)
    return indices, scores
