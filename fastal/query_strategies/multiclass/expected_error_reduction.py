r"""Expected error reduction (libact's ``EER``).

For an unlabeled row x and each label c = 0, ..., k - 1 (k the number of
distinct labels among the labeled rows; labels are taken to be the integers
0..k-1, as libact takes them), a copy of the model -- trained on the labeled
rows -- is retrained on the labeled rows plus ``(x, c)`` and predicts the
pool, giving probabilities ``p^{x,c}``.  The expected error of x is

.. math::  E(x) = \sum_c P(c \mid x) \, L(p^{x,c})

with ``P(c | x)`` the model's probability of c for x and the loss over the pool

* ``'log'``: :math:`L(p) = -\sum_{u, j} p_{uj} \log p_{uj}`
* ``'01'``:  :math:`L(p) = \sum_u (1 - \max_j p_{uj})`.

The row with the smallest E is queried.  The k u model fits of a query
cannot be avoided and take nearly all of its time; fastal runs them
(optionally in parallel, ``n_jobs``), takes each copy's loss with libact's
expression, and forms E for all candidates in one array operation whose
sums run in libact's order, so E is the same bit for bit.
"""
import copy
import numbers
import os

import numpy as np
import scipy.sparse as sp

from fastal.base.dataset import Dataset
from fastal.base.interfaces import ProbabilisticModel, QueryStrategy
from fastal.models._auto import as_model
from fastal.query_strategies._selection import answer, check_n_instances, rank_with_ties
from fastal.utils import seed_random_state

__all__ = ["EER", "pool_loss", "expected_errors_from"]

LOSSES = ("01", "log")


def pool_loss(proba, loss):
    """Loss over the pool of one model's predictions ``proba`` (u, n_classes).

    libact's expressions on the array as the model returned it (its memory
    layout decides NumPy's summation order, so it is not copied).

    Examples
    --------
    >>> import numpy as np
    >>> float(pool_loss(np.array([[0.5, 0.5], [1.0, 0.0]]), "01"))
    0.5
    """
    if loss == "01":
        return np.sum(1 - np.max(proba, axis=1))
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.sum(proba * np.log(proba))


def expected_errors_from(proba, losses):
    """``E = sum_c proba[:, c] * losses[:, c]`` (c < losses.shape[1]), summed as libact sums.

    Examples
    --------
    >>> import numpy as np
    >>> expected_errors_from(np.array([[0.25, 0.75]]), np.array([[4.0, 2.0]])).tolist()
    [2.5]
    """
    n_labels = losses.shape[1]
    terms = np.ascontiguousarray(np.asarray(proba, dtype=np.float64)[:, :n_labels] * losses)
    return terms.sum(axis=1)


def retrained_pool_losses(model, X_labeled, y_labeled, X_candidates, X_pool, n_labels, loss):
    """Losses (n_candidates, n_labels) of copies of ``model`` retrained with each candidate
    under each label, each copy a fresh ``copy.deepcopy`` of ``model`` (as libact)."""
    y_labeled = list(y_labeled)
    out = np.empty((len(X_candidates), n_labels))
    for i in range(X_candidates.shape[0]):
        x = X_candidates[i]
        stacked = np.vstack((X_labeled, [x]))
        for label in range(n_labels):
            clf = copy.deepcopy(model)
            clf.train(Dataset(stacked, y_labeled + [label]))
            out[i, label] = pool_loss(np.asarray(clf.predict_proba(X_pool)), loss)
    return out


def _n_workers(n_jobs):
    if n_jobs is None or n_jobs == 1:
        return 1
    if n_jobs < 0:
        return max(1, (os.cpu_count() or 1) + 1 + n_jobs)
    return n_jobs


def _dense(X):
    return X.toarray() if sp.issparse(X) else np.asarray(X)


