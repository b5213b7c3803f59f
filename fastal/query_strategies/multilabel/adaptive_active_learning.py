"""Adaptive active learning: max-margin uncertainty and label cardinality inconsistency."""
import copy
import pickle

import numpy as np
from sklearn.utils.parallel import Parallel, delayed

from fastal.base.interfaces import QueryStrategy
from fastal.models.multilabel import BinaryRelevance
from fastal.models._auto import as_model
from fastal.query_strategies.multilabel._common import (
    CustomSelection, fit_label_column, label_vector_length, labeled_label_matrix, with_row)
from fastal.utils import seed_random_state

__all__ = ["AdaptiveActiveLearning"]
MIN_PARALLEL_CANDIDATES = 8      # fewer are evaluated in this process: a pool would cost more


def separation_margin(real):
    """Smallest positive minus largest negative output of every row (zeros count as neither)."""
    pos = np.where(real <= 0, np.inf, real)
    neg = np.where(real >= 0, -np.inf, real)
    return pos.min(axis=1) - neg.max(axis=1)


def approximate_error(real):
    """libact's approximate generalisation error of a model with outputs ``real`` on the pool.

    Sum over the rows of ``max_j p_j + max_j n_j`` with ``p_j = 1 - f_j`` where
    ``f_j >= 0`` (else 0) and ``n_j = 1 + f_j`` where ``f_j <= 0`` (else 0).

    Examples
    --------
    >>> import numpy as np
    >>> float(approximate_error(np.array([[0.5, -0.25], [2.0, 0.0]])))
    3.25
    """
    pos = np.where(real < 0, 1, real)
    neg = np.where(real > 0, -1, real)
    return np.sum(np.max(1. - pos, axis=1) + np.max(1. + neg, axis=1))


def error_with_row(base_clf, X, Y, X_pool, row, labels):
    """Approximate error on ``X_pool`` of binary relevance trained on ``X, Y`` plus
    the row ``row`` labeled ``labels``."""
    X_more = with_row(X, row)
    Y_more = np.vstack((Y, labels))
    real = np.empty((X_pool.shape[0], Y_more.shape[1]))
    for j in range(Y_more.shape[1]):
        clf = fit_label_column(base_clf, X_more, Y_more[:, j])
        real[:, j] = np.asarray(clf.predict_real(X_pool))[:, 1]
    return approximate_error(real)


def candidate_rows(uncertainty, cardinality, betas):
    """Rows that maximise ``uncertainty**b * cardinality**(1 - b)`` for some b in ``betas``.

    Listed in the order of a Python set filled beta by beta, row by row, which
    is libact's candidate order.

    Examples
    --------
    >>> import numpy as np
    >>> uncertainty = np.zeros(10); uncertainty[2] = 1.0
    >>> cardinality = np.ones(10); cardinality[9] = 2.0
    >>> candidate_rows(uncertainty, cardinality, [0.0, 1.0])   # {9, 2}: 9 sits in slot 1
    [9, 2]
    """
    seen = set()
    for b in betas:
        score = uncertainty ** b * cardinality ** (1. - b)
        seen.update(np.flatnonzero(score == np.max(score)).tolist())
    return list(seen)


