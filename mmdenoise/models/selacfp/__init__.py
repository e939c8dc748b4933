"""D-SELACFP: visible-infrared ReID with a Local Attention Module and Inter-modal Feature
Perception Enhancement (paper 002; see configs/selacfp/README.md)."""
from .backbone import DualStreamResNet, ModalityStem
from .dct import dct_basis_1d, dct_basis_2d, dct_filters, select_frequencies
from .ifpem import InterModalFeaturePerceptionEnhancement
from .lam import LocalAttentionModule
from .losses import HeteroCenterTripletLoss, OrthogonalLoss, identity_modality_centers
from .modality import infrared_mask, route_by_modality
from .model import DSELACFP, ModalitySpecificEmbedding

__all__ = [
    'DSELACFP', 'DualStreamResNet', 'ModalityStem', 'LocalAttentionModule',
    'InterModalFeaturePerceptionEnhancement', 'ModalitySpecificEmbedding',
    'HeteroCenterTripletLoss', 'OrthogonalLoss', 'identity_modality_centers', 'infrared_mask',
    'route_by_modality', 'dct_basis_1d', 'dct_basis_2d', 'dct_filters', 'select_frequencies'
]
