"""Multiclass query strategies with libact's names: hierarchical sampling, expected error
reduction, active learning with cost embedding."""
from fastal.query_strategies.multiclass.active_learning_with_cost_embedding import (
    ActiveLearningWithCostEmbedding)
from fastal.query_strategies.multiclass.expected_error_reduction import EER
from fastal.query_strategies.multiclass.hierarchical_sampling import HierarchicalSampling
from fastal.query_strategies.uncertainty_sampling import UncertaintySampling

__all__ = ["ActiveLearningWithCostEmbedding", "EER", "HierarchicalSampling",
           "UncertaintySampling"]
