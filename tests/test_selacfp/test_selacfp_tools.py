"""D-SELACFP through the real tools on tiny generated SYSU-MM01 and RegDB layouts:

* SYSU-MM01: tools/train.py trains the DenoiseRep (label-augmented) tiny config for 2
  iterations and validates under the 'sysu' protocol; tools/fuse_checkpoint.py --verify fuses
  it (its front, in this process); tools/test.py tests the deploy config on the fused weights,
  which must reproduce the wrapper's validation metrics.
* RegDB: tools/train.py trains the plain tiny config for 2 iterations (visible-to-infrared
  validation); tools/test.py tests the checkpoint infrared to visible ('regdb' protocol).

tools/train.py runs as a subprocess for both, tools/test.py once (SYSU-MM01); the other tool
runs call the tools' ``main`` in this process, to keep the suite fast."""
import glob
import json
import os.path as osp
import pickle
import re
import uuid

import pytest
import torch
from reid_layouts import make_regdb, make_sysu
from tool_test_utils import REPO, data_options, load_tool, run_tool, train

from mmdenoise.utils import load_checkpoint_file, load_local_checkpoint

CONFIGS = REPO / 'tests' / 'data' / 'configs' / 'selacfp'
SYSU_PLAIN = CONFIGS / 'd-selacfp_tiny_sysu-mm01-all.py'
SYSU_DENOISEREP = CONFIGS / 'denoiserep-label-aug_d-selacfp_tiny_sysu-mm01-all.py'
REGDB_V2I = CONFIGS / 'd-selacfp_tiny_regdb-v2i.py'
REGDB_I2V = CONFIGS / 'd-selacfp_tiny_regdb-i2v.py'
METRIC_KEYS = ('reid/mAP', 'reid/R1', 'reid/R5', 'reid/R10', 'reid/R20', 'reid/mINP')


def _metrics(text: str) -> dict:
    """The last ``reid/<key>: <value>`` of each key in a tool's log."""
    return {key: float(value) for key, value in re.findall(r'(reid/\w+): ([-\d.]+)', text)}


def _metrics_json(work_dir) -> dict:
    """The metrics tools/test.py wrote to ``work_dir/<timestamp>/<timestamp>.json``."""
    files = sorted(glob.glob(osp.join(str(work_dir), '*', '*.json')))
    assert files, f'no metrics json under {work_dir}'
    with open(files[-1]) as f:
        return json.loads(f.read().strip().splitlines()[-1])


def _losses(text: str) -> set:
    return set(re.findall(r'(loss\w*): [-\d.]+', text))


def test_sysu_denoiserep_train_fuse_test(tmp_path, capsys):
    data = make_sysu(str(tmp_path / 'SYSU-MM01'))
    work_dir = tmp_path / 'train'
    proc = train(SYSU_DENOISEREP, work_dir, data)
    log = proc.stdout + proc.stderr
    assert {'loss_cls', 'loss_hetero_center', 'loss_cls_specific', 'loss_orthogonal',
            'loss_denoise'} <= _losses(log)
    trained = _metrics(log)  # the wrapper (eval = fused-equivalent) under the sysu protocol
    assert set(METRIC_KEYS) <= set(trained) and trained['reid/num_trials'] == 2
    ckpt = work_dir / 'epoch_1.pth'
    assert load_local_checkpoint(str(ckpt))['meta']['iter'] == 2

    deploy = tmp_path / 'deploy.pth'
    assert load_tool('fuse_checkpoint').main(
        [str(SYSU_DENOISEREP), str(ckpt), str(deploy), '--verify']) == 0
    out = capsys.readouterr().out
    errors = re.search(r'max_abs_err=(\S+) max_rel_err=(\S+)', out)
    assert errors and float(errors.group(2)) <= 1e-4, out
    assert 'strict=True' in out
    fused = load_checkpoint_file(str(deploy))['state_dict']
    assert not any('denoiser' in key for key in fused)
    assert 'backbone.infrared_stem.conv1.weight' in fused and 'backbone.ifpem.fuse.2.bias' in fused

    proc = run_tool('tools/test.py', SYSU_PLAIN, deploy, '--work-dir', tmp_path / 'test',
                    '--cfg-options', *data_options(data))
    tested = _metrics(proc.stdout + proc.stderr)
    assert set(METRIC_KEYS) <= set(tested)
    for key in METRIC_KEYS:  # the fused plain model reproduces the wrapper's evaluation
        assert tested[key] == pytest.approx(trained[key], abs=1e-2), key


def test_regdb_train_then_test_both_directions(tmp_path):
    data = make_regdb(str(tmp_path / 'RegDB'))
    work_dir = tmp_path / 'train'
    proc = train(REGDB_V2I, work_dir, data)
    log = proc.stdout + proc.stderr
    assert {'loss_cls', 'loss_hetero_center', 'loss_orthogonal'} <= _losses(log)
    assert set(METRIC_KEYS) <= set(_metrics(log))  # validation: visible to infrared
    ckpt = work_dir / 'epoch_2.pth'
    state = load_local_checkpoint(str(ckpt))
    assert state['meta']['iter'] == 2
    assert not any(k.startswith('backbone.layer4') for k in state['state_dict'])  # up to stage 3

    # tools/test.py's front in this process (its start-up is the one measured above)
    dump = tmp_path / 'predictions.pkl'
    test_dir = tmp_path / 'test'
    deterministic = torch.are_deterministic_algorithms_enabled()
    try:
        assert load_tool('test').main([
            str(REGDB_I2V), str(ckpt), '--work-dir', str(test_dir), '--out', str(dump),
            '--cfg-options', *data_options(data), f'experiment_name=selacfp_{uuid.uuid4().hex}'
        ]) == 0
    finally:
        torch.use_deterministic_algorithms(deterministic)
    assert set(METRIC_KEYS) <= set(_metrics_json(test_dir))
    with open(dump, 'rb') as f:
        predictions = pickle.load(f)
    modalities = {(p['split'], p['modality']) for p in predictions}
    assert modalities == {('query', 'infrared'), ('gallery', 'visible')}  # infrared to visible
    assert all(p['pred_feature'].shape == (64, ) for p in predictions)
