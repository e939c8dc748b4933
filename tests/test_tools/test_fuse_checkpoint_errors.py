"""tools/fuse_checkpoint.py on bad inputs: each fails with a clear message and leaves no file
(neither the output nor a temporary file next to it)."""
import copy
import os
import os.path as osp

import pytest
import torch
from torch import nn

import mmdenoise  # noqa: F401
from mmdenoise.apis import (FuseCheckpointError, VerificationError, build_model_from_cfg,
                            deploy_model_config, fuse_checkpoint, load_config)
from mmdenoise.utils import load_checkpoint_file
from tool_test_utils import LABEL_AUG_CFG, LABEL_FREE_CFG, PLAIN_CFG, load_tool


@pytest.fixture(scope='module')
def wrapper_state():
    """The state dict of the label-free wrapper (untrained denoisers fuse just as well)."""
    return build_model_from_cfg(load_config(str(LABEL_FREE_CFG))).state_dict()


def _save(path, state, meta=None):
    torch.save({'meta': meta or {'epoch': 1}, 'state_dict': state}, str(path))
    return str(path)


def _only(folder, *names):
    assert sorted(os.listdir(folder)) == sorted(names), os.listdir(folder)


def _fuse(cfg, ckpt, out, **kwargs):
    return fuse_checkpoint(str(cfg), str(ckpt), str(out), logger=None, **kwargs)


def test_good_checkpoint_fuses_and_force_overwrites(wrapper_state, tmp_path):
    ckpt = _save(tmp_path / 'train.pth', wrapper_state, meta={'epoch': 3, 'np': [1, 2]})
    out_dir = tmp_path / 'out'
    out_dir.mkdir()
    out = out_dir / 'deploy.pth'
    out.write_bytes(b'old')
    with pytest.raises(FileExistsError, match='use --force'):
        _fuse(LABEL_FREE_CFG, ckpt, out)
    assert out.read_bytes() == b'old'
    result = _fuse(LABEL_FREE_CFG, ckpt, out, force=True, verify=True)
    _only(out_dir, 'deploy.pth')
    fused = load_checkpoint_file(str(out))  # weights_only=True
    assert fused['meta']['epoch'] == 3 and fused['meta']['denoiserep']['mode'] == 'label_free'
    assert result['verify']['max_rel_err'] <= 1e-4
    # the plain model takes the weights strictly
    plain = build_model_from_cfg(load_config(str(PLAIN_CFG)))
    plain.load_state_dict(fused['state_dict'], strict=True)


def test_existing_output_is_refused_before_any_work(tmp_path):
    out = tmp_path / 'deploy.pth'
    out.write_bytes(b'old')
    # the config and checkpoint do not even exist: the output is checked first
    with pytest.raises(FileExistsError, match='exists'):
        _fuse(tmp_path / 'missing.py', tmp_path / 'missing.pth', out)
    assert out.read_bytes() == b'old'


def test_checkpoint_without_denoisers(tmp_path):
    cfg = load_config(str(LABEL_FREE_CFG))
    dcfg, _ = deploy_model_config(cfg, str(LABEL_FREE_CFG))
    ckpt = _save(tmp_path / 'plain.pth', build_model_from_cfg(dcfg).state_dict())
    out_dir = tmp_path / 'out'
    with pytest.raises(FuseCheckpointError,
                       match='contains no DenoiseRep denoiser weights: was it trained with a '
                       'DenoiseRep config'):
        _fuse(LABEL_FREE_CFG, ckpt, out_dir / 'deploy.pth')
    assert not osp.exists(out_dir / 'deploy.pth')
    if osp.isdir(out_dir):
        _only(out_dir)


