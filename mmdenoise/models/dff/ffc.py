"""The two-branch convolution DFF is built in (the poster's ablation baseline "SBase (FFC)":
Fast Fourier Convolution, Chi et al., NeurIPS 2020).

The channels of a feature map are split into a *local* part (the first ``(1 - r) C``) and a
*global* part (the last ``r C``). A two-branch convolution computes

    Y_l = f_l(X_l) + f_{g->l}(X_g)            f_l, f_{g->l}, f_{l->g}: ordinary convolutions
    Y_g = f_{l->g}(X_l) + f_g(X_g)            f_g: the spectral transform, where DFF filters

and returns ``cat(Y_l, Y_g)``: the two streams travel as one tensor, concatenated along the
channels, so a two-branch convolution replaces an ``nn.Conv2d`` anywhere (BatchNorm and ReLU act
per channel, i.e. per branch, as in FFC). The poster's "Ori-F in f_l" ablation puts an
original-domain filter on the output of ``f_l`` (``local_filter_cfg``); "Ori-F in f_g" is
``filter_cfg=dict(domain='spatial')``.
"""
from typing import Optional

import torch
from mmcv.cnn import build_norm_layer
from torch import nn

from .frequency_filter import DeepFrequencyFilter


def split_channels(channels: int, ratio: float):
    """``(local, global)`` channel counts: ``global = int(channels * ratio)`` (as FFC)."""
    if not 0.0 <= ratio <= 1.0:
        raise ValueError(f'the global ratio must be in [0, 1], got {ratio}')
    global_channels = int(channels * ratio)
    return channels - global_channels, global_channels


