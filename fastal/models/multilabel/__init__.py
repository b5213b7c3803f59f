"""Multi-label models."""
from fastal.models.multilabel.binary_relevance import BinaryRelevance
from fastal.models.multilabel.dummy_clf import DummyClf

__all__ = ["BinaryRelevance", "DummyClf"]
