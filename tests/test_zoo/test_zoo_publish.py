"""Publishing: training state stripped, plain meta, <name>_<YYYYMMDD>-<sha256[:8]>.pth with the
file's real hash, weights_only=True loading, --use-deploy, and the round trip through a download."""
import os
import re
import time

import numpy as np
import pytest
import torch

from mmdenoise.apis.publish import PublishError, plain_meta, publish_checkpoint
from mmdenoise.utils import load_checkpoint_file, load_local_checkpoint
from zoo_test_utils import load_tool, sha256_of

NAME = 'denoiserep_toy_8xb32_in1k'
PATTERN = re.compile(rf'^{NAME}_(\d{{8}})-([0-9a-f]{{8}})\.pth$')


def check_published(path):
    match = PATTERN.match(os.path.basename(path))
    assert match, path
    data = open(path, 'rb').read()
    assert match.group(2) == sha256_of(data)[:8]
    ckpt = torch.load(path, map_location='cpu', weights_only=True)
    assert set(ckpt) == {'meta', 'state_dict'}
    assert os.listdir(os.path.dirname(path)) == [os.path.basename(path)]  # no temp files left
    return ckpt


def test_training_checkpoint_is_not_weights_only_loadable(training_checkpoint):
    """The fixture is the real thing: what the published file must no longer need."""
    with pytest.raises(RuntimeError, match='cannot load checkpoint'):
        load_checkpoint_file(str(training_checkpoint))
    ckpt = load_local_checkpoint(str(training_checkpoint))
    assert {'optimizer', 'param_schedulers', 'message_hub', 'deploy_state_dict'} <= set(ckpt)


def test_publish_strips_training_state(training_checkpoint, tmp_path):
    out = tmp_path / 'out'
    path = publish_checkpoint(str(training_checkpoint), str(out) + '/')
    assert os.path.dirname(path) == str(out)
    ckpt = check_published(path)
    assert PATTERN.match(os.path.basename(path)).group(1) == time.strftime('%Y%m%d')
    source = load_local_checkpoint(str(training_checkpoint))
    assert ckpt['state_dict'].keys() == source['state_dict'].keys()
    assert any('.denoiser.' in k for k in ckpt['state_dict'])  # the training (wrapper) weights
    for key, value in source['state_dict'].items():
        assert torch.equal(ckpt['state_dict'][key], value)
    meta = ckpt['meta']
    assert meta['epoch'] == 1 and meta['deploy'] is False and meta['cfg'].startswith('model')
    assert meta['dataset_meta'] == dict(classes=('a', 'b'), palette=[[1, 2, 3]], weights=0.5,
                                        count=7, dtype='float32')
    assert type(meta['dataset_meta']['count']) is int
    assert 'mmdenoise_version' in meta
    # readable by others like any new file (not the 0600 of its temporary file)
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask


def test_publish_use_deploy_swaps_in_the_deploy_weights(training_checkpoint, tmp_path):
    path = publish_checkpoint(str(training_checkpoint), str(tmp_path / 'deploy' / NAME),
                              use_deploy=True, date='20240105')
    assert os.path.basename(path).startswith(f'{NAME}_20240105-')
    ckpt = check_published(path)
    deploy = load_local_checkpoint(str(training_checkpoint))['deploy_state_dict']
    assert ckpt['state_dict'].keys() == deploy.keys()
    assert not any('.denoiser.' in k for k in ckpt['state_dict'])
    for key, value in deploy.items():
        assert torch.equal(ckpt['state_dict'][key], value)
    from mmengine.testing.runner_test_case import ToyModel
    ToyModel().load_state_dict(ckpt['state_dict'], strict=True)  # the plain task model
    assert ckpt['meta']['deploy'] is True
    assert 'cfg' not in ckpt['meta'] and ckpt['meta']['training_cfg'].startswith('model')


