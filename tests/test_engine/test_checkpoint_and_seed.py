"""AtomicCheckpointHook (order of writes and deletions, best checkpoints, clean-up after a kill),
IterationSeedHook (bit-exact resume in epoch- and iteration-based loops, dataloader workers), the
training entry point's defaults and resume resolution, and the temporary files of atomic_write."""
import os
import os.path as osp
import random
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.evaluator import BaseMetric
from mmengine.hooks import Hook
from mmengine.registry import DATASETS, HOOKS, METRICS, MODELS
from mmengine.testing import RunnerTestCase
from mmengine.testing.runner_test_case import ToyModel
from torch.utils.data import Dataset

import mmdenoise  # noqa: F401
from mmdenoise.apis.runner_setup import ToolError
from mmdenoise.apis.training import (apply_reliability_defaults, checkpoint_is_complete,
                                     find_resume_checkpoint, resolve_resume)
from mmdenoise.engine.hooks import AtomicCheckpointHook
from mmdenoise.engine.hooks.seed_hook import epoch_worker_init_fn, iteration_seed
from mmdenoise.utils import load_local_checkpoint
from mmdenoise.utils.io import (atomic_write, make_temp_file, parse_temp_name, pid_alive,
                                remove_stale_temp_files, stale_temp_files, temp_prefix)


# ---------------------------------------------------------------------------- toy parts

@DATASETS.register_module(force=True)
class AugmentedToyDataset(Dataset):
    """Fixed data, random 'augmentation' from all three generators (as pipelines do)."""
    METAINFO = dict()

    def __init__(self, size=12):
        self.data = torch.linspace(-1, 1, 2 * size).reshape(size, 2)

    @property
    def metainfo(self):
        return self.METAINFO

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        jitter = torch.rand(2) + float(np.random.rand()) + random.random()
        return dict(inputs=self.data[index] + 0.1 * jitter, data_samples=torch.tensor(1.0))


@MODELS.register_module(force=True)
class NoisyToyModel(ToyModel):
    """ToyModel with a bounded loss and noise drawn in the forward (as the diffusion noise)."""

    def forward(self, inputs, data_samples=None, mode='tensor'):
        if mode != 'loss':
            return super().forward(inputs, data_samples, mode)
        inputs = torch.stack(inputs) if isinstance(inputs, list) else inputs
        outputs = super().forward(inputs + 0.01 * torch.randn_like(inputs), None, 'tensor')
        targets = torch.stack(data_samples) if isinstance(data_samples, list) else data_samples
        return dict(loss=((outputs.squeeze(-1) - targets)**2).mean())


@METRICS.register_module(force=True)
class RisingMetric(BaseMetric):
    """acc = 1, 2, 3, ... at each evaluation: every evaluation gives a new best."""
    calls = 0

    def process(self, data_batch, predictions):
        self.results.append(1)

    def compute_metrics(self, results):
        type(self).calls += 1
        return dict(acc=float(type(self).calls))


@HOOKS.register_module(force=True)
class SaveObserverHook(Hook):
    """Records, at every checkpoint write, the .pth files of the work folder and
    last_checkpoint (the state a kill at that moment would leave)."""
    seen = []

    def before_save_checkpoint(self, runner, checkpoint):
        files = sorted(n for n in os.listdir(runner.work_dir) if n.endswith('.pth'))
        marker = osp.join(runner.work_dir, 'last_checkpoint')
        last = open(marker).read() if osp.exists(marker) else None
        type(self).seen.append((checkpoint['meta'].get('epoch'), files, last))


@HOOKS.register_module(force=True)
class NoCleanupCheckpointHook(AtomicCheckpointHook):
    """A run killed after last_checkpoint is updated but before the outdated files go."""

    def _remove_pending(self, runner):
        pass


def _dead_pid():
    proc = subprocess.Popen([sys.executable, '-c', 'pass'])
    proc.wait()
    assert not pid_alive(proc.pid)
    return proc.pid


def _same(a, b):
    assert a.keys() == b.keys()
    diff = [k for k in a if not torch.equal(a[k], b[k])]
    assert not diff, diff


# ---------------------------------------------------------------------------- io