class EER(QueryStrategy):
    """Expected error reduction (libact's ``EER``; Settles' survey, 2010).

    Scores every unlabeled row by the loss the model would have over the
    pool after learning that row, averaged over the row's labels under the
    model's probabilities (module docstring), and queries the smallest.

    Parameters
    ----------
    dataset : Dataset
        Labels are taken to be the integers 0..k-1 (libact's assumption).
    model : ProbabilisticModel or scikit-learn classifier (required)
        Trained on the labeled rows at every query; ``copy.deepcopy`` of the
        trained model is retrained k times per unlabeled row.  A scikit-learn
        classifier with ``predict_proba`` is wrapped by ``fastal.models.as_model``.
    loss : {'log', '01'}, default 'log'
    random_state : None, int or RandomState
        Breaks ties.
    n_jobs : int or None, default 1
        Processes for the model fits (joblib): 1 or None fits them here, -1
        uses every CPU.  The scores do not depend on it, unless the model
        draws from NumPy's global random generator while training (the
        order of those draws then differs).  Not a libact argument.

    Attributes
    ----------
    model : ProbabilisticModel
        Trained on the labeled rows by the last query.
    random_state_ : RandomState

    Notes
    -----
    Ties: every row whose expected error equals the smallest exactly is a
    candidate and ``random_state_.choice`` picks one (libact's rule).
    libact has no ``_get_scores`` for EER and neither has fastal (it raises
    ``NotImplementedError``); :meth:`expected_errors` returns E for the pool
    and ``make_query(return_score=True)`` pairs each row with ``-E`` (larger
    = query).  ``make_query(n_instances=k)`` returns the k smallest E, ties
    broken as for a single query (the first id is the single query's).

    Examples
    --------
    >>> import numpy as np
    >>> from fastal.base.dataset import Dataset
    >>> from fastal.models import LogisticRegression
    >>> from fastal.query_strategies.multiclass import EER
    >>> X = np.array([[0.0], [0.2], [0.45], [0.8], [1.0], [0.1]])
    >>> ds = Dataset(X, [0, None, None, None, 1, None])
    >>> qs = EER(ds, model=LogisticRegression(solver="liblinear"), random_state=0)
    >>> int(qs.make_query())
    3
    """

    def __init__(self, dataset, model=None, loss="log", random_state=None, *, n_jobs=1):
        super().__init__(dataset)
        self.model = None if model is None else as_model(model, "model")
        if self.model is None:
            raise TypeError("__init__() missing required keyword-only argument: 'model'")
        if not isinstance(self.model, ProbabilisticModel):
            raise TypeError("model has to be a ProbabilisticModel")
        self.loss = loss
        if self.loss not in LOSSES:
            raise TypeError(f"supported methods are {list(LOSSES)}, the given one is: {loss}")
        if n_jobs is not None and (isinstance(n_jobs, bool) or not isinstance(
                n_jobs, numbers.Integral) or n_jobs == 0):
            raise ValueError(f"n_jobs must be a nonzero integer or None, got {n_jobs!r}")
        self.n_jobs = n_jobs
        self.random_state_ = seed_random_state(random_state)

    def _losses(self, X_labeled, y_labeled, X_pool, n_labels):
        workers = min(_n_workers(self.n_jobs), len(X_pool))
        if workers <= 1:
            return retrained_pool_losses(self.model, X_labeled, y_labeled, X_pool, X_pool,
                                         n_labels, self.loss)
        from joblib import Parallel, delayed
        chunks = [c for c in np.array_split(np.arange(len(X_pool)), 2 * workers) if len(c)]
        parts = Parallel(n_jobs=workers)(
            delayed(retrained_pool_losses)(self.model, X_labeled, y_labeled, X_pool[c], X_pool,
                                           n_labels, self.loss)
            for c in chunks)
        return np.concatenate(parts)

    def expected_errors(self):
        """``(entry_ids, E)``: the expected error of every unlabeled row (smaller = query).

        Trains ``model`` on the labeled rows (it is left trained on them) and
        a copy of it per unlabeled row and label.
        """
        dataset = self.dataset
        entry_ids, X_pool = dataset.get_unlabeled_entries()
        if len(entry_ids) == 0:
            return entry_ids, np.zeros(0)
        X_labeled, y_labeled = dataset.get_labeled_entries()
        X_labeled, X_pool = _dense(X_labeled), _dense(X_pool)
        n_labels = len(np.unique(y_labeled))
        self.model.train(dataset)
        proba = np.asarray(self.model.predict_proba(X_pool), dtype=np.float64)
        losses = self._losses(X_labeled, y_labeled, X_pool, n_labels)
        return entry_ids, expected_errors_from(proba, losses)

    def _get_scores(self):
        """Not provided, as in libact: use :meth:`expected_errors` (smaller = query).

        Raises
        ------
        NotImplementedError
        """
        raise NotImplementedError(
            "EER does not provide _get_scores(); expected_errors() returns the expected "
            "error of every unlabeled row (smaller = query)")

    def make_query(self, return_score=False, *, n_instances=None):
        """Entry id with the smallest expected error, or a batch.

        Parameters
        ----------
        return_score : bool
            Also return ``[(entry_id, -E), ...]`` for the whole pool.
        n_instances : int or None
            None: one id, as libact.  k: the k smallest expected errors, ties
            broken as for a single query.
        """
        k = check_n_instances(n_instances, self.dataset.len_unlabeled(), return_score)
        entry_ids, errors = self.expected_errors()
        scores = -errors
        picks = rank_with_ties(scores, 1 if k is None else k, "exact", self.random_state_)
        chosen = entry_ids[picks[0]] if k is None else entry_ids[picks]
        return answer(chosen, entry_ids, scores, return_score)
