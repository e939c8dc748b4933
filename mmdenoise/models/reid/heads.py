"""The BNNeck head of strong ReID baselines (Luo et al., Bag of Tricks)."""
from typing import Dict, Optional

import torch
from mmengine.model import BaseModule
from torch import nn

from mmdenoise.registry import MODELS


@MODELS.register_module()
class BNNeckHead(BaseModule):
    """Global feature -> BatchNorm1d (bias frozen) -> Linear classifier (no bias).

    The identity loss acts on the classifier's logits; metric losses (triplet, WRT, center) act
    on the feature before the BN, as in BoT / TransReID.

    Args:
        in_channels: feature dimension.
        num_classes: number of training identities.
        loss_cls: the identity loss config (e.g. ``mmpretrain.LabelSmoothLoss``).
        metric_losses: ``{name: loss config}``, each logged as ``loss_<name>``.
    """

    def __init__(self,
                 in_channels: int,
                 num_classes: int,
                 loss_cls: dict = dict(type='mmpretrain.CrossEntropyLoss', loss_weight=1.0),
                 metric_losses: Optional[Dict[str, dict]] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.in_channels = in_channels
        self.num_classes = num_classes
        self.bnneck = nn.BatchNorm1d(in_channels)
        self.bnneck.bias.requires_grad_(False)
        self.classifier = nn.Linear(in_channels, num_classes, bias=False)
        self.loss_cls = MODELS.build(loss_cls)
        self.metric_losses = nn.ModuleDict(
            {name: MODELS.build(cfg) for name, cfg in (metric_losses or {}).items()})

    def init_weights(self) -> None:
        super().init_weights()
        nn.init.constant_(self.bnneck.weight, 1.0)
        nn.init.constant_(self.bnneck.bias, 0.0)
        nn.init.normal_(self.classifier.weight, std=0.001)

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        """The feature after the BNNeck."""
        return self.bnneck(feats)

    def loss(self, feats: torch.Tensor, labels: torch.Tensor) -> Dict[str, torch.Tensor]:
        logits = self.classifier(self.bnneck(feats))
        losses = {'loss_cls': self.loss_cls(logits, labels)}
        for name, loss in self.metric_losses.items():
            losses[f'loss_{name}'] = loss(feats, labels)
        with torch.no_grad():
            losses['accuracy'] = (logits.argmax(1) == labels).float().mean() * 100
        return losses