class SpectralTransform(nn.Module):
    """``f_g``: FFC's spectral transform with a :class:`DeepFrequencyFilter` as Fourier unit.

    ``x -> [2x2 average pool if stride 2] -> 1x1 conv (C_in -> C_out / 2) - BN - ReLU -> h;
    out = 1x1 conv (C_out / 2 -> C_out) of (h + filter(h))`` (FFC's residual around the Fourier
    unit). FFC's optional local Fourier unit (LFU) is not used.

    Args:
        in_channels / out_channels: global channels in and out.
        stride: 1 or 2 (2: average pooling first, ``ceil_mode`` so that the size matches a
            stride-2 convolution with "same" padding).
        filter_cfg: :class:`DeepFrequencyFilter` keyword arguments (``channels`` and
            ``transform=True`` are set here).
        norm_cfg: norm config.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int = 1,
                 filter_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN')):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f'SpectralTransform: stride must be 1 or 2, got {stride}')
        if out_channels < 2:
            raise ValueError(f'SpectralTransform: needs at least 2 output channels, got '
                             f'{out_channels} (raise the width or the global ratio)')
        hidden = out_channels // 2
        self.downsample = nn.AvgPool2d(
            2, 2, ceil_mode=True, count_include_pad=False) if stride == 2 else nn.Identity()
        self.conv1 = nn.Sequential(
            nn.Conv2d(in_channels, hidden, 1, bias=False),
            build_norm_layer(norm_cfg, hidden)[1], nn.ReLU(inplace=True))
        cfg = dict(norm_cfg=norm_cfg)
        cfg.update(filter_cfg or {})
        cfg.update(channels=hidden, transform=True)
        self.filter = DeepFrequencyFilter(**cfg)
        self.conv2 = nn.Conv2d(hidden, out_channels, 1, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv1(self.downsample(x))
        return self.conv2(h + self.filter(h))


class FFCConv2d(nn.Module):
    """Two-branch (local / global) convolution with DFF in the global branch.

    A drop-in replacement of a bias-free ``nn.Conv2d(in_channels, out_channels, kernel_size,
    stride, padding, dilation)`` whose input is split at ``ratio_in`` and output at
    ``ratio_out`` (see the module docstring). Branches with no channels are left out (e.g.
    ``ratio_in=0``: the input is all local, as FFC's first block after the stem).

    Loading a plain convolution's ``weight`` (an ImageNet ResNet checkpoint) slices it into the
    ordinary branches: ``l2l = W[:out_l, :in_l]``, ``l2g = W[out_l:, :in_l]``,
    ``g2l = W[:out_l, in_l:]``; the global-to-global block has no counterpart in the spectral
    transform, whose weights keep their initialisation (reported as missing keys).

    Args:
        in_channels / out_channels / kernel_size / stride / padding / dilation: as
            ``nn.Conv2d``.
        ratio_in / ratio_out: global fraction of the input / output channels.
        filter_cfg: :class:`DeepFrequencyFilter` options of the spectral transform.
        local_filter_cfg: if given, a :class:`DeepFrequencyFilter` (default
            ``domain='spatial'``, ``transform=False``) on the output of ``l2l`` (the
            poster's "Ori-F in f_l" ablation).
        norm_cfg: norm config of the spectral transform.
    """

    BRANCHES = ('l2l', 'l2g', 'g2l', 'g2g')

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 kernel_size: int,
                 stride: int = 1,
                 padding: int = 0,
                 dilation: int = 1,
                 ratio_in: float = 0.5,
                 ratio_out: float = 0.5,
                 filter_cfg: Optional[dict] = None,
                 local_filter_cfg: Optional[dict] = None,
                 norm_cfg: dict = dict(type='BN'),
                 bias: bool = False):
        super().__init__()
        if bias:
            raise ValueError('FFCConv2d has no bias (it replaces the bias-free convolutions '
                             'of ResNet blocks)')
        self.in_channels, self.out_channels = in_channels, out_channels
        self.in_local, self.in_global = split_channels(in_channels, ratio_in)
        self.out_local, self.out_global = split_channels(out_channels, ratio_out)

        def conv(cin, cout):
            if cin == 0 or cout == 0:
                return None
            return nn.Conv2d(cin, cout, kernel_size, stride=stride, padding=padding,
                             dilation=dilation, bias=False)

        self.l2l = conv(self.in_local, self.out_local)
        self.l2g = conv(self.in_local, self.out_global)
        self.g2l = conv(self.in_global, self.out_local)
        self.g2g = None
        if self.in_global and self.out_global:
            self.g2g = SpectralTransform(self.in_global, self.out_global, stride, filter_cfg,
                                         norm_cfg)
        self.local_filter = None
        if local_filter_cfg is not None and self.l2l is not None:
            cfg = dict(domain='spatial', transform=False, norm_cfg=norm_cfg)
            cfg.update(local_filter_cfg)
            self.local_filter = DeepFrequencyFilter(self.out_local, **cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x_l, x_g = torch.split(x, [self.in_local, self.in_global], 1)
        outputs = []
        if self.out_local:
            y_l = self.l2l(x_l) if self.l2l is not None else 0
            if self.local_filter is not None:
                y_l = self.local_filter(y_l)
            outputs.append(y_l + self.g2l(x_g) if self.g2l is not None else y_l)
        if self.out_global:
            y_g = self.l2g(x_l) if self.l2g is not None else 0
            outputs.append(y_g + self.g2g(x_g) if self.g2g is not None else y_g)
        return torch.cat(outputs, 1) if len(outputs) > 1 else outputs[0]

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        plain = state_dict.pop(prefix + 'weight', None)
        if plain is not None:
            expected = (self.out_channels, self.in_channels)
            if tuple(plain.shape[:2]) != expected:
                raise ValueError(f'{prefix}weight: a plain convolution of shape '
                                 f'{tuple(plain.shape)} cannot initialise the two-branch '
                                 f'convolution {expected[0]} <- {expected[1]} channels')
            o, i = self.out_local, self.in_local
            parts = dict(l2l=plain[:o, :i], l2g=plain[o:, :i], g2l=plain[:o, i:])
            for name, value in parts.items():
                if getattr(self, name) is not None:
                    state_dict.setdefault(f'{prefix}{name}.weight', value.clone())
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def extra_repr(self) -> str:
        return (f'{self.in_channels} -> {self.out_channels}, local/global in '
                f'{self.in_local}/{self.in_global}, out {self.out_local}/{self.out_global}')
