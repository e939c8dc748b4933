"""Models: the DenoiseRep wrapper, ReID models and the seed systems."""
from .reid import (BNNeckHead, CenterLoss, ReIDModel, TransReIDViT, TripletLoss,
                   WeightedRegularizedTripletLoss)
from .wrappers import DenoiseRepWrapper
from . import dff, dgrl, selacfp  # noqa: F401,E402  (register the seed systems)

__all__ = [
    'DenoiseRepWrapper', 'ReIDModel', 'BNNeckHead', 'TransReIDViT', 'TripletLoss',
    'WeightedRegularizedTripletLoss', 'CenterLoss'
]
