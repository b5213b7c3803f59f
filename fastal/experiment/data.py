"""Reading a user's data set for an experiment: ``.npz``, ``.npy``, ``.csv``, libsvm text.

``load_data`` returns a ``LoadedData``: the features (a NumPy array, or a
SciPy CSR matrix for libsvm files, kept sparse), the labels, optional per-row
labelling costs and a test set given with the data, and a checksum of the
file's bytes that the runner stores with every record, so that a changed file
is noticed when a run resumes.
"""
import csv
import hashlib
import math
import os
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np
import scipy.sparse as sp

__all__ = ["LoadedData", "load_data", "data_checksum", "FORMATS"]

# file name endings and the format they are read as
FORMATS = {".npz": "npz", ".npy": "npy", ".csv": "csv", ".svm": "libsvm", ".libsvm": "libsvm",
           ".svmlight": "libsvm", ".txt": "libsvm"}


@dataclass(frozen=True)
class LoadedData:
    """Features, labels and what else a data file held.

    Attributes
    ----------
    X : ndarray or scipy.sparse.csr_matrix
    y : ndarray
    cost : ndarray or None
        The labelling cost of every row (None: one unit each).
    X_test, y_test : optional
        A test set given with the data (``.npz`` arrays ``X_test``/``y_test``);
        None when the runner is to split one off.
    checksum : str
        SHA-256 of the bytes of the file(s) read.
    """

    X: Any
    y: np.ndarray
    cost: Optional[np.ndarray]
    X_test: Any
    y_test: Optional[np.ndarray]
    checksum: str


def _file_checksum(*paths):
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def data_checksum(*arrays):
    """SHA-256 of arrays' shapes, dtypes and values (sparse matrices by their CSR parts).

    Examples
    --------
    >>> import numpy as np
    >>> data_checksum(np.zeros((2, 2)), [0, 1]) == data_checksum(np.zeros((2, 2)), [0, 1])
    True
    >>> data_checksum(np.zeros((2, 2)), [0, 1]) == data_checksum(np.zeros((2, 2)), [1, 0])
    False
    """
    digest = hashlib.sha256()
    for a in arrays:
        if a is None:
            digest.update(b"none")
            continue
        if sp.issparse(a):
            a = sp.csr_matrix(a)
            parts = [np.asarray(a.shape), a.indptr, a.indices, a.data]
        else:
            a = np.asarray(a)
            if a.dtype == object:
                a = a.astype(str)
            parts = [np.asarray(a.shape), a]
        for part in parts:
            part = np.ascontiguousarray(part)
            digest.update(str(part.dtype).encode())
            digest.update(part.tobytes())
    return digest.hexdigest()


def _format_of(path, fmt):
    if fmt is not None:
        if fmt not in set(FORMATS.values()):
            raise ValueError(f"unknown data format {fmt!r}; valid: "
                             f"{sorted(set(FORMATS.values()))}")
        return fmt
    ending = os.path.splitext(path)[1].lower()
    if ending not in FORMATS:
        raise ValueError(f"cannot tell the format of {path!r} from its ending {ending!r}; "
                         f"name it with --format ({', '.join(sorted(set(FORMATS.values())))})")
    return FORMATS[ending]


def _features(X, path, what="X"):
    """X as ``fastal.kernels.check_rows`` takes it: 2-D, real, finite; CSR kept sparse."""
    from fastal.kernels import check_rows
    return check_rows(X, f"{path}: {what}")


def _labels(y, n_rows, path, what="y"):
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{path}: {what} must be 1-D (one label per row), got shape {y.shape}")
    if len(y) != n_rows:
        raise ValueError(f"{path}: {what} has {len(y)} labels for {n_rows} rows")
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        raise ValueError(f"{path}: {what} holds NaN or infinite labels; every row needs "
                         "its label in an experiment")
    if y.dtype.kind == "O":
        if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in y):
            raise ValueError(f"{path}: {what} holds missing labels; every row needs its label "
                             "in an experiment")
    return y


def _costs(cost, n_rows, path):
    if cost is None:
        return None
    cost = np.asarray(cost, dtype=np.float64)
    if cost.shape != (n_rows,):
        raise ValueError(f"{path}: cost must hold one number per row ({n_rows}), got shape "
                         f"{cost.shape}")
    if not np.all(np.isfinite(cost)) or np.any(cost < 0):
        raise ValueError(f"{path}: cost must be finite and non-negative")
    return cost


def _read_npz(path, target):
    with np.load(path, allow_pickle=False) as archive:
        names = set(archive.files)
        for needed in ("X", "y"):
            if needed not in names:
                raise ValueError(f"{path} holds no array {needed!r} (it holds "
                                 f"{sorted(names)}); save it with np.savez(path, X=X, y=y)")
        if ("X_test" in names) != ("y_test" in names):
            raise ValueError(f"{path}: a test set needs both X_test and y_test")
        arrays = {name: archive[name] for name in names}
    return (arrays["X"], arrays["y"], arrays.get("cost"), arrays.get("X_test"),
            arrays.get("y_test"))


def _number(text):
    try:
        return float(text)
    except ValueError:
        return None


