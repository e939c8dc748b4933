"""The Local Attention Module (LAM) of D-SELACFP (paper 002, section 2.2, Fig. 2)."""
from typing import List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import nn

from mmdenoise.registry import MODELS
from .dct import Frequencies, dct_filters

SPLIT_DIMS = {'height': 2, 'width': 3}


@MODELS.register_module()
class LocalAttentionModule(BaseModule):
    """Frequency channel attention computed per local region.

    The paper's three steps: (1) the feature map is divided into ``num_parts`` local regions
    (stripes along ``split_dim``; horizontal stripes by default, the usual part layout of
    person images); (2) each region is pooled by 2-D DCT filters (FcaNet multi-spectral pooling,
    :func:`~.dct.dct_filters`, a fixed buffer) and an SE-style excitation
    ``sigmoid(W2 relu(W1 z))`` gives that region's channel weights; (3) the map is
    reconstructed by re-weighting every region with its own weights and putting the regions
    back in place.

    A region whose size differs from ``dct_size`` is first average-pooled to it (FcaNet does
    the same when the map size differs from its DCT size), so unequal stripes (height not
    divisible by ``num_parts``) share one set of filters.

    Args:
        channels: channels of the feature map.
        num_parts: number of local regions ``n``.
        dct_size: ``(h, w)`` of the DCT filters (ideally the size of one region).
        frequencies: FcaNet selection name (``'top16'``...) or ``(u, v)`` pairs on the 7x7 grid.
        reduction: hidden width of the excitation is ``channels // reduction`` (at least 1).
        split_dim: ``'height'`` (horizontal stripes) or ``'width'`` (vertical stripes).
        share_excitation: one excitation MLP for all regions (else one per region).
        excitation_bias: biases in the excitation MLP (SE-Net has them, FcaNet not; with them
            a DenoiseRep denoiser on these layers folds its constant into the bias).
    """

    def __init__(self,
                 channels: int,
                 num_parts: int = 6,
                 dct_size: Sequence[int] = (7, 7),
                 frequencies: Frequencies = 'top16',
                 reduction: int = 16,
                 split_dim: str = 'height',
                 share_excitation: bool = True,
                 excitation_bias: bool = True,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if split_dim not in SPLIT_DIMS:
            raise ValueError(f"split_dim must be 'height' or 'width', got {split_dim!r}")
        if num_parts < 1:
            raise ValueError(f'num_parts must be >= 1, got {num_parts}')
        self.channels = channels
        self.num_parts = num_parts
        self.dct_size = (int(dct_size[0]), int(dct_size[1]))
        self.split_dim = split_dim
        self.share_excitation = share_excitation
        # a fixed function of the configuration: not saved in checkpoints
        self.register_buffer('dct_weight', dct_filters(channels, *self.dct_size, frequencies),
                             persistent=False)
        hidden = max(1, channels // reduction)
        count = 1 if share_excitation else num_parts
        self.excitations = nn.ModuleList([
            nn.Sequential(
                nn.Linear(channels, hidden, bias=excitation_bias), nn.ReLU(inplace=True),
                nn.Linear(hidden, channels, bias=excitation_bias)) for _ in range(count)
        ])

    def split(self, x: torch.Tensor) -> List[torch.Tensor]:
        """Step 1: the local regions (views of ``x``)."""
        dim = SPLIT_DIMS[self.split_dim]
        if x.dim() != 4 or x.shape[1] != self.channels:
            raise ValueError(f'LocalAttentionModule expects (B, {self.channels}, H, W) maps, '
                             f'got {tuple(x.shape)}')
        if x.shape[dim] < self.num_parts:
            raise ValueError(f'cannot split a {self.split_dim} of {x.shape[dim]} into '
                             f'{self.num_parts} regions')
        return list(torch.tensor_split(x, self.num_parts, dim=dim))

    def dct_pool(self, region: torch.Tensor) -> torch.Tensor:
        """Step 2a: multi-spectral DCT pooling of one region, ``(B, C, h, w) -> (B, C)``."""
        if tuple(region.shape[-2:]) != self.dct_size:
            region = F.adaptive_avg_pool2d(region, self.dct_size)
        return (region * self.dct_weight).sum(dim=(2, 3))

    def attention(self, x: torch.Tensor) -> torch.Tensor:
        """Step 2: the channel weights of every region, ``(B, num_parts, C)`` in ``(0, 1)``."""
        weights = []
        for i, region in enumerate(self.split(x)):
            excitation = self.excitations[0 if self.share_excitation else i]
            weights.append(torch.sigmoid(excitation(self.dct_pool(region))))
        return torch.stack(weights, dim=1)

    def reconstruct(self, x: torch.Tensor, attention: torch.Tensor) -> torch.Tensor:
        """Step 3: every region times its channel weights, regions put back in place."""
        regions = self.split(x)
        if attention.shape != (x.shape[0], len(regions), self.channels):
            raise ValueError(f'attention must be (B, {len(regions)}, {self.channels}), got '
                             f'{tuple(attention.shape)}')
        weighted = [region * attention[:, i, :, None, None] for i, region in enumerate(regions)]
        return torch.cat(weighted, dim=SPLIT_DIMS[self.split_dim])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.reconstruct(x, self.attention(x))
