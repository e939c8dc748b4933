"""Per-iteration seeding, so that a resumed run repeats an uninterrupted one exactly."""
import random

import numpy as np
import torch
from mmengine.hooks import Hook

from mmdenoise.registry import HOOKS


@HOOKS.register_module()
class IterationSeedHook(Hook):
    """Reseed torch / numpy / random before every training iteration from ``(seed, iteration)``.

    MMEngine restores the seed on ``--resume`` but not the random state, so the diffusion noise
    drawn after a resume differs from an uninterrupted run. Seeding each iteration from its index
    makes every iteration's random draws (noise, dropout, in-process augmentation) a function of
    the iteration alone. Dataloader workers keep MMEngine's per-epoch seeding.

    Args:
        seed: base seed; default: the runner's seed (``randomness.seed``).
    """

    priority = 'VERY_HIGH'

    def __init__(self, seed=None):
        self.seed = seed

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        base = self.seed if self.seed is not None else (runner.seed or 0)
        value = (int(base) * 1_000_003 + runner.iter) % (2**31)
        random.seed(value)
        np.random.seed(value)
        torch.manual_seed(value)
