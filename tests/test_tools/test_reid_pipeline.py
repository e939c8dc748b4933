"""TransReID-SSL ViT-S with and without DenoiseRep on a tiny Market-style folder, through the
tools: tools/train.py (2 iterations each), tools/fuse_checkpoint.py --verify, tools/test.py of the
vanilla config on the fused weights, which reports the ReID metrics."""
import json
import re

import pytest
import torch

import mmdenoise  # noqa: F401
from mmdenoise.utils import load_checkpoint_file, load_local_checkpoint

from tool_test_utils import REPO, load_tool, run_tool

PLAIN = REPO / 'tests/data/configs/reid/tiny_transreid-ssl_vit-small_market1501.py'
LABEL_FREE = (REPO / 'tests/data/configs/reid/'
              'denoiserep-label-free_tiny_transreid-ssl_vit-small_market1501.py')
REID_KEYS = ('reid/mAP', 'reid/R1', 'reid/mINP')


@pytest.fixture(scope='module')
def market(tmp_path_factory):
    import sys
    sys.path.insert(0, str(REPO / 'tests' / 'test_datasets'))
    from reid_layouts import make_market
    return make_market(str(tmp_path_factory.mktemp('market')), size=(64, 32))


def _data(root):
    return [f'{loader}.dataset.data_root={root}'
            for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')]


def _metrics(work_dir):
    files = sorted(work_dir.glob('*/*.json'))
    assert files, f'no metrics under {work_dir}'
    return json.loads(files[-1].read_text().strip().splitlines()[-1])


@pytest.fixture(scope='module')
def baseline(market, tmp_path_factory):
    """tools/train.py on the plain TransReID-SSL ViT-S config: its checkpoint."""
    work_dir = tmp_path_factory.mktemp('reid_plain')
    proc = run_tool('tools/train.py', PLAIN, '--work-dir', work_dir, '--cfg-options',
                    *_data(market))
    assert all(k in proc.stdout + proc.stderr for k in REID_KEYS)  # validation at the end
    return work_dir / 'iter_2.pth'


def test_plain_model_trains_and_tests(baseline, market, tmp_path):
    proc = run_tool('tools/test.py', PLAIN, baseline, '--work-dir', tmp_path, '--cfg-options',
                    *_data(market))
    metrics = _metrics(tmp_path)
    assert all(k in metrics for k in REID_KEYS), metrics
    assert 0.0 <= metrics['reid/mAP'] <= 100.0
    assert 'reid/R1' in proc.stdout + proc.stderr


def test_denoiserep_label_free_train_fuse_test(baseline, market, tmp_path, capsys):
    work_dir = tmp_path / 'label_free'
    run_tool('tools/train.py', LABEL_FREE, '--work-dir', work_dir, '--cfg-options',
             *_data(market), f'load_from={baseline}')
    ckpt = work_dir / 'iter_2.pth'
    state = load_local_checkpoint(str(ckpt))['state_dict']
    plain = load_local_checkpoint(str(baseline))['state_dict']
    # label-free: the trained ViT is untouched, 24 MLP Linear layers got denoisers
    assert set(plain) == {k for k in state if '.denoiser.' not in k}
    assert all(torch.equal(plain[k], state[k]) for k in plain)
    assert len({k.split('.denoiser.')[0] for k in state if '.denoiser.' in k}) == 24

    fused = tmp_path / 'fused.pth'
    assert load_tool('fuse_checkpoint').main([str(LABEL_FREE), str(ckpt), str(fused),
                                              '--verify']) == 0
    out = capsys.readouterr().out
    max_rel = float(re.search(r'max_rel_err=(\S+)', out).group(1))
    assert max_rel <= 1e-4
    weights = load_checkpoint_file(str(fused))['state_dict']
    assert set(weights) == set(plain)
    assert any(not torch.equal(weights[k], plain[k]) for k in plain)  # the denoisers are in

    # the vanilla config on the fused weights: the ReID metrics
    test_dir = tmp_path / 'test'
    run_tool('tools/test.py', PLAIN, fused, '--work-dir', test_dir, '--cfg-options',
             *_data(market))
    metrics = _metrics(test_dir)
    assert all(k in metrics for k in REID_KEYS), metrics
