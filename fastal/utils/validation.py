"""Input checks at the Python boundary (kernels and Dataset share them)."""
import contextvars
import functools
import math
import numbers

import numpy as np
import scipy.sparse as sp

METRICS = ("euclidean", "manhattan", "cosine")
# the compiled kernels' metric codes (fastal/_core/_common.pxd: EUCLIDEAN, MANHATTAN, COSINE)
METRIC_CODES = {name: code for code, name in enumerate(METRICS)}
_METRIC_ALIASES = {"l2": "euclidean", "cityblock": "manhattan", "l1": "manhattan"}


def check_metric(metric):
    """Canonical metric name; ValueError naming the valid ones otherwise."""
    name = _METRIC_ALIASES.get(metric, metric) if isinstance(metric, str) else metric
    if name not in METRICS:
        valid = sorted(set(METRICS) | set(_METRIC_ALIASES))
        raise ValueError(f"unknown metric {metric!r}; valid metrics: {valid}")
    return name


class _Scans:
    """What one call of a ``shares_scans`` function has scanned: id(array) ->
    (array, its value range), and the call's thread count (None: the default)."""

    def __init__(self, n_threads):
        self.n_threads = n_threads
        self.ranges = {}


# the record of the ``shares_scans`` call running in this context (None outside
# one), so that the finite check and the scale frame read an array once, on the
# threads the caller asked for
_SCANNED = contextvars.ContextVar("fastal_scanned", default=None)


def shares_scans(function):
    """Decorator: within one call, ``value_range_of`` scans each array once, on
    the call's ``n_jobs`` threads.

    Only for functions that do not change the arrays they check and take
    ``n_jobs`` by keyword (the kernels' entry points); the record ends with the
    call.
    """
    @functools.wraps(function)
    def call(*args, **kwargs):
        if _SCANNED.get() is not None:      # called from another such function
            return function(*args, **kwargs)
        from fastal._config import resolve_n_threads
        try:
            n_threads = resolve_n_threads(kwargs.get("n_jobs"))
        except (TypeError, ValueError):     # the function itself reports a bad n_jobs
            n_threads = None
        token = _SCANNED.set(_Scans(n_threads))
        try:
            return function(*args, **kwargs)
        finally:
            _SCANNED.reset(token)
    return call


def value_range_of(A, n_threads=None):
    """(smallest, largest) value of the array A by the current backend's
    ``value_range`` ((NaN, NaN) when A holds a NaN), read once per call of a
    ``shares_scans`` function and on its threads."""
    from fastal._config import backend_impl, resolve_n_threads
    scans = _SCANNED.get()
    if scans is not None:
        seen = scans.ranges.get(id(A))
        if seen is not None and seen[0] is A:
            return seen[1]
        if n_threads is None:
            n_threads = scans.n_threads
    found = backend_impl().value_range(A, resolve_n_threads(None) if n_threads is None
                                       else n_threads)
    if scans is not None:
        scans.ranges[id(A)] = (A, found)
    return found


def assert_all_finite(X, name="X"):
    """Raise ValueError if X holds NaN or infinity.

    One pass over X (no temporary) by the current backend's ``value_range``,
    spread over the kernels' threads (``value_range_of``).
    """
    if X.size == 0 or X.dtype.kind not in "fc":
        return
    for part in ((X.real, X.imag) if X.dtype.kind == "c" else (X,)):
        low, high = value_range_of(part)
        if not (math.isfinite(low) and math.isfinite(high)):
            kind = "NaN" if math.isnan(low) else "infinity"
            raise ValueError(f"{name} contains {kind}; remove or impute such values first")


def is_dataframe(X):
    """Whether X is a pandas DataFrame (pandas is not imported to find out)."""
    return type(X).__module__.startswith("pandas") and hasattr(X, "columns") \
        and hasattr(X, "dtypes")


def frame_values(frame, name="X"):
    """The values of a DataFrame of numeric columns (any index), as a NumPy array.

    A non-numeric column (strings, categories, dates, objects) is a TypeError
    and a column holding NaN or ``pd.NA`` is a ValueError, each naming the
    column.  Nullable columns without missing values become float64.
    """
    import pandas as pd

    for column, dtype in frame.dtypes.items():
        if not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)):
            raise TypeError(f"{name} column {column!r} has dtype {dtype}, not numbers; encode "
                            "or drop it first")
    missing = frame.isna().sum()
    for column, count in missing.items():
        if count:
            raise ValueError(f"{name} column {column!r} holds {count} missing value(s) "
                             "(NaN or NA); impute or drop them first")
    extension = any(not isinstance(dtype, np.dtype) for dtype in frame.dtypes)
    return frame.to_numpy(dtype=np.float64 if extension else None)


