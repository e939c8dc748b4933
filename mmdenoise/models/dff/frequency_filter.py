"""The Deep Frequency Filtering operation (Lin et al., "Deep Frequency Filtering for Domain
Generalization", CVPR 2023; paper 004, the poster text).

Paper 004, "Overall framework": the feature map is transformed with the Fast Fourier Transform, a
light-weight module learns an *instance-adaptive attention mask* from the frequency
representation, the mask enhances the transferable frequency components and suppresses the
others, and the inverse FFT brings the filtered map back:

    X_F = FFT(X)                     torch.fft.rfft2(norm='ortho'); real and imaginary parts are
                                     concatenated as 2C real channels (the FFC Fourier unit)
    Z   = phi(X_F)                   optional 1x1 conv - BN - ReLU on that representation
                                     (``transform=True``, FFC's Fourier unit)
    M   = sigmoid(g(Z))              the mask, computed from Z
    Y   = iFFT(M * Z)                one mask value per frequency position, shared by the real
                                     and imaginary part of every channel

The ablations of the poster are options of :class:`DeepFrequencyFilter`:

* "Frequency-domain v.s. Original-domain filtering": ``domain='frequency'`` (Fre-F, DFF) or
  ``'spatial'`` (Ori-F: the same mask and transform on the feature map itself, no FFT);
* "The importance of instance-adaptive attention": ``adaptivity='instance'`` (a mask computed
  from each sample) or ``'task'`` (one learned mask shared by all samples), with
  ``attention='spatial'`` (S: one value per position) or ``'channel'`` (C: one value per
  channel); the paper's choice is Ins.(S);
* ``adaptivity=None``: no mask (the FFC Fourier unit alone, the poster's "SBase (FFC)").
"""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from torch import nn

from mmdenoise.registry import MODELS

DOMAINS = ('frequency', 'spatial')
ADAPTIVITIES = ('instance', 'task', None)
ATTENTIONS = ('spatial', 'channel')


