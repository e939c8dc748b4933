"""DenoiseRep hooks driven by a real MMEngine Runner (toy model, CPU)."""
import glob
import json
import os.path as osp

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.registry import MODELS
from mmengine.testing import RunnerTestCase
from mmengine.testing.runner_test_case import ToyModel

import mmdenoise  # noqa: F401
from mmdenoise.engine import DenoiseRepPhaseHook
from mmdenoise.utils import load_local_checkpoint


def test_phase_schedule_is_a_function_of_progress():
    hook = DenoiseRepPhaseHook(phases=[('denoiser', 2), ('backbone', 3)])
    assert [hook.phase_at(e) for e in range(7)] == [
        'denoiser', 'denoiser', 'backbone', 'backbone', 'backbone', 'denoiser', 'denoiser']
    with pytest.raises(ValueError, match='unknown phases'):
        DenoiseRepPhaseHook(phases=[('teacher', 1)])
    with pytest.raises(ValueError, match='positive'):
        DenoiseRepPhaseHook(phases=[('denoiser', 0)])


@MODELS.register_module(force=True)
class BoundedLossToyModel(ToyModel):
    """mmengine's ToyModel with a squared-error loss. ToyModel's own loss,
    ``(target - output).sum()``, is unbounded below: label-using training on it runs away, and
    whether it reaches NaN within a test depends on ``ToyDataset.data``, drawn from the global
    RNG when mmengine's testing module is first imported, i.e. on test order. Same parameters
    (keys) as ToyModel."""

    def forward(self, inputs, data_samples=None, mode='tensor'):
        if mode != 'loss':
            return super().forward(inputs, data_samples, mode)
        outputs = super().forward(inputs, data_samples, 'tensor')
        targets = torch.stack(data_samples) if isinstance(data_samples, list) else data_samples
        return dict(loss=((outputs.squeeze(-1) - targets)**2).mean())


