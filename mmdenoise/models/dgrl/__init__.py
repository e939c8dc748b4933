"""DGRL: cross-resolution person ReID (see configs/dgrl/README.md).

Importing this package registers the model and its parts in ``mmdenoise.registry.MODELS``.
"""
from .branch import ResNetStemBranch
from .data_preprocessor import PairedReIDDataPreprocessor
from .dgrl import DGRL
from .galn import GroupAwareLearningNetwork
from .losses import FeatureAlignmentLoss, PairwiseKLDivLoss
from .mgar import MGAREmbedding, ResNetStages
from .rcan import RCAN
from .restormer import MDTA, GDFN, ResidualRestormerBlock, RestormerBlock
from .super_resolution import FrozenSuperResolution

__all__ = [
    'DGRL', 'ResNetStemBranch', 'PairedReIDDataPreprocessor', 'GroupAwareLearningNetwork',
    'FeatureAlignmentLoss', 'PairwiseKLDivLoss', 'MGAREmbedding', 'ResNetStages', 'RCAN', 'MDTA',
    'GDFN', 'RestormerBlock', 'ResidualRestormerBlock', 'FrozenSuperResolution'
]
