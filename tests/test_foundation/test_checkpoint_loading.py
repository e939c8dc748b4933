"""Checkpoints under torch >= 2.6: resume works with no environment variable; nothing executes."""
import os
import os.path as osp
import pickle

import pytest
import torch
from mmengine.testing import RunnerTestCase

import mmdenoise  # noqa: F401  (registers the safe loading)
from mmdenoise.utils import atomic_write, load_checkpoint_file, load_local_checkpoint


class TestRunnerResume(RunnerTestCase):

    def test_save_and_resume_without_env(self):
        for var in ('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', 'TORCH_FORCE_WEIGHTS_ONLY_LOAD'):
            assert var not in os.environ
        cfg = self.epoch_based_cfg
        cfg.train_cfg.max_epochs = 2
        cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
        runner = self.build_runner(cfg)
        runner.train()
        ckpt = osp.join(runner.work_dir, 'epoch_1.pth')
        # a full training checkpoint holds HistoryBuffer / numpy objects and a pickled getattr
        assert 'builtins.getattr' in torch.serialization.get_unsafe_globals_in_checkpoint(ckpt)
        saved = load_local_checkpoint(ckpt)

        cfg2 = self.epoch_based_cfg
        cfg2.train_cfg.max_epochs = 2
        cfg2.resume = True
        cfg2.load_from = ckpt
        runner2 = self.build_runner(cfg2)
        runner2.load_or_resume()
        assert runner2.epoch == 1 and runner2.iter == saved['meta']['iter']
        for key, value in runner2.model.state_dict().items():
            torch.testing.assert_close(value, saved['state_dict'][key])
        # the message hub's HistoryBuffer (the object that needed the restricted getattr) is back
        history = runner2.message_hub.get_scalar('train/loss').data[0]
        assert len(history) == saved['meta']['iter'] > 0
        runner2.train()
        assert runner2.epoch == 2


class _Exploit:

    def __reduce__(self):
        return (os.system, ('touch /tmp/mmdenoise_exploit_ran',))


def test_local_loader_refuses_code(tmp_path):
    marker = '/tmp/mmdenoise_exploit_ran'
    if osp.exists(marker):
        os.remove(marker)
    path = str(tmp_path / 'evil.pth')
    torch.save({'state_dict': {}, 'payload': _Exploit()}, path)
    with pytest.raises(RuntimeError, match='evil.pth.*not allowed'):
        load_local_checkpoint(path)
    with pytest.raises(RuntimeError, match='evil.pth'):
        load_checkpoint_file(path)
    assert not osp.exists(marker)


class _GetattrExploit:

    def __reduce__(self):
        return (getattr, (_Exploit, '__reduce__'))


def test_getattr_only_reaches_history_buffer_methods(tmp_path):
    path = str(tmp_path / 'getattr.pth')
    torch.save({'x': _GetattrExploit()}, path)
    with pytest.raises(RuntimeError, match='getattr'):
        load_local_checkpoint(path)


def test_published_checkpoint_loads_weights_only(tmp_path):
    path = str(tmp_path / 'pub.pth')
    torch.save({'meta': {'epoch': 3}, 'state_dict': {'w': torch.ones(2)}}, path)
    ckpt = load_checkpoint_file(path)
    assert ckpt['meta']['epoch'] == 3 and torch.equal(ckpt['state_dict']['w'], torch.ones(2))


def test_missing_and_corrupt_files_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_local_checkpoint(str(tmp_path / 'nope.pth'))
    bad = tmp_path / 'corrupt.pth'
    bad.write_bytes(b'not a checkpoint')
    with pytest.raises(RuntimeError, match='corrupt.pth'):
        load_checkpoint_file(str(bad))
    with pytest.raises(RuntimeError, match='corrupt.pth'):
        load_local_checkpoint(str(bad))


def test_atomic_write_keeps_the_old_file_on_failure(tmp_path):
    path = tmp_path / 'out.pth'
    path.write_bytes(b'good')
    with pytest.raises(ValueError):
        with atomic_write(str(path)) as tmp:
            with open(tmp, 'wb') as f:
                f.write(b'half')
            raise ValueError('crash while writing')
    assert path.read_bytes() == b'good'
    assert os.listdir(tmp_path) == ['out.pth']
    with pytest.raises(FileExistsError, match='out.pth'):
        with atomic_write(str(path), overwrite=False):
            pass
    with atomic_write(str(path)) as tmp:
        with open(tmp, 'wb') as f:
            f.write(b'new')
    assert path.read_bytes() == b'new'
    assert os.listdir(tmp_path) == ['out.pth']


def test_atomic_write_gives_normal_file_permissions(tmp_path):
    """A published / fused file must be readable by others like any new file (umask), not the
    0600 of the temporary file it was written to."""
    umask = os.umask(0o022)
    try:
        path = tmp_path / 'shared.pth'
        with atomic_write(str(path)) as tmp:
            with open(tmp, 'wb') as f:
                f.write(b'x')
        assert (path.stat().st_mode & 0o777) == 0o644
    finally:
        os.umask(umask)
