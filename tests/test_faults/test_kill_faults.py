"""kill -9 faults: a training killed inside a checkpoint save, fuse / publish killed while writing,
--resume after a kill repeats an uninterrupted run bit for bit, --resume with nothing (or a
damaged work folder) to resume from.

The real demo configs (configs/demo) on a 128-image subset of data/fashion-mnist-mini, 3 epochs
of 2 iterations, a checkpoint every epoch, ``max_keep_ckpts=1`` (as the demo). The kills land in
a subprocess that runs the real tool through a small launcher (:data:`BLOCKER`), which makes the
N-th file write stop half-way (half the bytes written and flushed), tells the test, and waits to
be killed: the state MMEngine's CheckpointHook left behind, a truncated file, is what a real kill
inside a save produces. The uninterrupted and resumed runs use the tools' logic in this process
(``run_train`` / ``main``), to keep the suite fast.
"""
import hashlib
import os
import os.path as osp
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import torch

import fault_log
import mmdenoise  # noqa: F401
from mmdenoise.apis import run_train
from mmdenoise.utils import load_local_checkpoint
from mmdenoise.utils.io import parse_temp_name, pid_alive

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'test_tools'))
from tool_test_utils import REPO, load_tool, tool_env  # noqa: E402

DEMO = REPO / 'configs' / 'demo'
BASELINE_CFG = DEMO / 'resnet18-w16_fashion-mnist-mini.py'
LABEL_AUG_CFG = DEMO / 'denoiserep-label-aug_resnet18-w16_fashion-mnist-mini.py'
EPOCHS = 3
OPTIONS = ['train_dataloader.dataset.indices=128', f'train_cfg.max_epochs={EPOCHS}',
           'default_hooks.checkpoint.interval=1', 'default_hooks.checkpoint.max_keep_ckpts=1',
           'default_hooks.logger.interval=1']
# DenoiseRepDeployHook is custom_hooks[0] of the DenoiseRep demo configs: the tests compare the
# checkpoints (state_dict and deploy_state_dict), not the published deploy.pth
LABEL_AUG_OPTIONS = ['custom_hooks.0.publish=False']

#: python BLOCKER MODE MARKER N TOOL ARGS...: run TOOL; its N-th write of a file (MODE 'put':
#: MMEngine's LocalBackend.put, which writes checkpoints; MODE 'torch.save': torch.save to a path)
#: writes half the bytes, flushes them, writes the path to MARKER and sleeps until killed.
BLOCKER = r'''
import io, os, runpy, sys, time
mode, marker, nth, tool = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
sys.argv = [tool] + sys.argv[5:]
calls = [0]

def block(path, data):
    calls[0] += 1
    if calls[0] < nth:
        return False
    with open(path, 'wb') as f:
        f.write(data[:len(data) // 2])
        f.flush()
        os.fsync(f.fileno())
    with open(marker + '.part', 'w') as f:
        f.write(path)
    os.replace(marker + '.part', marker)
    time.sleep(600)
    os._exit(3)

if mode == 'put':
    from mmengine.fileio.backends import LocalBackend
    put = LocalBackend.put
    def patched_put(self, obj, filepath):
        if str(filepath).endswith(('.pth', '.tmp')) and block(str(filepath), obj):
            return
        return put(self, obj, filepath)
    LocalBackend.put = patched_put
else:
    import torch
    save = torch.save
    def patched_save(obj, f, *args, **kwargs):
        if isinstance(f, (str, os.PathLike)):
            buf = io.BytesIO()
            save(obj, buf, *args, **kwargs)
            if block(str(f), buf.getvalue()):
                return
        return save(obj, f, *args, **kwargs)
    torch.save = patched_save
runpy.run_path(tool, run_name='__main__')
'''


# ---------------------------------------------------------------------------- helpers