class TestHooks(RunnerTestCase):

    def _cfg(self, max_epochs=4, mode='alternating', extra_hooks=()):
        cfg = self.epoch_based_cfg
        cfg.model = dict(type='mmdenoise.DenoiseRepWrapper',
                         architecture=dict(type='BoundedLossToyModel'), mode=mode,
                         attach=dict(layer_types=('Linear', )),
                         trace_input_shape=(1, 2))
        cfg.train_cfg.max_epochs = max_epochs
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None
        cfg.randomness = dict(seed=0)
        cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
        hooks = [dict(type='mmdenoise.IterationSeedHook'), dict(type='mmdenoise.DenoiseRepDeployHook')]
        if mode == 'alternating':
            hooks.append(dict(type='mmdenoise.DenoiseRepPhaseHook',
                              phases=[('denoiser', 2), ('backbone', 2)]))
        cfg.custom_hooks = hooks + list(extra_hooks)
        return cfg

    def test_phases_switch_what_trains(self):
        runner = self.build_runner(self._cfg(max_epochs=3))
        seen = []

        class Probe(Hook):
            priority = 'LOWEST'

            def before_train_epoch(self, runner):
                trainable = {n for n, p in runner.model.named_parameters() if p.requires_grad}
                seen.append((runner.model.phase, trainable))

        probe = Probe()
        runner.register_hook(probe)
        runner.train()
        assert [phase for phase, _ in seen] == ['denoiser', 'denoiser', 'backbone']
        denoiser_phase, backbone_phase = seen[0][1], seen[2][1]
        assert denoiser_phase and all('.denoiser.' in n for n in denoiser_phase)
        assert backbone_phase and not any('.denoiser.' in n for n in backbone_phase)

    def test_alternating_keeps_all_params_for_the_optimizer_and_needs_the_phase_hook(self):
        cfg = self._cfg(max_epochs=1)
        cfg.optim_wrapper.paramwise_cfg = dict(bias_lr_mult=2.0)  # drops params frozen at build
        runner = self.build_runner(cfg)
        runner.train()
        optimized = {id(p) for g in runner.optim_wrapper.param_groups for p in g['params']}
        assert all(id(p) in optimized for p in runner.model.parameters())
        cfg = self._cfg(max_epochs=1)
        cfg.custom_hooks = [h for h in cfg.custom_hooks if 'Phase' not in h['type']]
        with pytest.raises(RuntimeError, match='DenoiseRepPhaseHook'):
            self.build_runner(cfg).train()

    def _train(self, cfg):
        runner = self.build_runner(cfg)
        runner.train()
        return runner

    def test_resume_mid_phase_gives_the_same_deploy_weights(self):
        full = self._train(self._cfg(max_epochs=4))
        reference = load_local_checkpoint(osp.join(full.work_dir, 'deploy.pth'))['state_dict']
        for resume_epoch in (1, 3):  # mid 'denoiser' phase, mid 'backbone' phase
            cfg = self._cfg(max_epochs=4)
            cfg.resume = True
            cfg.load_from = osp.join(full.work_dir, f'epoch_{resume_epoch}.pth')
            resumed = self._train(cfg)
            assert resumed.model.phase == 'backbone'
            deploy = load_local_checkpoint(osp.join(resumed.work_dir, 'deploy.pth'))
            assert deploy['state_dict'].keys() == reference.keys()
            for key, value in reference.items():
                assert torch.equal(deploy['state_dict'][key], value), (resume_epoch, key)

    def test_deploy_weights_in_checkpoints_and_published(self):
        runner = self._train(self._cfg(max_epochs=2, mode='label_augmented'))
        ckpt = load_local_checkpoint(osp.join(runner.work_dir, 'epoch_2.pth'))
        plain_keys = {'linear1.weight', 'linear1.bias', 'linear2.weight', 'linear2.bias'}
        assert set(ckpt['deploy_state_dict']) == plain_keys
        assert any('.denoiser.' in k for k in ckpt['state_dict'])
        published = load_local_checkpoint(osp.join(runner.work_dir, 'deploy.pth'))
        assert set(published) == {'meta', 'state_dict'}
        assert published['meta']['denoiserep']['mode'] == 'label_augmented'
        toy = ToyModel()
        toy.load_state_dict(published['state_dict'], strict=True)
        # equal to fusing the final live model, which itself still has its denoisers
        fused = runner.model.deploy_state_dict()
        for key in plain_keys:
            assert torch.isfinite(fused[key]).all()
            assert torch.equal(fused[key], published['state_dict'][key])
        assert any('.denoiser.' in k for k in runner.model.state_dict())

    def test_noise_loss_logger_writes_per_layer_values(self):
        hook = dict(type='mmdenoise.DenoiseLossLoggerHook', interval=2)
        runner = self._train(self._cfg(max_epochs=1, mode='label_free', extra_hooks=[hook]))
        lines = open(osp.join(runner.work_dir, 'denoise_losses.jsonl')).read().splitlines()
        records = [json.loads(line) for line in lines]
        assert [r['iter'] for r in records] == [2, 4]
        assert set(records[0]['losses']) == {'linear1', 'linear2'}
        assert all(v > 0 for r in records for v in r['losses'].values())

    def test_hooks_refuse_a_model_without_denoisers(self):
        cfg = self.epoch_based_cfg
        cfg.custom_hooks = [dict(type='mmdenoise.DenoiseRepDeployHook')]
        cfg.train_cfg.max_epochs = 1
        runner = self.build_runner(cfg)
        with pytest.raises(TypeError, match='DenoiseRepWrapper'):
            runner.train()


@pytest.mark.parametrize('config', sorted(
    glob.glob(osp.join(osp.dirname(__file__), '..', '..', 'configs', 'denoiserep', '*',
                       'denoiserep-alternating_*.py'))))
def test_real_alternating_configs_optimize_every_parameter(config):
    """The zoo's alternating configs use the default optimizer constructor (paramwise_cfg
    included): every parameter, task model and denoisers, is in the optimizer."""
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper

    from mmdenoise.apis import build_model_from_cfg
    cfg = Config.fromfile(config)
    assert 'constructor' not in cfg.optim_wrapper
    model = build_model_from_cfg(cfg)
    optim = build_optim_wrapper(model, cfg.optim_wrapper)
    optimized = {id(p) for g in optim.param_groups for p in g['params']}
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert any('.denoiser.' in n for n in trainable) and any('.denoiser.' not in n
                                                             for n in trainable)
    assert all(id(p) in optimized for p in model.parameters() if p.requires_grad)