def check_matrix(X, name="X", *, min_rows=1, dtype="float"):
    """Validate a 2-D numeric matrix (an array, nested sequences or a DataFrame).

    dtype="float": float32/float64 kept (no copy), other numeric types become
    float64.  dtype=None: any numeric dtype kept.
    """
    if is_dataframe(X):
        X = frame_values(X, name)
    if sp.issparse(X):
        raise TypeError(f"{name} is a sparse matrix; this operation needs a dense array "
                        f"(convert with {name}.toarray())")
    try:
        arr = np.asarray(X)
    except ValueError as exc:  # ragged nested sequences
        raise ValueError(f"{name} must be a rectangular 2-D array: {exc}") from None
    if arr.dtype == object:
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must hold numbers, got rows of mixed or non-numeric values") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {arr.shape}")
    if arr.shape[1] == 0:
        raise ValueError(f"{name} has no features (shape {arr.shape})")
    if arr.shape[0] < min_rows:
        raise ValueError(f"{name} needs at least {min_rows} row(s), got {arr.shape[0]}")
    if dtype == "float" and arr.dtype not in (np.float32, np.float64):
        arr = arr.astype(np.float64)
    assert_all_finite(arr, name)
    return arr


def check_vector(v, n, name):
    """A finite 1-D float64 vector of length n of real numbers."""
    arr = np.asarray(v)
    if arr.dtype.kind == "c":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    arr = np.asarray(arr, dtype=np.float64)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"{name} must be 1-D of length {n}, got shape {arr.shape}")
    assert_all_finite(arr, name)
    return arr


def check_count(value, name, low, high):
    """An integer in [low, high]; TypeError for non-integers."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    value = int(value)
    if value < low or value > high:
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")
    return value


def check_indices(indices, n, name, *, allow_mask=True):
    """Sorted unique int64 row indices in [0, n) from indices or a boolean mask.

    None gives no indices.  A boolean array must have length n (when
    ``allow_mask``); anything else must hold integers in [0, n): floats,
    strings and out-of-range values are errors, never truncated or wrapped.
    Where a mask is allowed, an integer array of length n (n > 2) holding
    only 0 and 1 is refused: it is a mask in disguise, which as indices would
    name rows 0 and 1 only.
    """
    if indices is None:
        return np.zeros(0, dtype=np.int64)
    arr = np.asarray(indices)
    if arr.dtype == bool:
        if not allow_mask:
            raise TypeError(f"{name} must hold integer indices, got a boolean array")
        if arr.ndim != 1 or arr.shape[0] != n:
            raise ValueError(f"{name} as a boolean mask must be 1-D of length {n}, "
                             f"got shape {arr.shape}")
        return np.flatnonzero(arr).astype(np.int64)
    if arr.dtype == object and arr.size:
        if not all(isinstance(v, numbers.Integral) and not isinstance(v, bool)
                   for v in arr.ravel()):
            raise TypeError(f"{name} must hold integer indices, got {indices!r}")
        arr = arr.astype(np.int64)
    if arr.ndim > 1:
        raise ValueError(f"{name} must be 1-D, got shape {arr.shape}")
    if allow_mask and arr.dtype.kind in "iu" and arr.shape == (n,) and n > 2 \
            and ((arr == 0) | (arr == 1)).all():
        raise ValueError(
            f"{name} looks like a 0/1 mask (integers of length {n}, all 0 or 1), which as "
            f"indices would mean rows 0 and 1 only; pass {name}.astype(bool) for a mask, or "
            f"np.flatnonzero({name}) for its indices")
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer indices"
                        f"{' or be a boolean mask' if allow_mask else ''}, got dtype {arr.dtype}")
    arr = np.unique(arr.astype(np.int64).ravel())
    if arr[0] < 0 or arr[-1] >= n:
        bad = arr[0] if arr[0] < 0 else arr[-1]
        raise ValueError(f"{name} holds index {bad}, outside [0, {n})")
    return arr
