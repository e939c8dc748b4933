"""Noise predictors: ``D(y, t) = Wd (y + e(t)) + bd`` on the channel dimension of a feature.

* ``Wd`` is ``C x C``, block-diagonal by ``groups`` (diagonal when ``groups == C``) and stored
  compactly as a ``(C, C // groups)`` tensor ``wd``: block ``g`` is ``wd[g*cb:(g+1)*cb]`` with
  ``cb = C // groups``. On a conv feature map it acts per pixel, i.e. as a grouped 1x1 conv.
* ``e(t)`` is a sinusoidal embedding of ``t`` followed by a small MLP
  (``Linear -> SiLU -> Linear``) to ``C`` channels; its last layer starts at zero, so
  ``e(t) = 0`` at initialisation. ``Wd`` starts small (``N(0, init_std^2)``), ``bd`` at zero.
* The *constant-free* variant has neither ``bd`` nor ``e(t)``: ``D(y, t) = Wd y``, so the
  constant ``a`` of its fused affine map is exactly zero (used on bias-free layers that have no
  BatchNorm to take the constant).

All parameters are plain ``nn.Parameter`` tensors of this module (no ``nn.Linear`` children) and
none is called ``weight``/``bias``: MMEngine's initialisers match layers by class name
(``Linear``, ``Conv2d``) or by ``isinstance(m, nn.Linear)`` and read ``m.weight``, so they never
touch the denoisers.
"""
import contextlib
import math
from typing import Optional, Sequence, Union

import torch
import torch.nn.functional as F
from torch import nn

from .schedule import DiffusionSchedule, StepLike

DISTANCES = ('l1+l2', 'l1', 'l2')
REDUCTIONS = ('mean', 'sum')


def sinusoidal_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """DDPM/Transformer sinusoidal embedding of (float) steps ``t``: ``(..., dim)``.

    ``[sin(t * f_0), ..., sin(t * f_{h-1}), cos(t * f_0), ..., cos(t * f_{h-1})]`` with
    ``h = dim // 2`` and ``f_i = 10000^(-i / h)``; zero-padded when ``dim`` is odd.
    """
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) *
                      torch.arange(half, dtype=t.dtype, device=t.device) / max(half, 1))
    args = t.unsqueeze(-1) * freqs
    emb = torch.cat([torch.sin(args), torch.cos(args)], dim=-1)
    if dim % 2:
        emb = F.pad(emb, (0, 1))
    return emb


def blockdiag_channel_map(y: torch.Tensor, wd: torch.Tensor, groups: int,
                          channel_dim: int) -> torch.Tensor:
    """Apply the block-diagonal ``Wd`` (compact ``(C, C // groups)``) to dim ``channel_dim``."""
    if channel_dim == 1 and y.dim() == 4:
        # (N, C, H, W): a grouped 1x1 convolution.
        return F.conv2d(y, wd[:, :, None, None], groups=groups)
    if channel_dim not in (-1, y.dim() - 1):
        moved = blockdiag_channel_map(y.movedim(channel_dim, -1), wd, groups, -1)
        return moved.movedim(-1, channel_dim)
    if groups == 1:
        return F.linear(y, wd)
    c, cb = wd.shape
    out = torch.einsum('...gj,goj->...go', y.unflatten(-1, (groups, cb)),
                       wd.view(groups, cb, cb))
    return out.flatten(-2)


def channel_view(v: torch.Tensor, y: torch.Tensor, channel_dim: int) -> torch.Tensor:
    """Reshape a per-channel vector ``(C,)`` or per-sample ``(N, C)`` to broadcast against ``y``."""
    cdim = channel_dim % y.dim()
    if v.dim() == 1:
        return v.view(-1, *([1] * (y.dim() - 1 - cdim)))
    # (N, C): N on dim 0 of y
    shape = [1] * y.dim()
    shape[0] = v.shape[0]
    shape[cdim] = v.shape[1]
    return v.view(shape)