def test_keys_not_matching_the_config(wrapper_state, tmp_path):
    state = dict(wrapper_state)
    state.pop('backbone.ln1.weight')
    state['backbone.bogus.weight'] = torch.zeros(1)
    ckpt = _save(tmp_path / 'train.pth', state)
    with pytest.raises(FuseCheckpointError) as info:
        _fuse(LABEL_FREE_CFG, ckpt, tmp_path / 'deploy.pth')
    msg = str(info.value)
    assert 'does not match the model of the training config' in msg
    assert 'missing keys 1: [backbone.ln1.weight]' in msg
    assert 'unexpected keys 1: [backbone.bogus.weight]' in msg
    _only(tmp_path, 'train.pth')

    # a label-free checkpoint (all 8 backbone Linears) with the label-augmented config (4 FFN
    # Linears): the attention layers' denoisers are unexpected; long lists are cut at 10
    with pytest.raises(FuseCheckpointError) as info:
        _fuse(LABEL_AUG_CFG, ckpt, tmp_path / 'deploy.pth')
    msg = str(info.value)
    assert 'backbone.layers.0.attn.qkv.denoiser.' in msg and 'more)' in msg
    _only(tmp_path, 'train.pth')


def test_shape_mismatch_is_named(wrapper_state, tmp_path):
    state = dict(wrapper_state)
    state['head.layers.head.weight'] = torch.zeros(5, 32)
    ckpt = _save(tmp_path / 'train.pth', state)
    with pytest.raises(FuseCheckpointError, match=r'shape mismatches 1: \[head.layers.head.weight'):
        _fuse(LABEL_FREE_CFG, ckpt, tmp_path / 'deploy.pth')
    _only(tmp_path, 'train.pth')


def test_config_without_wrapper(wrapper_state, tmp_path):
    ckpt = _save(tmp_path / 'train.pth', wrapper_state)
    with pytest.raises(FuseCheckpointError, match='not a mmdenoise.DenoiseRepWrapper'):
        _fuse(PLAIN_CFG, ckpt, tmp_path / 'deploy.pth')
    _only(tmp_path, 'train.pth')


def test_deploy_config_that_does_not_take_the_weights(wrapper_state, tmp_path):
    ckpt = _save(tmp_path / 'train.pth', wrapper_state)
    deploy_cfg = tmp_path / 'deploy_cfg.py'
    deploy_cfg.write_text(f'_base_ = {str(PLAIN_CFG)!r}\nmodel = dict(head=dict(num_classes=4))\n')
    with pytest.raises(FuseCheckpointError) as info:
        _fuse(LABEL_FREE_CFG, ckpt, tmp_path / 'deploy.pth', deploy_config=str(deploy_cfg))
    msg = str(info.value)
    assert 'do not fit the deploy model' in msg and 'head.layers.head.weight (3, 32) vs (4, 32)'\
        in msg
    _only(tmp_path, 'train.pth', 'deploy_cfg.py')


def test_verify_catches_a_wrong_fusion(wrapper_state, tmp_path, monkeypatch):
    from mmdenoise.models import DenoiseRepWrapper
    fuse = DenoiseRepWrapper.fuse

    def broken_fuse(self, *args, **kwargs):
        plain = fuse(self, *args, **kwargs)
        with torch.no_grad():
            plain.backbone.layers[0].ffn.layers[1].weight.mul_(1.1)
        return plain

    monkeypatch.setattr(DenoiseRepWrapper, 'fuse', broken_fuse)
    ckpt = _save(tmp_path / 'train.pth', wrapper_state)
    # the final check runs always, not only with --verify, and names the worst layer
    for verify in (False, True):
        with pytest.raises(VerificationError,
                           match=r"worst layer 'backbone\.layers\.0\.ffn\.layers\.1'") as info:
            _fuse(LABEL_FREE_CFG, ckpt, tmp_path / 'deploy.pth', verify=verify)
        assert info.value.report['max_rel_err'] > 1e-4
        assert info.value.report['worst_layer'] == 'backbone.layers.0.ffn.layers.1'
        _only(tmp_path, 'train.pth')


