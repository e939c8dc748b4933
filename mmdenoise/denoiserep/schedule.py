"""The diffusion schedule and the coefficients of one reverse (denoising) step.

Steps are 1-indexed, ``t`` in ``[1, T]``; ``abar_0 = 1`` by convention.

* ``beta_t``: linear from ``beta_start`` to ``beta_end`` over ``T`` steps.
* ``alpha_t = 1 - beta_t`` and ``abar_t = prod_{s <= t} alpha_s``.
* forward (noising): ``y_t = sqrt(abar_t) * y_0 + sqrt(1 - abar_t) * eps``.
* reverse step with a noise predictor ``D``:
  ``y_{t-1} = c3(t) * y_t - c1(t) * D(y_t, t)  [+ sigma_t * z]`` with
  ``c3(t) = 1 / sqrt(alpha_t)``, ``c1(t) = beta_t / (sqrt(alpha_t) * sqrt(1 - abar_t))`` and
  ``sigma_t^2 = beta_t * (1 - abar_{t-1}) / (1 - abar_t)``.

All tables are float64 so that fusion can be done in double precision.
"""
from typing import Union

import torch

StepLike = Union[int, torch.Tensor]


class DiffusionSchedule:
    """Linear-beta diffusion schedule.

    The defaults (``T = 1000``, ``beta`` from ``1e-4`` to ``2e-3``) are the values of the
    DenoiseRep authors' code. Standard DDPM uses ``beta_end = 2e-2``: pass it explicitly.

    Args:
        num_steps (int): ``T``, the number of diffusion steps.
        beta_start (float): ``beta_1``.
        beta_end (float): ``beta_T``.
    """

    def __init__(self, num_steps: int = 1000, beta_start: float = 1e-4, beta_end: float = 2e-3):
        if int(num_steps) != num_steps or num_steps < 1:
            raise ValueError(f'num_steps must be a positive integer, got {num_steps!r}')
        if not 0.0 < beta_start <= beta_end < 1.0:
            raise ValueError('need 0 < beta_start <= beta_end < 1, got '
                             f'beta_start={beta_start!r}, beta_end={beta_end!r}')
        self.num_steps = int(num_steps)
        self.beta_start = float(beta_start)
        self.beta_end = float(beta_end)
        self.betas = torch.linspace(self.beta_start, self.beta_end, self.num_steps,
                                    dtype=torch.float64)
        self.alphas = 1.0 - self.betas
        self.alphas_cumprod = torch.cumprod(self.alphas, dim=0)
        # abar_{t-1} for t = 1..T (abar_0 = 1)
        self.alphas_cumprod_prev = torch.cat(
            [torch.ones(1, dtype=torch.float64), self.alphas_cumprod[:-1]])
        steps = torch.arange(1, self.num_steps + 1)
        # python floats for the hot path of the reverse steps
        self._c1_c3 = list(zip(self.c1(steps).tolist(), self.c3(steps).tolist()))

    # ------------------------------------------------------------------ construction helpers
    @classmethod
    def build(cls, schedule=None) -> 'DiffusionSchedule':
        """A schedule from ``None`` (defaults), a dict of keyword arguments or a schedule."""
        if schedule is None:
            return cls()
        if isinstance(schedule, DiffusionSchedule):
            return schedule
        if isinstance(schedule, dict):
            return cls(**schedule)
        raise TypeError(f'schedule must be None, a dict or a DiffusionSchedule, got {schedule!r}')

    def to_dict(self) -> dict:
        return dict(num_steps=self.num_steps, beta_start=self.beta_start, beta_end=self.beta_end)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(num_steps={self.num_steps}, '
                f'beta_start={self.beta_start}, beta_end={self.beta_end})')

    def __eq__(self, other) -> bool:
        return isinstance(other, DiffusionSchedule) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(tuple(self.to_dict().items()))

    # ------------------------------------------------------------------ tables
    def _index(self, t: StepLike) -> torch.Tensor:
        """0-based index of step ``t`` (int or integer tensor), checked to lie in [1, T]."""
        idx = torch.as_tensor(t)
        if idx.is_floating_point() or idx.is_complex():
            raise TypeError(f'diffusion step must be an integer, got {t!r}')
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 1 or hi > self.num_steps:
            raise ValueError(f'diffusion step out of range [1, {self.num_steps}]: '
                             f'got values in [{lo}, {hi}]')
        return idx.long().cpu() - 1

    def beta(self, t: StepLike) -> torch.Tensor:
        return self.betas[self._index(t)]

    def alpha(self, t: StepLike) -> torch.Tensor:
        return self.alphas[self._index(t)]

    def alpha_bar(self, t: StepLike) -> torch.Tensor:
        return self.alphas_cumprod[self._index(t)]

    def c1(self, t: StepLike) -> torch.Tensor:
        """``beta_t / (sqrt(alpha_t) * sqrt(1 - abar_t))`` (float64)."""
        i = self._index(t)
        return self.betas[i] / (self.alphas[i].sqrt() * (1.0 - self.alphas_cumprod[i]).sqrt())

    def coefficients(self, t: int) -> tuple:
        """``(c1(t), c3(t))`` as python floats (float64 values) for one integer step."""
        if not 1 <= int(t) <= self.num_steps or int(t) != t:
            raise ValueError(f'diffusion step out of range [1, {self.num_steps}]: got {t!r}')
        return self._c1_c3[int(t) - 1]

    def c3(self, t: StepLike) -> torch.Tensor:
        """``1 / sqrt(alpha_t)`` (float64)."""
        return self.alphas[self._index(t)].rsqrt()

    def sigma(self, t: StepLike) -> torch.Tensor:
        """``sqrt(beta_t * (1 - abar_{t-1}) / (1 - abar_t))`` (float64; 0 at ``t = 1``)."""
        i = self._index(t)
        var = self.betas[i] * (1.0 - self.alphas_cumprod_prev[i]) / (1.0 - self.alphas_cumprod[i])
        return var.sqrt()

    # ------------------------------------------------------------------ forward process
    def q_sample(self, y0: torch.Tensor, t: StepLike, eps: torch.Tensor) -> torch.Tensor:
        """``y_t = sqrt(abar_t) * y0 + sqrt(1 - abar_t) * eps``.

        ``t`` is an int (one step for the whole tensor) or a 1-D integer tensor with one step per
        sample along dim 0 of ``y0``.
        """
        if eps.shape != y0.shape:
            raise ValueError(f'eps shape {tuple(eps.shape)} != y0 shape {tuple(y0.shape)}')
        abar = self.alpha_bar(t)
        if abar.dim() == 1:
            if y0.dim() == 0 or abar.numel() != y0.shape[0]:
                raise ValueError(f'{abar.numel()} per-sample steps for a batch of shape '
                                 f'{tuple(y0.shape)}')
            abar = abar.view(-1, *([1] * (y0.dim() - 1)))
        elif abar.dim() != 0:
            raise ValueError('t must be an int or a 1-D tensor of steps')
        abar = abar.to(device=y0.device)
        return (abar.sqrt().to(y0.dtype) * y0 + (1.0 - abar).sqrt().to(y0.dtype) * eps)
