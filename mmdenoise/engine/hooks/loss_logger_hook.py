"""Logging of the per-layer noise losses."""
import json
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from mmdenoise.registry import HOOKS
from ._utils import unwrap_denoiserep


@HOOKS.register_module()
class DenoiseLossLoggerHook(Hook):
    """Every ``interval`` training iterations: log a one-line summary of the per-layer noise
    losses (mean, and the lowest / highest layer), send every layer's value to the visualizer's
    backends as ``denoise/<layer>`` scalars, and append them to ``work_dir/<filename>`` (JSON
    lines, one object per logged iteration)."""

    priority = 'BELOW_NORMAL'

    def __init__(self, interval: int = 50, filename: str = 'denoise_losses.jsonl'):
        if interval <= 0:
            raise ValueError(f'interval must be positive, got {interval}')
        self.interval = interval
        self.filename = filename

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if not self.every_n_train_iters(runner, self.interval):
            return
        model = unwrap_denoiserep(runner, type(self).__name__)
        losses = {name: float(v) for name, v in model.last_noise_losses.items()}
        if not losses or not is_main_process():
            return
        low = min(losses, key=losses.get)
        high = max(losses, key=losses.get)
        mean = sum(losses.values()) / len(losses)
        runner.logger.info(
            f'DenoiseRep noise loss over {len(losses)} layers: mean {mean:.4f}, '
            f'min {losses[low]:.4f} ({low}), max {losses[high]:.4f} ({high})')
        runner.visualizer.add_scalars({f'denoise/{k}': v for k, v in losses.items()},
                                      step=runner.iter + 1)
        with open(osp.join(runner.work_dir, self.filename), 'a') as f:
            f.write(json.dumps(dict(iter=runner.iter + 1, losses=losses)) + '\n')