def test_cli_reports_the_error_and_exits_non_zero(tmp_path, capsys):
    """The command line front: a clear one-line error, exit status 1, no output file."""
    cfg = load_config(str(LABEL_FREE_CFG))
    dcfg, _ = deploy_model_config(cfg, str(LABEL_FREE_CFG))
    ckpt = _save(tmp_path / 'plain.pth', build_model_from_cfg(dcfg).state_dict())
    out = tmp_path / 'deploy.pth'
    tool = load_tool('fuse_checkpoint')
    assert tool.main([str(LABEL_FREE_CFG), ckpt, str(out), '--verify']) == 1
    err = capsys.readouterr().err
    assert err.startswith('error: ') and 'contains no DenoiseRep denoiser weights' in err
    _only(tmp_path, 'plain.pth')

    out.write_bytes(b'old')
    assert tool.main([str(LABEL_FREE_CFG), ckpt, str(out)]) == 1
    assert 'exists; refusing to overwrite it (use --force)' in capsys.readouterr().err
    assert out.read_bytes() == b'old'


@pytest.mark.parametrize('which', ['all', 'denoiser'])
@pytest.mark.parametrize('verify', [False, True])
def test_nan_weights_are_refused_naming_the_tensor(wrapper_state, tmp_path, which, verify):
    """Issue 17: NaN weights (everywhere, or only in the denoisers) used to pass --verify with
    max_abs_err=0 (Python's max() skips NaN) and be written."""
    state = {k: (torch.full_like(v, float('nan'))
                 if v.is_floating_point() and (which == 'all' or '.denoiser.' in k) else v)
             for k, v in wrapper_state.items()}
    first = next(k for k, v in state.items() if v.is_floating_point() and v.isnan().any())
    ckpt = _save(tmp_path / 'train.pth', state)
    with pytest.raises(FuseCheckpointError, match='NaN or inf') as info:
        _fuse(LABEL_FREE_CFG, ckpt, tmp_path / 'deploy.pth', verify=verify)
    assert repr(first) in str(info.value) and 'train.pth' in str(info.value)
    _only(tmp_path, 'train.pth')


class _Toy(nn.Module):
    """A model the verification runs in 'tensor' mode and through extract_feat."""

    def __init__(self, broken_feat=False, unreadable=False):
        super().__init__()
        self.fc = nn.Conv2d(3, 2, 1)
        self.broken_feat, self.unreadable = broken_feat, unreadable

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.fc(inputs.float())
        if self.unreadable:
            class Sample:
                def to_dict(self):
                    raise ValueError('cannot convert')
            return [out, Sample()]
        return out

    def extract_feat(self, inputs):
        if self.broken_feat:
            raise RuntimeError('feature path broken')
        return self.fc(inputs.float())


def test_verify_reports_every_output_it_could_not_compare():
    from mmdenoise.apis.fuse_checkpoint import compare_models
    toy = _Toy()
    good = compare_models(toy, copy.deepcopy(toy), (8, 8))
    assert good['methods'] == ['tensor', 'extract_feat'] and good['max_abs_err'] == 0
    assert any(line.startswith('two_stage_heads') for line in good['not_applicable'])
    with pytest.raises(FuseCheckpointError, match=r"1 expected output\(s\) could not be "
                       r"compared.*extract_feat: RuntimeError: feature path broken"):
        compare_models(_Toy(broken_feat=True), _Toy(), (8, 8))
    with pytest.raises(FuseCheckpointError, match=r'tensor\[1\]: cannot read Sample'):
        compare_models(_Toy(unreadable=True), _Toy(unreadable=True), (8, 8))
    nan = copy.deepcopy(toy)
    with torch.no_grad():
        nan.fc.bias.fill_(float('nan'))
    with pytest.raises(FuseCheckpointError, match='deploy model holds NaN or inf'):
        compare_models(toy, nan, (8, 8))
