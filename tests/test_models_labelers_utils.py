import builtins

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression as SkLR
from sklearn.multiclass import OneVsRestClassifier
from sklearn.svm import SVC

from fastal.base.dataset import Dataset
from fastal.base.interfaces import ContinuousModel, ProbabilisticModel
from fastal.labelers import IdealLabeler, InteractiveLabeler
from fastal.models import (SVM, LogisticRegression, Perceptron, SklearnAdapter,
                           SklearnProbaAdapter)
from fastal.models.multilabel import BinaryRelevance, DummyClf
from fastal.utils import calc_cost, seed_random_state
from fastal.utils.multilabel import pairwise_f1_score, pairwise_rank_loss


@pytest.fixture
def three_class():
    from sklearn.datasets import load_iris
    X, y = load_iris(return_X_y=True)
    return X, y


def test_logistic_regression_multi_class_ovr_behaves_as_one_vs_rest(three_class):
    X, y = three_class
    ds = Dataset(X, y)
    model = LogisticRegression(multi_class="ovr", max_iter=500)
    model.train(ds)
    reference = OneVsRestClassifier(SkLR(max_iter=500)).fit(X, y)
    np.testing.assert_allclose(model.predict_proba(X), reference.predict_proba(X))
    assert model.predict_real(X).shape == (150, 3)
    assert 0.9 < model.score(ds) <= 1.0
    multinomial = LogisticRegression(multi_class="multinomial", max_iter=500)
    multinomial.train(ds)
    np.testing.assert_allclose(multinomial.predict_proba(X),
                               SkLR(max_iter=500).fit(X, y).predict_proba(X))
    with pytest.raises(ValueError, match="multi_class"):
        LogisticRegression(multi_class="bogus")


def test_two_class_decision_values_are_minus_d_d():
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    ds = Dataset(X, [0, 0, 1, 1])
    for model in (SVM(kernel="linear"), LogisticRegression(), Perceptron()):
        model.train(ds)
        real = model.predict_real(X)
        assert real.shape == (4, 2)
        np.testing.assert_allclose(real[:, 0], -real[:, 1])


def test_svm_ovr_multiclass(three_class):
    X, y = three_class
    model = SVM()
    model.train(Dataset(X, y))
    assert isinstance(model.model, OneVsRestClassifier)
    assert model.predict_real(X).shape == (150, 3)


def test_adapters_and_clone(three_class):
    X, y = three_class
    ds = Dataset(X, y)
    adapter = SklearnProbaAdapter(SkLR(max_iter=500))
    adapter.train(ds)
    np.testing.assert_allclose(adapter.predict_real(X), adapter.predict_proba(X) * 2 - 1)
    twin = adapter.clone()
    assert twin is not adapter and isinstance(twin, SklearnProbaAdapter)
    assert not hasattr(twin.model, "coef_")
    plain = SklearnAdapter(SVC())
    assert not isinstance(plain, ContinuousModel)
    assert isinstance(adapter, ProbabilisticModel)
    plain.train(ds)
    assert plain.score(ds) > 0.9


def test_training_without_labels_is_a_clear_error():
    with pytest.raises(ValueError, match="no labeled entries"):
        LogisticRegression().train(Dataset([[0.0], [1.0]], [None, None]))


def test_binary_relevance_and_dummy():
    X = np.array([[0.0], [1.0], [2.0], [3.0]])
    Y = [[1, 0, 1], [1, 0, 1], [0, 1, 1], [0, 1, 1]]
    br = BinaryRelevance(LogisticRegression(C=100.0))
    br.train(Dataset(X, Y))
    assert isinstance(br.clfs_[2], DummyClf)
    pred = br.predict(X)
    assert pred.shape == (4, 3) and (pred[:, 2] == 1).all()
    assert br.predict_proba(X).shape == (4, 3)
    assert br.score(Dataset(X, Y)) == 0.0                  # Hamming loss, as libact
    assert br.score(Dataset(X, Y), criterion="f1") == 1.0
    with pytest.raises(NotImplementedError):
        br.score(Dataset(X, Y), criterion="not_exist")
    with pytest.raises(ValueError, match="single class"):
        DummyClf().fit(X, [0, 1, 0, 1])


def test_ideal_labeler_lookup_duplicates_and_errors():
    X = np.array([[0.0, 1.0], [2.0, 3.0], [2.0, 3.0], [-0.0, 5.0]])
    lab = IdealLabeler(Dataset(X, ["a", "b", "c", "d"]), random_state=0)
    assert lab.label([0.0, 1.0]) == "a"
    assert lab.label(np.array([0.0, 5.0])) == "d"          # -0.0 equals 0.0
    seen = {lab.label([2.0, 3.0]) for _ in range(50)}
    assert seen == {"b", "c"}
    with pytest.raises(ValueError, match="not a row"):
        lab.label([9.0, 9.0])
    with pytest.raises(ValueError, match="shape"):
        lab.label([9.0])
    with pytest.raises(ValueError, match="fully labeled"):
        IdealLabeler(Dataset(X, ["a", None, "c", "d"]))


def test_interactive_labeler(monkeypatch, capsys):
    answers = iter(["x", "dog"])
    monkeypatch.setattr(builtins, "input", lambda prompt="": next(answers))
    import matplotlib
    matplotlib.use("Agg")
    assert InteractiveLabeler(label_name=["cat", "dog"]).label([1.0, 2.0]) == 1
    assert "Invalid label" in capsys.readouterr().out


def test_seed_random_state():
    assert seed_random_state(3).randint(1000) == np.random.RandomState(3).randint(1000)
    rs = np.random.RandomState(1)
    assert seed_random_state(rs) is rs
    assert isinstance(seed_random_state(None), np.random.RandomState)
    for bad in (1.5, "1", True):
        with pytest.raises(ValueError):
            seed_random_state(bad)


def test_calc_cost_and_multilabel_criteria():
    cost = np.array([[0, 1], [5, 0]])
    assert calc_cost([0, 1, 1], [1, 0, 1], cost) == pytest.approx(2.0)
    Z = np.array([[1, 0, 1], [0, 0, 0], [1, 1, 0]])
    Y = np.array([[1, 1, 0], [0, 0, 0], [1, 1, 0]])
    np.testing.assert_allclose(pairwise_f1_score(Z, Y), [0.5, 0.0, 1.0])
    # row 0: relevant {0,2}, predicted {0,1}: one wrong pair (1 predicted, 2 missed),
    # ties: predicted (0,1) with one relevant and one not -> 0.5; unpredicted {2}: 0 pairs
    np.testing.assert_allclose(pairwise_rank_loss(Z, Y)[0], -1.5)
    with pytest.raises(ValueError):
        pairwise_f1_score(Z, Y[:2])
