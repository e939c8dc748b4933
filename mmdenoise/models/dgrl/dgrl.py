"""DGRL: deep group-aware representation learning for cross-resolution person ReID (Ye and Gao,
paper 003; configs/dgrl/README.md lists every choice the paper leaves open).

Training (Fig. 2), for a batch of HR images and their LR copies:

1. LR images -> frozen SR (RCAN, or the bicubic fallback) -> SR images (Sec. III-B.1);
2. HR images -> HR branch, SR images -> SR branch (non-shared ResNet stem + residual Restormer
   block) -> ``f_h``, ``f_s`` (Sec. III-B.2);
3. ``[f_h; f_s]`` (concatenated along the batch) -> shared ResNet stages with non-local blocks
   and side branches from stages 2 and 3 -> GeM -> one GALN per branch -> ``F, F', F''``
   (Sec. III-C);
4. losses (Eq. 13): ``gamma * L1(f_h, f_s) + L_ID + L_WRT + D_KL``, with ``L_ID`` / ``L_WRT`` over
   the three branches weighted ``1, alpha, beta`` (Eqs. 7, 9) and ``D_KL`` over the branch
   predictions (Eq. 12).

Test (Sec. IV-B): the main branch only; low-resolution images (the queries) go through the SR
stage and the SR branch, the others (the HR gallery) through the HR branch.
"""
from collections.abc import Mapping
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModel
from torch import nn

from mmdenoise.registry import MODELS
from ..reid.reid_model import pack_features

LOW_RESOLUTION_MODES = ('query', 'all', 'none')
TEST_FEATURES = ('before_bn', 'after_bn')


def _mmdenoise_type(cfg: dict, default: str) -> dict:
    cfg = dict(cfg)
    cfg.setdefault('type', default)
    return cfg


