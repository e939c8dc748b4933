"""DGRL end to end through the tools (subprocesses): build a tiny MLR-Market-1501 test set with
tools/dataset_converters/build_mlr_dataset.py from a generated Market layout, train the tiny DGRL
2 iterations with tools/train.py, evaluate it with tools/test.py; train the tiny label-free
DenoiseRep variant from it, fuse with tools/fuse_checkpoint.py --verify (its command-line front,
in this process, to save one interpreter start) and test the fused weights with the deploy
(plain DGRL) config."""
import glob
import json
import os.path as osp
import re
import sys

import cv2
import pytest
import torch

from dgrl_test_utils import REPO

sys.path.insert(0, osp.join(REPO, 'tests', 'test_datasets'))
sys.path.insert(0, osp.join(REPO, 'tests', 'test_tools'))
from reid_layouts import make_market  # noqa: E402
from tool_test_utils import load_tool, run_tool  # noqa: E402

from mmdenoise.datasets.mlr import read_mlr_manifest  # noqa: E402
from mmdenoise.utils import load_checkpoint_file, load_local_checkpoint  # noqa: E402

CONFIGS = osp.join(REPO, 'tests', 'data', 'configs', 'dgrl')
PLAIN_CFG = osp.join(CONFIGS, 'dgrl_tiny_mlr-market1501.py')
LABEL_FREE_CFG = osp.join(CONFIGS, 'denoiserep-label-free_dgrl_tiny_mlr-market1501.py')
METRICS = ('reid/mAP', 'reid/R1', 'reid/R5', 'reid/R10')


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    """(HR Market layout for training, its MLR copy for testing, --cfg-options for both)."""
    root = tmp_path_factory.mktemp('dgrl_data')
    market = make_market(str(root / 'market'), size=(64, 32))
    mlr = str(root / 'mlr_market')
    proc = run_tool('tools/dataset_converters/build_mlr_dataset.py', market, mlr,
                    '--source', 'market1501')
    assert 'images downsampled' in proc.stdout
    options = [f'train_dataloader.dataset.data_root={market}',
               f'val_dataloader.dataset.data_root={mlr}',
               f'test_dataloader.dataset.data_root={mlr}']
    return market, mlr, options


@pytest.fixture(scope='module')
def plain_run(data, tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('dgrl_plain')
    proc = run_tool('tools/train.py', PLAIN_CFG, '--work-dir', work_dir, '--no-validate',
                    '--cfg-options', *data[2])
    return work_dir, proc.stdout + proc.stderr


def _metrics(work_dir):
    files = sorted(glob.glob(osp.join(str(work_dir), '*', '*.json')))
    assert files, f'no metrics json under {work_dir}'
    with open(files[-1]) as f:
        return json.loads(f.read().strip().splitlines()[-1])


def test_mlr_builder_makes_low_resolution_camera_1(data):
    market, mlr, _ = data
    ratios = read_mlr_manifest(mlr)
    queries = sorted(glob.glob(osp.join(mlr, 'query', '*.jpg')))
    assert queries and all(f'query/{osp.basename(q)}' in ratios for q in queries)
    assert not any('_c2' in path for path in ratios)  # only camera 1 is low resolution
    for path, ratio in ratios.items():
        assert ratio in (2, 3, 4)
        assert cv2.imread(osp.join(mlr, path)).shape[:2] == (round(64 / ratio),
                                                             round(32 / ratio))


def test_train_two_iterations_then_test(plain_run, data, tmp_path):
    work_dir, log = plain_run
    assert re.search(r'Epoch\(train\) \[2\]\[1/1\].*loss_feat', log)
    for key in ('loss_id', 'loss_metric', 'loss_kl', 'loss_feat'):
        assert key in log
    ckpt = load_local_checkpoint(str(work_dir / 'epoch_2.pth'))['state_dict']
    assert any(k.startswith('sr_branch.restormer.') for k in ckpt)
    test_dir = tmp_path / 'test'
    proc = run_tool('tools/test.py', PLAIN_CFG, work_dir / 'epoch_2.pth', '--work-dir', test_dir,
                    '--cfg-options', *data[2])
    metrics = _metrics(test_dir)
    for key in METRICS:
        assert key in metrics and 0 <= metrics[key] <= 100, key
    assert 'reid/mAP' in proc.stdout + proc.stderr


def test_denoiserep_label_free_fuse_verify_and_deploy_test(plain_run, data, tmp_path, capsys):
    plain_ckpt = plain_run[0] / 'epoch_2.pth'
    work_dir = tmp_path / 'label_free'
    run_tool('tools/train.py', LABEL_FREE_CFG, '--work-dir', work_dir, '--no-validate',
             '--cfg-options', *data[2], f'load_from={plain_ckpt}')
    trained = load_local_checkpoint(str(work_dir / 'epoch_2.pth'))['state_dict']
    plain = load_local_checkpoint(str(plain_ckpt))['state_dict']
    denoisers = [k for k in trained if '.denoiser.' in k]
    assert denoisers and not [k for k in denoisers if k.startswith(('sr.', 'heads.'))]
    for key, value in plain.items():  # label-free: the DGRL weights stay as loaded
        torch.testing.assert_close(trained[key], value, rtol=0, atol=0, msg=key)

    deploy = tmp_path / 'deploy.pth'
    # tools/fuse_checkpoint.py's front in this process (its start-up is tools/train.py's)
    assert load_tool('fuse_checkpoint').main(
        [LABEL_FREE_CFG, str(work_dir / 'epoch_2.pth'), str(deploy), '--verify']) == 0
    out = capsys.readouterr().out
    assert 'strict=True' in out
    match = re.search(r'max_abs_err=(\S+) max_rel_err=(\S+)', out)
    assert match and float(match.group(2)) <= 1e-4, out
    fused = load_checkpoint_file(str(deploy))['state_dict']
    assert set(fused) == set(plain)
    assert any(not torch.equal(fused[k], plain[k]) for k in fused)  # the denoisers are in

    test_dir = tmp_path / 'test_deploy'
    run_tool('tools/test.py', PLAIN_CFG, deploy, '--work-dir', test_dir,
             '--cfg-options', *data[2])
    metrics = _metrics(test_dir)
    for key in METRICS:
        assert key in metrics, key
