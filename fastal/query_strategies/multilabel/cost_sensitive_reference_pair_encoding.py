"""Cost-sensitive reference pair encoding (CSRPE) as a multi-label query strategy."""
import copy

import numpy as np
from sklearn.neighbors import NearestNeighbors
from sklearn.utils.parallel import Parallel, delayed

from fastal.base.dataset import Dataset
from fastal.models._auto import as_model
from fastal.query_strategies._selection import ScoredQueryStrategy
from fastal.query_strategies.multilabel._common import labeled_label_matrix
from fastal.utils import seed_random_state

__all__ = ["CostSensitiveReferencePairEncoding", "CSRPE", "BinaryCLF"]

_BLOCK = 1 << 22    # entries of the largest temporary distance block


def nearest_code_distances(codes, reference):
    """Euclidean distance of every row of ``codes`` to its nearest row of ``reference``.

    For 0/1 codes the squared distance is the number of differing bits, an
    exact integer: ``|a| + |b| - 2 a.b``, the value a ball tree finds.  Other
    codes go through scikit-learn's ``NearestNeighbors``.

    Examples
    --------
    >>> import numpy as np
    >>> nearest_code_distances(np.array([[1., 0, 1], [0, 0, 0]]),
    ...                        np.array([[1., 1, 1], [0, 0, 1]])).tolist()
    [1.0, 1.0]
    """
    codes = np.asarray(codes, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    if not (np.isin(codes, (0.0, 1.0)).all() and np.isin(reference, (0.0, 1.0)).all()):
        nn = NearestNeighbors(n_neighbors=1, algorithm="ball_tree").fit(reference)
        return nn.kneighbors(codes, 1, return_distance=True)[0].reshape(-1)
    ref_ones = reference.sum(axis=1)
    code_ones = codes.sum(axis=1)
    out = np.empty(codes.shape[0])
    step = max(1, _BLOCK // max(1, reference.shape[0]))
    for start in range(0, codes.shape[0], step):
        block = codes[start:start + step]
        differing = (code_ones[start:start + step, None] + ref_ones[None, :]
                     - 2.0 * (block @ reference.T))
        out[start:start + step] = differing.min(axis=1)
    return np.sqrt(out)


class BinaryCLF:
    """One bit of the code: is ``rep_label[1]`` a better answer than ``rep_label[0]``?

    Parameters
    ----------
    base_clf : model with ``train(dataset, sample_weight=...)`` and ``predict``
    scoring_fn : callable
        ``scoring_fn(truth, prediction)`` of two label matrices, one value per
        row, larger = better.
    rep_label : array (2, n_labels)
        The reference pair.
    random_state : object, optional
        Accepted and not used (as in libact).

    Notes
    -----
    The bit of a label vector y is ``scoring_fn(y, rep_label[1]) >
    scoring_fn(y, rep_label[0])``; training weights each labeled row by the
    score difference (normalised to sum to the number of rows).  Once a
    training sees a single bit value on all its rows, the bit is that constant
    from then on (as in libact, where later models are trained but never
    consulted; fastal does not train them).
    """

    def __init__(self, base_clf, scoring_fn, rep_label, random_state=None):
        self.base_clf = base_clf
        self.scoring_fn = scoring_fn
        self.rep_label = rep_label
        self.label = None

    def _scores(self, Y):
        n = np.shape(Y)[0]
        score0 = self.scoring_fn(Y, np.tile(self.rep_label[0], (n, 1)))
        score1 = self.scoring_fn(Y, np.tile(self.rep_label[1], (n, 1)))
        return score0, score1

    def enc(self, Y):
        """The bit (0.0 or 1.0) of every label vector in ``Y``."""
        if self.rep_label is None:
            raise ValueError("BinaryCLF has no reference pair (rep_label is None)")
        score0, score1 = self._scores(Y)
        return ((score1 - score0) > 0) + 0.0

    def train(self, X, y):
        """Fit the bit on features ``X`` and label matrix ``y``."""
        self.n_samples = np.shape(X)[0]
        self.n_labels = np.shape(y)[1]
        score0, score1 = self._scores(y)
        bits = ((score1 - score0) > 0) + 0.0
        weight = np.abs(score1 - score0)
        if np.sum(weight) > 0:
            weight = weight / np.sum(weight) * self.n_samples
        values = np.unique(bits)
        if values.size == 1:
            self.label = values[0]
            self.base_clf_ = None
        elif self.label is None:
            self.base_clf_ = copy.deepcopy(self.base_clf)
            self.base_clf_.train(Dataset(X, bits), sample_weight=weight)

    def predict(self, X):
        """The predicted bit of every row of ``X``."""
        if self.label is not None:
            return np.ones(np.shape(X)[0]) * self.label
        return self.base_clf_.predict(X)


class CSRPE:
    """Cost-sensitive reference pair encoding: ``n_clfs`` bits, each a ``BinaryCLF``
    with a random reference pair, and a nearest-code decoder.

    Parameters
    ----------
    scoring_fn : callable
        ``scoring_fn(truth, prediction)``, one value per row computed from that
        row alone, larger = better.
    base_clf : model with ``train(dataset, sample_weight=...)`` and ``predict``
    n_clfs : int
        Length of the code.
    n_jobs : int
        Threads training the bits (joblib).
    metric : str, default 'euclidean'
        Metric of ``predict``'s nearest-neighbour decoder.
    random_state : None, int or RandomState
        Draws the reference pairs (at the first ``train`` or ``encode``).
    """

    def __init__(self, scoring_fn, base_clf, n_clfs, n_jobs, metric="euclidean",
                 random_state=None):
        self.scoring_fn = scoring_fn
        self.base_clf = base_clf
        self.nn_ = NearestNeighbors(n_neighbors=1, algorithm="ball_tree", metric=metric,
                                    n_jobs=n_jobs)
        self.metric = metric
        self.n_clfs = n_clfs
        self.random_state_ = seed_random_state(random_state)
        self.n_labels = None
        self.clfs = None
        self.n_jobs = n_jobs

    def _build_clfs(self, Y):
        self.n_labels = np.shape(Y)[1]
        self.clfs = [BinaryCLF(self.base_clf, self.scoring_fn,
                               rep_label=self.random_state_.randint(0, 2, (2, self.n_labels)))
                     for _ in range(self.n_clfs)]

    def _check_width(self, Y):
        if Y.shape[1] != self.n_labels:
            raise ValueError("The given label size does not match number of labels. "
                             f"Expect {self.n_labels} but get {Y.shape[1]}")

    def encode(self, Y):
        """The code (n_rows, n_clfs) of every label vector in ``Y``.

        Each distinct label vector is encoded once (``scoring_fn`` scores row
        by row, so a row's bits depend on that row only).
        """
        Y = np.asarray(Y)
        if self.clfs is None:
            self._build_clfs(Y)
        self._check_width(Y)
        try:
            distinct, inverse = np.unique(Y, axis=0, return_inverse=True)
        except TypeError:       # labels numpy cannot order
            distinct, inverse = Y, np.arange(Y.shape[0])
        encoded = np.zeros((distinct.shape[0], self.n_clfs))
        for i, clf in enumerate(self.clfs):
            encoded[:, i] = clf.enc(distinct)
        return encoded[np.asarray(inverse).reshape(-1)]

    def predicted_code(self, X):
        """The predicted code (n_rows, n_clfs) of every row of ``X``."""
        if self.clfs is None:
            raise ValueError("CSRPE should be trained before calling `predicted_code` method.")
        encoded = np.zeros((np.shape(X)[0], self.n_clfs))
        for i, clf in enumerate(self.clfs):
            encoded[:, i] = clf.predict(X)
        return encoded

    def train(self, dataset):
        """Train every bit on the labeled rows of ``dataset``; index their codes."""
        X, Y = dataset.format_sklearn()
        Y = np.asarray(Y)
        if self.clfs is None:
            self._build_clfs(Y)
        self._check_width(Y)
        self.tokens = Y
        if self.n_jobs == 1:
            for clf in self.clfs:
                clf.train(X, Y)
        else:
            Parallel(n_jobs=self.n_jobs, backend="threading")(
                delayed(clf.train)(X, Y) for clf in self.clfs)
        self.codes_ = self.predicted_code(X)
        self.nn_.fit(self.codes_)
        return self

    def predict(self, X):
        """The labeled row's label vector whose code is nearest to each row's predicted code."""
        ind = self.nn_.kneighbors(self.predicted_code(X), 1, return_distance=False)
        return self.tokens[ind.reshape(-1)]

    def predict_dist(self, X, code=None):
        """Distance of each row's predicted code (or of ``code``) to the nearest labeled code."""
        if code is None:
            code = self.predicted_code(X)
        if self.metric != "euclidean":
            return self.nn_.kneighbors(code, 1, return_distance=True)[0].reshape(-1)
        return nearest_code_distances(code, self.codes_)


class CostSensitiveReferencePairEncoding(ScoredQueryStrategy):
    r"""Cost-sensitive reference pair encoding (libact's
    ``CostSensitiveReferencePairEncoding``; Yang et al. 2018).

    Every unlabeled row gets a code from ``n_models`` binary models, each
    deciding which of two random reference label vectors scores better for
    the row.  The row queried is the one whose code is far from both the code
    of ``model``'s predicted labels and the codes of the labeled rows.

    Parameters
    ----------
    dataset : Dataset
        Labels are 0/1 vectors, one entry per label.
    scoring_fn : callable
        ``scoring_fn(truth, prediction)`` of two label matrices, one value per
        row computed from that row alone, larger = better (e.g.
        ``fastal.utils.multilabel.pairwise_f1_score``).
    model : multi-label model
        Predicts the label vectors of the unlabeled rows.
    base_model : model with ``train(dataset, sample_weight=...)`` and ``predict``
        Copied for every bit of the code.  scikit-learn classifiers (in
        either) are wrapped by ``fastal.models.as_model``.
    n_models : int, default 100
        Length of the code.
    n_jobs : int, default 1
        Threads training the bits.
    random_state : None, int or RandomState
        Breaks ties; the encoder draws its reference pairs from its own
        RandomState seeded with the same value (the same object when a
        RandomState is given).

    Attributes
    ----------
    csrpe_ : CSRPE
        The encoder.
    model_ : multi-label model
        ``model``.

    Notes
    -----
    Score of an unlabeled row: the Hamming distance (fraction of bits) between
    its predicted code and the code of ``model``'s predicted labels, plus the
    Euclidean distance of its predicted code to the nearest labeled row's.
    Every model is retrained at each query.  Ties: scores ``np.isclose`` to the
    maximum, picked with ``random_state_.choice``; a batch repeats that rule
    on the rows not picked yet.

    Examples
    --------
    >>> import numpy as np
    >>> from fastal.base.dataset import Dataset
    >>> from fastal.models import LogisticRegression
    >>> from fastal.models.multilabel import BinaryRelevance
    >>> from fastal.query_strategies.multilabel import CostSensitiveReferencePairEncoding
    >>> from fastal.utils.multilabel import pairwise_f1_score
    >>> X = np.array([[0., 0], [0, 1], [1, 0], [1, 1], [.5, .5], [.2, .8], [.9, .1]])
    >>> Y = [[0, 0], [0, 1], [1, 0], [1, 1], None, None, None]
    >>> qs = CostSensitiveReferencePairEncoding(
    ...     Dataset(X, Y), scoring_fn=pairwise_f1_score,
    ...     model=BinaryRelevance(LogisticRegression()), base_model=LogisticRegression(),
    ...     n_models=8, random_state=0)
    >>> int(qs.make_query())
    4
    """

    _tie = "isclose"

    def __init__(self, dataset, scoring_fn, model, base_model, n_models=100, n_jobs=1,
                 random_state=None):
        super().__init__(dataset=dataset)
        self.model_ = as_model(model, "model")
        self.csrpe_ = CSRPE(scoring_fn=scoring_fn, base_clf=as_model(base_model, "base_model"),
                            n_clfs=n_models,
                            n_jobs=n_jobs, random_state=random_state)
        self.random_state_ = seed_random_state(random_state)

    def _get_scores(self):
        dataset = self.dataset
        entry_ids, X_pool = dataset.get_unlabeled_entries()
        if len(entry_ids) == 0:
            return entry_ids, np.zeros(0)
        labeled_label_matrix(dataset, "CostSensitiveReferencePairEncoding")
        self.csrpe_.train(dataset)
        self.model_.train(dataset)
        predicted_labels = self.model_.predict(X_pool)
        code = self.csrpe_.predicted_code(X_pool)
        label_code = self.csrpe_.encode(predicted_labels)
        hamming = np.mean(code != label_code, axis=1)
        return entry_ids, hamming + self.csrpe_.predict_dist(X_pool, code=code)
