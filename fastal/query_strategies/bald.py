"""BALD: Bayesian active learning by disagreement, with a committee as the posterior."""
import logging

import numpy as np

from fastal.base.dataset import Dataset
from fastal.base.interfaces import ProbabilisticModel
from fastal.models._auto import as_model, as_models
from fastal.query_strategies._selection import ScoredQueryStrategy
from fastal.query_strategies._uncertainty import clipped_entropy
from fastal.utils import seed_random_state

LOGGER = logging.getLogger(__name__)
__all__ = ["BALD"]
MAX_RESAMPLES = 10


def mutual_information(proba):
    """``H[mean_m p_m] - mean_m H[p_m]`` per row; ``proba`` is (n_models, n, n_classes).

    Entropies of probabilities clipped to [1e-10, 1], as libact's BALD.

    Examples
    --------
    >>> import numpy as np
    >>> agree = [[[0.5, 0.5]], [[0.5, 0.5]]]
    >>> disagree = [[[1.0, 0.0]], [[0.0, 1.0]]]
    >>> float(mutual_information(np.array(agree))[0])
    0.0
    >>> round(float(mutual_information(np.array(disagree))[0]), 6)
    0.693147
    """
    return clipped_entropy(np.mean(proba, axis=0)) - np.mean(clipped_entropy(proba), axis=0)


class BALD(ScoredQueryStrategy):
    """Query the row with the largest mutual information between its label and the
    model, estimated by a committee (libact's ``BALD``; Houlsby et al. 2011).

    Parameters
    ----------
    dataset : Dataset
    models : list of ProbabilisticModel, optional
        The committee, used as given (e.g. different hyperparameters).
    base_model : ProbabilisticModel with ``clone()``, optional
        Used when ``models`` is None: the committee is ``n_models`` clones.
        One of ``models`` and ``base_model`` is required.  scikit-learn
        classifiers with ``predict_proba`` (in either) are wrapped by
        ``fastal.models.as_model``.
    n_models : int, default 10
        Committee size for ``base_model``.
    random_state : None, int or RandomState
        Draws the bootstrap samples and breaks ties.

    Notes
    -----
    Every member is trained on its own bootstrap sample of the labeled rows
    (``random_state_.randint(0, n_labeled, size=n_labeled)``), redrawn while
    it lacks one of the labels, at most 10 times; this happens at
    construction and after every label (none while nothing is labeled).
    Score: ``H[mean_m p_m(x)] - mean_m H[p_m(x)]`` with entropies of the
    probabilities clipped to [1e-10, 1].  Ties: every score ``np.isclose`` to
    the maximum is a candidate and ``random_state_.choice`` picks one; a batch
    repeats that rule on the rows not picked yet.

    Examples
    --------
    >>> import numpy as np
    >>> from fastal.base.dataset import Dataset
    >>> from fastal.models import LogisticRegression
    >>> from fastal.query_strategies.bald import BALD
    >>> X = np.array([[-2., -1], [-1, -1], [-1, -2], [1, 1], [1, 2], [2, 1],
    ...               [0, 1], [0, -2], [1.5, 1.5], [-2, -2]])
    >>> ds = Dataset(X, [-1, -1, -1, 1, 1, 1, None, None, None, None])
    >>> qs = BALD(ds, models=[LogisticRegression(C=c) for c in (0.1, 1.0, 10.0)], random_state=42)
    >>> int(qs.make_query())
    9
    """

    def __init__(self, dataset, *, models=None, base_model=None, n_models=10, random_state=None):
        super().__init__(dataset)
        models = as_models(models, "models")
        if base_model is not None:
            base_model = as_model(base_model, "base_model")
        self.n_models = n_models
        self.random_state_ = seed_random_state(random_state)
        if models is not None:
            if not models:
                raise ValueError("models list is empty")
            if not all(isinstance(model, ProbabilisticModel) for model in models):
                raise TypeError("All models must be ProbabilisticModel instances")
            self.models = list(models)
            self._base_model = None
        elif base_model is not None:
            if not isinstance(base_model, ProbabilisticModel):
                raise TypeError("base_model must be a ProbabilisticModel")
            if not hasattr(base_model, "clone"):
                raise TypeError("base_model must have a 'clone()' method")
            if isinstance(self.n_models, bool) or not isinstance(self.n_models, (int, np.integer)) \
                    or self.n_models < 1:
                raise ValueError(f"n_models must be a positive integer, got {self.n_models!r}")
            self._base_model = base_model
            self.models = [base_model.clone() for _ in range(self.n_models)]
        else:
            raise TypeError("__init__() requires either 'models' or 'base_model' argument")
        self._train_ensemble()

    @staticmethod
    def _entropy(proba):
        """Entropy of every row of ``proba``, clipped to [1e-10, 1] first."""
        return clipped_entropy(np.asarray(proba, dtype=np.float64))

    def _train_ensemble(self):
        """Train every member on its own bootstrap sample of the labeled rows."""
        n_labeled = self.dataset.len_labeled()
        if n_labeled == 0:
            LOGGER.warning("No labeled samples available for training")
            return
        X, y = self.dataset.get_labeled_entries()
        y = np.array(y)
        _, label_codes = np.unique(y, return_inverse=True)
        n_labels = int(label_codes.max()) + 1
        rs = self.random_state_
        for model in self.models:
            picks = rs.randint(0, n_labeled, size=n_labeled)
            resamples = 0
            while np.unique(label_codes[picks]).size != n_labels:
                picks = rs.randint(0, n_labeled, size=n_labeled)
                resamples += 1
                if resamples >= MAX_RESAMPLES:
                    if np.unique(label_codes[picks]).size != n_labels:
                        LOGGER.warning("Could not draw a bootstrap sample holding every label "
                                       "in %d attempts; training on one that lacks some",
                                       MAX_RESAMPLES)
                    break
            model.train(Dataset(X[picks], y[picks]))

    def update(self, entry_id, label):
        """Retrain the committee on the labeled rows, with new bootstrap samples."""
        self._train_ensemble()

    def _get_scores(self):
        entry_ids, X_pool = self.dataset.get_unlabeled_entries()
        if len(entry_ids) == 0:
            return entry_ids, np.zeros(0)
        proba = [np.asarray(model.predict_proba(X_pool), dtype=np.float64) for model in self.models]
        if len({p.shape for p in proba}) > 1:
            raise ValueError("the committee's members predict different numbers of classes "
                             f"({sorted({p.shape[1] for p in proba})}): a bootstrap sample "
                             "lacked a label; label more rows of each class")
        return entry_ids, mutual_information(np.stack(proba))
