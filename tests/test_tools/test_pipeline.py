"""The main job end to end with the real tools: train a DenoiseRep wrapper (label-free and
label-augmented), fuse the checkpoint (--verify), test the plain deploy config on the fused
weights; --resume repeats an uninterrupted run exactly.

tools/train.py and tools/test.py run as subprocesses (with this interpreter) once each; the
other runs call the same code in this process, to keep the suite fast."""
import glob
import json
import os.path as osp
import pickle
import re
import shutil

import torch

import mmdenoise  # noqa: F401
from mmdenoise.apis import fuse_checkpoint, run_test, run_train
from mmdenoise.utils import load_checkpoint_file, load_local_checkpoint

from tool_test_utils import (LABEL_AUG_CFG, LABEL_FREE_CFG, PLAIN_CFG, data_options, load_tool,
                             run_tool)


def _metrics_json(work_dir):
    files = glob.glob(osp.join(str(work_dir), '*', '*.json'))
    assert files, f'no metrics json under {work_dir}'
    with open(sorted(files)[-1]) as f:
        return json.loads(f.read().strip().splitlines()[-1])


def _verify_errors(text):
    match = re.search(r'max_abs_err=(\S+) max_rel_err=(\S+)', text)
    assert match, text
    return float(match.group(1)), float(match.group(2))


def test_label_free_train_fuse_test(label_free_run, tiny_data, tmp_path, capsys):
    ckpt = label_free_run / 'epoch_1.pth'
    deploy = tmp_path / 'deploy.pth'
    # tools/fuse_checkpoint.py's front in this process (its subprocess start-up is the same as
    # tools/train.py's and tools/test.py's, run here as subprocesses)
    assert load_tool('fuse_checkpoint').main(
        [str(LABEL_FREE_CFG), str(ckpt), str(deploy), '--verify']) == 0
    out = capsys.readouterr().out
    max_abs, max_rel = _verify_errors(out)
    assert max_rel <= 1e-4 and max_abs < 1e-3
    assert 'strict=True' in out

    # plain file: loads with weights_only=True, keys of the untouched model
    fused = load_checkpoint_file(str(deploy))
    assert set(fused) == {'meta', 'state_dict'}
    assert not any('denoiser' in k for k in fused['state_dict'])
    meta = fused['meta']['denoiserep']
    assert meta['mode'] == 'label_free' and meta['fused_from'] == str(ckpt)
    assert meta['num_layers'] == 8  # every Linear of the 2-layer backbone
    training = load_local_checkpoint(str(ckpt))
    assert fused['meta']['epoch'] == training['meta']['epoch']  # source meta kept
    plain_keys = {k for k in training['state_dict'] if '.denoiser.' not in k}
    assert set(fused['state_dict']) == plain_keys

    # the deploy (plain) config on the fused weights, with --out and --show-dir
    out = tmp_path / 'results.pkl'
    show = tmp_path / 'show'
    test_dir = tmp_path / 'test'
    proc = run_tool('tools/test.py', PLAIN_CFG, deploy, '--work-dir', test_dir, '--out', out,
                    '--show-dir', show, '--cfg-options', *data_options(tiny_data))
    assert 'accuracy/top1' in proc.stdout + proc.stderr
    assert 'accuracy/top1' in _metrics_json(test_dir)
    with open(out, 'rb') as f:
        results = pickle.load(f)
    assert len(results) == 12 and 'pred_score' in results[0]
    assert len(glob.glob(osp.join(str(show), '*.png'))) == 12


def test_label_augmented_train_fuse_test(label_aug_run, tiny_data, tmp_path, in_process):
    """Label-augmented mode, a config naming its deploy_config; fuse and test through the API
    behind the tools (in this process, to keep the suite fast)."""
    ckpt = label_aug_run / 'epoch_2.pth'
    deploy = tmp_path / 'deploy.pth'
    result = fuse_checkpoint(str(LABEL_AUG_CFG), str(ckpt), str(deploy), verify=True,
                             logger=None)
    assert result['verify']['passed'] and result['verify']['max_rel_err'] <= 1e-4
    assert result['deploy_config'] == str(PLAIN_CFG)
    assert result['num_layers'] == 4 and result['meta']['mode'] == 'label_augmented'
    assert result['meta']['layers'][0] == 'backbone.layers.0.ffn.layers.0.0'

    fused = run_test([str(PLAIN_CFG), str(deploy), '--work-dir', str(tmp_path / 'test'),
                       '--cfg-options', *data_options(tiny_data), *in_process('deploy')])
    # the training config on the training checkpoint gives the same result (eval = fused)
    unfused = run_test([str(LABEL_AUG_CFG), str(ckpt), '--work-dir', str(tmp_path / 'wrapper'),
                         '--cfg-options', *data_options(tiny_data), *in_process('wrapper')])
    assert 'accuracy/top1' in fused and fused['accuracy/top1'] == unfused['accuracy/top1']


def test_resume_repeats_uninterrupted_run(label_aug_run, tiny_data, tmp_path, in_process):
    """2 epochs straight (fixture) vs 1 epoch + auto --resume to 2 (randomness
    seed 0, deterministic; the configs' IterationSeedHook)."""
    work_dir = tmp_path / 'resumed'
    work_dir.mkdir()
    shutil.copy(label_aug_run / 'epoch_1.pth', work_dir / 'epoch_1.pth')
    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'epoch_1.pth'))
    runner = run_train([str(LABEL_AUG_CFG), '--work-dir', str(work_dir), '--resume',
                         '--no-validate', '--cfg-options', *data_options(tiny_data),
                         'train_cfg.max_epochs=2', *in_process('resume')])
    assert runner.epoch == 2 and runner.iter == 6
    resumed = load_local_checkpoint(str(work_dir / 'epoch_2.pth'))
    assert resumed['meta']['epoch'] == 2
    straight = load_local_checkpoint(str(label_aug_run / 'epoch_2.pth'))['state_dict']
    first = load_local_checkpoint(str(label_aug_run / 'epoch_1.pth'))['state_dict']
    assert any(not torch.equal(first[k], straight[k]) for k in first)  # epoch 2 trained
    assert resumed['state_dict'].keys() == straight.keys()
    for key, value in straight.items():
        torch.testing.assert_close(resumed['state_dict'][key], value, rtol=0, atol=0, msg=key)
