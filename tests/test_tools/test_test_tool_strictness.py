"""tools/test.py refuses checkpoints that do not fit the config (issue 17) and deploy weights
given with a DenoiseRep training config (issue 18); --non-strict restores MMEngine's behaviour."""
import sys
from pathlib import Path

import pytest
import torch
from tool_test_utils import REPO, run_tool

from mmdenoise.apis.testing import check_checkpoint_matches_model
from mmdenoise.apis.runner_setup import ToolError

sys.path.insert(0, str(REPO / 'tests' / 'test_faults'))
import fault_log  # noqa: E402

DEMO = 'configs/demo/resnet18-w16_fashion-mnist-mini.py'
DEMO_DR = 'configs/demo/denoiserep-label-free_resnet18-w16_fashion-mnist-mini.py'
VIT_CKPT = ('data/checkpoints/fashion-mnist/'
            'denoiserep-label-free_vit-tiny-p4_fashion-mnist_20261121-6378aa33.pth')
DEPLOY = ('data/checkpoints/demo/'
          'denoiserep-label-free_resnet18-w16_fashion-mnist-mini_20261121-3ee10b88.pth')


def test_foreign_checkpoint_is_refused_naming_config_checkpoint_and_keys(tmp_path):
    proc = run_tool('tools/test.py', DEMO, VIT_CKPT, '--work-dir', tmp_path, check=False)
    assert proc.returncode == 1, proc.stdout[-2000:]
    err = proc.stderr.strip().splitlines()[-1]
    assert err.startswith('error: ') and 'Traceback' not in proc.stderr
    assert DEMO in err and VIT_CKPT in err
    assert 'missing keys' in err and 'unexpected keys' in err and '--non-strict' in err
    assert '0 of 122 model keys found' in err
    fault_log.record('checkpoint', 'foreign (ViT) checkpoint -> tools/test.py ResNet config',
                     message=err, expect_name=Path(VIT_CKPT).name)


def test_non_strict_restores_the_plain_mmengine_behaviour(tmp_path):
    proc = run_tool('tools/test.py', DEMO, VIT_CKPT, '--work-dir', tmp_path, '--non-strict',
                    check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'does not match the model of' in proc.stdout + proc.stderr  # still said loudly


def _wrapper():
    from mmengine.registry import DefaultScope

    from mmdenoise.apis.fuse_checkpoint import build_model_from_cfg
    from mmdenoise.apis.runner_setup import load_config
    cfg = load_config(str(REPO / DEMO_DR))
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return build_model_from_cfg(cfg)


def test_deploy_weights_with_the_denoiserep_config_are_refused(tmp_path):
    proc = run_tool('tools/test.py', DEMO_DR, DEPLOY, '--work-dir', tmp_path, check=False)
    assert proc.returncode == 1
    err = proc.stderr.strip().splitlines()[-1]
    assert 'fused deploy weights' in err and DEMO in err
    fault_log.record('checkpoint', 'fused deploy weights -> tools/test.py DenoiseRep config',
                     message=err, expect_name=Path(DEPLOY).name)
    # the deploy config takes them, strictly (the check passes without an error)
    from mmdenoise.apis.fuse_checkpoint import build_model_from_cfg
    from mmdenoise.apis.runner_setup import load_config
    plain = build_model_from_cfg(load_config(str(REPO / DEMO)))
    assert check_checkpoint_matches_model(plain, str(REPO / DEPLOY), DEMO) == []


def test_plain_checkpoint_into_the_wrapper_only_misses_denoiser_keys(tmp_path):
    wrapper = _wrapper()
    plain = {k: v for k, v in wrapper.state_dict().items() if '.denoiser.' not in k}
    path = tmp_path / 'plain.pth'
    torch.save(dict(state_dict=plain), path)
    with pytest.warns(UserWarning, match='untrained'):
        assert check_checkpoint_matches_model(wrapper, str(path), DEMO_DR)
    assert check_checkpoint_matches_model(wrapper, str(path), DEMO_DR, purpose='load_from') == []
    # one denoiser key too few among the denoiser keys: refused
    partial = dict(wrapper.state_dict())
    partial.pop(next(k for k in partial if '.denoiser.' in k))
    torch.save(dict(state_dict=partial), path)
    with pytest.raises(ToolError, match=r'missing keys 1: \[backbone\.layer1\.0\.conv1\.denoiser'):
        check_checkpoint_matches_model(wrapper, str(path), DEMO_DR)


def test_nan_weights_are_warned_about(tmp_path):
    wrapper = _wrapper()
    state = {k: (torch.full_like(v, float('nan')) if v.is_floating_point() else v)
             for k, v in wrapper.state_dict().items()}
    path = tmp_path / 'nan.pth'
    torch.save(dict(state_dict=state), path)
    with pytest.warns(UserWarning, match='NaN or inf'):
        warned = check_checkpoint_matches_model(wrapper, str(path), DEMO_DR)
    assert any('NaN or inf' in w for w in warned)


def test_train_refuses_a_load_from_that_does_not_fit(tmp_path):
    """MMEngine loads ``load_from`` non-strictly: a foreign checkpoint would train a partly random
    network with exit 0. tools/train.py refuses it before the first iteration."""
    proc = run_tool('tools/train.py', DEMO_DR, '--work-dir', tmp_path, '--cfg-options',
                    f'load_from={VIT_CKPT}', check=False)
    assert proc.returncode == 1, proc.stdout[-2000:]
    err = proc.stderr.strip().splitlines()[-1]
    assert err.startswith('error: ') and 'Traceback' not in proc.stderr
    assert DEMO_DR in err and VIT_CKPT in err and 'missing keys' in err and '--non-strict' in err
    assert not list(Path(tmp_path).rglob('*.pth'))  # nothing trained, nothing saved
    fault_log.record('checkpoint', 'foreign (ViT) checkpoint -> tools/train.py load_from',
                     message=err, expect_name=Path(VIT_CKPT).name)


def test_load_from_of_denoiserep_training_weights_into_a_plain_model_points_at_fusion(
        tmp_path):
    """The wrapper's training weights (with denoisers) as load_from of a plain config: refused,
    pointing at tools/fuse_checkpoint.py (the plain-into-wrapper case passes: see above)."""
    trained = tmp_path / 'trained.pth'
    torch.save({'state_dict': _wrapper().state_dict()}, trained)
    from mmdenoise.apis.fuse_checkpoint import build_model_from_cfg
    from mmdenoise.apis.runner_setup import load_config
    plain_model = build_model_from_cfg(load_config(str(REPO / DEMO)))
    with pytest.raises(ToolError, match='fuse it first.*start from OUTPUT'):
        check_checkpoint_matches_model(plain_model, str(trained), DEMO, purpose='load_from')
