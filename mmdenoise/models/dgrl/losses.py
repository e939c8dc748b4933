"""DGRL's own losses (paper Sec. III-B.2 and III-D); the ID loss (mmpretrain
``LabelSmoothLoss``) and WRT (:class:`~mmdenoise.models.reid.WeightedRegularizedTripletLoss`)
are reused.

* :class:`FeatureAlignmentLoss`: the smooth-L1 ("simple L1") loss of Eq. 5 between the HR and SR
  branch features ``f_h`` and ``f_s``, weighted by ``gamma`` in Eq. 13 (DGRL: 5).
* :class:`PairwiseKLDivLoss`: Eq. 12, the sum over the ordered pairs ``j != i`` of
  ``D_KL(p_j || p_i)`` between the class probabilities (softmax of the logits, Eq. 10) of the
  three branches, each ``D_KL`` being Eq. 11.
"""
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from mmdenoise.registry import MODELS

KL_REDUCTIONS = ('batchmean', 'sum', 'mean')


@MODELS.register_module()
class FeatureAlignmentLoss(nn.Module):
    """Smooth-L1 distance between paired feature maps (paper Eq. 5).

    ``0.5 d^2`` where ``|d| < beta`` (scaled by ``1/beta`` as ``F.smooth_l1_loss``; the paper has
    ``beta = 1``), ``|d| - 0.5 beta`` elsewhere, for ``d = f_h - f_s`` element-wise.

    Args:
        loss_weight: ``gamma`` of Eq. 13 (DGRL: 5).
        beta: the switch point (paper: 1).
        reduction: ``'mean'`` over all elements (PyTorch's ``SmoothL1Loss`` default; the
            paper's Eq. 5 writes a sum over the batch without saying how elements are
            combined) or ``'sum'``.
    """

    def __init__(self, loss_weight: float = 5.0, beta: float = 1.0, reduction: str = 'mean'):
        super().__init__()
        if reduction not in ('mean', 'sum'):
            raise ValueError(f"FeatureAlignmentLoss: reduction must be 'mean' or 'sum', got "
                             f'{reduction!r}')
        self.loss_weight = loss_weight
        self.beta = beta
        self.reduction = reduction

    def forward(self, hr_features: torch.Tensor, sr_features: torch.Tensor) -> torch.Tensor:
        if hr_features.shape != sr_features.shape:
            raise ValueError(f'FeatureAlignmentLoss: HR features {tuple(hr_features.shape)} and '
                             f'SR features {tuple(sr_features.shape)} differ in shape')
        loss = F.smooth_l1_loss(hr_features, sr_features, beta=self.beta,
                                reduction=self.reduction)
        return loss * self.loss_weight


@MODELS.register_module()
class PairwiseKLDivLoss(nn.Module):
    """``sum_{j != i} D_KL(p_j || p_i)`` over the branches' predictions (paper Eqs. 10-12).

    Args:
        loss_weight: multiplier (Eq. 13: 1).
        reduction: how Eq. 11's sum over the ``M`` samples is reduced: ``'batchmean'`` (divided
            by ``M``, the per-sample KL; default), ``'sum'`` (Eq. 11 literally) or ``'mean'``
            (divided by ``M x N`` as ``torch.nn.KLDivLoss()``'s default).
        detach_target: stop the gradient through ``p_j`` (deep mutual learning style);
            the paper's Eq. 12 lets both sides learn (default False).
    """

    def __init__(self, loss_weight: float = 1.0, reduction: str = 'batchmean',
                 detach_target: bool = False):
        super().__init__()
        if reduction not in KL_REDUCTIONS:
            raise ValueError(f'PairwiseKLDivLoss: reduction must be one of {KL_REDUCTIONS}, got '
                             f'{reduction!r}')
        self.loss_weight = loss_weight
        self.reduction = reduction
        self.detach_target = detach_target

    def forward(self, logits: Sequence[torch.Tensor]) -> torch.Tensor:
        if len(logits) < 2:
            raise ValueError(f'PairwiseKLDivLoss needs at least two predictions, got {len(logits)}')
        shapes = {tuple(x.shape) for x in logits}
        if len(shapes) != 1 or len(next(iter(shapes))) != 2:
            raise ValueError(f'PairwiseKLDivLoss: expected logits of one (M, N) shape, got '
                             f'{sorted(shapes)}')
        log_probs = [F.log_softmax(x, dim=1) for x in logits]
        total = logits[0].new_zeros(())
        for i, log_p_i in enumerate(log_probs):
            for j, log_p_j in enumerate(log_probs):
                if i == j:
                    continue
                target = log_p_j.detach() if self.detach_target else log_p_j
                # D_KL(p_j || p_i) = sum p_j (log p_j - log p_i)
                total = total + F.kl_div(log_p_i, target, reduction=self.reduction,
                                         log_target=True)
        return total * self.loss_weight