class AdaptiveActiveLearning(CustomSelection, QueryStrategy):
    r"""Adaptive active learning (libact's ``AdaptiveActiveLearning``; Li and Guo 2013).

    Combines max-margin uncertainty and label cardinality inconsistency of a
    binary relevance model: for each trade-off ``beta`` the rows with the best
    ``uncertainty**beta * inconsistency**(1 - beta)`` become candidates; the
    candidate whose addition (with its predicted labels) gives the smallest
    approximate error on the pool is queried.

    Parameters
    ----------
    dataset : Dataset
        Labels are 0/1 vectors, one entry per label.
    base_clf : ContinuousModel or scikit-learn classifier
        Binary model of each label (``predict_real(X)[:, 1]`` is its output).
        A scikit-learn classifier is wrapped by ``fastal.models.as_model``.
    betas : list of float, default ``[0.0, 0.1, ..., 1.0]``
        Trade-offs, in [0, 1] (not checked, as in libact).
    n_jobs : int, default 1
        Jobs (joblib) training the binary relevance (threads) and evaluating
        the candidates (processes; threads if ``base_clf`` cannot be pickled).
    random_state : None, int or RandomState
        Breaks ties.

    Notes
    -----
    Binary relevance outputs ``f`` on every unlabeled row; uncertainty:
    ``1 / (min_{f_j > 0} f_j - max_{f_j < 0} f_j)``; inconsistency:
    ``|#predicted labels - mean #labels of the labeled rows|``.  Each candidate
    is scored by training the binary relevance again with the candidate and its
    predicted labels added and summing, over the pool,
    ``max_j p_j + max_j n_j`` with ``p_j = 1 - f_j`` where ``f_j >= 0`` (else 0)
    and ``n_j = 1 + f_j`` where ``f_j <= 0`` (else 0).  The smallest sum wins;
    ties: libact's candidate order (a Python set) and ``random_state_.choice``.

    ``_get_scores`` gives minus that sum for the candidates and ``-inf`` for
    the other rows (only candidates are evaluated, as in libact).  A batch
    repeats the rule on the rows not picked yet: candidates are chosen among
    them again and the new ones evaluated.  libact reads the number of labels
    from row 0 and so fails when row 0 is unlabeled; fastal reads it from the
    labeled rows.

    Examples
    --------
    >>> import numpy as np
    >>> from fastal.base.dataset import Dataset
    >>> from fastal.models import LogisticRegression
    >>> from fastal.query_strategies.multilabel import AdaptiveActiveLearning
    >>> X = np.array([[0., 0], [0, 1], [1, 0], [1, 1], [.5, .5], [.2, .8], [.9, .1]])
    >>> Y = [[0, 0], [0, 1], [1, 0], [1, 1], None, None, None]
    >>> qs = AdaptiveActiveLearning(Dataset(X, Y), LogisticRegression(), random_state=0)
    >>> int(qs.make_query())
    4
    """

    def __init__(self, dataset, base_clf, betas=None, n_jobs=1, random_state=None):
        super().__init__(dataset)
        self.n_labels = label_vector_length(self.dataset, "AdaptiveActiveLearning")
        self.base_clf = copy.deepcopy(as_model(base_clf, "base_clf"))
        self.betas = betas
        if self.betas is None:
            self.betas = [i / 10. for i in range(0, 11)]
        self.n_jobs = n_jobs
        self.random_state_ = seed_random_state(random_state)

    def _evaluate(self):
        """(entry_ids, scores, context) with the candidates' errors cached in context."""
        dataset = self.dataset
        entry_ids, X_pool = dataset.get_unlabeled_entries()
        if len(entry_ids) == 0:
            return entry_ids, np.zeros(0), None
        X, Y = labeled_label_matrix(dataset, "AdaptiveActiveLearning")
        clf = BinaryRelevance(self.base_clf, n_jobs=self.n_jobs)
        clf.train(dataset)
        real = np.asarray(clf.predict_real(X_pool), dtype=np.float64)
        pred = np.asarray(clf.predict(X_pool)).astype(int)
        uncertainty = 1. / separation_margin(real)
        average_pos_lbl = Y.mean(axis=0).sum()
        cardinality = np.sqrt((pred.sum(axis=1) - average_pos_lbl) ** 2)
        context = {"X": X, "Y": Y, "X_pool": X_pool, "pred": pred,
                   "uncertainty": uncertainty, "cardinality": cardinality, "errors": {}}
        candidates = candidate_rows(uncertainty, cardinality, self.betas)
        self._evaluate_rows(context, candidates)
        scores = np.full(len(entry_ids), -np.inf)
        scores[candidates] = [-context["errors"][row] for row in candidates]
        return entry_ids, scores, context

    def _evaluate_rows(self, context, rows):
        """Approximate errors of the pool rows ``rows`` not evaluated yet."""
        errors = context["errors"]
        todo = [row for row in rows if row not in errors]
        X, Y, X_pool, pred = context["X"], context["Y"], context["X_pool"], context["pred"]
        tasks = (delayed(error_with_row)(self.base_clf, X, Y, X_pool, X_pool[row], pred[row])
                 for row in todo)
        if self.n_jobs == 1 or len(todo) < MIN_PARALLEL_CANDIDATES:
            values = [error_with_row(self.base_clf, X, Y, X_pool, X_pool[row], pred[row])
                      for row in todo]
        else:
            values = Parallel(n_jobs=self.n_jobs, backend=self._backend())(tasks)
        errors.update(zip(todo, values))

    def _backend(self):
        """Processes for the candidates' trainings (the model fits hold the GIL); threads
        for a ``base_clf`` that cannot be pickled."""
        try:
            pickle.dumps(self.base_clf)
        except Exception:       # noqa: BLE001 - anything unpicklable: threads work
            return "threading"
        return "loky"

    def _pick(self, state, remaining):
        context = state[2]
        rows = np.flatnonzero(remaining)
        if rows.size == len(remaining):
            candidates = candidate_rows(context["uncertainty"], context["cardinality"],
                                        self.betas)
        else:   # the rule on the rows not picked yet, in pool positions
            candidates = [int(rows[i]) for i in candidate_rows(
                context["uncertainty"][rows], context["cardinality"][rows], self.betas)]
            self._evaluate_rows(context, candidates)
        errors = np.array([context["errors"][row] for row in candidates])
        choices = np.flatnonzero(errors == np.min(errors))
        return candidates[self.random_state_.choice(choices)]
