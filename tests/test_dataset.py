import numpy as np
import pytest
import scipy.sparse as sp

from fastal.base.dataset import Dataset, import_libsvm_sparse, import_scipy_mat


def naive_mask(ds):
    """libact's definition of the mask: a Python pass over every label."""
    _, y = ds.get_entries()
    return ~np.fromiter((v is None for v in y), dtype=bool)


@pytest.fixture
def ds():
    X = np.arange(12, dtype=float).reshape(6, 2)
    return Dataset(X, [0, None, 1, None, None, 2])


def test_sizes_and_types(ds):
    assert len(ds) == 6
    assert ds.len_labeled() == 3 and ds.len_unlabeled() == 3
    assert ds.get_num_of_labels() == 3
    x, y = ds[2]
    assert y == 1 and x.tolist() == [4.0, 5.0]
    X, y = ds.get_entries()
    assert y.dtype == object and y[1] is None
    Xl, yl = ds.get_labeled_entries()
    assert isinstance(yl, list) and yl == [0, 1, 2] and Xl.shape == (3, 2)
    ids, Xu = ds.get_unlabeled_entries()
    assert isinstance(ids, np.ndarray) and ids.tolist() == [1, 3, 4]
    assert Xu.tolist() == [[2.0, 3.0], [6.0, 7.0], [8.0, 9.0]]
    Xs, ys = ds.format_sklearn()
    assert isinstance(ys, np.ndarray) and ys.tolist() == [0, 1, 2]
    X_, _ = zip(*ds.data)
    assert len(X_) == 6


def test_mask_stays_equal_to_naive_recompute(rng):
    n = 500
    y = [None if rng.random() < 0.7 else int(rng.integers(3)) for _ in range(n)]
    ds = Dataset(rng.normal(size=(n, 3)), y)
    for _ in range(300):
        i = int(rng.integers(n))
        label = None if rng.random() < 0.2 else int(rng.integers(3))
        ds.update(i, label)
        mask = naive_mask(ds)
        assert (ds.get_labeled_mask() == mask).all()
        assert ds.len_labeled() == mask.sum()
        assert ds.get_unlabeled_entries()[0].tolist() == np.flatnonzero(~mask).tolist()


def test_update_calls_callbacks_in_order(ds):
    calls = []
    ds.on_update(lambda i, l: calls.append(("a", i, l)))
    ds.on_update(lambda i, l: calls.append(("b", i, l)))
    ds.update(3, 7)
    assert calls == [("a", 3, 7), ("b", 3, 7)]
    assert ds[3][1] == 7 and ds.len_labeled() == 4


def test_append_and_update_new_row(ds):
    new = ds.append([100.0, 101.0])
    assert new == 6 and ds.len_unlabeled() == 4
    ds.update(new, 5)
    assert ds.get_labeled_entries()[1][-1] == 5
    empty = Dataset()
    assert len(empty) == 0
    assert empty.append([1.0, 2.0], 0) == 0 and empty.len_labeled() == 1


@pytest.mark.parametrize("bad, match", [
    ([[0.0, np.nan], [1.0, 2.0]], "NaN"),
    ([[0.0, np.inf], [1.0, 2.0]], "infinity"),
    ([[0.0, 1.0], [1.0]], "rectangular"),
    ([[0.0, "a"], [1.0, 2.0]], "numbers|real"),
])
def test_constructor_rejects_bad_features(bad, match):
    with pytest.raises((ValueError, TypeError), match=match):
        Dataset(bad, [None, None])


def test_constructor_rejects_label_count_mismatch():
    with pytest.raises(ValueError, match="labels"):
        Dataset([[0.0], [1.0]], [None])


@pytest.mark.parametrize("entry_id, exc", [(6, ValueError), (-7, ValueError), (1.0, TypeError),
                                           ("1", TypeError), (True, TypeError)])
def test_bad_update_leaves_dataset_unchanged(ds, entry_id, exc):
    calls = []
    ds.on_update(lambda i, l: calls.append(i))
    before = (ds.get_labeled_mask(), list(ds.get_entries()[1]))
    with pytest.raises(exc):
        ds.update(entry_id, 1)
    assert (ds.get_labeled_mask() == before[0]).all() and list(ds.get_entries()[1]) == before[1]
    assert calls == []


@pytest.mark.parametrize("row", [[1.0], [1.0, np.nan], [[1.0, 2.0], [3.0, 4.0]]])
def test_bad_append_leaves_dataset_unchanged(ds, row):
    with pytest.raises(ValueError):
        ds.append(row)
    assert len(ds) == 6 and ds.len_unlabeled() == 3


def test_entries_are_read_only_views(ds):
    X, y = ds.get_entries()
    with pytest.raises(ValueError):
        y[1] = 3
    with pytest.raises(ValueError):
        X[0, 0] = 1.0
    assert ds.len_labeled() == 3


def test_negative_ids_follow_numpy_indexing(ds):
    ds.update(-2, 9)
    assert ds[4][1] == 9


def test_labeled_uniform_sample(ds):
    np.random.seed(0)
    sample = ds.labeled_uniform_sample(10)
    assert len(sample) == 10 and sample.len_unlabeled() == 0
    assert set(sample.get_labeled_entries()[1]) <= {0, 1, 2}
    with pytest.raises(ValueError, match="no labeled"):
        Dataset([[0.0]], [None]).labeled_uniform_sample(1)


def test_multilabel_rows_are_kept_whole():
    ds = Dataset([[0.0], [1.0], [2.0]], [[1, 0], None, [0, 1]])
    assert ds.len_labeled() == 2
    ds.update(1, [1, 1])
    X, Y = ds.format_sklearn()
    assert Y.shape == (3, 2)


def test_sparse_input_is_kept_sparse():
    ds = Dataset(sp.csr_matrix(np.eye(3)), [0, None, 1])
    ids, Xu = ds.get_unlabeled_entries()
    assert sp.issparse(Xu) and ids.tolist() == [1]
    with pytest.raises(ValueError, match="NaN"):
        Dataset(sp.csr_matrix(np.array([[np.nan, 1.0]])), [None])


def test_importers(tmp_path):
    from scipy.io import savemat
    from sklearn.datasets import dump_svmlight_file
    X = np.array([[0.0, 1.5], [2.0, 0.0], [3.0, 4.0]])
    y = np.array([1.0, 0.0, 1.0])
    path = tmp_path / "d.svm"
    dump_svmlight_file(X, y, str(path))
    ds = import_libsvm_sparse(str(path))
    assert ds.get_entries()[0].tolist() == X.tolist() and ds.len_labeled() == 3
    mat = tmp_path / "d.mat"
    savemat(str(mat), {"X": X, "y": y.reshape(-1, 1)})
    np.random.seed(1)
    ds = import_scipy_mat(str(mat))
    rows = {tuple(r): l for r, l in zip(ds.get_entries()[0].tolist(), ds.get_entries()[1])}
    assert rows == {tuple(r): l for r, l in zip(X.tolist(), y.tolist())}
