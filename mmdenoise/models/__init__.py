"""Models: the DenoiseRep wrapper, ReID models and the seed systems."""
from .reid import (BNNeckHead, CenterLoss, ReIDModel, TransReIDViT, TripletLoss,
                   WeightedRegularizedTripletLoss)
from .wrappers import DenoiseRepWrapper

__all__ = [
    'DenoiseRepWrapper', 'ReIDModel', 'BNNeckHead', 'TransReIDViT', 'TripletLoss',
    'WeightedRegularizedTripletLoss', 'CenterLoss'
]