def _read_csv(path, target, cost_column):
    if target is None:
        raise ValueError(f"{path}: name the label column with --target (target=...)")
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        raise ValueError(f"{path} is empty")
    header, body = rows[0], [r for r in rows[1:] if r]
    if target not in header:
        raise ValueError(f"{path} has no column {target!r}; its columns: {header}")
    if cost_column is not None and cost_column not in header:
        raise ValueError(f"{path} has no cost column {cost_column!r}; its columns: {header}")
    for number, row in enumerate(body, 2):
        if len(row) != len(header):
            raise ValueError(f"{path}, line {number}: {len(row)} fields, the header has "
                             f"{len(header)}")
    columns = {name: [row[j] for row in body] for j, name in enumerate(header)}
    features = [name for name in header if name not in (target, cost_column)]
    if not features:
        raise ValueError(f"{path} has no feature column besides {target!r}")
    X = np.empty((len(body), len(features)))
    for j, name in enumerate(features):
        for i, text in enumerate(columns[name]):
            value = _number(text.strip())
            if value is None:
                what = "is empty" if not text.strip() else f"holds {text!r}, not a number"
                raise (ValueError if not text.strip() else TypeError)(
                    f"{path}: feature column {name!r} {what} (line {i + 2}); encode or drop "
                    "the column first")
            X[i, j] = value
    labels = [text.strip() for text in columns[target]]
    if any(not text for text in labels):
        line = labels.index("") + 2
        raise ValueError(f"{path}: label column {target!r} is empty on line {line}; every row "
                         "needs its label in an experiment")
    numbers = [_number(text) for text in labels]
    if all(v is not None for v in numbers):
        y = np.array(numbers)
        if np.all(y == np.round(y)):
            y = y.astype(np.int64)
    else:
        y = np.array(labels)
    cost = None
    if cost_column is not None:
        values = [_number(text.strip()) for text in columns[cost_column]]
        if any(v is None for v in values):
            raise TypeError(f"{path}: cost column {cost_column!r} holds something other than "
                            "numbers")
        cost = np.array(values)
    return X, y, cost, None, None


def _read_libsvm(path):
    from sklearn.datasets import load_svmlight_file
    try:
        X, y = load_svmlight_file(path)
    except ValueError as exc:
        raise ValueError(f"{path} is not a libsvm/svmlight file: {exc}") from None
    return X, y, None, None, None


def load_data(path, *, target=None, fmt=None, cost_column=None):
    """Read an experiment's data set from a file.

    Parameters
    ----------
    path : str
        ``.npz`` with arrays ``X`` and ``y`` (optional ``cost``, one per row,
        and ``X_test``/``y_test``, a test set to use instead of a split);
        ``.npy`` holding ``X``, with ``target`` the ``.npy`` file of the
        labels; ``.csv`` with a header row, ``target`` naming the label
        column (every other column a numeric feature, except
        ``cost_column``); libsvm/svmlight text (``.svm``, ``.libsvm``,
        ``.svmlight``, ``.txt``), read with scikit-learn's loader into a
        sparse matrix.
    target : str, optional
        The label column of a CSV file, or the labels' ``.npy`` file.
    fmt : {"npz", "npy", "csv", "libsvm"}, optional
        The format, when the file's ending does not say it.
    cost_column : str, optional
        A CSV column holding each row's labelling cost.

    Returns
    -------
    LoadedData

    Raises
    ------
    ValueError
        A missing file, array or column, NaN, shapes that do not match.
    TypeError
        A feature that is not numeric, named.

    Examples
    --------
    >>> import numpy as np, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "pool.npz")
    >>> np.savez(path, X=np.arange(8.0).reshape(4, 2), y=[0, 1, 0, 1])
    >>> data = load_data(path)
    >>> data.X.shape, data.y.tolist(), data.cost
    ((4, 2), [0, 1, 0, 1], None)
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ValueError(f"data file {path!r} does not exist")
    fmt = _format_of(path, fmt)
    files = [path]
    if fmt == "npz":
        X, y, cost, X_test, y_test = _read_npz(path, target)
    elif fmt == "npy":
        if target is None or not os.path.isfile(target):
            raise ValueError(f"{path}: an .npy file holds the features only; name the labels' "
                             f".npy file with --target (target=...), got {target!r}")
        X, y, cost, X_test, y_test = np.load(path, allow_pickle=False), \
            np.load(target, allow_pickle=False), None, None, None
        files.append(target)
    elif fmt == "csv":
        X, y, cost, X_test, y_test = _read_csv(path, target, cost_column)
    else:
        X, y, cost, X_test, y_test = _read_libsvm(path)
    X = _features(X, path)
    y = _labels(y, X.shape[0], path)
    cost = _costs(cost, X.shape[0], path)
    if X_test is not None:
        X_test = _features(X_test, path, "X_test")
        y_test = _labels(y_test, X_test.shape[0], path, "y_test")
        if X_test.shape[1] != X.shape[1]:
            raise ValueError(f"{path}: X_test has {X_test.shape[1]} features, X {X.shape[1]}")
    return LoadedData(X, y, cost, X_test, y_test, _file_checksum(*files))
