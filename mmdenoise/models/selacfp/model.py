"""The D-SELACFP visible-infrared ReID model (paper 002, Fig. 1)."""
import copy
from typing import Dict, List, Optional

import torch
from mmcv.cnn import ConvModule
from mmengine.model import BaseModel, BaseModule

from mmdenoise.registry import MODELS
from ..reid.reid_model import pack_features
from .modality import VISIBLE, infrared_mask, route_by_modality


@MODELS.register_module()
class ModalitySpecificEmbedding(BaseModule):
    """The modality-specific branch: a 1x1 convolution + BN + ReLU of its own per modality on
    the shared feature map (each applied to the samples of its modality).

    The paper trains modality-specific next to modality-shared features (sections 2.1, 3.2,
    orthogonal loss between them) without drawing the branch; this is the lightest branch with
    per-modality parameters on top of the shared stages.
    """

    def __init__(self, in_channels: int, out_channels: Optional[int] = None,
                 norm_cfg: dict = dict(type='BN'), act_cfg: dict = dict(type='ReLU'),
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.out_channels = out_channels or in_channels
        self.visible = ConvModule(in_channels, self.out_channels, 1, norm_cfg=norm_cfg,
                                  act_cfg=act_cfg)
        self.infrared = ConvModule(in_channels, self.out_channels, 1, norm_cfg=norm_cfg,
                                   act_cfg=act_cfg)

    def forward(self, x: torch.Tensor, infrared: torch.Tensor) -> torch.Tensor:
        return route_by_modality(x, infrared, self.visible, self.infrared)


@MODELS.register_module()
class DSELACFP(BaseModel):
    """D-SELACFP: dual-stream ResNet with LAM and IFPEM, GeM, BNNeck; cross-entropy,
    hetero-center triplet and orthogonal losses (paper 002, sections 2.1-2.3, 3.2).

    Forward path: ``backbone`` (:class:`DualStreamResNet`, routed by modality) -> shared map ->
    ``neck`` (GeM) -> modality-shared feature ``f_sh`` -> ``head`` (``mmdenoise.BNNeckHead``:
    BN + identity classifier). Training-only branch (``specific``): per-modality
    :class:`ModalitySpecificEmbedding` on the shared map -> its own GeM -> ``f_sp`` -> its own
    BNNeck classifier.

    Losses (``loss`` mode):

    * ``loss_cls``: identity cross-entropy on ``f_sh`` (``head.loss_cls``; label smoothing via
      ``mmpretrain.LabelSmoothLoss``), ``accuracy`` logged;
    * ``loss_hetero_center``: :class:`HeteroCenterTripletLoss` on ``f_sh`` (pre-BN);
    * ``loss_cls_specific``: identity cross-entropy on ``f_sp`` (keeps it identity-
      discriminative), ``accuracy_specific`` logged;
    * ``loss_orthogonal``: :class:`OrthogonalLoss` between ``f_sh`` and ``f_sp`` (pre-BN).

    Evaluation uses the modality-shared feature (section 3.2): ``predict`` writes it (after the
    BNNeck by default, ``test_cfg.feature``) to each data sample's ``pred_feature``, which
    ``mmdenoise.ReIDMetric`` reads. ``tensor`` returns ``f_sh`` (``(B, C)``, pre-BN); called
    without data samples (modality unknown) it returns ``dict(visible=..., infrared=...)``, the
    batch through each stream, so checks such as ``fuse_checkpoint --verify`` cover both stems.

    The modality of each sample is its data sample's ``modality`` (``modality_cfg``: see
    :func:`~.modality.infrared_mask`, e.g. ``infrared_camids`` as a fallback).

    Args:
        backbone: ``mmdenoise.DualStreamResNet`` config.
        head: ``mmdenoise.BNNeckHead`` config (``in_channels`` = backbone output channels).
        neck: pooling (default ``mmpretrain.GeneralizedMeanPooling``, p = 3 learnable).
        specific: ``ModalitySpecificEmbedding`` config (``in_channels`` filled in); None: no
            modality-specific branch and no orthogonal loss.
        specific_head: BNNeck of the specific branch (default: ``head``'s config).
        loss_hetero_center / loss_orthogonal: loss configs; None disables one.
        modality_cfg: keyword arguments of :func:`~.modality.infrared_mask`.
        test_cfg: ``feature`` (``'after_bn'`` / ``'before_bn'``), ``flip`` (average with the
            horizontal flip), ``normalize`` (L2).
        data_preprocessor: default ``mmpretrain.ClsDataPreprocessor``.
    """

    def __init__(self,
                 backbone: dict,
                 head: dict,
                 neck: Optional[dict] = dict(type='mmpretrain.GeneralizedMeanPooling'),
                 specific: Optional[dict] = dict(type='mmdenoise.ModalitySpecificEmbedding'),
                 specific_head: Optional[dict] = None,
                 loss_hetero_center: Optional[dict] = dict(
                     type='mmdenoise.HeteroCenterTripletLoss', margin=0.3),
                 loss_orthogonal: Optional[dict] = dict(type='mmdenoise.OrthogonalLoss'),
                 modality_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        if data_preprocessor is None:
            data_preprocessor = dict(type='mmpretrain.ClsDataPreprocessor')
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        channels = self.backbone.out_channels
        self.neck = MODELS.build(copy.deepcopy(neck)) if neck is not None else None
        self.head = MODELS.build(head)
        if self.head.in_channels != channels:
            raise ValueError(f'DSELACFP: head.in_channels={self.head.in_channels} but the '
                             f'backbone gives {channels} channels')
        self.specific = None
        self.specific_neck = None
        self.specific_head = None
        if specific is not None:
            specific = dict(specific)
            specific.setdefault('in_channels', channels)
            self.specific = MODELS.build(specific)
            self.specific_neck = MODELS.build(copy.deepcopy(neck)) if neck is not None else None
            specific_head = dict(copy.deepcopy(specific_head or head))
            specific_head['in_channels'] = self.specific.out_channels
            self.specific_head = MODELS.build(specific_head)
        self.loss_hetero_center = (MODELS.build(loss_hetero_center)
                                   if loss_hetero_center is not None else None)
        self.loss_orthogonal = (MODELS.build(loss_orthogonal)
                                if loss_orthogonal is not None and specific is not None else None)
        self.modality_cfg = dict(modality_cfg or {})
        self.test_cfg = dict(feature='after_bn', flip=False, normalize=False)
        self.test_cfg.update(test_cfg or {})
        if self.test_cfg['feature'] not in ('before_bn', 'after_bn'):
            raise ValueError(f"test_cfg.feature must be 'before_bn' or 'after_bn', got "
                             f"{self.test_cfg['feature']!r}")

    # ------------------------------------------------------------------ features
    def infrared_mask(self, data_samples: List, device=None) -> torch.Tensor:
        """``(B,)`` bool mask of the infrared samples (see :func:`~.modality.infrared_mask`)."""
        return infrared_mask(data_samples, device=device, **self.modality_cfg)

    def _pool(self, neck, feature_map: torch.Tensor) -> torch.Tensor:
        return feature_map.flatten(2).mean(2) if neck is None else neck(feature_map)

    def extract_map(self, inputs: torch.Tensor, infrared: torch.Tensor) -> torch.Tensor:
        """The shared feature map of the last stage, ``(B, C, h, w)``."""
        return self.backbone(inputs, infrared)[-1]

    def extract_feat(self, inputs: torch.Tensor, infrared: torch.Tensor) -> torch.Tensor:
        """The modality-shared feature ``f_sh`` (before the BNNeck), ``(B, C)``."""
        return self._pool(self.neck, self.extract_map(inputs, infrared))

    def _test_feature(self, inputs: torch.Tensor, infrared: torch.Tensor) -> torch.Tensor:
        feat = self.extract_feat(inputs, infrared)
        return self.head(feat) if self.test_cfg['feature'] == 'after_bn' else feat

    # ------------------------------------------------------------------ modes
    def forward(self, inputs, data_samples=None, mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.tensor(inputs, data_samples)
        raise RuntimeError(f'Invalid mode "{mode}". Only supports loss, predict and tensor mode')

    def tensor(self, inputs: torch.Tensor, data_samples: Optional[List] = None):
        if data_samples is None:
            batch = len(inputs)
            return dict(
                visible=self.extract_feat(inputs, inputs.new_zeros(batch, dtype=torch.bool)),
                infrared=self.extract_feat(inputs, inputs.new_ones(batch, dtype=torch.bool)))
        return self.extract_feat(inputs, self.infrared_mask(data_samples, inputs.device))

    def complexity_data_samples(self, shape) -> List[dict]:
        """What ``tensor`` mode gets when the model zoo counts FLOPs (``generate_model_zoo.py
        --complexity``): one visible image, i.e. one stream, as at test time; without data
        samples ``tensor`` runs the image through both streams."""
        return [dict(modality=VISIBLE)]

    def loss(self, inputs: torch.Tensor, data_samples: List) -> Dict[str, torch.Tensor]:
        infrared = self.infrared_mask(data_samples, inputs.device)
        labels = torch.cat([s.gt_label.view(-1) for s in data_samples]).to(inputs.device)
        feature_map = self.extract_map(inputs, infrared)
        shared = self._pool(self.neck, feature_map)
        losses = dict(self.head.loss(shared, labels))
        if self.loss_hetero_center is not None:
            losses['loss_hetero_center'] = self.loss_hetero_center(shared, labels, infrared)
        if self.specific is not None:
            specific = self._pool(self.specific_neck, self.specific(feature_map, infrared))
            for key, value in self.specific_head.loss(specific, labels).items():
                losses[f'{key}_specific'] = value
            if self.loss_orthogonal is not None:
                losses['loss_orthogonal'] = self.loss_orthogonal(shared, specific)
        return losses

    def predict(self, inputs: torch.Tensor, data_samples: Optional[List] = None) -> List:
        if data_samples is None:
            raise ValueError('DSELACFP.predict needs the data samples (their modality routes '
                             'each image to its stem)')
        infrared = self.infrared_mask(data_samples, inputs.device)
        feats = self._test_feature(inputs, infrared)
        if self.test_cfg['flip']:
            feats = (feats + self._test_feature(inputs.flip(3), infrared)) / 2
        return pack_features(feats, data_samples, self.test_cfg['normalize'])