def feature_distance(target: torch.Tensor, pred: torch.Tensor, distance: str = 'l1+l2',
                     reduction: str = 'mean') -> torch.Tensor:
    """``l1``: sum/mean of ``|d|``; ``l2``: sum/mean of ``d^2``; ``l1+l2``: both added."""
    if distance not in DISTANCES:
        raise ValueError(f'unknown distance {distance!r}, expected one of {DISTANCES}')
    if reduction not in REDUCTIONS:
        raise ValueError(f'unknown reduction {reduction!r}, expected one of {REDUCTIONS}')
    diff = pred - target
    terms = []
    if distance in ('l1', 'l1+l2'):
        terms.append(diff.abs())
    if distance in ('l2', 'l1+l2'):
        terms.append(diff.square())
    reduce = torch.mean if reduction == 'mean' else torch.sum
    return sum(reduce(term) for term in terms)


class NoisePredictor(nn.Module):
    """``D(y, t) = Wd (y + e(t)) + bd`` on the channels of a feature (see module docstring).

    Args:
        channels (int): ``C``.
        groups (int): number of diagonal blocks of ``Wd`` (``C`` for a diagonal ``Wd``).
        channel_dim (int): dim of the feature that holds the channels (-1 for Linear features,
            1 for conv feature maps).
        schedule (dict | DiffusionSchedule | None): the diffusion schedule.
        constant_free (bool): no ``bd`` and no ``e(t)``.
        time_embed_dim (int): size of the sinusoidal embedding.
        time_hidden_dim (int, optional): hidden size of the time MLP (default ``time_embed_dim``).
        loss (str): distance of the noise loss, ``'l1+l2'`` (authors), ``'l1'`` or ``'l2'``.
        loss_reduction (str): ``'mean'`` or ``'sum'`` over the elements of the feature.
        init_std (float): std of the initial ``Wd``.
    """

    def __init__(self,
                 channels: int,
                 groups: int = 1,
                 channel_dim: int = -1,
                 schedule: Union[dict, DiffusionSchedule, None] = None,
                 constant_free: bool = False,
                 time_embed_dim: int = 128,
                 time_hidden_dim: Optional[int] = None,
                 loss: str = 'l1+l2',
                 loss_reduction: str = 'mean',
                 init_std: float = 0.02):
        super().__init__()
        if channels < 1 or groups < 1 or channels % groups:
            raise ValueError(f'channels ({channels}) must be a positive multiple of groups '
                             f'({groups})')
        if loss not in DISTANCES:
            raise ValueError(f'unknown loss {loss!r}, expected one of {DISTANCES}')
        if loss_reduction not in REDUCTIONS:
            raise ValueError(f'unknown loss_reduction {loss_reduction!r}, '
                             f'expected one of {REDUCTIONS}')
        self.channels = int(channels)
        self.groups = int(groups)
        self.channel_dim = int(channel_dim)
        self.schedule = DiffusionSchedule.build(schedule)
        self.constant_free = bool(constant_free)
        self.time_embed_dim = int(time_embed_dim)
        self.time_hidden_dim = int(time_hidden_dim or time_embed_dim)
        self.loss = loss
        self.loss_reduction = loss_reduction
        self.init_std = float(init_std)

        self.wd = nn.Parameter(torch.empty(self.channels, self.channels // self.groups))
        if not self.constant_free:
            self.bd = nn.Parameter(torch.empty(self.channels))
            self.time_w1 = nn.Parameter(torch.empty(self.time_hidden_dim, self.time_embed_dim))
            self.time_b1 = nn.Parameter(torch.empty(self.time_hidden_dim))
            self.time_w2 = nn.Parameter(torch.empty(self.channels, self.time_hidden_dim))
            self.time_b2 = nn.Parameter(torch.empty(self.channels))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """``Wd ~ N(0, init_std^2)``, ``bd = 0``, time MLP with a zero last layer (``e(t) = 0``)."""
        with torch.no_grad():
            self.wd.normal_(0.0, self.init_std)
            if not self.constant_free:
                self.bd.zero_()
                self.time_w1.normal_(0.0, 1.0 / math.sqrt(self.time_embed_dim))
                self.time_b1.zero_()
                self.time_w2.zero_()
                self.time_b2.zero_()

    def extra_repr(self) -> str:
        return (f'channels={self.channels}, groups={self.groups}, channel_dim={self.channel_dim}, '
                f'constant_free={self.constant_free}, loss={self.loss!r}')

    # ------------------------------------------------------------------ the predictor
    def time_embedding(self, t: StepLike, dtype: Optional[torch.dtype] = None) -> torch.Tensor:
        """``e(t)``: ``(C,)`` for an int ``t``, ``(N, C)`` for a 1-D tensor of steps."""
        dtype = dtype or self.wd.dtype
        steps = torch.as_tensor(t, device=self.wd.device).to(dtype)
        emb = sinusoidal_embedding(steps, self.time_embed_dim)
        hidden = F.silu(F.linear(emb, self.time_w1.to(dtype), self.time_b1.to(dtype)))
        return F.linear(hidden, self.time_w2.to(dtype), self.time_b2.to(dtype))

    def constant(self, t: StepLike, dtype: Optional[torch.dtype] = None) -> Optional[torch.Tensor]:
        """The input-independent part of ``D``: ``Wd e(t) + bd`` (``None`` if constant-free).

        Computed in ``dtype`` promoted to at least float32, with autocast off, then cast to
        ``dtype``: under ``--amp`` (fp16 / bf16) the step ``t`` itself and the sinusoid would
        otherwise be rounded (bf16 holds 896 for t = 900), and the denoiser would learn on a
        different ``e(t)`` from the one :func:`~mmdenoise.denoiserep.fuse` folds in float64.
        """
        if self.constant_free:
            return None
        dtype = dtype or self.wd.dtype
        work = torch.promote_types(dtype, torch.float32)
        with _autocast_off(self.wd.device.type):
            e = self.time_embedding(t, work)
            const = blockdiag_channel_map(e, self.wd.to(work), self.groups, -1) + self.bd.to(work)
        return const.to(dtype)

    def forward(self, y: torch.Tensor, t: StepLike) -> torch.Tensor:
        """``D(y, t)``; ``t`` is an int or one step per sample (dim 0 of ``y``)."""
        out = blockdiag_channel_map(y, self.wd.to(y.dtype), self.groups, self.channel_dim)
        const = self.constant(t, y.dtype)
        if const is not None:
            out = out + channel_view(const, y, self.channel_dim)
        return out

    def reverse_step(self, y: torch.Tensor, t: int) -> torch.Tensor:
        """One deterministic reverse step ``c3(t) y - c1(t) D(y, t)`` (no ``sigma_t z`` term)."""
        c1, c3 = self.schedule.coefficients(t)
        return c3 * y - c1 * self(y, t)

    # ------------------------------------------------------------------ training
    def noise_loss(self, y0: torch.Tensor, t: StepLike) -> torch.Tensor:
        """``distance(eps, D(q_sample(y0, t, eps), t))`` with ``eps ~ N(0, I)``."""
        eps = torch.randn_like(y0)
        y_t = self.schedule.q_sample(y0, t, eps)
        return feature_distance(eps, self(y_t, t), self.loss, self.loss_reduction)

    def _check_channels(self, y: torch.Tensor, where: str) -> None:
        if y.dim() == 0 or y.shape[self.channel_dim] != self.channels:
            raise ValueError(f'{where}: expected {self.channels} channels on dim '
                             f'{self.channel_dim}, got a feature of shape {tuple(y.shape)}')


def _autocast_off(device_type: str):
    """A context with autocast disabled on ``device_type`` (a no-op where autocast is off or
    the device has none, e.g. ``meta``)."""
    if device_type in ('cpu', 'cuda', 'xpu', 'mps', 'hpu') and \
            torch.is_autocast_enabled(device_type):
        return torch.autocast(device_type=device_type, enabled=False)
    return contextlib.nullcontext()


def in_backward_pass() -> bool:
    """True while autograd runs a backward pass (where activation checkpointing recomputes
    forwards), False in an ordinary forward."""
    return torch._C._current_graph_task_id() != -1


def random_steps(steps: Sequence[int], y: torch.Tensor) -> StepLike:
    """One step per sample (dim 0 of ``y``) drawn uniformly from ``steps`` (int if only one)."""
    if len(steps) == 1:
        return int(steps[0])
    if y.dim() < 2:
        idx = int(torch.randint(len(steps), ()))
        return int(steps[idx])
    table = torch.as_tensor(list(steps), dtype=torch.long)
    return table[torch.randint(len(steps), (y.shape[0], ))]


TRAINING_MODES = ('label_free', 'label_augmented', 'denoiser', 'backbone')
_LOSS_MODES = ('label_free', 'label_augmented', 'denoiser')
MAX_PENDING_LOSSES = 64


class LayerDenoiser(NoisePredictor):
    """The denoiser of one wrapped ``nn.Linear`` / ``nn.Conv2d`` (a child named ``denoiser``).

    It owns the fixed steps of its layer, ``steps = (t, t-1, ..., t-k+1)`` (applied in that
    order), and decides in :meth:`process` what the layer hook does with the feature:

    * eval mode, or training in the ``'backbone'`` phase: returns the denoised feature
      (the ``k`` deterministic reverse steps; what the fused layer computes);
    * training, ``'label_free'``: records the noise loss, returns the feature unchanged;
    * training, ``'label_augmented'`` / ``'denoiser'``: records the noise loss and returns the
      denoised feature.

    The noise loss draws one of the layer's steps per sample and is computed on the detached
    feature unless ``detach_features`` is False. With ``loss_sample_ratio < 1`` it is computed on
    a random subset of the feature's positions (tokens / pixels, all channels of each): an
    unbiased estimate of the same loss (rescaled for ``'sum'``) at a fraction of the denoisers'
    training cost; eval and fusion are unaffected.

    Args:
        channels, groups, channel_dim, schedule, constant_free, ...: see :class:`NoisePredictor`.
        steps (Sequence[int]): the layer's steps, strictly decreasing by one.
        side (str): ``'output'`` (denoise the layer's output) or ``'input'``.
        layer_name (str): name of the wrapped layer (for messages).
        fold_norm (tuple, optional): ``(levels_up, path)`` of the BatchNorm that takes the
            constant of a bias-free layer, relative to the wrapped layer.
        loss_sample_ratio (float): fraction of the feature's positions the noise loss is
            computed on, in ``(0, 1]`` (default 1: all).
    """

    def __init__(self, channels: int, steps: Sequence[int], side: str = 'output',
                 layer_name: str = '', fold_norm: Optional[tuple] = None,
                 loss_sample_ratio: float = 1.0, **kwargs):
        super().__init__(channels, **kwargs)
        if not 0.0 < float(loss_sample_ratio) <= 1.0:
            raise ValueError(f'{layer_name}: loss_sample_ratio must be in (0, 1], got '
                             f'{loss_sample_ratio}')
        self.loss_sample_ratio = float(loss_sample_ratio)
        steps = tuple(int(s) for s in steps)
        if not steps or any(a - b != 1 for a, b in zip(steps, steps[1:])):
            raise ValueError(f'{layer_name}: steps must be consecutive and decreasing, got {steps}')
        self.schedule._index(list(steps))  # range check
        if side not in ('output', 'input'):
            raise ValueError(f"{layer_name}: side must be 'output' or 'input', got {side!r}")
        self.steps = steps
        self.side = side
        self.layer_name = layer_name
        self.fold_norm = fold_norm
        self.mode = 'label_free'
        self.detach_features = True
        self.num_calls = 0
        self._pending_losses = []

    def extra_repr(self) -> str:
        constant = ('none' if self.constant_free else
                    'batchnorm' if self.fold_norm is not None else 'bias')
        return (f'{super().extra_repr()}, steps={list(self.steps)}, side={self.side!r}, '
                f'constant={constant!r}')

    def __getstate__(self):
        # Pending losses hold autograd graphs: never deep-copy or pickle them.
        state = super().__getstate__()
        state['_pending_losses'] = []
        return state

    def denoise(self, y: torch.Tensor) -> torch.Tensor:
        """The ``k`` reverse steps ``t, t-1, ..., t-k+1`` applied one after the other."""
        self._check_channels(y, self.layer_name or 'denoiser')
        for t in self.steps:
            y = self.reverse_step(y, t)
        return y

    def process(self, feature: torch.Tensor) -> torch.Tensor:
        """What the layer hook returns for ``feature`` (see the class docstring)."""
        if not torch.is_tensor(feature):
            raise TypeError(f'{self.layer_name}: the denoised feature must be a tensor, got '
                            f'{type(feature).__name__}')
        if self.channel_dim == 1 and feature.dim() == 3:  # unbatched (C, H, W) conv feature
            return self.process(feature.unsqueeze(0)).squeeze(0)
        recompute = in_backward_pass()
        if not recompute:
            self.num_calls += 1
        if self.training and self.mode in _LOSS_MODES:
            y0 = feature.detach() if self.detach_features else feature
            self._check_channels(y0, self.layer_name or 'denoiser')
            if len(self._pending_losses) >= MAX_PENDING_LOSSES:
                raise RuntimeError(
                    f'{self.layer_name}: {len(self._pending_losses)} noise losses were recorded '
                    'and never collected; call collect_noise_losses(model) after each training '
                    'forward (or put the model in eval mode when only running inference)')
            loss = self._sampled_noise_loss(y0)
            # An activation-checkpointing recompute (with_cp=True) runs this forward again
            # inside backward: its loss is the one already recorded. It is still computed, so
            # that the recompute draws the same random numbers as the forward (dropout etc.
            # after this layer see the same RNG stream), but not recorded a second time.
            if not recompute:
                self._pending_losses.append(loss)
            if self.mode == 'label_free':
                return feature
        return self.denoise(feature)

    def sample_positions(self, y: torch.Tensor) -> torch.Tensor:
        """``y`` as ``(positions, C)`` rows, a random ``loss_sample_ratio`` of them (at least
        one); ``y`` itself when the ratio is 1 or ``y`` has no positions beyond its channels."""
        if self.loss_sample_ratio >= 1.0 or y.dim() < 2:
            return y
        rows = y.movedim(self.channel_dim, -1).reshape(-1, y.shape[self.channel_dim])
        keep = max(1, int(round(self.loss_sample_ratio * rows.shape[0])))
        return rows[torch.randperm(rows.shape[0], device=rows.device)[:keep]]

    def _sampled_noise_loss(self, y0: torch.Tensor) -> torch.Tensor:
        rows = self.sample_positions(y0)
        if rows is y0:
            return self.noise_loss(y0, random_steps(self.steps, y0))
        # rows are (M, C): channels on dim 1 == dim -1, whatever the layer's channel_dim
        loss = self.noise_loss(rows, random_steps(self.steps, rows))
        if self.loss_reduction == 'sum':
            loss = loss * (y0.numel() / rows.numel())
        return loss

    def pop_losses(self) -> list:
        """The noise losses recorded since the last call (and forget them)."""
        losses, self._pending_losses = self._pending_losses, []
        return losses
