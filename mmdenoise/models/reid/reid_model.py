"""A ReID model: backbone -> (pooling neck) -> global feature -> BNNeck head."""
from typing import List, Optional

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel

from mmdenoise.registry import MODELS


@MODELS.register_module()
class ReIDModel(BaseModel):
    """Person / vehicle ReID model built from existing parts (mmpretrain backbones and necks).

    ``loss`` reads the identity labels (``gt_label``) of the data samples; ``predict`` writes
    each sample's retrieval feature to ``pred_feature`` (what ``mmdenoise.ReIDMetric`` reads);
    ``tensor`` returns the features.

    Args:
        backbone: e.g. ``mmpretrain.VisionTransformer`` (``out_type='cls_token'``) or
            ``mmpretrain.ResNet`` (last stride 1: ``strides=(1, 2, 2, 1)``).
        neck: pooling of a feature map (``mmpretrain.GeneralizedMeanPooling`` /
            ``GlobalAveragePooling``); None when the backbone gives a vector (ViT CLS token).
        head: ``mmdenoise.BNNeckHead``.
        test_cfg: ``feature``: ``'before_bn'`` (TransReID-SSL) or ``'after_bn'`` (BoT);
            ``flip``: average the features of the image and its horizontal flip;
            ``normalize``: L2-normalise the output feature.
        data_preprocessor: e.g. ``mmpretrain.ClsDataPreprocessor`` with the mean/std.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 neck: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        if data_preprocessor is None:
            data_preprocessor = dict(type='mmpretrain.ClsDataPreprocessor')
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck) if neck is not None else None
        self.head = MODELS.build(head)
        self.test_cfg = dict(feature='before_bn', flip=False, normalize=False)
        self.test_cfg.update(test_cfg or {})
        if self.test_cfg['feature'] not in ('before_bn', 'after_bn'):
            raise ValueError(f"test_cfg.feature must be 'before_bn' or 'after_bn', got "
                             f"{self.test_cfg['feature']!r}")

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """The global feature (before the BNNeck), shape (B, C)."""
        x = self.backbone(inputs)
        if self.neck is not None:
            x = self.neck(x)
        if isinstance(x, (tuple, list)):
            x = x[-1]
        if x.dim() != 2:
            raise ValueError(f'ReIDModel: the backbone/neck must give (B, C) features, got '
                             f'{tuple(x.shape)}; add a pooling neck')
        return x

    def _test_feature(self, inputs: torch.Tensor) -> torch.Tensor:
        feat = self.extract_feat(inputs)
        if self.test_cfg['feature'] == 'after_bn':
            feat = self.head(feat)
        return feat

    def forward(self, inputs, data_samples=None, mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.extract_feat(inputs)
        raise RuntimeError(f'Invalid mode "{mode}". Only supports loss, predict and tensor mode')

    def loss(self, inputs: torch.Tensor, data_samples: List) -> dict:
        labels = torch.cat([s.gt_label.view(-1) for s in data_samples]).to(inputs.device)
        return self.head.loss(self.extract_feat(inputs), labels)

    def predict(self, inputs: torch.Tensor, data_samples: Optional[List] = None) -> List:
        feats = self._test_feature(inputs)
        if self.test_cfg['flip']:
            feats = (feats + self._test_feature(inputs.flip(3))) / 2
        return pack_features(feats, data_samples, self.test_cfg['normalize'])


def pack_features(feats: torch.Tensor, data_samples: Optional[List] = None,
                  normalize: bool = False) -> List:
    """Write one feature per sample into ``pred_feature`` (what
    :class:`mmdenoise.ReIDMetric` reads), L2-normalised first if ``normalize``; makes mmpretrain
    ``DataSample`` objects when ``data_samples`` is None. Shared by every ReID model's
    ``predict``."""
    if normalize:
        feats = F.normalize(feats, dim=1)
    if data_samples is None:
        from mmpretrain.structures import DataSample
        data_samples = [DataSample() for _ in range(len(feats))]
    for sample, feat in zip(data_samples, feats):
        sample.set_field(feat.detach(), 'pred_feature', field_type='data')
    return data_samples