def test_use_deploy_without_deploy_weights_is_a_clear_error(tmp_path):
    plain = tmp_path / 'plain.pth'
    torch.save({'meta': {}, 'state_dict': {'w': torch.ones(2)}}, plain)
    out = tmp_path / 'out'
    with pytest.raises(PublishError, match="no 'deploy_state_dict'.*DenoiseRepDeployHook"):
        publish_checkpoint(str(plain), str(out / NAME), use_deploy=True)
    assert not out.exists() or os.listdir(out) == []


def test_names_and_keys(training_checkpoint, tmp_path):
    # the name comes from meta.experiment_name when OUT is a folder
    out = tmp_path / 'a'
    out.mkdir()
    check_published(publish_checkpoint(str(training_checkpoint), str(out)))
    # --config-name wins; a trailing .pth in OUT is not part of the name
    path = publish_checkpoint(str(training_checkpoint), str(tmp_path / 'b' / 'x.pth'),
                              config_name=f'{NAME}.pth')
    check_published(path)
    path = publish_checkpoint(str(training_checkpoint), str(tmp_path / 'c' / f'{NAME}.pth'))
    check_published(path)
    with pytest.raises(PublishError, match='has no'):
        publish_checkpoint(str(training_checkpoint), str(tmp_path / 'd' / NAME),
                           keep_keys=['meta', 'state_dict', 'ema_state_dict'])
    with pytest.raises(PublishError, match='must include state_dict'):
        publish_checkpoint(str(training_checkpoint), str(tmp_path / 'd' / NAME),
                           keep_keys=['meta'])
    bare = tmp_path / 'bare.pth'
    torch.save({'w': torch.ones(2)}, bare)  # a bare state dict is wrapped
    with pytest.raises(PublishError, match='config name'):
        publish_checkpoint(str(bare), str(tmp_path / 'e') + '/')
    ckpt = check_published(publish_checkpoint(str(bare), str(tmp_path / 'e' / NAME)))
    assert torch.equal(ckpt['state_dict']['w'], torch.ones(2))
    with pytest.raises(PublishError, match='not found'):
        publish_checkpoint(str(tmp_path / 'missing.pth'), str(tmp_path / 'f' / NAME))


def test_plain_meta():
    meta = plain_meta({'a': np.arange(3), np.str_('b'): (np.bool_(True), {np.int32(1)}),
                       'c': np.float64(2.5), 'e': [np.float32(1.5), torch.ones(1)]})
    assert meta == {'a': [0, 1, 2], 'b': (True, {1}), 'c': 2.5, 'e': [1.5, torch.ones(1)]}
    assert [type(k) for k in meta] == [str] * 4
    assert type(meta['b'][0]) is bool and type(meta['c']) is float
    with pytest.warns(UserWarning, match=r"meta\['d'\]"):
        assert plain_meta({'d': object()})['d'].startswith('<object')


def test_publish_tool(training_checkpoint, tmp_path, capsys):
    tool = load_tool('publish_model')
    out = tmp_path / 'out'
    assert tool.main([str(training_checkpoint), str(out) + '/', '--use-deploy',
                      '--config-name', NAME, '--keep-keys', 'meta', 'state_dict']) == 0
    printed = capsys.readouterr().out
    (name, ) = os.listdir(out)
    assert str(out / name) in printed
    assert f'sha256: {sha256_of((out / name).read_bytes())}' in printed
    assert tool.main([str(tmp_path / 'missing.pth'), str(out)]) == 1
    assert 'error: checkpoint file not found' in capsys.readouterr().err


def test_publish_then_download_round_trip(training_checkpoint, tmp_path, zoo_server, cache):
    from mmengine.runner.checkpoint import CheckpointLoader
    path = publish_checkpoint(str(training_checkpoint), str(tmp_path / 'pub' / NAME),
                              use_deploy=True)
    url = zoo_server.add('/zoo/' + os.path.basename(path), open(path, 'rb').read())
    loaded = CheckpointLoader.load_checkpoint(url, map_location='cpu')
    published = torch.load(path, map_location='cpu', weights_only=True)
    for key, value in published['state_dict'].items():
        assert torch.equal(loaded['state_dict'][key], value)
    assert os.listdir(cache) == [os.path.basename(path)]