@pytest.fixture(scope='module')
def one_thread():
    """Same float results in this process and in the tool subprocesses (1 thread each)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    deterministic = torch.are_deterministic_algorithms_enabled()
    yield
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(deterministic)


def _name(tag):
    return f'experiment_name=faults_{tag}_{uuid.uuid4().hex[:8]}'


def _train_args(config, work_dir, *extra, options=()):
    return [str(config), '--work-dir', str(work_dir), '--no-validate', *extra, '--cfg-options',
            *OPTIONS, *options]


def _train_in_process(config, work_dir, *extra, options=(), tag='run'):
    return run_train(_train_args(config, work_dir, *extra, options=[*options, _name(tag)]))


def _killed_in_write(mode, nth, tool, *args, timeout=180):
    """Run ``tools/<tool>`` through :data:`BLOCKER`, SIGKILL it inside its ``nth`` write; returns
    ``(path being written, pid, output)``."""
    import tempfile
    work = Path(tempfile.mkdtemp(prefix='blocker_'))
    launcher = work / f'blocker_{uuid.uuid4().hex[:6]}.py'
    launcher.write_text(BLOCKER)
    marker = work / f'marker_{uuid.uuid4().hex[:6]}'
    log = work / 'output.log'
    with open(log, 'w') as out_file:  # a file, not a pipe: a full pipe would block the tool
        proc = subprocess.Popen(
            [sys.executable, str(launcher), mode, str(marker), str(nth), f'tools/{tool}',
             *map(str, args)],
            cwd=REPO, env=tool_env(), stdout=out_file, stderr=subprocess.STDOUT)
    deadline = time.time() + timeout
    while not marker.exists():
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            proc.wait()
            raise AssertionError(f'tools/{tool} never reached write {nth} (rc {proc.returncode})'
                                 f':\n{log.read_text()[-6000:]}')
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    return marker.read_text(), proc.pid, log.read_text()


def _sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _assert_same_tensors(a, b, what):
    assert a.keys() == b.keys(), what
    diff = [k for k in a if not torch.equal(a[k], b[k])]
    assert not diff, f'{what}: {len(diff)} of {len(a)} tensors differ, e.g. {diff[:3]}'


def _temp_files(folder):
    return sorted(n for n in os.listdir(folder) if parse_temp_name(n))


# ---------------------------------------------------------------------------- fixtures

@pytest.fixture(scope='module')
def baseline_run(tmp_path_factory, one_thread):
    """The demo baseline, 3 epochs uninterrupted: its work folder."""
    work_dir = tmp_path_factory.mktemp('baseline_straight')
    _train_in_process(BASELINE_CFG, work_dir, tag='baseline')
    assert sorted(p.name for p in work_dir.glob('*.pth')) == [f'epoch_{EPOCHS}.pth']
    return work_dir


@pytest.fixture(scope='module')
def label_aug_run(baseline_run, tmp_path_factory):
    """The label-augmented demo config fine-tuned from the baseline, 3 epochs uninterrupted."""
    work_dir = tmp_path_factory.mktemp('label_aug_straight')
    _train_in_process(LABEL_AUG_CFG, work_dir, tag='label_aug', options=[
        *LABEL_AUG_OPTIONS, f'load_from={baseline_run / f"epoch_{EPOCHS}.pth"}'])
    return work_dir


# ---------------------------------------------------------------------------- training

@pytest.mark.parametrize('kind', ['baseline', 'label_aug'])
def test_kill_inside_checkpoint_save_then_resume_is_bit_exact(kind, baseline_run, label_aug_run,
                                                              tmp_path):
    """kill -9 inside the save of epoch_2.pth (max_keep_ckpts=1: MMEngine's hook would already
    have deleted epoch_1.pth), then --resume: epoch_1.pth is intact and named by
    last_checkpoint, no partial file under a final name; the resumed run completes, cleans up
    the killed writer's temporary file, and ends with exactly the uninterrupted run's weights."""
    config, straight, options = {
        'baseline': (BASELINE_CFG, baseline_run, []),
        'label_aug': (LABEL_AUG_CFG, label_aug_run, [
            *LABEL_AUG_OPTIONS, f'load_from={baseline_run / f"epoch_{EPOCHS}.pth"}']),
    }[kind]
    work_dir = tmp_path / 'killed'
    work_dir.mkdir()
    writing, pid, out = _killed_in_write('put', 2, 'train.py',
                                         *_train_args(config, work_dir, options=options))
    assert osp.dirname(writing) == str(work_dir) and parse_temp_name(osp.basename(writing)), \
        f'the checkpoint was not written to a temporary file: {writing}'
    assert not pid_alive(pid)

    # what a kill inside the save leaves: the previous checkpoint, complete, named; no epoch_2
    assert sorted(p.name for p in work_dir.glob('*.pth')) == ['epoch_1.pth'], out[-3000:]
    last = (work_dir / 'last_checkpoint').read_text().strip()
    assert last == str(work_dir / 'epoch_1.pth')
    ckpt = load_local_checkpoint(last)
    assert ckpt['meta']['epoch'] == 1
    lost = not osp.isfile(last)

    runner = _train_in_process(config, work_dir, '--resume', options=options, tag=f'{kind}_res')
    assert runner.epoch == EPOCHS
    assert _temp_files(work_dir) == [], 'the killed writer\'s temporary file is still there'
    assert sorted(p.name for p in work_dir.glob('*.pth')) == [f'epoch_{EPOCHS}.pth']
    resumed = load_local_checkpoint(str(work_dir / f'epoch_{EPOCHS}.pth'))
    reference = load_local_checkpoint(str(straight / f'epoch_{EPOCHS}.pth'))
    _assert_same_tensors(resumed['state_dict'], reference['state_dict'], f'{kind} state_dict')
    if kind == 'label_aug':
        _assert_same_tensors(resumed['deploy_state_dict'], reference['deploy_state_dict'],
                             'deploy_state_dict')
    fault_log.record('kill', f'kill -9 inside the epoch_2 checkpoint save ({kind} demo config) '
                     '-> --resume', lost=lost, message=f'resumed from {last}')


def test_resume_after_epoch_1_of_the_label_aug_config_is_bit_exact(baseline_run, label_aug_run,
                                                                   tmp_path):
    """Stop after epoch 1 (a 1-epoch run; the data augmentation draws of the next epoch are
    what went wrong), resume to epoch 3: every tensor equals the uninterrupted run's."""
    options = [*LABEL_AUG_OPTIONS, f'load_from={baseline_run / f"epoch_{EPOCHS}.pth"}']
    work_dir = tmp_path / 'stopped'
    _train_in_process(LABEL_AUG_CFG, work_dir, options=[*options, 'train_cfg.max_epochs=1'],
                      tag='aug_1')
    first = load_local_checkpoint(str(work_dir / 'epoch_1.pth'))['state_dict']
    _train_in_process(LABEL_AUG_CFG, work_dir, '--resume', options=options, tag='aug_res')
    resumed = load_local_checkpoint(str(work_dir / f'epoch_{EPOCHS}.pth'))
    reference = load_local_checkpoint(str(label_aug_run / f'epoch_{EPOCHS}.pth'))
    changed = [k for k, v in first.items() if not torch.equal(v, reference['state_dict'][k])]
    assert len(changed) > len(first) // 2  # epochs 2-3 trained (denoisers and classifier)
    for key in ('state_dict', 'deploy_state_dict', 'optimizer'):
        if key == 'optimizer':
            a = {str(k): v for k, v in resumed['optimizer']['state'].items()}
            b = {str(k): v for k, v in reference['optimizer']['state'].items()}
            a = {f'{k}.{n}': t for k, s in a.items() for n, t in s.items()}
            b = {f'{k}.{n}': t for k, s in b.items() for n, t in s.items()}
            _assert_same_tensors(a, b, 'optimizer state')
        else:
            _assert_same_tensors(resumed[key], reference[key], key)
    fault_log.record('kill', 'label-aug demo config stopped after epoch 1 -> --resume: every '
                     'tensor equal', lost=False)


