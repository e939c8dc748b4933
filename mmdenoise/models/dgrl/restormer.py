"""The residual Restormer block of DGRL's feature extraction branches (paper Sec. III-B.2).

Restormer (Zamir et al., CVPR 2022) block, paper Fig. 3 and Eqs. (1)-(4):

* **MDTA** (Multi-Dconv Head Transposed Attention, Eqs. 1-2): ``Q, K, V`` from a 1x1 point-wise
  convolution followed by a 3x3 depth-wise convolution; per head, ``Q`` and ``K`` are reshaped to
  ``(C/heads, HW)`` and L2-normalised over ``HW``; the attention map is the **channel-wise**
  ``(C/heads) x (C/heads)`` matrix ``softmax(K Q / alpha)`` (``alpha`` a learnable per-head
  temperature), applied to ``V``, then a 1x1 output projection. Its cost is linear in ``HW``.
* **GDFN** (Gated-Dconv Feed-forward Network, Eq. 3): 1x1 convolution to ``2 x hidden``
  channels, 3x3 depth-wise convolution, ``GELU(x1) * x2`` gating, 1x1 projection back.
* Block (Eq. 4): ``X = X + MDTA(LN(X))``; ``X = X + GDFN(LN(X))`` with a LayerNorm over the
  channels of each pixel.

DGRL embeds the block in one more residual connection (Sec. III-B.2, "the final representations
are obtained by adding the input and output of the Restormer block"):
:class:`ResidualRestormerBlock` returns ``X + Block(X)`` (``outer_residual=False`` drops it).
"""
from typing import Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import nn

from mmdenoise.registry import MODELS


class ChannelLayerNorm(nn.Module):
    """LayerNorm over the channels of every pixel of a ``(B, C, H, W)`` map (Restormer's
    ``WithBias`` LayerNorm; ``bias=False`` gives its ``BiasFree`` variant)."""

    def __init__(self, channels: int, bias: bool = True, eps: float = 1e-5):
        super().__init__()
        self.norm = nn.LayerNorm(channels, eps=eps, elementwise_affine=True, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class MDTA(nn.Module):
    """Multi-Dconv Head Transposed Attention (paper Eqs. 1-2).

    Args:
        channels: C.
        num_heads: attention heads (DGRL: 4); ``C`` must be divisible by it.
        bias: biases of the convolutions (Restormer: False).
    """

    def __init__(self, channels: int, num_heads: int = 4, bias: bool = False):
        super().__init__()
        if channels % num_heads:
            raise ValueError(f'MDTA: channels ({channels}) must be divisible by num_heads '
                             f'({num_heads})')
        self.num_heads = num_heads
        self.temperature = nn.Parameter(torch.ones(num_heads, 1, 1))
        self.qkv = nn.Conv2d(channels, channels * 3, 1, bias=bias)
        self.qkv_dwconv = nn.Conv2d(channels * 3, channels * 3, 3, padding=1,
                                    groups=channels * 3, bias=bias)
        self.project_out = nn.Conv2d(channels, channels, 1, bias=bias)

    def _heads(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        return x.reshape(b, self.num_heads, c // self.num_heads, h * w)

    def qkv_heads(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``Q, K, V`` of Eq. 1, each ``(B, heads, C/heads, HW)``."""
        q, k, v = self.qkv_dwconv(self.qkv(x)).chunk(3, dim=1)
        return self._heads(q), self._heads(k), self._heads(v)

    def attention_map(self, q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        """The transposed (channel-wise) attention of Eq. 2, ``(B, heads, C/heads, C/heads)``;
        each row sums to one."""
        q = F.normalize(q, dim=-1)
        k = F.normalize(k, dim=-1)
        return (q @ k.transpose(-2, -1) * self.temperature).softmax(dim=-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = x.shape
        q, k, v = self.qkv_heads(x)
        out = self.attention_map(q, k) @ v
        return self.project_out(out.reshape(b, c, h, w))


class GDFN(nn.Module):
    """Gated-Dconv Feed-forward Network (paper Eq. 3).

    Args:
        channels: C.
        expansion: hidden channels = ``int(C * expansion)`` (Restormer: 2.66).
        bias: biases of the convolutions (Restormer: False).
    """

    def __init__(self, channels: int, expansion: float = 2.66, bias: bool = False):
        super().__init__()
        hidden = int(channels * expansion)
        if hidden < 1:
            raise ValueError(f'GDFN: expansion {expansion} gives no hidden channel')
        self.project_in = nn.Conv2d(channels, hidden * 2, 1, bias=bias)
        self.dwconv = nn.Conv2d(hidden * 2, hidden * 2, 3, padding=1, groups=hidden * 2,
                                bias=bias)
        self.project_out = nn.Conv2d(hidden, channels, 1, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1, x2 = self.dwconv(self.project_in(x)).chunk(2, dim=1)
        return self.project_out(F.gelu(x1) * x2)


class RestormerBlock(nn.Module):
    """``X = X + MDTA(LN(X)); X = X + GDFN(LN(X))`` (paper Eq. 4)."""

    def __init__(self, channels: int, num_heads: int = 4, ffn_expansion: float = 2.66,
                 bias: bool = False, layer_norm_bias: bool = True):
        super().__init__()
        self.norm1 = ChannelLayerNorm(channels, bias=layer_norm_bias)
        self.attn = MDTA(channels, num_heads, bias)
        self.norm2 = ChannelLayerNorm(channels, bias=layer_norm_bias)
        self.ffn = GDFN(channels, ffn_expansion, bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.ffn(self.norm2(x))


@MODELS.register_module()
class ResidualRestormerBlock(BaseModule):
    """One or more Restormer blocks inside a residual connection (DGRL Sec. III-B.2).

    Args:
        channels: input / output channels.
        num_blocks: Restormer blocks in the residual path (DGRL: 1).
        num_heads: MDTA heads (DGRL: 4).
        ffn_expansion: GDFN expansion (Restormer default 2.66; DGRL does not say).
        bias: biases of the convolutions (Restormer default False).
        outer_residual: return ``x + blocks(x)`` (the paper) instead of ``blocks(x)``.
    """

    def __init__(self, channels: int, num_blocks: int = 1, num_heads: int = 4,
                 ffn_expansion: float = 2.66, bias: bool = False, layer_norm_bias: bool = True,
                 outer_residual: bool = True, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        if num_blocks < 1:
            raise ValueError(f'ResidualRestormerBlock: num_blocks must be >= 1, got {num_blocks}')
        self.outer_residual = outer_residual
        self.blocks = nn.Sequential(*[
            RestormerBlock(channels, num_heads, ffn_expansion, bias, layer_norm_bias)
            for _ in range(num_blocks)
        ])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.blocks(x)
        return x + out if self.outer_residual else out
