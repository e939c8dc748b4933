"""ReID backbones configured from mmpretrain's."""
from typing import Sequence

import torch
from mmpretrain.models.backbones import VisionTransformer
from torch import nn

from mmdenoise.registry import MODELS


class InstanceBatchNorm(nn.Module):
    """IBN-a normalisation: InstanceNorm on the first half of the channels, BatchNorm on the rest."""

    def __init__(self, channels: int):
        super().__init__()
        self.half = channels // 2
        self.instance = nn.InstanceNorm2d(self.half, affine=True)
        self.batch = nn.BatchNorm2d(channels - self.half)

    def forward(self, x):
        return torch.cat([self.instance(x[:, :self.half]), self.batch(x[:, self.half:])], dim=1)


@MODELS.register_module()
class TransReIDViT(VisionTransformer):
    """ViT configured as TransReID-SSL (Luo et al. 2021): 256x128 input, non-overlapping 16x16
    patches, CLS-token feature, and the optional IBN convolution stem ("+ICS").

    With ``stem_conv=True`` the patch projection becomes three 3x3 convolutions (the first with
    stride 2, IBN-a after it, BN after the others) followed by a ``patch/2`` projection, so the
    patch grid (and positional embedding) is the same as without the stem.

    Args:
        arch: mmpretrain ViT arch (``'deit-small'`` = ViT-S/16: 384-d, 12 layers, 6 heads;
            ``'b'`` = ViT-B/16).
        img_size: (height, width), default (256, 128).
        stem_conv: use the IBN convolution stem.
        stem_channels: channels of the stem convolutions.
        Other arguments: as mmpretrain's ``VisionTransformer``.
    """

    def __init__(self,
                 arch='deit-small',
                 img_size: Sequence[int] = (256, 128),
                 patch_size: int = 16,
                 stem_conv: bool = False,
                 stem_channels: int = 64,
                 out_type: str = 'cls_token',
                 drop_path_rate: float = 0.1,
                 **kwargs):
        super().__init__(arch=arch, img_size=tuple(img_size), patch_size=patch_size,
                         out_type=out_type, drop_path_rate=drop_path_rate, **kwargs)
        self.stem_conv = stem_conv
        if stem_conv:
            if patch_size % 2:
                raise ValueError(f'stem_conv needs an even patch size, got {patch_size}')
            in_channels = self.patch_embed.projection.in_channels
            c = stem_channels
            self.patch_embed.projection = nn.Sequential(
                nn.Conv2d(in_channels, c, 3, stride=2, padding=1, bias=False), InstanceBatchNorm(c),
                nn.ReLU(inplace=True),
                nn.Conv2d(c, c, 3, stride=1, padding=1, bias=False), nn.BatchNorm2d(c),
                nn.ReLU(inplace=True),
                nn.Conv2d(c, c, 3, stride=1, padding=1, bias=False), nn.BatchNorm2d(c),
                nn.ReLU(inplace=True),
                nn.Conv2d(c, self.embed_dims, patch_size // 2, stride=patch_size // 2))