# ---------------------------------------------------------------------------- fuse / publish

def test_kill_fuse_checkpoint_while_writing(label_aug_run, tmp_path):
    """kill -9 of tools/fuse_checkpoint.py while it writes OUTPUT (--force over a previous one):
    the previous OUTPUT is intact, nothing partial under its name; the next run removes the
    killed writer's temporary file."""
    ckpt = label_aug_run / f'epoch_{EPOCHS}.pth'
    out = tmp_path / 'deploy.pth'
    fuse = load_tool('fuse_checkpoint')
    assert fuse.main([str(LABEL_AUG_CFG), str(ckpt), str(out)]) == 0
    before = _sha(out)
    fused_before = load_local_checkpoint(str(out))['state_dict']
    writing, pid, log = _killed_in_write('torch.save', 1, 'fuse_checkpoint.py', LABEL_AUG_CFG,
                                         ckpt, out, '--force')
    assert osp.dirname(writing) == str(tmp_path) and writing != str(out), writing
    lost = not out.is_file() or _sha(out) != before
    assert load_local_checkpoint(str(out))['state_dict']
    stale = _temp_files(tmp_path)
    assert stale == [osp.basename(writing)] and parse_temp_name(stale[0])['pid'] == pid
    assert (os.stat(writing).st_mode & 0o777) == 0o600

    assert fuse.main([str(LABEL_AUG_CFG), str(ckpt), str(out), '--force']) == 0
    assert _temp_files(tmp_path) == [], 'the stale temporary file was not removed'
    _assert_same_tensors(load_local_checkpoint(str(out))['state_dict'], fused_before, 'fused')
    fault_log.record('kill', 'kill -9 of tools/fuse_checkpoint.py while writing OUTPUT',
                     lost=lost, message=log[-300:])


