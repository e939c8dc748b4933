"""Tiny DGRL models and batches shared by the DGRL tests (ResNet-18 at width 8, 64x32)."""
import copy
import os.path as osp

import torch

import mmdenoise.models  # noqa: F401  (registers the DGRL parts)
from mmdenoise.registry import MODELS

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY_RCAN = dict(type='mmdenoise.RCAN', scale=2, n_resgroups=1, n_resblocks=1, n_feats=8,
                 reduction=4)
TINY_DGRL = dict(
    type='mmdenoise.DGRL',
    num_classes=3,
    embedding=dict(
        backbone=dict(type='mmdenoise.ResNetStages', depth=18, base_channels=8, stem_channels=8,
                      strides=(1, 2, 2, 1)),
        non_local_blocks=(0, 1, 1, 0)),
    branch=dict(restormer=dict(num_heads=4)),
    super_resolution=dict(scale=2, network=TINY_RCAN, weights=None),
    galn=dict(embed_dims=16, num_groups=4, gdn_hidden=8),
    feature_loss=dict(type='mmdenoise.FeatureAlignmentLoss', loss_weight=5.0),
    kl_loss=dict(type='mmdenoise.PairwiseKLDivLoss'),
)


def build_tiny_dgrl(sr_weights=None, **overrides):
    """An initialised tiny DGRL (``sr_weights``: the RCAN weights file, None: bicubic)."""
    cfg = copy.deepcopy(TINY_DGRL)
    cfg['super_resolution']['weights'] = sr_weights
    cfg.update(overrides)
    torch.manual_seed(0)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def pair_batch(model, num=4, size=(64, 32), labels=(0, 0, 1, 1), seed=0):
    """A pre-processed training batch of ``num`` HR/LR pairs."""
    from mmpretrain.structures import DataSample
    g = torch.Generator().manual_seed(seed)
    hr = [torch.randint(0, 256, (3, *size), generator=g, dtype=torch.uint8) for _ in range(num)]
    lr = [torch.randint(0, 256, (3, *size), generator=g, dtype=torch.uint8) for _ in range(num)]
    samples = [DataSample().set_gt_label(labels[i % len(labels)]) for i in range(num)]
    return model.data_preprocessor(dict(inputs=dict(hr=hr, lr=lr), data_samples=samples), True)
