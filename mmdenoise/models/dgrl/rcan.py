"""RCAN super-resolution network (Zhang et al., "Image super-resolution using very deep residual
channel attention networks", ECCV 2018), the SR module of DGRL (paper Sec. III-B.1).

Residual in residual: a 3x3 head convolution, ``n_resgroups`` residual groups (each
``n_resblocks`` residual channel-attention blocks (RCAB) and a 3x3 convolution, with a short
skip), a 3x3 convolution and a long skip over the whole body, then a pixel-shuffle up-sampler
(``x2^n``: n stages of conv + PixelShuffle(2); ``x3``: conv + PixelShuffle(3)) and a 3x3
convolution to RGB. RCAB: conv-ReLU-conv, channel attention (global average pooling, 1x1 conv
down by ``reduction``, ReLU, 1x1 conv up, sigmoid) and a residual connection scaled by
``res_scale``. Inputs and outputs are RGB in ``[0, rgb_range]``; the DIV2K mean is subtracted
before the head and added after the tail (RCAN's ``MeanShift``).

Module names follow the authors' release (``head.0``, ``body.<g>.body.<b>.body.<i>``,
``tail.0.<i>``, ``tail.1``), so their ``RCAN_BIX<s>.pt`` state dicts load after dropping the
fixed ``sub_mean`` / ``add_mean`` keys (see :class:`~.super_resolution.FrozenSuperResolution`).
"""
import math
from typing import Sequence

import torch
from mmengine.model import BaseModule
from torch import nn

from mmdenoise.registry import MODELS

DIV2K_RGB_MEAN = (0.4488, 0.4371, 0.4040)


def _conv3x3(in_channels: int, out_channels: int) -> nn.Conv2d:
    return nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=True)


class ChannelAttention(nn.Module):
    """Squeeze-and-excitation channel attention of RCAB."""

    def __init__(self, channels: int, reduction: int = 16):
        super().__init__()
        hidden = max(1, channels // reduction)
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.conv_du = nn.Sequential(
            nn.Conv2d(channels, hidden, 1, bias=True), nn.ReLU(inplace=True),
            nn.Conv2d(hidden, channels, 1, bias=True), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.conv_du(self.avg_pool(x))


class RCAB(nn.Module):
    """Residual channel-attention block: ``x + res_scale * CA(conv(relu(conv(x))))``."""

    def __init__(self, channels: int, reduction: int = 16, res_scale: float = 1.0):
        super().__init__()
        self.res_scale = res_scale
        self.body = nn.Sequential(
            _conv3x3(channels, channels), nn.ReLU(inplace=True), _conv3x3(channels, channels),
            ChannelAttention(channels, reduction))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x) * self.res_scale


class ResidualGroup(nn.Module):
    """``n_resblocks`` RCABs and a 3x3 convolution with a short skip connection."""

    def __init__(self, channels: int, n_resblocks: int, reduction: int = 16,
                 res_scale: float = 1.0):
        super().__init__()
        blocks = [RCAB(channels, reduction, res_scale) for _ in range(n_resblocks)]
        self.body = nn.Sequential(*blocks, _conv3x3(channels, channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class Upsampler(nn.Sequential):
    """Pixel-shuffle up-sampling by ``scale`` (a power of 2, or 3)."""

    def __init__(self, scale: int, channels: int):
        layers = []
        if scale >= 2 and (scale & (scale - 1)) == 0:
            for _ in range(int(math.log2(scale))):
                layers += [_conv3x3(channels, 4 * channels), nn.PixelShuffle(2)]
        elif scale == 3:
            layers += [_conv3x3(channels, 9 * channels), nn.PixelShuffle(3)]
        else:
            raise ValueError(f'RCAN: scale must be a power of 2 or 3, got {scale}')
        super().__init__(*layers)


@MODELS.register_module()
class RCAN(BaseModule):
    """Residual channel attention network (RCAN, ECCV 2018).

    Args:
        scale: up-sampling factor (2, 3, 4, 8...).
        n_resgroups: residual groups (RCAN: 10).
        n_resblocks: RCABs per group (RCAN: 20).
        n_feats: feature channels (RCAN: 64).
        reduction: channel-attention reduction (RCAN: 16).
        res_scale: scale of the RCAB residual (RCAN: 1).
        rgb_range: pixel range of inputs and outputs (RCAN: 255).
        rgb_mean: mean subtracted before the head (DIV2K's, as RCAN).
        in_channels: image channels.
    """

    def __init__(self,
                 scale: int = 2,
                 n_resgroups: int = 10,
                 n_resblocks: int = 20,
                 n_feats: int = 64,
                 reduction: int = 16,
                 res_scale: float = 1.0,
                 rgb_range: float = 255.0,
                 rgb_mean: Sequence[float] = DIV2K_RGB_MEAN,
                 in_channels: int = 3,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if n_resgroups < 1 or n_resblocks < 1 or n_feats < 1:
            raise ValueError('RCAN: n_resgroups, n_resblocks and n_feats must be >= 1, got '
                             f'{n_resgroups}, {n_resblocks}, {n_feats}')
        if len(rgb_mean) != in_channels:
            raise ValueError(f'RCAN: rgb_mean has {len(rgb_mean)} values for {in_channels} '
                             'channels')
        self.scale = int(scale)
        self.register_buffer(
            'mean', torch.tensor(rgb_mean, dtype=torch.float32).view(1, -1, 1, 1) * rgb_range,
            persistent=False)
        self.head = nn.Sequential(_conv3x3(in_channels, n_feats))
        groups = [ResidualGroup(n_feats, n_resblocks, reduction, res_scale)
                  for _ in range(n_resgroups)]
        self.body = nn.Sequential(*groups, _conv3x3(n_feats, n_feats))
        self.tail = nn.Sequential(Upsampler(self.scale, n_feats), _conv3x3(n_feats, in_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, h, w)`` in ``[0, rgb_range]`` -> ``(B, C, scale*h, scale*w)``."""
        x = self.head(x - self.mean)
        x = x + self.body(x)
        return self.tail(x) + self.mean
