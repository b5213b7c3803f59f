"""Query strategies with libact's names and constructor arguments."""
from fastal.query_strategies.epsilon_uncertainty_sampling import EpsilonUncertaintySampling
from fastal.query_strategies.query_by_committee import QueryByCommittee
from fastal.query_strategies.random_sampling import RandomSampling
from fastal.query_strategies.uncertainty_sampling import UncertaintySampling

__all__ = ["UncertaintySampling", "RandomSampling", "QueryByCommittee",
           "EpsilonUncertaintySampling"]
