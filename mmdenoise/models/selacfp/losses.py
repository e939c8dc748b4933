"""The cross-modality losses of D-SELACFP (paper 002, section 2.1 "feature optimization")."""
from typing import Tuple

import torch
import torch.nn.functional as F
from torch import nn

from mmdenoise.registry import MODELS
from ..reid.losses import pairwise_euclidean


def identity_modality_centers(features: torch.Tensor, labels: torch.Tensor,
                              infrared: torch.Tensor
                              ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Mean feature of every (identity, modality) group of the batch.

    Returns ``(centers (M, C), center_labels (M,), center_infrared (M,))``, groups in order of
    (label, modality). The batch layout does not matter (``CrossModalityIdentitySampler``'s
    ``[visible P*K | infrared P*K]`` is one case).
    """
    keys = labels.long() * 2 + infrared.long()
    unique, group = torch.unique(keys, return_inverse=True)
    sums = features.new_zeros(len(unique), features.shape[1]).index_add_(0, group, features)
    counts = torch.bincount(group, minlength=len(unique)).to(features.dtype)
    return sums / counts[:, None], unique // 2, (unique % 2).bool()


@MODELS.register_module()
class HeteroCenterTripletLoss(nn.Module):
    """Hetero-center triplet loss (Liu, Tan, Zhou, "Parameter sharing exploration and
    hetero-center triplet loss for visible-thermal person re-identification", IEEE TMM 2020).

    Per identity ``i`` and modality: the center ``c_v^i`` / ``c_t^i`` of its batch features.
    Every center is an anchor; its positive is the same identity's center of the other
    modality, its negative the nearest center of another identity (either modality):

        L = mean over anchors of [margin + ||c_v^i - c_t^i|| - min_{j != i, n in {v, t}}
                                  ||c_m^i - c_n^j||]_+

    (the paper sums over identities; the mean, as in the authors' code, keeps the scale
    independent of the batch). Centers of identities seen in one modality only are negatives
    but not anchors.

    Args:
        margin: the hinge margin rho (paper / code: 0.3).
        normalize_feature: L2-normalise the features before taking centers.
        loss_weight: multiplier.
    """

    def __init__(self, margin: float = 0.3, normalize_feature: bool = False,
                 loss_weight: float = 1.0):
        super().__init__()
        self.margin = margin
        self.normalize_feature = normalize_feature
        self.loss_weight = loss_weight

    def forward(self, features: torch.Tensor, labels: torch.Tensor,
                infrared: torch.Tensor) -> torch.Tensor:
        if features.dim() != 2 or labels.shape != (len(features), ) or \
                infrared.shape != (len(features), ):
            raise ValueError(f'HeteroCenterTripletLoss: expected features (B, C), labels (B,) and '
                             f'infrared (B,), got {tuple(features.shape)}, '
                             f'{tuple(labels.shape)}, {tuple(infrared.shape)}')
        if self.normalize_feature:
            features = F.normalize(features, dim=1)
        centers, center_labels, center_ir = identity_modality_centers(features, labels, infrared)
        dist = pairwise_euclidean(centers, centers)
        same_id = center_labels[:, None] == center_labels[None]
        positive = same_id & (center_ir[:, None] != center_ir[None])
        negative = ~same_id
        valid = positive.any(1) & negative.any(1)
        if not valid.any():
            return features.sum() * 0.0
        d_ap = dist.masked_fill(~positive, float('-inf')).max(1).values[valid]
        d_an = dist.masked_fill(~negative, float('inf')).min(1).values[valid]
        return F.relu(d_ap - d_an + self.margin).mean() * self.loss_weight


@MODELS.register_module()
class OrthogonalLoss(nn.Module):
    """Orthogonality between two features of the same samples (modality-shared vs
    modality-specific).

    ``mode='cosine'``: ``mean_i cos(a_i, b_i)^2``, zero when each sample's two features are
    orthogonal. ``mode='frobenius'``: the difference loss of Domain Separation Networks
    (Bousmalis et al., 2016), ``||A^T B||_F^2 / B^2`` with L2-normalised rows: zero when every
    dimension's batch statistics are decorrelated across the two features (the widths may differ:
    ``A^T B`` is ``C_a x C_b``).

    Args:
        mode: ``'cosine'`` or ``'frobenius'``.
        loss_weight: multiplier.
    """

    MODES = ('cosine', 'frobenius')

    def __init__(self, mode: str = 'cosine', loss_weight: float = 1.0):
        super().__init__()
        if mode not in self.MODES:
            raise ValueError(f'OrthogonalLoss: mode must be one of {self.MODES}, got {mode!r}')
        self.mode = mode
        self.loss_weight = loss_weight

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        if a.dim() != 2 or b.dim() != 2 or len(a) != len(b):
            raise ValueError(f'OrthogonalLoss: expected two (B, C) features of the same '
                             f'samples, got {tuple(a.shape)} and {tuple(b.shape)}')
        a, b = F.normalize(a, dim=1), F.normalize(b, dim=1)
        if self.mode == 'cosine':
            if a.shape[1] != b.shape[1]:
                raise ValueError(f"OrthogonalLoss(mode='cosine') needs equal widths, got "
                                 f'{a.shape[1]} and {b.shape[1]}')
            loss = (a * b).sum(1).pow(2).mean()
        else:
            loss = (a.t() @ b).pow(2).sum() / len(a)**2
        return loss * self.loss_weight
