"""fastal.query: one call, no Dataset, the same answers as the strategy classes."""
import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression as SkLR
from sklearn.svm import SVC

import fastal
from fastal.base.dataset import Dataset
from fastal.experiment import STRATEGIES
from fastal.models import SklearnProbaAdapter
from fastal.query_strategies import CoreSet, InformationDensity, UncertaintySampling


def pool(n=30, seed=3):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, 4)
    y = np.full(n, np.nan)
    y[:6] = [0, 1, 0, 1, 0, 1]
    return X, y


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_every_name_answers_as_its_strategy(backend, name):
    X, y = pool()
    labels = [None if np.isnan(v) else int(v) for v in y]
    model = SkLR(max_iter=500)
    got, scores = fastal.query(X, y, name, model=model, batch_size=3, random_state=7,
                               return_scores=True)
    assert got.dtype == np.int64 and got.shape == (3,) and len(set(got.tolist())) == 3
    assert np.isnan(scores[:6]).all() and scores.shape == (30,)
    ds = Dataset(X, labels)
    qs = STRATEGIES[name](ds, lambda: SklearnProbaAdapter(SkLR(max_iter=500)), 7)
    expected, pairs = qs.make_query(return_score=True, n_instances=3)
    assert got.tolist() == list(expected)
    ids, values = zip(*pairs)
    np.testing.assert_array_equal(scores[list(ids)], values)
    assert not hasattr(model, "coef_")          # the caller's model is never fitted


def test_a_strategy_class_and_its_parameters():
    X, y = pool()
    labels = [None if np.isnan(v) else int(v) for v in y]
    got = fastal.query(X, y, CoreSet, batch_size=4, metric="cosine", random_state=1)
    expected = CoreSet(Dataset(X, labels), metric="cosine", random_state=1).make_query(
        n_instances=4)
    assert got.tolist() == expected.tolist()
    got = fastal.query(X, y, "coreset", metric="manhattan", batch_size=2)
    expected = CoreSet(Dataset(X, labels), metric="manhattan").make_query(n_instances=2)
    assert got.tolist() == expected.tolist()
    # the default model is scikit-learn's LogisticRegression
    got = fastal.query(X, y, InformationDensity, method="lc")
    expected = InformationDensity(Dataset(X, labels), model=SklearnProbaAdapter(
        SkLR(max_iter=1000)), method="lc").make_query()
    assert got.tolist() == [expected]


def test_sparse_pool_labels_as_none_and_a_decision_function_model():
    X, y = pool()
    y_list = [None if np.isnan(v) else int(v) for v in y]
    dense = fastal.query(X, y_list, "margin", model=SVC(kernel="linear"), batch_size=2)
    sparse = fastal.query(sp.csr_matrix(X), y_list, UncertaintySampling,
                          model=SVC(kernel="linear"), method="sm", batch_size=2)
    assert dense.tolist() == sparse.tolist()


def test_no_labels_needed_for_unsupervised_strategies():
    X, _ = pool()
    assert fastal.query(X, None, "coreset", random_state=0).shape == (1,)
    assert len(set(fastal.query(X, strategy="graph_density", batch_size=5).tolist())) == 5


def test_errors():
    X, y = pool()
    with pytest.raises(ValueError, match="unknown strategy 'marginn'"):
        fastal.query(X, y, "marginn")
    with pytest.raises(ValueError, match="30 rows but y has 29"):
        fastal.query(X, y[:-1])
    with pytest.raises(ValueError, match="batch_size must be between 1 and 24"):
        fastal.query(X, y, batch_size=25)
    with pytest.raises(ValueError, match="every row of X is labeled"):
        fastal.query(X, np.zeros(30))
    with pytest.raises(TypeError, match="not an instance"):
        fastal.query(X, y, CoreSet(Dataset(X, [None] * 30)))
    with pytest.raises(TypeError, match="strategy must be a name"):
        fastal.query(X, y, 3)
    with pytest.raises(TypeError, match="metirc"):
        fastal.query(X, y, "coreset", metirc="cosine")
    with pytest.raises(TypeError):
        fastal.query(X, y, "margin", model=object())