def test_kill_publish_while_writing(baseline_run, tmp_path):
    """kill -9 of tools/publish_model.py while it writes: the file published before is intact,
    no partial file under a published name; the next publish removes the temporary file."""
    ckpt = baseline_run / f'epoch_{EPOCHS}.pth'
    folder = tmp_path / 'zoo'
    publish = load_tool('publish_model')
    args = [str(ckpt), str(folder) + '/', '--config-name', 'demo-baseline', '--date', '20260101']
    assert publish.main(args) == 0
    published = sorted(folder.glob('*.pth'))
    assert len(published) == 1
    before = _sha(published[0])
    writing, pid, log = _killed_in_write('torch.save', 1, 'publish_model.py', *args)
    assert osp.dirname(writing) == str(folder)
    lost = sorted(folder.glob('*.pth')) != published or _sha(published[0]) != before
    stale = _temp_files(folder)
    assert stale == [osp.basename(writing)] and parse_temp_name(stale[0])['pid'] == pid
    assert publish.main(args) == 0
    assert _temp_files(folder) == [], 'the stale temporary file was not removed'
    assert _sha(published[0]) == before  # (its meta has a time stamp: a new name is possible)
    for path in folder.glob('*.pth'):
        torch.load(str(path), map_location='cpu', weights_only=True)
    fault_log.record('kill', 'kill -9 of tools/publish_model.py while writing', lost=lost,
                     message=log[-300:])


# ---------------------------------------------------------------------------- --resume errors

def _train_main(argv, capsys):
    rc = load_tool('train').main(argv)
    return rc, capsys.readouterr().err.strip()


def test_resume_without_a_checkpoint_is_an_error_naming_the_work_dir(tmp_path, capsys):
    work_dir = tmp_path / 'empty'
    work_dir.mkdir()
    rc, err = _train_main(_train_args(BASELINE_CFG, work_dir, '--resume'), capsys)
    lines = [line for line in err.splitlines() if line.startswith('error:')]
    assert rc == 1 and len(lines) == 1, err
    assert not any(p.suffix == '.pth' for p in work_dir.iterdir())  # nothing was trained
    fault_log.record('kill', '--resume on a work dir without a checkpoint', message=lines[0],
                     expect_name=str(work_dir))


