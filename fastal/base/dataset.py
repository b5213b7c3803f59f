"""The pool of samples: features, labels (None when unlabeled), update callbacks.

Same API and return types as libact's ``libact.base.dataset``; the labeled
mask and the unlabeled ids are kept up to date incrementally, so an
``update`` is O(1) and no call loops over the rows in Python.
"""
import numbers

import numpy as np
import scipy.sparse as sp

from fastal.utils.validation import assert_all_finite, check_matrix

__all__ = ["Dataset", "import_libsvm_sparse", "import_scipy_mat", "is_unlabeled"]


def is_unlabeled(label):
    """Whether ``label`` marks an unlabeled row: None (libact), a float NaN or ``pd.NA``.

    NaN and ``pd.NA`` are a fastal extension (what pandas and
    ``np.array([1, None], dtype=float)`` give for a missing label); the
    Dataset stores None for all three.
    """
    if label is None:
        return True
    if isinstance(label, (float, np.floating)):
        return bool(np.isnan(label))
    return type(label).__name__ in ("NAType", "NaTType")


def _labels_array(y, n):
    """Object array of labels: 1-D, each element a label (a label vector for multi-label
    rows), or, as libact keeps them, (n, n_labels) when every row has a label vector
    of one length."""
    out = np.empty(n, dtype=object)
    if y is None:
        return out
    if isinstance(y, np.ndarray) and y.ndim == 1:
        values = y.tolist() if y.dtype != object else list(y)
    else:
        values = list(y)      # lists, tuples, pandas Series (any index)
    if len(values) != n:
        raise ValueError(f"X has {n} rows but y has {len(values)} labels")
    # an array's shape is kept (a 1-D object array of vectors stays 1-D), as in libact
    grid = _label_grid(values) if not isinstance(y, np.ndarray) or y.ndim == 2 else None
    if grid is not None:
        return grid
    for i, v in enumerate(values):
        out[i] = None if is_unlabeled(v) else v
    return out


def _label_grid(values):
    """The (n, n_labels) object array libact makes of label vectors of one length on
    every row (``np.array(y, dtype=object)``), or None for any other labels."""
    if not values or not all(isinstance(v, (list, tuple, np.ndarray)) for v in values):
        return None
    try:
        grid = np.array(values, dtype=object)
    except ValueError:      # vectors of different lengths
        return None
    return grid if grid.ndim == 2 else None


def _label_rows(grid):
    """A label grid as a 1-D object array of label vectors (lists)."""
    out = np.empty(grid.shape[0], dtype=object)
    for i, row in enumerate(grid.tolist()):
        out[i] = row
    return out


