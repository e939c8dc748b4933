"""fuse_checkpoint's verification feeds images with the channels the model takes (its data
preprocessor's mean), not always 3."""
import pytest
import torch
from mmengine.config import Config

import mmdenoise  # noqa: F401
from mmdenoise.apis import FuseCheckpointError, build_model_from_cfg
from mmdenoise.apis.fuse_checkpoint import compare_models, input_channels


def _grey_wrapper():
    arch = dict(
        type='ImageClassifier',
        data_preprocessor=dict(type='ClsDataPreprocessor', mean=[127.5], std=[127.5]),
        backbone=dict(type='ResNet', depth=18, in_channels=1, stem_channels=8, base_channels=8,
                      out_indices=(3, )),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=4, in_channels=64))
    cfg = Config(dict(default_scope='mmpretrain', model=dict(
        type='mmdenoise.DenoiseRepWrapper', architecture=arch, mode='label_free',
        attach=dict(layer_types=('Conv2d', ), include=[r'^backbone\.layer\d\.\d\.conv[12]$']))))
    wrapper = build_model_from_cfg(cfg)
    with torch.no_grad():
        for name, p in wrapper.named_parameters():
            if '.denoiser.' in name:
                p.add_(torch.randn_like(p) * 0.05)
    return wrapper


def test_grey_model_is_verified_with_one_channel():
    wrapper = _grey_wrapper()
    assert input_channels(wrapper) == 1
    fused = wrapper.fuse()
    report = compare_models(wrapper, fused, (32, 32))
    assert report['input_shape'] == [1, 1, 32, 32]
    assert report['max_rel_err'] <= 1e-4 and report['max_abs_ref'] > 0

    # the comparison still sees a wrong fusion on grey inputs
    with torch.no_grad():
        fused.backbone.layer1[0].conv1.weight.mul_(1.5)
    assert compare_models(wrapper, fused, (32, 32))['max_rel_err'] > 1e-3

    # 3-channel images cannot run on it: a clear error naming the shape tried
    with pytest.raises(FuseCheckpointError, match=r'1x3x32x32'):
        compare_models(wrapper, wrapper.fuse(), (32, 32), channels=3)


def test_default_is_three_channels_without_mean():
    assert input_channels(torch.nn.Linear(2, 2)) == 3
