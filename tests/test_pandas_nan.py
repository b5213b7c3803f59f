"""pandas DataFrames as pools and NaN / None / pd.NA as "unlabeled"."""
import numpy as np
import pytest

from fastal import kernels as K
from fastal.base.dataset import Dataset, is_unlabeled
from fastal.query_strategies import CoreSet, UncertaintySampling
from fastal.models import LogisticRegression

pd = pytest.importorskip("pandas")


def frame(n=12, seed=0):
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(n, 3))
    df = pd.DataFrame({"x": values[:, 0], "y32": values[:, 1].astype(np.float32),
                       "count": pd.array(np.arange(n), dtype="Int64")},
                      index=[f"row{i}" for i in range(n)])
    dense = np.column_stack([values[:, 0], values[:, 1].astype(np.float32).astype(np.float64),
                             np.arange(n)])
    return df, dense


@pytest.mark.parametrize("kernel", [
    lambda X: K.pairwise_density(X, metric="manhattan"),
    lambda X: K.knn_density(X, 3)[0],
    lambda X: K.min_distance(X, X[:2] if isinstance(X, np.ndarray) else X.iloc[:2]),
    lambda X: K.max_min_select(X, X[:2] if isinstance(X, np.ndarray) else X.iloc[:2], 4),
])
def test_kernels_take_a_dataframe(backend, kernel):
    df, dense = frame()
    np.testing.assert_array_equal(kernel(df), kernel(dense))


def test_dataset_of_a_dataframe_and_a_series_with_gaps():
    df, dense = frame()
    y = pd.Series([0, 1, np.nan, None] + [np.nan] * 8, index=df.index[::-1])  # any index
    ds = Dataset(df, y)
    assert ds.len_labeled() == 2
    X_labeled, labels = ds.get_labeled_entries()
    np.testing.assert_array_equal(X_labeled, dense[:2])
    assert labels == [0.0, 1.0]
    assert all(label is None for label in ds.get_entries()[1][2:])


def test_nan_and_na_mean_unlabeled():
    X = np.arange(10.0).reshape(5, 2)
    for y in (np.array([1, None, 0, None, np.nan], dtype=float),
              pd.Series([1, pd.NA, 0, pd.NA, pd.NA], dtype="Int64"),
              [1, float("nan"), 0, None, pd.NA]):
        ds = Dataset(X, y)
        assert ds.get_labeled_mask().tolist() == [True, False, True, False, False]
        labels = ds.get_labeled_entries()[1]
        assert labels == [1, 0] and not any(isinstance(v, float) and np.isnan(v) for v in labels)
    ds = Dataset(X, [1, 0, None, None, None])
    ds.update(1, np.nan)                       # relabeling with NaN takes the label back
    assert ds.len_labeled() == 1 and ds.get_entries()[1][1] is None
    ds.append([1.0, 2.0], float("nan"))
    assert ds.len_unlabeled() == 5
    assert is_unlabeled(None) and is_unlabeled(np.float32("nan")) and is_unlabeled(pd.NA)
    assert not is_unlabeled(0) and not is_unlabeled("nan") and not is_unlabeled([np.nan])


def test_strategies_on_a_dataframe_pool():
    df, dense = frame(20)
    y = [0, 1] * 3 + [None] * 14
    answers = []
    for X in (df, dense):
        ds = Dataset(X, y)
        answers.append((CoreSet(ds, random_state=0).make_query(n_instances=3).tolist(),
                        int(UncertaintySampling(ds, model=LogisticRegression()).make_query())))
    assert answers[0] == answers[1]


def test_frame_errors_name_the_column():
    good = pd.DataFrame({"a": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match="column 'b' holds 1 missing"):
        Dataset(good.assign(b=pd.array([1, pd.NA, 3], dtype="Int64")))
    with pytest.raises(ValueError, match="column 'a' holds 1 missing"):
        K.pairwise_density(pd.DataFrame({"a": [1.0, np.nan, 3.0]}))
    with pytest.raises(TypeError, match="column 'name' has dtype"):
        Dataset(good.assign(name=["x", "y", "z"]))
    with pytest.raises(TypeError, match="column 'when' has dtype"):
        K.min_distance(good.assign(when=pd.date_range("2026-01-01", periods=3)), [[0.0, 0.0]])
    with pytest.raises(ValueError, match="X has 3 rows but y has 2 labels"):
        Dataset(good, pd.Series([1, np.nan]))
