"""Multi-label query strategies with libact's names: MMC, binary minimization, adaptive
active learning, cost-sensitive reference pair encoding, auxiliary learner."""
from fastal.query_strategies.multilabel.adaptive_active_learning import AdaptiveActiveLearning
from fastal.query_strategies.multilabel.binary_minimization import BinaryMinimization
from fastal.query_strategies.multilabel.cost_sensitive_reference_pair_encoding import (
    CostSensitiveReferencePairEncoding)
from fastal.query_strategies.multilabel.maximum_margin_reduction import (
    MMC, MaximumLossReductionMaximalConfidence)
from fastal.query_strategies.multilabel.multilabel_with_auxiliary_learner import (
    MultilabelWithAuxiliaryLearner)

__all__ = ["AdaptiveActiveLearning", "BinaryMinimization", "CostSensitiveReferencePairEncoding",
           "MMC", "MaximumLossReductionMaximalConfidence", "MultilabelWithAuxiliaryLearner"]
