"""DFF end to end through the real tools: tools/train.py on two tiny generated sources
concatenated (Market-1501 and DukeMTMC-reID folder layouts), DenoiseRep (label-free) on the
trained DFF model, tools/fuse_checkpoint.py --verify, and tools/test.py of the deploy (DFF)
config on the fused weights over two tiny targets (VIPeR, iLIDS; 2 random splits each),
reported per target and as their mean (the DG protocol-1 report).

tools/train.py, tools/fuse_checkpoint.py and tools/test.py run as subprocesses; the DenoiseRep
training calls tools/train.py's logic (``run_train``) in this process, to keep the folder fast.
"""
import glob
import json
import os.path as osp
import re
import uuid

import pytest
import torch

from mmdenoise.apis import run_train
from mmdenoise.utils import load_checkpoint_file, load_local_checkpoint
from reid_layouts import make_ilids, make_market, make_viper
from tool_test_utils import REPO, run_tool

CONFIGS = REPO / 'tests' / 'data' / 'configs' / 'dff'
BASELINE_CFG = CONFIGS / 'tiny_dff-resnet18_dg-protocol1.py'
LABEL_FREE_CFG = CONFIGS / 'tiny_denoiserep-label-free_dff-resnet18_dg-protocol1.py'


@pytest.fixture(scope='module')
def dg_data(tmp_path_factory):
    root = tmp_path_factory.mktemp('dg_data')
    return dict(market=make_market(str(root / 'market1501')),
                duke=make_market(str(root / 'dukemtmc-reid')),
                viper=make_viper(str(root / 'viper'), num_ids=20),
                ilids=make_ilids(str(root / 'ilids'), num_ids=8))


def _source_options(data):
    return [f'train_dataloader.dataset.datasets.0.data_root={data["market"]}',
            f'train_dataloader.dataset.datasets.1.data_root={data["duke"]}']


def _target_options(data):
    return [f'test_dataloader.dataset.data_root={data["viper"]}',
            f'test_cfg.extra_targets.0.dataloader.dataset.data_root={data["ilids"]}']


def _scalars(work_dir):
    files = glob.glob(osp.join(str(work_dir), '*', 'vis_data', 'scalars.json'))
    assert files, f'no scalars.json under {work_dir}'
    with open(files[0]) as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.fixture(scope='module')
def baseline_run(dg_data, tmp_path_factory):
    """tools/train.py on the tiny DFF config: one epoch = 2 iterations of 3 ids x 2 images."""
    work_dir = tmp_path_factory.mktemp('dff_baseline')
    run_tool('tools/train.py', BASELINE_CFG, '--work-dir', work_dir, '--cfg-options',
             *_source_options(dg_data))
    return work_dir


def test_train_on_concatenated_sources(baseline_run):
    ckpt = load_local_checkpoint(str(baseline_run / 'epoch_1.pth'))
    assert ckpt['meta']['iter'] == 2 and ckpt['meta']['epoch'] == 1
    state = ckpt['state_dict']
    # 3 Market + 3 Duke identities, relabelled apart by ReIDConcatDataset
    assert state['head.classifier.weight'].shape == (6, 64)
    assert any('.g2g.filter.mask.conv.weight' in k for k in state)  # a DFF backbone
    logs = _scalars(baseline_run)
    assert [r['step'] for r in logs] == [2]
    assert {'loss_cls', 'loss_triplet'} <= set(logs[0])
    assert all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point())


def test_denoiserep_fuse_then_test_deploy_on_targets(baseline_run, dg_data, tmp_path):
    work_dir = tmp_path / 'label_free'
    deterministic = torch.are_deterministic_algorithms_enabled()
    try:  # tools/train.py's logic, in this process (a unique experiment name for MMEngine)
        run_train([str(LABEL_FREE_CFG), '--work-dir', str(work_dir), '--cfg-options',
                   f'load_from={baseline_run / "epoch_1.pth"}', *_source_options(dg_data),
                   f'experiment_name=dff_label_free_{uuid.uuid4().hex[:8]}'])
    finally:
        torch.use_deterministic_algorithms(deterministic)
    logs = _scalars(work_dir)
    assert [r['step'] for r in logs] == [2] and logs[0]['loss_denoise'] > 0

    deploy = tmp_path / 'deploy.pth'
    proc = run_tool('tools/fuse_checkpoint.py', LABEL_FREE_CFG, work_dir / 'epoch_1.pth',
                    deploy, '--verify')
    out = proc.stdout + proc.stderr
    assert 'strict=True' in out, out[-3000:]
    match = re.search(r'max_abs_err=(\S+) max_rel_err=(\S+)', out)
    assert match, out[-3000:]
    assert float(match.group(2)) <= 1e-4
    layers = int(re.search(r'fused (\d+) denoised layer', out).group(1))
    fused = load_checkpoint_file(str(deploy))['state_dict']
    assert layers > 50 and not any('denoiser' in k for k in fused)
    baseline = load_local_checkpoint(str(baseline_run / 'epoch_1.pth'))['state_dict']
    assert set(fused) == set(baseline)
    key = 'backbone.layer1.1.conv2.g2g.filter.mask.conv.weight'
    assert not torch.equal(fused[key], baseline[key])  # the denoiser is in the weights

    test_dir = tmp_path / 'test'
    proc = run_tool('tools/test.py', BASELINE_CFG, deploy, '--work-dir', test_dir,
                    '--cfg-options', *_target_options(dg_data))
    log = proc.stdout + proc.stderr
    assert 'VIPeR/reid/num_trials: 2' in log and 'iLIDS/reid/num_trials: 2' in log
    files = glob.glob(osp.join(str(test_dir), '*', '*.json'))
    with open(files[0]) as f:
        metrics = json.loads(f.read().strip().splitlines()[-1])
    for target in ('VIPeR', 'iLIDS'):
        for name in ('mAP', 'R1', 'R5', 'R10', 'mINP'):
            assert 0 <= metrics[f'{target}/reid/{name}'] <= 100
    for name in ('mAP', 'R1', 'mINP'):
        assert metrics[f'mean/reid/{name}'] == pytest.approx(
            (metrics[f'VIPeR/reid/{name}'] + metrics[f'iLIDS/reid/{name}']) / 2)
