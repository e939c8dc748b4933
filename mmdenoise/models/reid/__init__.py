"""Person / vehicle ReID models built from existing parts."""
from .backbones import InstanceBatchNorm, TransReIDViT
from .heads import BNNeckHead
from .losses import CenterLoss, TripletLoss, WeightedRegularizedTripletLoss, pairwise_euclidean
from .reid_model import ReIDModel, pack_features

__all__ = [
    'ReIDModel', 'pack_features', 'BNNeckHead', 'TransReIDViT', 'InstanceBatchNorm', 'TripletLoss',
    'WeightedRegularizedTripletLoss', 'CenterLoss', 'pairwise_euclidean'
]
