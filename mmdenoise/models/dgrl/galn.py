"""Group-aware learning network (GALN, DGRL paper Sec. III-C, Fig. 4), after GroupFace (Kim et
al., CVPR 2020).

From a pooled feature ``x``:

* instance representation ``F_x = FC(x)``;
* ``K`` group-aware representations ``F_x^{G_k} = FC_k(x)`` (parallel FC layers, computed here
  as one ``Linear(in, K * d)`` followed by per-group BN and PReLU, which is the same map);
* group probabilities ``p = softmax(FC(FC(F_x)))`` (the two-FC group decision network);
* final representation ``F = F_x + sum_k p_k F_x^{G_k}`` (GroupFace's soft assembly).

An FC is ``Linear -> BatchNorm1d -> PReLU`` as in GroupFace. GroupFace's self-distributed
group-label loss is not used (DGRL lists no such loss).
"""
from typing import Dict

import torch
from mmengine.model import BaseModule
from torch import nn

from mmdenoise.registry import MODELS


def fc_bn_prelu(in_features: int, out_features: int) -> nn.Sequential:
    """GroupFace's FC block."""
    return nn.Sequential(
        nn.Linear(in_features, out_features), nn.BatchNorm1d(out_features), nn.PReLU())


@MODELS.register_module()
class GroupAwareLearningNetwork(BaseModule):
    """GALN: instance + group-aware representations weighted by group probabilities.

    Args:
        in_channels: dimension of the pooled input feature.
        embed_dims: dimension ``d`` of every representation (paper silent; GroupFace: 512).
        num_groups: ``K`` (DGRL: 32).
        gdn_hidden: hidden width of the group decision network (GroupFace: 256).
    """

    def __init__(self, in_channels: int, embed_dims: int = 512, num_groups: int = 32,
                 gdn_hidden: int = 256, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if num_groups < 1 or embed_dims < 1:
            raise ValueError(f'GALN: num_groups and embed_dims must be >= 1, got {num_groups}, '
                             f'{embed_dims}')
        self.embed_dims = embed_dims
        self.num_groups = num_groups
        self.instance_fc = fc_bn_prelu(in_channels, embed_dims)
        self.group_fc = nn.Linear(in_channels, num_groups * embed_dims)
        self.group_bn = nn.BatchNorm1d(num_groups * embed_dims)
        self.group_act = nn.PReLU(num_groups)
        self.group_decision = nn.Sequential(
            fc_bn_prelu(embed_dims, gdn_hidden), nn.Linear(gdn_hidden, num_groups))

    def group_representations(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, K, d)``: the K group-aware representations."""
        groups = self.group_bn(self.group_fc(x)).view(-1, self.num_groups, self.embed_dims)
        return self.group_act(groups)  # one PReLU slope per group (channel dim 1)

    def forward_all(self, x: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Every intermediate: ``instance (B, d)``, ``groups (B, K, d)``, ``group_probs (B, K)``,
        ``feature (B, d)``."""
        if x.dim() != 2:
            raise ValueError(f'GALN: expected pooled features (B, C), got {tuple(x.shape)}')
        instance = self.instance_fc(x)
        groups = self.group_representations(x)
        probs = self.group_decision(instance).softmax(dim=1)
        feature = instance + (probs.unsqueeze(-1) * groups).sum(dim=1)
        return dict(instance=instance, groups=groups, group_probs=probs, feature=feature)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_all(x)['feature']