def test_temp_names_identify_the_writer(tmp_path):
    tmp = make_temp_file(str(tmp_path), 'out.pth')
    name = osp.basename(tmp)
    assert name.startswith(temp_prefix('out.pth')) and name.endswith('.tmp')
    info = parse_temp_name(name)
    assert info['base'] == 'out.pth' and info['pid'] == os.getpid()
    assert parse_temp_name('epoch_1.pth') is None
    assert parse_temp_name(osp.basename(make_temp_file(str(tmp_path), 'x', '.pth')))['base'] == 'x'


def test_atomic_write_removes_only_stale_temp_files_of_its_path(tmp_path):
    host_part = temp_prefix('out.pth').split('.')[-2].rsplit('-p', 1)[0]
    dead = tmp_path / f'.out.pth.{host_part}-p{_dead_pid()}.abcd1234.tmp'
    live = tmp_path / f'.out.pth.{host_part}-p{os.getppid()}.efgh5678.tmp'
    other = tmp_path / f'.other.pth.{host_part}-p{_dead_pid()}.ijkl9012.tmp'
    foreign = tmp_path / f'.out.pth.otherhost-p{_dead_pid()}.mnop3456.tmp'
    for path in (dead, live, other, foreign):
        path.write_bytes(b'partial')
    assert stale_temp_files(str(tmp_path), 'out.pth') == [str(dead)]
    with atomic_write(str(tmp_path / 'out.pth')) as tmp:
        assert not dead.exists()  # removed before writing
        with open(tmp, 'w') as f:
            f.write('new')
    assert (tmp_path / 'out.pth').read_text() == 'new'
    assert live.exists() and other.exists() and foreign.exists()
    assert remove_stale_temp_files(str(tmp_path)) == [str(other)]


def test_atomic_write_failure_keeps_the_old_file(tmp_path):
    path = tmp_path / 'out.txt'
    path.write_text('old')
    with pytest.raises(RuntimeError):
        with atomic_write(str(path)) as tmp:
            open(tmp, 'w').write('half')
            raise RuntimeError('killed')
    assert path.read_text() == 'old' and sorted(os.listdir(tmp_path)) == ['out.txt']


def test_checkpoint_is_complete(tmp_path):
    path = tmp_path / 'epoch_1.pth'
    torch.save(dict(state_dict=dict(w=torch.ones(1000))), str(path))
    assert checkpoint_is_complete(str(path))
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    assert not checkpoint_is_complete(str(path))
    assert not checkpoint_is_complete(str(tmp_path / 'missing.pth'))


# ---------------------------------------------------------------------------- entry point

def test_entry_point_defaults():
    cfg = Config.fromfile(osp.join(osp.dirname(__file__), '..', 'data', 'configs',
                                   'tiny_vit_cls.py'))
    notes = apply_reliability_defaults(cfg)
    assert cfg.default_hooks.checkpoint.type == 'mmdenoise.AtomicCheckpointHook'
    assert cfg.default_hooks.checkpoint.interval == 1
    assert [h['type'] for h in cfg.custom_hooks] == ['mmdenoise.IterationSeedHook']
    assert len(notes) == 2
    assert apply_reliability_defaults(cfg) == []  # idempotent

    cfg = Config(dict(default_scope='mmpretrain', default_hooks=dict(),
                      custom_hooks=[dict(type='mmdenoise.IterationSeedHook', seed=3)]))
    apply_reliability_defaults(cfg)
    assert cfg.default_hooks.checkpoint.type == 'mmdenoise.AtomicCheckpointHook'
    assert len(cfg.custom_hooks) == 1 and cfg.custom_hooks[0].seed == 3


def _ckpt(path):
    torch.save(dict(meta=dict(epoch=1), state_dict=dict(w=torch.ones(3))), str(path))