def test_resume_from_a_work_dir_damaged_by_mmengines_hook(baseline_run, tmp_path, capsys):
    """The state MMEngine's own CheckpointHook leaves after a kill inside a save: epoch_1.pth
    deleted, a truncated epoch_2.pth, last_checkpoint naming epoch_1.pth. --resume: one error
    line naming the missing file (nothing complete to fall back to)."""
    work_dir = tmp_path / 'damaged'
    work_dir.mkdir()
    data = (baseline_run / f'epoch_{EPOCHS}.pth').read_bytes()
    (work_dir / 'epoch_2.pth').write_bytes(data[:len(data) // 2])
    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'epoch_1.pth'))
    rc, err = _train_main(_train_args(BASELINE_CFG, work_dir, '--resume'), capsys)
    lines = [line for line in err.splitlines() if line.startswith('error:')]
    assert rc == 1 and len(lines) == 1, err
    assert 'Traceback' not in err
    fault_log.record('kill', 'MMEngine-damaged work dir (last_checkpoint -> deleted file, '
                     'truncated epoch_2.pth) -> --resume', message=lines[0],
                     expect_name=str(work_dir / 'epoch_1.pth'))

    # a complete older checkpoint next to it: resumed from it, with a warning naming both
    from mmdenoise.apis.training import find_resume_checkpoint
    (work_dir / 'epoch_1.pth').write_bytes(data)
    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'epoch_2.pth'))
    path, notes = find_resume_checkpoint(str(work_dir))
    assert path == str(work_dir / 'epoch_1.pth') and len(notes) == 1
    assert 'epoch_2.pth' in notes[0] and 'epoch_1.pth' in notes[0]
    fault_log.record('kill', 'last_checkpoint -> truncated file, older complete one present',
                     message=notes[0], expect_name=str(work_dir / 'epoch_2.pth'))


# ---------------------------------------------------------------------------- the soak tool

def test_fault_soak_arguments_and_checks(tmp_path):
    """tools/analysis/fault_soak.py (opt-in, minutes): its arguments and the checks it makes
    after every kill and at the end of a round (the soak itself: docs/reliability.md)."""
    soak = load_tool('analysis/fault_soak')
    args = soak.parse_args(['--kills', '2', '--max-minutes', '1.5', '--seed', '3',
                            '--work-dir', str(tmp_path / 'soak')])
    assert (args.kills, args.max_minutes, args.seed) == (2, 1.5, 3)
    assert args.configs == ['baseline', 'label_aug'] and args.epochs >= 1
    for bad in (['--kills', '-1'], ['--kills-per-round', '3', '1'], ['--configs', 'nope']):
        with pytest.raises(SystemExit):
            soak.parse_args(bad)

    work = tmp_path / 'work'
    work.mkdir()
    assert soak.verify_work_dir(str(work), 0) == dict(epoch=0, lost=False, unloadable=False,
                                                      partial=[], temps=[])
    weights = dict(w=torch.arange(4.0))
    torch.save(dict(meta=dict(epoch=2), state_dict=weights), str(work / 'epoch_2.pth'))
    (work / 'last_checkpoint').write_text(str(work / 'epoch_2.pth'))
    check = soak.verify_work_dir(str(work), 2)
    assert check['epoch'] == 2 and not check['lost'] and not check['unloadable']
    assert soak.verify_work_dir(str(work), 3)['lost']  # older than before the launch

    data = (work / 'epoch_2.pth').read_bytes()
    (work / 'epoch_3.pth').write_bytes(data[:len(data) // 2])  # MMEngine's in-place write
    (work / '.epoch_4.pth.host-p1.abcd1234.tmp').write_bytes(b'x')
    check = soak.verify_work_dir(str(work), 2)
    assert check['partial'] == ['epoch_3.pth'] and len(check['temps']) == 1
    assert soak.verify_work_dir(str(work), 2, pid=2)['temps'] == []  # another writer's
    (work / 'last_checkpoint').write_text(str(work / 'epoch_1.pth'))  # names a deleted file
    check = soak.verify_work_dir(str(work), 2)
    assert check['unloadable'] and check['lost']

    assert soak.tensor_differences(weights, dict(w=torch.arange(4.0))) == []
    assert soak.tensor_differences(weights, dict(w=torch.arange(4.0) + 1e-7)) == ['w']
    assert soak.tensor_differences(weights, dict(v=torch.ones(1))) == ['v', 'w']
    assert soak.final_weights('baseline', str(work), 2)['w'].equal(weights['w'])
    stats = soak.Stats(kills=3, kills_by_mode={'random': 3}, rounds={'baseline': 1})
    lines = soak.summary_lines(stats, 1.0)
    assert 'lost checkpoints: 0' in lines and stats.problem_count() == 0
