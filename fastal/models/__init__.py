"""Models with libact's interface, wrapping scikit-learn."""
from fastal.models._auto import as_model
from fastal.models.logistic_regression import LogisticRegression
from fastal.models.perceptron import Perceptron
from fastal.models.sklearn_adapter import SklearnAdapter, SklearnProbaAdapter
from fastal.models.svm import SVM

__all__ = ["LogisticRegression", "SVM", "Perceptron", "SklearnAdapter", "SklearnProbaAdapter",
           "as_model"]