def test_resume_resolution(tmp_path):
    work = tmp_path / 'work'
    work.mkdir()
    cfg = Config(dict(work_dir=str(work), resume='auto-or-scratch', load_from='base.pth'))
    assert 'scratch' in resolve_resume(cfg)[0]
    assert cfg.resume is False and cfg.load_from == 'base.pth'  # --auto-resume, nothing there

    cfg = Config(dict(work_dir=str(work), resume=True, load_from=None))
    with pytest.raises(ToolError, match=str(work)):
        resolve_resume(cfg)
    cfg = Config(dict(work_dir=str(work), resume=True, load_from=str(work / 'nope.pth')))
    with pytest.raises(ToolError, match='nope.pth'):
        resolve_resume(cfg)

    _ckpt(work / 'epoch_1.pth')  # a moved work folder: last_checkpoint names the old place
    (work / 'last_checkpoint').write_text('/old/place/epoch_1.pth')
    assert find_resume_checkpoint(str(work)) == (str(work / 'epoch_1.pth'), [])
    cfg = Config(dict(work_dir=str(work), resume='auto-or-scratch', load_from='base.pth'))
    assert resolve_resume(cfg) == [] and cfg.resume is True
    assert cfg.load_from == str(work / 'epoch_1.pth')

    (work / 'last_checkpoint').unlink()  # killed between the rename and last_checkpoint
    path, notes = find_resume_checkpoint(str(work))
    assert path == str(work / 'epoch_1.pth') and 'last_checkpoint' in notes[0]


# ---------------------------------------------------------------------------- hooks