@MODELS.register_module()
class DGRL(BaseModel):
    """Cross-resolution ReID model of DGRL (see the module docstring).

    Args:
        num_classes: training identities.
        embedding: :class:`~.mgar.MGAREmbedding` config (shared ResNet stages, non-local
            blocks, side branches, GeM).
        branch: :class:`~.branch.ResNetStemBranch` config of the HR and SR branches (built
            twice, no shared parameter; ``stem_channels`` comes from the embedding's ResNet).
        super_resolution: :class:`~.super_resolution.FrozenSuperResolution` config, or None to
            feed LR images to the SR branch as they are (the paper's CAVIAR setting).
        galn: :class:`~.galn.GroupAwareLearningNetwork` config (``in_channels`` filled in).
        head: ``mmdenoise.BNNeckHead`` config of every branch (``in_channels`` /
            ``num_classes`` filled in); its ``loss_cls`` is the ID loss (Eq. 6).
        metric_loss: the metric loss of every branch (WRT, Eq. 8).
        id_weights: weights of the branches' ID losses, ``(1, alpha_1, beta_1)`` (Eq. 7).
        metric_weights: weights of their metric losses, ``(1, alpha_2, beta_2)`` (Eq. 9).
        feature_loss: the HR/SR feature loss (Eq. 5, weight ``gamma``) or None.
        kl_loss: the pairwise KL loss between branch predictions (Eq. 12) or None.
        test_cfg: ``feature``: ``'after_bn'`` (the BNNeck output of the main branch) or
            ``'before_bn'`` (the GALN output ``F``); ``normalize``: L2-normalise it;
            ``low_resolution``: which test images take the SR path: ``'query'`` (images whose
            ``split`` is ``'query'``: the LR probes of the cross-resolution protocol),
            ``'all'`` or ``'none'``.
        data_preprocessor: default ``mmdenoise.PairedReIDDataPreprocessor`` with the ImageNet
            mean / std and BGR -> RGB.
    """

    def __init__(self,
                 num_classes: int,
                 embedding: dict,
                 branch: Optional[dict] = None,
                 super_resolution: Optional[dict] = None,
                 galn: Optional[dict] = None,
                 head: Optional[dict] = None,
                 metric_loss: Optional[dict] = None,
                 id_weights: Sequence[float] = (1.0, 0.5, 0.5),
                 metric_weights: Sequence[float] = (1.0, 0.5, 0.5),
                 feature_loss: Optional[dict] = None,
                 kl_loss: Optional[dict] = None,
                 test_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        if data_preprocessor is None:
            data_preprocessor = dict(
                type='mmdenoise.PairedReIDDataPreprocessor', mean=[123.675, 116.28, 103.53],
                std=[58.395, 57.12, 57.375], to_rgb=True)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.embedding = MODELS.build(_mmdenoise_type(embedding, 'mmdenoise.MGAREmbedding'))
        branch_cfg = _mmdenoise_type(branch or {}, 'mmdenoise.ResNetStemBranch')
        branch_cfg['stem_channels'] = self.embedding.backbone.stem_channels
        self.hr_branch = MODELS.build(branch_cfg)
        self.sr_branch = MODELS.build(branch_cfg)
        self.sr = None
        if super_resolution is not None:
            self.sr = MODELS.build(
                _mmdenoise_type(super_resolution, 'mmdenoise.FrozenSuperResolution'))

        num_branches = self.embedding.num_branches
        self.branch_names = ('main', ) + tuple(f'side{s}' for s in self.embedding.side_stages)
        galn_cfg = _mmdenoise_type(galn or {}, 'mmdenoise.GroupAwareLearningNetwork')
        galn_cfg['in_channels'] = self.embedding.out_channels
        self.galns = nn.ModuleList([MODELS.build(galn_cfg) for _ in range(num_branches)])
        embed_dims = self.galns[0].embed_dims
        head_cfg = _mmdenoise_type(
            head or dict(loss_cls=dict(type='mmpretrain.LabelSmoothLoss', label_smooth_val=0.1,
                                       mode='original')), 'mmdenoise.BNNeckHead')
        head_cfg.update(in_channels=embed_dims, num_classes=num_classes)
        self.heads = nn.ModuleList([MODELS.build(head_cfg) for _ in range(num_branches)])
        self.metric_loss = MODELS.build(
            metric_loss or dict(type='mmdenoise.WeightedRegularizedTripletLoss'))
        self.id_weights = self._branch_weights(id_weights, 'id_weights')
        self.metric_weights = self._branch_weights(metric_weights, 'metric_weights')
        self.feature_loss = MODELS.build(feature_loss) if feature_loss is not None else None
        self.kl_loss = MODELS.build(kl_loss) if kl_loss is not None else None

        self.test_cfg = dict(feature='after_bn', normalize=False, low_resolution='query')
        self.test_cfg.update(test_cfg or {})
        if self.test_cfg['feature'] not in TEST_FEATURES:
            raise ValueError(f'DGRL: test_cfg.feature must be one of {TEST_FEATURES}, got '
                             f"{self.test_cfg['feature']!r}")
        if self.test_cfg['low_resolution'] not in LOW_RESOLUTION_MODES:
            raise ValueError(f'DGRL: test_cfg.low_resolution must be one of '
                             f"{LOW_RESOLUTION_MODES}, got {self.test_cfg['low_resolution']!r}")

    def _branch_weights(self, weights: Sequence[float], name: str) -> Tuple[float, ...]:
        weights = tuple(float(w) for w in weights)
        if len(weights) != len(self.branch_names):
            raise ValueError(f'DGRL: {name} needs one weight per branch {self.branch_names}, '
                             f'got {weights}')
        return weights

    # ------------------------------------------------------------------ building blocks
    @staticmethod
    def split_pair(inputs) -> Optional[Tuple[torch.Tensor, torch.Tensor]]:
        """``(hr, lr)`` of paired inputs ``{'hr': ..., 'lr': ...}``; None for a plain batch."""
        if not isinstance(inputs, Mapping):
            return None
        missing = {'hr', 'lr'} - set(inputs)
        if missing:
            raise KeyError(f'DGRL: paired inputs need the keys hr and lr, missing '
                           f'{sorted(missing)} (got {sorted(inputs)})')
        return inputs['hr'], inputs['lr']

    def super_resolve(self, x: torch.Tensor) -> torch.Tensor:
        """The frozen SR stage on normalised LR images (identity without an SR stage): back to
        pixels with the data pre-processor's mean / std, SR, normalised again."""
        if self.sr is None:
            return x
        pre = self.data_preprocessor
        normalized = getattr(pre, '_enable_normalize', False)
        pixels = x * pre.std + pre.mean if normalized else x
        out = self.sr(pixels)
        return (out - pre.mean) / pre.std if normalized else out

    def stem_features(self, hr: torch.Tensor,
                      lr: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """``f_h`` and ``f_s`` (Sec. III-B): HR branch on HR, SR branch on SR(LR)."""
        return self.hr_branch(hr), self.sr_branch(self.super_resolve(lr))

    def embed(self, stem_features: torch.Tensor, side_branches: bool = True) -> List[torch.Tensor]:
        """GALN representations ``[F, F', F'']`` (main only without ``side_branches``)."""
        pooled = self.embedding(stem_features, side_branches=side_branches)
        return [galn(p) for galn, p in zip(self.galns, pooled)]

    def extract_feat(self, inputs) -> Dict[str, Dict[str, torch.Tensor]]:
        """Every branch's representation for the HR path and the SR path:
        ``{'hr': {'main': F, 'side2': F', 'side3': F''}, 'sr': {...}}``. Paired inputs use
        ``hr`` / ``lr``; a plain batch goes through both paths."""
        pair = self.split_pair(inputs)
        hr, lr = pair if pair is not None else (inputs, inputs)
        f_h, f_s = self.stem_features(hr, lr)
        feats = self.embed(torch.cat([f_h, f_s]))
        n = hr.shape[0]
        return {
            'hr': {name: f[:n] for name, f in zip(self.branch_names, feats)},
            'sr': {name: f[n:] for name, f in zip(self.branch_names, feats)},
        }

    # ------------------------------------------------------------------ modes
    def forward(self, inputs, data_samples=None, mode: str = 'tensor'):
        """``loss``: paired inputs; ``predict``: single images; ``tensor``: paired inputs ->
        :meth:`extract_feat`, single images -> the main-branch ``F`` of the HR path (the
        deployed gallery path)."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            if self.split_pair(inputs) is not None:
                return self.extract_feat(inputs)
            return self.embed(self.hr_branch(inputs), side_branches=False)[0]
        raise RuntimeError(f'Invalid mode "{mode}". Only supports loss, predict and tensor mode')

    def loss(self, inputs, data_samples: List) -> Dict[str, torch.Tensor]:
        pair = self.split_pair(inputs)
        if pair is None:
            raise ValueError(
                "DGRL.loss needs paired inputs {'hr': ..., 'lr': ...}: end the training "
                "pipeline with mmdenoise.RandomLowResolutionCopy and "
                'mmdenoise.PackPairedReIDInputs')
        hr, lr = pair
        labels = torch.cat([s.gt_label.view(-1) for s in data_samples]).to(hr.device)
        f_h, f_s = self.stem_features(hr, lr)
        feats = self.embed(torch.cat([f_h, f_s]))
        labels = torch.cat([labels, labels])
        logits = [head.classifier(head.bnneck(f)) for head, f in zip(self.heads, feats)]
        losses = {
            'loss_id': sum(w * head.loss_cls(x, labels)
                           for w, head, x in zip(self.id_weights, self.heads, logits)),
            'loss_metric': sum(w * self.metric_loss(f, labels)
                               for w, f in zip(self.metric_weights, feats)),
        }
        if self.kl_loss is not None:
            losses['loss_kl'] = self.kl_loss(logits)
        if self.feature_loss is not None:
            losses['loss_feat'] = self.feature_loss(f_h, f_s)
        with torch.no_grad():
            losses['accuracy'] = (logits[0].argmax(1) == labels).float().mean() * 100
        return losses

    def _low_resolution_mask(self, data_samples, num: int, device) -> torch.Tensor:
        mode = self.test_cfg['low_resolution']
        if mode == 'all':
            return torch.ones(num, dtype=torch.bool, device=device)
        if mode == 'none' or data_samples is None:
            return torch.zeros(num, dtype=torch.bool, device=device)
        return torch.tensor([s.get('split', None) == 'query' for s in data_samples],
                            dtype=torch.bool, device=device)

    def _test_feature(self, stem_features: torch.Tensor) -> torch.Tensor:
        feat = self.embed(stem_features, side_branches=False)[0]
        if self.test_cfg['feature'] == 'after_bn':
            feat = self.heads[0].bnneck(feat)
        return feat

    def predict(self, inputs: torch.Tensor, data_samples: Optional[List] = None) -> List:
        """Main-branch features into ``pred_feature`` (what ``mmdenoise.ReIDMetric`` reads)."""
        if self.split_pair(inputs) is not None:
            raise ValueError('DGRL.predict takes single images (the test pipeline packs them with '
                             'mmdenoise.PackReIDInputs), got paired inputs')
        low = self._low_resolution_mask(data_samples, inputs.shape[0], inputs.device)
        feats = None
        for mask, branch, prepare in ((~low, self.hr_branch, None),
                                      (low, self.sr_branch, self.super_resolve)):
            if not mask.any():
                continue
            x = inputs[mask]
            out = self._test_feature(branch(prepare(x) if prepare else x))
            if feats is None:
                feats = out.new_zeros(inputs.shape[0], out.shape[1])
            feats[mask] = out
        return pack_features(feats, data_samples, self.test_cfg['normalize'])
