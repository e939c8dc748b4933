"""DenoiseRep- (the paper's FEFDUF baseline): one denoiser on the final feature.

A single noise predictor ``D(y, t)`` with a *dynamic* step is trained like DDPM on the
backbone's final feature (random ``t`` per sample) and, at inference, run recursively for ``T'``
deterministic reverse steps ``t = T', ..., 1``:
``y_{t-1} = c3(t) y_t - c1(t) D(y_t, t)``. It is not fused, so it costs extra latency.
"""
from typing import Optional

import torch

from .denoisers import NoisePredictor


class FeatureDenoiser(NoisePredictor):
    """Recursive feature denoiser (DenoiseRep-).

    Args:
        dim (int): channels of the feature.
        schedule (dict | DiffusionSchedule | None): the diffusion schedule (default: authors').
        inference_steps (int): ``T'`` (the paper: 10 for ViT-B, 15 for ViT-S).
        train_max_step (int, optional): training draws ``t`` uniformly in
            ``[1, train_max_step]`` (default: the whole schedule, as DDPM).
        channel_dim (int): -1 for ``(N, ..., C)`` vectors/tokens, 1 for ``(N, C, H, W)`` maps.
        **kwargs: see :class:`NoisePredictor` (groups, loss, time_embed_dim, ...).
    """

    def __init__(self, dim: int, schedule=None, inference_steps: int = 15,
                 train_max_step: Optional[int] = None, channel_dim: int = -1, **kwargs):
        super().__init__(dim, channel_dim=channel_dim, schedule=schedule, **kwargs)
        total = self.schedule.num_steps
        if not 1 <= int(inference_steps) <= total:
            raise ValueError(f'inference_steps must be in [1, {total}], got {inference_steps}')
        self.inference_steps = int(inference_steps)
        self.train_max_step = int(train_max_step or total)
        if not 1 <= self.train_max_step <= total:
            raise ValueError(f'train_max_step must be in [1, {total}], got {train_max_step}')

    def extra_repr(self) -> str:
        return (f'{super().extra_repr()}, inference_steps={self.inference_steps}, '
                f'train_max_step={self.train_max_step}')

    def noise_loss(self, feat: torch.Tensor, t=None) -> torch.Tensor:
        """DDPM loss on ``feat`` with one random step per sample (or the given ``t``)."""
        self._check_channels(feat, type(self).__name__)
        if t is None:
            if feat.dim() < 2:
                t = int(torch.randint(1, self.train_max_step + 1, ()))
            else:
                t = torch.randint(1, self.train_max_step + 1, (feat.shape[0], ))
        return super().noise_loss(feat, t)

    def forward(self, feat: torch.Tensor, t=None) -> torch.Tensor:
        """Denoise ``feat`` with ``T'`` reverse steps; ``forward(y, t)`` is the raw ``D(y, t)``."""
        if t is not None:
            return super().forward(feat, t)
        self._check_channels(feat, type(self).__name__)
        for step in range(self.inference_steps, 0, -1):
            feat = self.reverse_step(feat, step)
        return feat
