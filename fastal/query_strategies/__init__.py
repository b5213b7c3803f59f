"""Query strategies with libact's names and constructor arguments, and a few more."""
from fastal.query_strategies.active_learning_by_learning import ActiveLearningByLearning
from fastal.query_strategies.bald import BALD
from fastal.query_strategies.coreset import CoreSet
from fastal.query_strategies.density_weighted_uncertainty_sampling import DWUS
from fastal.query_strategies.density_weighted_meta import DensityWeightedMeta
from fastal.query_strategies.epsilon_uncertainty_sampling import EpsilonUncertaintySampling
from fastal.query_strategies.graph_density import GraphDensity
from fastal.query_strategies.hintsvm import HintSVM
from fastal.query_strategies.information_density import InformationDensity
from fastal.query_strategies.query_by_committee import QueryByCommittee
from fastal.query_strategies.quire import QUIRE
from fastal.query_strategies.random_sampling import RandomSampling
from fastal.query_strategies.ranked_batch import RankedBatch
from fastal.query_strategies.uncertainty_sampling import UncertaintySampling
from fastal.query_strategies.variance_reduction import VarianceReduction

__all__ = ["UncertaintySampling", "RandomSampling", "QueryByCommittee",
           "EpsilonUncertaintySampling", "InformationDensity", "CoreSet", "DensityWeightedMeta",
           "QUIRE", "HintSVM", "DWUS", "VarianceReduction", "ActiveLearningByLearning", "BALD", "RankedBatch", "GraphDensity"]
