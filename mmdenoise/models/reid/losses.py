"""Metric-learning losses of person ReID (on a batch of features and identity labels).

All take ``(features (B, C), labels (B,))``. Distances are Euclidean on the features as given
(normalise them before if a config wants cosine geometry).
"""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from mmdenoise.registry import MODELS


def pairwise_euclidean(x: torch.Tensor, y: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """(B, C) x (N, C) -> (B, N) Euclidean distances (clamped before the sqrt for stability)."""
    d2 = (x * x).sum(1, keepdim=True) + (y * y).sum(1)[None] - 2 * x @ y.t()
    return d2.clamp_min(eps).sqrt()


def _masks(labels: torch.Tensor):
    same = labels[:, None] == labels[None]
    eye = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    return same & ~eye, ~same


def _check(features: torch.Tensor, labels: torch.Tensor, name: str):
    if features.dim() != 2 or labels.dim() != 1 or len(features) != len(labels):
        raise ValueError(f'{name}: expected features (B, C) and labels (B,), got '
                         f'{tuple(features.shape)} and {tuple(labels.shape)}')


@MODELS.register_module()
class TripletLoss(nn.Module):
    """Batch-hard triplet loss (Hermans et al. 2017).

    For each anchor: the farthest positive and the nearest negative in the batch;
    ``max(0, d_ap - d_an + margin)``, or the soft margin ``log(1 + exp(d_ap - d_an))`` when
    ``margin`` is None (TransReID-SSL's ``NO_MARGIN``). Anchors without a positive or without a
    negative in the batch are skipped.

    Args:
        margin: the margin, or None for the soft margin.
        normalize_feature: L2-normalise features first.
        loss_weight: multiplier.
    """

    def __init__(self, margin: Optional[float] = 0.3, normalize_feature: bool = False,
                 loss_weight: float = 1.0):
        super().__init__()
        self.margin = margin
        self.normalize_feature = normalize_feature
        self.loss_weight = loss_weight

    def forward(self, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        _check(features, labels, type(self).__name__)
        if self.normalize_feature:
            features = F.normalize(features, dim=1)
        dist = pairwise_euclidean(features, features)
        pos, neg = _masks(labels)
        valid = pos.any(1) & neg.any(1)
        if not valid.any():
            return features.sum() * 0.0
        d_ap = dist.masked_fill(~pos, float('-inf')).max(1).values[valid]
        d_an = dist.masked_fill(~neg, float('inf')).min(1).values[valid]
        if self.margin is None:
            loss = F.softplus(d_ap - d_an).mean()
        else:
            loss = F.relu(d_ap - d_an + self.margin).mean()
        return loss * self.loss_weight


@MODELS.register_module()
class WeightedRegularizedTripletLoss(nn.Module):
    """Weighted regularised triplet (WRT, Ye et al., AGW baseline).

    Per anchor, positives are weighted by ``softmax(d_ap)`` over its positives and negatives by
    ``softmax(-d_an)`` over its negatives; the loss is ``softplus(sum w_p d_ap - sum w_n d_an)``
    (soft margin, no margin parameter), averaged over anchors with both positives and negatives.
    """

    def __init__(self, normalize_feature: bool = False, loss_weight: float = 1.0):
        super().__init__()
        self.normalize_feature = normalize_feature
        self.loss_weight = loss_weight

    def forward(self, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        _check(features, labels, type(self).__name__)
        if self.normalize_feature:
            features = F.normalize(features, dim=1)
        dist = pairwise_euclidean(features, features)
        pos, neg = _masks(labels)
        valid = pos.any(1) & neg.any(1)
        if not valid.any():
            return features.sum() * 0.0
        w_pos = torch.softmax(dist.masked_fill(~pos, float('-inf')), dim=1)
        w_neg = torch.softmax((-dist).masked_fill(~neg, float('-inf')), dim=1)
        furthest_pos = (w_pos.nan_to_num(0.0) * dist).sum(1)
        closest_neg = (w_neg.nan_to_num(0.0) * dist).sum(1)
        loss = F.softplus(furthest_pos - closest_neg)[valid].mean()
        return loss * self.loss_weight


@MODELS.register_module()
class CenterLoss(nn.Module):
    """Center loss (Wen et al. 2016): ``mean_i ||f_i - c_{y_i}||^2 / 2`` with learnable centers.

    The centers are parameters of this module (trained by the model's optimizer; AGW/BoT use a
    separate SGD with lr 0.5 for them: give them their own ``paramwise_cfg`` key ``centers``).
    """

    def __init__(self, num_classes: int, feat_dim: int, loss_weight: float = 5e-4):
        super().__init__()
        self.centers = nn.Parameter(torch.randn(num_classes, feat_dim))
        self.loss_weight = loss_weight

    def forward(self, features: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        _check(features, labels, type(self).__name__)
        if features.shape[1] != self.centers.shape[1]:
            raise ValueError(f'CenterLoss: feature dim {features.shape[1]} != centers dim '
                             f'{self.centers.shape[1]}')
        diff = features - self.centers[labels]
        return 0.5 * (diff * diff).sum(1).mean() * self.loss_weight