class TestAtomicCheckpointAndSeed(RunnerTestCase):

    def setUp(self):
        super().setUp()
        SaveObserverHook.seen = []

    def _cfg(self, epochs=3, ckpt=None, hooks=(), **loader):
        cfg = self.epoch_based_cfg
        cfg.model = dict(type='NoisyToyModel')
        cfg.train_dataloader.dataset = dict(type='AugmentedToyDataset')
        cfg.train_dataloader.update(loader)
        cfg.train_cfg.max_epochs = epochs
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None
        cfg.randomness = dict(seed=1)
        cfg.default_hooks.checkpoint = ckpt or dict(
            type='mmdenoise.AtomicCheckpointHook', interval=1, max_keep_ckpts=1)
        cfg.custom_hooks = [dict(type='mmdenoise.IterationSeedHook'), *hooks]
        return cfg

    def _files(self, work_dir):
        return sorted(n for n in os.listdir(work_dir) if n.endswith('.pth'))

    def _train(self, cfg):
        runner = self.build_runner(cfg)
        runner.train()
        return runner

    def test_old_checkpoint_is_deleted_after_the_new_one_is_complete(self):
        cfg = self._cfg(hooks=[dict(type='SaveObserverHook')])
        runner = self._train(cfg)
        work = runner.work_dir
        # while epoch N is written: epoch N-1 is there and last_checkpoint names it
        for epoch, files, last in SaveObserverHook.seen:
            if epoch == 1:
                assert files == [] and last is None
            else:
                assert files == [f'epoch_{epoch - 1}.pth']
                assert last == osp.join(work, f'epoch_{epoch - 1}.pth')
        assert self._files(work) == ['epoch_3.pth']
        assert open(osp.join(work, 'last_checkpoint')).read() == osp.join(work, 'epoch_3.pth')
        assert not [n for n in os.listdir(work) if parse_temp_name(n)]
        ckpt = load_local_checkpoint(osp.join(work, 'epoch_3.pth'))
        assert ckpt['message_hub']['runtime_info']['keep_ckpt_ids'] == [3]

    def test_previous_best_is_deleted_after_the_new_best_is_complete(self):
        RisingMetric.calls = 0
        cfg = self._cfg(ckpt=dict(type='mmdenoise.AtomicCheckpointHook', interval=1,
                                  max_keep_ckpts=1, save_best='acc', rule='greater'),
                        hooks=[dict(type='SaveObserverHook')])
        cfg.val_dataloader = self.epoch_based_cfg.test_dataloader
        cfg.val_evaluator = [dict(type='RisingMetric')]
        cfg.val_cfg = dict()
        cfg.train_cfg.val_interval = 1
        runner = self._train(cfg)
        had_best = False
        for _, files, _ in SaveObserverHook.seen:  # once there is a best, there always is one
            best = [f for f in files if f.startswith('best_')]
            assert best or not had_best
            had_best = had_best or bool(best)
        # when best_acc_epoch_3 is written, best_acc_epoch_2 is still there
        assert any(files and 'best_acc_epoch_2.pth' in files and 'epoch_3.pth' in files
                   for _, files, _ in SaveObserverHook.seen)
        assert self._files(runner.work_dir) == ['best_acc_epoch_3.pth', 'epoch_3.pth']

    def test_outdated_files_of_a_killed_run_go_when_it_resumes(self):
        cfg = self._cfg(epochs=2, ckpt=dict(type='NoCleanupCheckpointHook', interval=1,
                                            max_keep_ckpts=1))
        work = self._train(cfg).work_dir
        assert self._files(work) == ['epoch_1.pth', 'epoch_2.pth']
        host_part = temp_prefix('x').split('.')[-2]
        stale = osp.join(work, f'.epoch_3.pth.{host_part.rsplit("-p", 1)[0]}-p{_dead_pid()}'
                         '.abcd1234.tmp')
        open(stale, 'wb').write(b'half')
        cfg = self._cfg(epochs=3)
        cfg.resume = True
        runner = self._train(cfg)
        assert runner.epoch == 3 and self._files(work) == ['epoch_3.pth']
        assert not osp.exists(stale)

    def _resume_equals_straight(self, cfg_fn, resume_name):
        straight = self._train(cfg_fn())
        final = sorted(self._files(straight.work_dir))[-1]
        reference = load_local_checkpoint(osp.join(straight.work_dir, final))['state_dict']
        self.clear_work_dir()
        first = self._train(cfg_fn(stop=True))
        assert osp.isfile(osp.join(first.work_dir, resume_name))
        cfg = cfg_fn()
        cfg.resume = True
        cfg.load_from = osp.join(first.work_dir, resume_name)
        resumed = self._train(cfg)
        state = load_local_checkpoint(osp.join(resumed.work_dir, final))['state_dict']
        _same(state, reference)

    def test_resume_is_bit_exact_with_augmentation_in_the_main_process(self):
        def cfg_fn(stop=False):
            return self._cfg(epochs=1 if stop else 3,
                             ckpt=dict(type='mmdenoise.AtomicCheckpointHook', interval=1))
        self._resume_equals_straight(cfg_fn, 'epoch_1.pth')

    def test_resume_is_bit_exact_with_persistent_workers(self):
        def cfg_fn(stop=False):
            return self._cfg(epochs=1 if stop else 3, num_workers=2, persistent_workers=True,
                             ckpt=dict(type='mmdenoise.AtomicCheckpointHook', interval=1))
        self._resume_equals_straight(cfg_fn, 'epoch_1.pth')

    def test_iteration_based_resume_mid_epoch_is_bit_exact(self):
        def cfg_fn(stop=False):
            cfg = self.iter_based_cfg
            cfg.model = dict(type='NoisyToyModel')
            cfg.train_dataloader.dataset = dict(type='AugmentedToyDataset')
            cfg.train_cfg = dict(by_epoch=False, max_iters=3 if stop else 7)
            cfg.val_cfg = None
            cfg.val_dataloader = None
            cfg.val_evaluator = None
            cfg.randomness = dict(seed=2)
            cfg.default_hooks.checkpoint = dict(type='mmdenoise.AtomicCheckpointHook',
                                                interval=3, by_epoch=False)
            cfg.custom_hooks = [dict(type='mmdenoise.IterationSeedHook')]
            return cfg
        self._resume_equals_straight(cfg_fn, 'iter_3.pth')


def test_worker_and_iteration_seeds():
    def draw(**kw):
        epoch_worker_init_fn(0, seed=0, rank=0, num_workers=2, **kw)
        return (random.random(), float(np.random.rand()), float(torch.rand(1)))

    assert draw(epoch=0) == draw(epoch=0)
    assert draw(epoch=0) != draw(epoch=1)

    class Sampler:
        epoch = 1
    assert draw(sampler=Sampler()) == draw(epoch=1)
    seeds = {iteration_seed(0, i, r) for i in range(50) for r in range(4)}
    assert len(seeds) == 200 and all(0 <= s < 2**31 for s in seeds)