class InstanceSpatialMask(nn.Module):
    """Ins.(S), the paper's mask: a spatial attention over the representation's positions.

    The channel-wise mean and max of the representation (2 maps) go through one
    ``kernel_size x kernel_size`` convolution and a sigmoid: ``(B, 1, H, W)``, in ``(0, 1)``
    (CBAM's spatial attention, computed here on the frequency map).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 7, **unused):
        super().__init__()
        if kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f'kernel_size must be a positive odd number, got {kernel_size}')
        self.conv = nn.Conv2d(2, 1, kernel_size, padding=kernel_size // 2, bias=True)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        stats = torch.cat([z.mean(1, keepdim=True), z.amax(1, keepdim=True)], 1)
        return torch.sigmoid(self.conv(stats))


class InstanceChannelMask(nn.Module):
    """Ins.(C): a channel attention, one value per channel and sample, ``(B, C, 1, 1)``.

    The mean and max over positions go through one shared two-layer MLP (1x1 convs,
    ``in_channels -> in_channels // reduction -> out_channels``); the two outputs are summed
    and squashed by a sigmoid (CBAM's channel attention).
    """

    def __init__(self, in_channels: int, out_channels: int, reduction: int = 4, **unused):
        super().__init__()
        hidden = max(in_channels // reduction, 1)
        self.fc1 = nn.Conv2d(in_channels, hidden, 1)
        self.relu = nn.ReLU(inplace=True)
        self.fc2 = nn.Conv2d(hidden, out_channels, 1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        pooled = torch.cat([z.mean((2, 3), keepdim=True), z.amax((2, 3), keepdim=True)], 0)
        avg, mx = self.fc2(self.relu(self.fc1(pooled))).chunk(2, 0)  # one MLP call
        return torch.sigmoid(avg + mx)


class TaskSpatialMask(nn.Module):
    """Task.(S): one learned mask over positions, the same for every sample, ``(1, 1, H, W)``.

    Its logits (initialised to 0: a mask of 0.5) have the shape ``size``; a representation of
    another size gets them bilinearly resized (the frequency grid of a stage depends on the
    input size).
    """

    def __init__(self, in_channels: int, out_channels: int,
                 size: Sequence[int] = (16, 9), **unused):
        super().__init__()
        size = tuple(int(s) for s in size)
        if len(size) != 2 or min(size) < 1:
            raise ValueError(f'task mask size must be (height, width), got {size}')
        self.logits = nn.Parameter(torch.zeros(1, 1, *size))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        logits = self.logits
        if tuple(logits.shape[-2:]) != tuple(z.shape[-2:]):
            logits = F.interpolate(logits, size=z.shape[-2:], mode='bilinear',
                                   align_corners=False)
        return torch.sigmoid(logits).to(z.dtype)


class TaskChannelMask(nn.Module):
    """Task.(C): one learned value per channel, the same for every sample, ``(1, C, 1, 1)``."""

    def __init__(self, in_channels: int, out_channels: int, **unused):
        super().__init__()
        self.logits = nn.Parameter(torch.zeros(1, out_channels, 1, 1))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.logits).to(z.dtype)


MASKS = {
    ('instance', 'spatial'): InstanceSpatialMask,
    ('instance', 'channel'): InstanceChannelMask,
    ('task', 'spatial'): TaskSpatialMask,
    ('task', 'channel'): TaskChannelMask,
}


def to_frequency(x: torch.Tensor) -> torch.Tensor:
    """``(B, C, H, W)`` -> ``(B, 2C, H, W // 2 + 1)``: real parts, then imaginary parts, of the
    orthonormal 2-D real FFT (computed in float32 at least)."""
    spectrum = torch.fft.rfft2(x.float() if x.dtype in (torch.float16, torch.bfloat16) else x,
                               norm='ortho')
    return torch.cat([spectrum.real, spectrum.imag], 1)


def from_frequency(z: torch.Tensor, size: Tuple[int, int], dtype: torch.dtype) -> torch.Tensor:
    """Inverse of :func:`to_frequency` for a map of spatial ``size``, cast to ``dtype``."""
    real, imag = z.float().chunk(2, 1) if z.dtype in (torch.float16,
                                                      torch.bfloat16) else z.chunk(2, 1)
    return torch.fft.irfft2(torch.complex(real, imag), s=size, norm='ortho').to(dtype)


@MODELS.register_module()
class DeepFrequencyFilter(nn.Module):
    """Deep Frequency Filtering of a ``(B, C, H, W)`` feature map (see the module docstring).

    Args:
        channels: C.
        domain: ``'frequency'`` (FFT -> mask -> iFFT, the paper) or ``'spatial'`` (the
            "original-domain" ablation: the mask acts on the feature map itself).
        transform: apply ``phi`` = 1x1 conv - BN - ReLU to the representation before masking
            (FFC's Fourier unit; on by default, as DFF is built in the FFC global branch). With
            ``transform=False`` and an all-ones mask the module is the identity.
        adaptivity: ``'instance'`` (mask computed per sample, the paper), ``'task'`` (one
            learned mask) or ``None`` (no mask).
        attention: ``'spatial'`` (one value per position, the paper) or ``'channel'``.
        kernel_size: kernel of the instance spatial mask's convolution (7, as CBAM; the poster
            does not give it).
        reduction: hidden-size divisor of the instance channel mask's MLP.
        task_mask_size: logits size of the task-level spatial mask (resized if needed).
        norm_cfg: the norm of ``phi``.
    """

    def __init__(self,
                 channels: int,
                 domain: str = 'frequency',
                 transform: bool = True,
                 adaptivity: Optional[str] = 'instance',
                 attention: str = 'spatial',
                 kernel_size: int = 7,
                 reduction: int = 4,
                 task_mask_size: Sequence[int] = (16, 9),
                 norm_cfg: dict = dict(type='BN')):
        super().__init__()
        if channels < 1:
            raise ValueError(f'DeepFrequencyFilter: channels must be >= 1, got {channels}')
        if domain not in DOMAINS:
            raise ValueError(f'DeepFrequencyFilter: domain must be one of {DOMAINS}, got '
                             f'{domain!r}')
        if adaptivity not in ADAPTIVITIES:
            raise ValueError(f'DeepFrequencyFilter: adaptivity must be one of {ADAPTIVITIES}, '
                             f'got {adaptivity!r}')
        if attention not in ATTENTIONS:
            raise ValueError(f'DeepFrequencyFilter: attention must be one of {ATTENTIONS}, '
                             f'got {attention!r}')
        self.channels = channels
        self.domain = domain
        self.adaptivity = adaptivity
        self.attention = attention
        rep_channels = 2 * channels if domain == 'frequency' else channels
        self.transform = transform
        if transform:
            self.conv = nn.Conv2d(rep_channels, rep_channels, 1, bias=False)
            self.bn = build_norm_layer(norm_cfg, rep_channels)[1]
            self.relu = nn.ReLU(inplace=True)
        self.mask = None
        if adaptivity is not None:
            self.mask = MASKS[(adaptivity, attention)](
                rep_channels, channels, kernel_size=kernel_size, reduction=reduction,
                size=task_mask_size)

    # ------------------------------------------------------------------ domain change
    def to_representation(self, x: torch.Tensor) -> torch.Tensor:
        """The map the mask acts on: the spectrum's real/imag channels, or ``x`` itself."""
        return to_frequency(x) if self.domain == 'frequency' else x

    def from_representation(self, z: torch.Tensor, size: Tuple[int, int],
                            dtype: torch.dtype) -> torch.Tensor:
        return from_frequency(z, size, dtype) if self.domain == 'frequency' else z.to(dtype)

    def expand_mask(self, mask: torch.Tensor) -> torch.Tensor:
        """A per-channel mask of C values covers the real and the imaginary channel of each of
        the C channels in the frequency domain; a single-channel mask broadcasts."""
        if self.domain == 'frequency' and mask.shape[1] == self.channels and self.channels > 1:
            return torch.cat([mask, mask], 1)
        return mask

    # ------------------------------------------------------------------ forward
    def compute_mask(self, z: torch.Tensor) -> torch.Tensor:
        """The mask for the representation ``z`` (after ``phi``), values in ``(0, 1)``:
        ``(B|1, 1, H', W')`` (spatial) or ``(B|1, C, 1, 1)`` (channel)."""
        if self.mask is None:
            raise RuntimeError('DeepFrequencyFilter(adaptivity=None) has no mask')
        return self.mask(z)

    def forward(self, x: torch.Tensor, mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Filter ``x``; ``mask`` replaces the learned mask (e.g. all ones, for checks)."""
        if x.dim() != 4 or x.shape[1] != self.channels:
            raise ValueError(f'DeepFrequencyFilter: expected (B, {self.channels}, H, W) input, '
                             f'got {tuple(x.shape)}')
        size = tuple(x.shape[-2:])
        z = self.to_representation(x)
        if self.transform:
            z = self.relu(self.bn(self.conv(z)))
        if mask is None and self.mask is not None:
            mask = self.compute_mask(z)
        if mask is not None:
            z = z * self.expand_mask(mask).to(z.dtype)
        return self.from_representation(z, size, x.dtype)

    def extra_repr(self) -> str:
        return (f'channels={self.channels}, domain={self.domain!r}, transform={self.transform}, '
                f'adaptivity={self.adaptivity!r}, attention={self.attention!r}')
