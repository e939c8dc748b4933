"""Fault cases of the checkpoint-reading tools and of training: every bad checkpoint is refused
by every tool with one ``error:`` line naming the file, nothing is written or lost; a NaN noise
loss stops training naming the layer; the deploy hook never publishes a wrong fusion."""
import os
import os.path as osp
import pickle
import sys
import types
from pathlib import Path

import pytest
import torch

import fault_log

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / 'tests' / 'test_tools'))
from tool_test_utils import LABEL_FREE_CFG, PLAIN_CFG, load_tool  # noqa: E402

DEPLOY = REPO / ('data/checkpoints/demo/'
                 'denoiserep-label-free_resnet18-w16_fashion-mnist-mini_20261121-3ee10b88.pth')


class _Payload:
    def __reduce__(self):
        return (os.system, ('echo pwned > /dev/null', ))


@pytest.fixture(scope='module')
def wrapper():
    from mmdenoise.apis.fuse_checkpoint import build_model_from_cfg
    from mmdenoise.apis.runner_setup import load_config
    return build_model_from_cfg(load_config(str(LABEL_FREE_CFG)))


def _bad_checkpoints(folder: Path, wrapper):
    good = folder / 'good.pth'
    torch.save(dict(meta=dict(epoch=1), state_dict=wrapper.state_dict()), good)
    data = good.read_bytes()
    cases = {}
    cases['truncated'] = data[:len(data) // 2]
    cases['random bytes'] = os.urandom(4096)
    cases['empty'] = b''
    cases['malicious pickle'] = pickle.dumps({'state_dict': {}, 'x': _Payload()})
    for name, blob in cases.items():
        path = folder / (name.replace(' ', '_') + '.pth')
        path.write_bytes(blob)
        yield name, path
    foreign = folder / 'foreign.pth'
    torch.save(dict(state_dict={'conv.weight': torch.zeros(2, 2)}), foreign)
    yield 'foreign', foreign
    yield 'already fused', DEPLOY


def _listing(folder):
    return {p: Path(p).stat().st_mtime_ns for p in map(str, Path(folder).rglob('*'))}


def test_every_checkpoint_tool_refuses_every_bad_checkpoint(tmp_path, wrapper, capsys):
    fuse_tool, test_tool = load_tool('fuse_checkpoint'), load_tool('test')
    inputs = tmp_path / 'inputs'
    inputs.mkdir()
    cases = list(_bad_checkpoints(inputs, wrapper))
    out_dir = tmp_path / 'out'
    out_dir.mkdir()
    (out_dir / 'deploy.pth').write_bytes(b'previous good output')
    for name, path in cases:
        before = _listing(inputs)
        runs = {
            'fuse_checkpoint': lambda: fuse_tool.main(
                [str(LABEL_FREE_CFG), str(path), str(out_dir / 'deploy.pth'), '--force']),
            'test (DenoiseRep config)': lambda: test_tool.main(
                [str(LABEL_FREE_CFG), str(path), '--work-dir', str(tmp_path / 'w')]),
        }
        if name not in ('already fused', ):
            runs['test (plain config)'] = lambda: test_tool.main(
                [str(PLAIN_CFG), str(path), '--work-dir', str(tmp_path / 'w')])
        for tool, run in runs.items():
            rc = run()
            err = capsys.readouterr().err.strip()
            assert rc == 1, (name, tool, err)
            last = err.splitlines()[-1] if err else ''
            lost = ((out_dir / 'deploy.pth').read_bytes() != b'previous good output'
                    or sorted(os.listdir(out_dir)) != ['deploy.pth']
                    or _listing(inputs) != before)
            fault_log.record('checkpoint', f'{name} -> {tool}', lost=lost, message=last,
                             expect_name=path.name)
            assert last.startswith('error: '), (name, tool, err[-2000:])


def test_nan_noise_loss_stops_training_naming_the_layer(wrapper):
    import copy
    model = copy.deepcopy(wrapper).train()
    layer = model.denoised_layers[1].name
    with torch.no_grad():
        model.architecture.get_submodule(layer).denoiser.wd.fill_(float('nan'))
    inputs = torch.randn(2, 3, 32, 32)
    with pytest.raises(FloatingPointError) as info:
        model.loss(inputs, None)
    fault_log.record('training', 'NaN noise loss', message=str(info.value),
                     expect_name=layer)


def test_deploy_hook_never_publishes_a_wrong_fusion(tmp_path, wrapper, monkeypatch):
    import copy

    from mmengine.logging import MMLogger

    from mmdenoise.denoiserep import FusionCheckError
    from mmdenoise.engine import DenoiseRepDeployHook
    model = copy.deepcopy(wrapper)
    fuse = type(model).fuse

    def broken(self, *args, **kwargs):
        plain = fuse(self, *args, **kwargs)
        name = self.denoised_layers[-1].name
        with torch.no_grad():
            plain.get_submodule(name).weight.mul_(1.01)
        return plain

    runner = types.SimpleNamespace(model=model, work_dir=str(tmp_path), epoch=1, iter=1,
                                   experiment_name='x',
                                   logger=MMLogger.get_instance('fault_deploy'))
    hook = DenoiseRepDeployHook()
    hook.after_train(runner)  # a correct fusion is checked and published
    assert osp.isfile(tmp_path / 'deploy.pth')
    good = (tmp_path / 'deploy.pth').read_bytes()
    monkeypatch.setattr(type(model), 'fuse', broken)
    with pytest.raises(FusionCheckError) as info:
        hook.after_train(runner)
    lost = (tmp_path / 'deploy.pth').read_bytes() != good or len(os.listdir(tmp_path)) != 1
    fault_log.record('training', 'wrong fusion at the end of training', lost=lost,
                     message=str(info.value), expect_name=model.denoised_layers[-1].name)
    assert 'deploy.pth not written' in str(info.value)


@pytest.mark.parametrize('option, expected', [
    ('model.attach.layer_typess=Linear', "unknown option"),
    ('model.type=mmdenoise.NoSuchWrapper', 'NoSuchWrapper'),
])
def test_config_mistakes_give_one_error_line_naming_the_config(tmp_path, capsys, option,
                                                                expected):
    rc = load_tool('test').main([str(LABEL_FREE_CFG), str(DEPLOY), '--work-dir',
                                 str(tmp_path), '--cfg-options', option])
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith('error:')]
    assert rc == 1 and len(lines) == 1, lines
    err = lines[0]
    assert expected in err and 'Traceback' not in err
    fault_log.record('config', option, message=err, expect_name=LABEL_FREE_CFG.name)
