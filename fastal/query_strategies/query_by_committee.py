"""Query by committee: vote entropy or mean KL divergence of a bagged committee."""
import warnings

import numpy as np

import fastal.models
from fastal.base.dataset import Dataset
from fastal.models._auto import as_model
from fastal.base.interfaces import ProbabilisticModel
from fastal.query_strategies._selection import ScoredQueryStrategy
from fastal.query_strategies._uncertainty import entropy
from fastal.utils import seed_random_state

__all__ = ["QueryByCommittee"]
DISAGREEMENTS = ("vote", "kl_divergence")


def vote_entropy(votes):
    """Entropy of the committee's votes for every row; votes has shape (n, n_students)."""
    n, s = votes.shape
    _, codes = np.unique(votes, return_inverse=True)
    codes = codes.reshape(n, s)
    counts = np.zeros((n, codes.max() + 1 if codes.size else 1))
    np.add.at(counts, (np.repeat(np.arange(n), s), codes.ravel()), 1)
    return entropy(counts / s)


def mean_kl_divergence(proba):
    """Mean over students of KL(student || consensus); proba is (n, n_students, n_classes)."""
    consensus = proba.mean(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(proba > 0, proba * np.log(np.where(proba > 0, proba, 1.0) / consensus), 0.0)
    return terms.sum(axis=2).mean(axis=1)


class QueryByCommittee(ScoredQueryStrategy):
    """Query the row a committee of models disagrees on most (libact's ``QueryByCommittee``).

    Parameters
    ----------
    dataset : Dataset
    models : list of fastal models, scikit-learn classifiers or model class names (required)
        Each student is trained on a bootstrap sample of the labeled rows
        (re-drawn until it holds every label, with a ``UserWarning`` that
        counts the re-draws where libact prints a line on stdout), at
        construction and after every update.  A scikit-learn classifier is wrapped by
        ``fastal.models.as_model``; a name is a ``fastal.models`` class,
        built with its defaults.
    disagreement : {'vote', 'kl_divergence'}, default 'vote'
        Vote entropy, or the mean KL divergence to the consensus probability
        (needs ProbabilisticModel students).
    random_state : None, int or RandomState

    Notes
    -----
    Ties: every score ``np.isclose`` to the maximum is a candidate and
    ``random_state_.choice`` picks one.

    Examples
    --------
    >>> import numpy as np
    >>> from fastal.base.dataset import Dataset
    >>> from fastal.models import LogisticRegression
    >>> from fastal.query_strategies import QueryByCommittee
    >>> X = np.array([[0.0], [0.2], [0.5], [0.8], [1.0]])
    >>> ds = Dataset(X, [0, 0, None, 1, 1])
    >>> qs = QueryByCommittee(ds, models=[LogisticRegression(C=1.0), LogisticRegression(C=0.01)],
    ...                       random_state=0)
    >>> int(qs.make_query())
    2
    """

    def __init__(self, dataset, *, models, disagreement="vote", random_state=None):
        super().__init__(dataset)
        self.disagreement = disagreement
        if self.disagreement not in DISAGREEMENTS:
            raise ValueError(f"disagreement must be one of {list(DISAGREEMENTS)}, "
                             f"got {self.disagreement!r}")
        if models is None:
            raise TypeError("__init__() missing required keyword-only argument: 'models'")
        if not models:
            raise ValueError("models list is empty")
        models = [getattr(fastal.models, m)() if isinstance(m, str)
                  else as_model(m, f"models[{i}]") for i, m in enumerate(models)]
        if self.disagreement == "kl_divergence":
            for model in models:
                if not isinstance(model, ProbabilisticModel):
                    raise TypeError("Given disagreement set as 'kl_divergence', all models "
                                    "should be ProbabilisticModel.")
        self.random_state_ = seed_random_state(random_state)
        self.students = models
        self.n_students = len(self.students)
        self.teach_students()

    def _labeled_uniform_sample(self, sample_size):
        """A bootstrap sample of the labeled rows, drawn as libact draws it."""
        X, y = self.dataset.get_labeled_entries()
        idx = [self.random_state_.randint(0, X.shape[0]) for _ in range(sample_size)]
        return Dataset(X[idx], np.array(y, dtype=object)[idx])

    def teach_students(self):
        """Train every student on its own bootstrap sample of the labeled rows."""
        dataset = self.dataset
        n_labeled = dataset.len_labeled()
        if n_labeled == 0:
            raise ValueError("QueryByCommittee needs labeled entries to train its committee")
        n_labels = dataset.get_num_of_labels()
        redrawn = 0
        for student in self.students:
            bag = self._labeled_uniform_sample(n_labeled)
            while bag.get_num_of_labels() != n_labels:
                bag = self._labeled_uniform_sample(n_labeled)
                redrawn += 1
            student.train(bag)
        if redrawn:
            # libact prints "There is student receiving only one label, re-sample the bag."
            # on stdout for every bag drawn again
            warnings.warn(f"QueryByCommittee: bootstrap bags that missed one of the {n_labels} "
                          f"labels were drawn again ({redrawn} re-draw{'s' * (redrawn != 1)})",
                          UserWarning, stacklevel=2)

    def update(self, entry_id, label):
        """Retrain the committee after a new label."""
        self.teach_students()

    def _get_scores(self):
        entry_ids, X_pool = self.dataset.get_unlabeled_entries()
        if len(entry_ids) == 0:
            return entry_ids, np.zeros(0)
        if self.disagreement == "vote":
            votes = np.column_stack([np.asarray(s.predict(X_pool)) for s in self.students])
            return entry_ids, vote_entropy(votes)
        proba = np.stack([np.asarray(s.predict_proba(X_pool), dtype=np.float64)
                          for s in self.students], axis=1)
        return entry_ids, mean_kl_divergence(proba)
