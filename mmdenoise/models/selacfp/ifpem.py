"""The Inter-modal Feature Perception Enhancement module (IFPEM / I-MFPE) of D-SELACFP
(paper 002, section 2.3, Fig. 3)."""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import nn

from mmdenoise.registry import MODELS


@MODELS.register_module()
class InterModalFeaturePerceptionEnhancement(BaseModule):
    """Cross-scale spatial attention from a low-level and a high-level feature map.

    As section 2.3 describes it: two independent 1x1 convolutions bring the low-level map to
    ``low_proj_channels`` (64) and the high-level map to ``high_proj_channels`` (256) channels
    (each with BN + ReLU, the "1x1 convolution, BN, ReLU" of section 2.1); the projected
    high-level map is bilinearly up-sampled to the low-level size; the concatenation goes through
    two 3x3 convolutions (BN + ReLU) and one 1x1 convolution to a single channel: the spatial
    attention logits ``A`` (at the low-level resolution).

    The paper does not say which map ``A`` re-weights nor how. Here it re-weights the high-level
    map (the "cross-scale guided feature": details of the low-level map guide where the
    semantic map looks): ``A`` is resized bilinearly to the high-level size and

        out = high * (1 + sigmoid(A))   (``residual=True``, default)
        out = high * sigmoid(A)         (``residual=False``)

    The residual form keeps the pretrained signal at initialisation (sigmoid(0) = 0.5 would
    otherwise halve every activation the following layers were trained on).

    Args:
        low_channels: channels of the low-level map.
        high_channels: channels of the high-level map (and of the output).
        low_proj_channels / high_proj_channels: the paper's 64 and 256.
        fuse_channels: output channels of the two 3x3 convolutions.
        residual: see above.
        norm_cfg / act_cfg: of the projection and 3x3 convolutions.
    """

    def __init__(self,
                 low_channels: int,
                 high_channels: int,
                 low_proj_channels: int = 64,
                 high_proj_channels: int = 256,
                 fuse_channels: Sequence[int] = (256, 64),
                 residual: bool = True,
                 norm_cfg: dict = dict(type='BN'),
                 act_cfg: dict = dict(type='ReLU'),
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if len(fuse_channels) != 2:
            raise ValueError(f'fuse_channels must give the two 3x3 convolutions, got '
                             f'{fuse_channels!r}')
        self.low_channels = low_channels
        self.high_channels = high_channels
        self.residual = residual
        conv = dict(norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.low_proj = ConvModule(low_channels, low_proj_channels, 1, **conv)
        self.high_proj = ConvModule(high_channels, high_proj_channels, 1, **conv)
        mid1, mid2 = fuse_channels
        self.fuse = nn.Sequential(
            ConvModule(low_proj_channels + high_proj_channels, mid1, 3, padding=1, **conv),
            ConvModule(mid1, mid2, 3, padding=1, **conv),
            nn.Conv2d(mid2, 1, 1))

    def attention_logits(self, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
        """``A``: ``(B, 1, H_low, W_low)`` cross-scale attention logits."""
        for name, x, channels in (('low', low, self.low_channels),
                                  ('high', high, self.high_channels)):
            if x.dim() != 4 or x.shape[1] != channels:
                raise ValueError(f'IFPEM: the {name}-level map must be (B, {channels}, H, W), '
                                 f'got {tuple(x.shape)}')
        if low.shape[0] != high.shape[0]:
            raise ValueError(f'IFPEM: batch sizes differ ({low.shape[0]} vs {high.shape[0]})')
        low_p = self.low_proj(low)
        high_p = self.high_proj(high)
        if high_p.shape[-2:] != low_p.shape[-2:]:
            high_p = F.interpolate(high_p, size=low_p.shape[-2:], mode='bilinear',
                                   align_corners=False)
        return self.fuse(torch.cat([low_p, high_p], dim=1))

    def forward(self, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
        """The re-weighted high-level map (same shape as ``high``)."""
        logits = self.attention_logits(low, high)
        if logits.shape[-2:] != high.shape[-2:]:
            logits = F.interpolate(logits, size=high.shape[-2:], mode='bilinear',
                                   align_corners=False)
        gate = torch.sigmoid(logits)
        return high * (1 + gate) if self.residual else high * gate
