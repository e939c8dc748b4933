"""Deploy (fused) weights in checkpoints and at the end of training."""
import os.path as osp
from typing import Optional

import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.runner.checkpoint import weights_to_cpu

from mmdenoise.denoiserep import FusionCheckError, first_non_finite
from mmdenoise.registry import HOOKS
from mmdenoise.utils import atomic_write
from ._utils import unwrap_denoiserep


@HOOKS.register_module()
class DenoiseRepDeployHook(Hook):
    """Store fused deploy weights, always computed on a copy (the live model is never fused).

    Args:
        save_in_checkpoint: add ``checkpoint['deploy_state_dict']`` to every saved checkpoint.
        publish: at the end of training, write ``work_dir/<filename>`` as
            ``{'meta', 'state_dict'}`` (atomically), loadable with ``strict=True`` by the task
            model's untouched upstream config.
        filename: the published file's name.
        noise_seed: fold the paper's noise term in with this seed (default: deterministic fusion).
        tolerance: the largest relative error of the final fused-vs-unfused check (every
            denoised layer's output and the model outputs, one random input) before publishing.
    """

    priority = 'LOW'

    def __init__(self,
                 save_in_checkpoint: bool = True,
                 publish: bool = True,
                 filename: str = 'deploy.pth',
                 noise_seed: Optional[int] = None,
                 tolerance: float = 1e-4):
        self.save_in_checkpoint = save_in_checkpoint
        self.publish = publish
        self.filename = filename
        self.noise_seed = noise_seed
        self.tolerance = float(tolerance)

    def _deploy_state_dict(self, runner):
        model = unwrap_denoiserep(runner, type(self).__name__)
        noise = self.noise_seed is not None
        return weights_to_cpu(model.deploy_state_dict(noise=noise, seed=self.noise_seed))

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if self.save_in_checkpoint:
            checkpoint['deploy_state_dict'] = self._deploy_state_dict(runner)

    def _checked_deploy_state_dict(self, runner):
        """The deploy weights, after the final exactness check: one forward of the fused vs the
        unfused model on a random input (the wrapper's ``trace_input_shape``), every denoised
        layer compared; non-finite weights or outputs fail too."""
        model = unwrap_denoiserep(runner, type(self).__name__)
        fused = model.fuse()
        bad = first_non_finite(fused.state_dict())
        if bad is not None:
            raise FusionCheckError(f'DenoiseRep: the fused weight {bad!r} holds NaN or inf '
                                   f'values; {self.filename} not written')
        try:
            report = model.check_fused(fused, tolerance=self.tolerance)
        except FusionCheckError as err:
            raise FusionCheckError(f'DenoiseRep: {err}; {self.filename} not written',
                                   err.report) from err
        runner.logger.info(
            f'DenoiseRep: fused == unfused checked on one random input: max relative error '
            f'{report["max_rel_err"]:.2e} over {report["num_layers_compared"]} layer(s) and the '
            f'outputs (tolerance {self.tolerance:g})')
        if self.noise_seed is None:
            return weights_to_cpu(fused.state_dict())
        return self._deploy_state_dict(runner)  # the noise term differs from unfused by design

    def after_train(self, runner) -> None:
        if not self.publish:
            return
        # every rank: fusion is cheap and local
        state_dict = self._checked_deploy_state_dict(runner)
        if not is_main_process():
            return
        model = unwrap_denoiserep(runner, type(self).__name__)
        meta = dict(
            epoch=runner.epoch,
            iter=runner.iter,
            experiment_name=runner.experiment_name,
            denoiserep=dict(mode=model.mode, fused=True, noise_seed=self.noise_seed,
                            num_denoised_layers=len(model.denoised_layers)))
        path = osp.join(runner.work_dir, self.filename)
        with atomic_write(path) as tmp:
            torch.save(dict(meta=meta, state_dict=state_dict), tmp)
        runner.logger.info(f'DenoiseRep: deploy weights written to {path}')
