"""DGRL's feature extraction module (paper Sec. III-B.2): two branches that share no parameter,
one for HR images and one for SR images, each a ResNet stem followed by a residual Restormer
block; their outputs ``f_h`` and ``f_s`` are the features of the L1 alignment loss (Eq. 5) and
the inputs of the shared embedding.

The stem is ResNet-50's (7x7/2 convolution, BatchNorm, ReLU, 3x3/2 max pooling), as in the
two-stream cross-modality ReID baselines DGRL builds on (AGW): the shared ResNet starts at
``layer1``. Its modules are named ``conv1`` / ``bn1`` like mmpretrain's ResNet, so
``init_cfg=dict(type='Pretrained', checkpoint=<mmpretrain ResNet-50>, prefix='backbone.')``
initialises each branch's stem from ImageNet weights.
"""
from typing import Optional

import torch
from mmengine.model import BaseModule
from torch import nn

from mmdenoise.registry import MODELS


@MODELS.register_module()
class ResNetStemBranch(BaseModule):
    """ResNet stem + residual Restormer block (one non-shared branch of DGRL).

    Args:
        stem_channels: output channels of the stem (ResNet: 64).
        restormer: :class:`~.restormer.ResidualRestormerBlock` arguments (without
            ``channels``), or None for a plain stem (ablation, Table III).
        in_channels: image channels.
    """

    def __init__(self,
                 stem_channels: int = 64,
                 restormer: Optional[dict] = None,
                 in_channels: int = 3,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.conv1 = nn.Conv2d(in_channels, stem_channels, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(stem_channels)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.restormer = None
        if restormer is not None:
            cfg = dict(type='mmdenoise.ResidualRestormerBlock', channels=stem_channels)
            cfg.update(restormer)
            self.restormer = MODELS.build(cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return x if self.restormer is None else self.restormer(x)