class Dataset:
    """libact-compatible pool of samples.

    Parameters
    ----------
    X : array-like (n_samples, n_features), DataFrame or scipy.sparse matrix, optional
        Features.  NaN and infinity are rejected; a DataFrame must have
        numeric columns (the error names the column that is not).
    y : sequence of labels (None for an unlabeled row), optional
        Length n_samples; None means every row is unlabeled.  A float NaN or
        ``pd.NA`` label also means unlabeled (a fastal extension, stored as
        None), so a pandas column or ``np.array([1, None], dtype=float)``
        can be passed as it is.  A label may be a
        vector (multi-label rows); when every row has a vector of one length
        the labels are kept as libact keeps them, an (n_samples, n_labels)
        object array (``get_entries()[1]``; ``ds[i][1]`` is then a row of it).

    Examples
    --------
    >>> from fastal.base.dataset import Dataset
    >>> ds = Dataset([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]], [0, None, 1])
    >>> ds.len_labeled(), ds.len_unlabeled()
    (2, 1)
    >>> ds.update(1, 1)
    >>> ds.get_unlabeled_entries()[0]
    array([], dtype=int64)
    """

    def __init__(self, X=None, y=None):
        if X is None:
            X = np.empty((0, 0))
            n = 0
        elif sp.issparse(X):
            X = sp.csr_matrix(X)
            assert_all_finite(X.data, "X")
        else:
            X = check_matrix(X, "X", min_rows=0, dtype=None) if not (
                hasattr(X, "__len__") and len(X) == 0) else np.empty((0, 0))
        n = X.shape[0]
        self._X = X
        self._y = _labels_array(y, n)
        self._labeled = np.fromiter((v is not None for v in self._y), dtype=bool, count=n)
        self._n_labeled = int(self._labeled.sum())
        self._unlabeled_ids = None
        self._revision = 0
        self.modified = True
        self._update_callback = []

    # -- size and access -------------------------------------------------
    def __len__(self):
        """Number of rows."""
        return self._X.shape[0]

    def __getitem__(self, idx):
        """``(features, label)`` of row ``idx``."""
        return self._X[idx], self._y[idx]

    def __iter__(self):
        for i in range(len(self)):
            yield self._X[i], self._y[i]

    @property
    def data(self):
        """The dataset itself, iterable as ``(features, label)`` pairs."""
        return self

    def _check_id(self, entry_id):
        if isinstance(entry_id, bool) or not isinstance(entry_id, numbers.Integral):
            raise TypeError(f"entry_id must be an integer, got {entry_id!r}")
        n = len(self)
        i = int(entry_id)
        if not -n <= i < n:
            raise ValueError(f"unknown entry_id {entry_id}: the dataset has {n} rows")
        return i + n if i < 0 else i

    # -- labels ----------------------------------------------------------
    def get_labeled_mask(self):
        """Boolean array, True where a row has a label (a copy)."""
        return self._labeled.copy()

    def len_labeled(self):
        """Number of labeled rows."""
        return self._n_labeled

    def len_unlabeled(self):
        """Number of unlabeled rows."""
        return len(self) - self._n_labeled

    def get_num_of_labels(self):
        """Number of distinct labels among the labeled rows."""
        labels = self._y[self._labeled]
        if labels.size == 0:
            return 0
        try:
            return np.unique(labels).size
        except TypeError:  # unorderable labels (e.g. multi-label rows)
            return len({repr(v) for v in labels})

    def append(self, feature, label=None):
        """Add a row; return its entry id."""
        label = None if is_unlabeled(label) else label
        if sp.issparse(self._X):
            row = sp.csr_matrix(feature)
            if row.shape != (1, self._X.shape[1]):
                raise ValueError(f"feature must have shape (1, {self._X.shape[1]}), got {row.shape}")
            assert_all_finite(row.data, "feature")
            X = sp.vstack([self._X, row], format="csr")
        else:
            row = np.asarray(feature)
            if row.ndim == 2 and row.shape[0] == 1:
                row = row[0]
            if len(self) == 0 and self._X.shape[1] == 0:
                if row.ndim != 1 or row.size == 0:
                    raise ValueError(f"feature must be a non-empty 1-D row, got shape {row.shape}")
                base = np.empty((0, row.size), dtype=row.dtype if row.dtype.kind in "biuf" else float)
            else:
                base = self._X
                if row.shape != (base.shape[1],):
                    raise ValueError(f"feature must have shape ({base.shape[1]},), got {row.shape}")
            row = check_matrix(row[None, :], "feature", dtype=None)
            X = np.vstack([base, row])
        if self._y.ndim == 2 and self._fits_grid(label):
            y = np.empty((len(self) + 1, self._y.shape[1]), dtype=object)
            y[:-1] = self._y
            y[-1] = label
        else:
            rows = _label_rows(self._y) if self._y.ndim == 2 else self._y
            y = np.empty(len(self) + 1, dtype=object)
            y[:-1] = rows
            y[-1] = label
        self._X, self._y = X, y
        self._labeled = np.append(self._labeled, label is not None)
        self._n_labeled += label is not None
        self._unlabeled_ids = None
        self._revision += 1
        self.modified = True
        return len(self) - 1

    def update(self, entry_id, new_label):
        """Set the label of ``entry_id`` and call every ``on_update`` callback."""
        i = self._check_id(entry_id)
        new_label = None if is_unlabeled(new_label) else new_label
        now = new_label is not None
        if self._y.ndim == 2 and not self._fits_grid(new_label):
            self._y = _label_rows(self._y)
        self._y[i] = new_label
        if self._labeled[i] != now:
            self._labeled[i] = now
            self._n_labeled += 1 if now else -1
            self._unlabeled_ids = None
        self._revision += 1
        self.modified = True
        for callback in list(self._update_callback):
            callback(i, new_label)

    def _fits_grid(self, label):
        """Whether ``label`` is a label vector of the grid's length."""
        return (isinstance(label, (list, tuple, np.ndarray)) and np.ndim(label) == 1
                and len(label) == self._y.shape[1])

    def on_update(self, callback):
        """Register ``callback(entry_id, new_label)``, called after every ``update``."""
        if callback not in self._update_callback:
            self._update_callback.append(callback)

    @property
    def revision(self):
        """A counter raised by every ``update`` and ``append``.

        Strategies that keep results between queries record the revision they
        correspond to: a cache whose revision is not the dataset's is stale
        (an update callback that was interrupted, or never ran) and is rebuilt.
        """
        return self._revision

    # -- views -----------------------------------------------------------
    def format_sklearn(self):
        """``(X_labeled, y_labeled)`` as arrays for scikit-learn."""
        X, y = self.get_labeled_entries()
        return X, np.array(y)

    def get_entries(self):
        """``(X, y)`` of all rows; y is an object array holding None (read-only views)."""
        if sp.issparse(self._X):
            X = self._X
        else:
            X = self._X.view()
            X.flags.writeable = False
        y = self._y.view()
        y.flags.writeable = False
        return X, y

    def get_labeled_entries(self):
        """``(X_labeled, list of labels)``."""
        return self._X[self._labeled], self._y[self._labeled].tolist()

    def get_unlabeled_ids(self):
        """Entry ids of the unlabeled rows, ascending (cached; read-only)."""
        if self._unlabeled_ids is None:
            ids = np.flatnonzero(~self._labeled)
            ids.flags.writeable = False
            self._unlabeled_ids = ids
        return self._unlabeled_ids

    def get_unlabeled_entries(self):
        """``(entry_ids ndarray, X_unlabeled)``."""
        ids = self.get_unlabeled_ids()
        return ids.copy(), self._X[ids]

    def labeled_uniform_sample(self, sample_size, replace=True):
        """A new Dataset of ``sample_size`` labeled rows drawn uniformly (numpy's global RNG)."""
        labeled = np.flatnonzero(self._labeled)
        if labeled.size == 0:
            raise ValueError("the dataset has no labeled entries to sample from")
        idx = np.random.choice(labeled, size=sample_size, replace=replace)
        return Dataset(self._X[idx], self._y[idx])


def import_libsvm_sparse(filename):
    """Read a file in libsvm format into a (dense) Dataset."""
    from sklearn.datasets import load_svmlight_file
    X, y = load_svmlight_file(filename)
    return Dataset(X.toarray(), y)


def import_scipy_mat(filename):
    """Read ``X`` and ``y`` of a MATLAB file into a Dataset, rows shuffled (numpy's global RNG)."""
    from scipy.io import loadmat
    data = loadmat(filename)
    X, y = data["X"], np.asarray(data["y"]).reshape(-1)
    order = np.arange(X.shape[0])
    np.random.shuffle(order)
    return Dataset(X[order], y[order])
