"""fuse_checkpoint's verification on a detector: a two-stage model's tensor forward needs
proposals through NMS, so the RPN head and the RoI head (on fixed proposals) are compared."""
import pytest
import torch
from mmengine.config import Config

import mmdenoise  # noqa: F401
from mmdenoise.apis import FuseCheckpointError, build_model_from_cfg, compare_models


@pytest.fixture(scope='module')
def tiny_faster_rcnn_wrapper():
    from mmengine.hub import get_config
    base = get_config('mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py')
    model = base.model
    model.backbone.update(depth=18, init_cfg=None)
    model.neck.update(in_channels=[64, 128, 256, 512], out_channels=32)
    model.rpn_head.update(in_channels=32, feat_channels=32)
    model.roi_head.bbox_roi_extractor.out_channels = 32
    model.roi_head.bbox_head.update(in_channels=32, fc_out_channels=64, num_classes=3)
    cfg = Config(dict(default_scope='mmdet', model=dict(
        type='mmdenoise.DenoiseRepWrapper', architecture=model, mode='label_free',
        attach=dict(layer_types=('Linear', 'Conv2d'),
                    include=[r'^roi_head\.bbox_head\.shared_fcs\.', r'^rpn_head\.rpn_conv$',
                             r'^neck\.fpn_convs\.0\.conv$']))))
    wrapper = build_model_from_cfg(cfg)
    with torch.no_grad():  # non-trivial denoisers
        for name, p in wrapper.named_parameters():
            if '.denoiser.' in name:
                p.add_(torch.randn_like(p) * 0.05)
    return wrapper


def test_two_stage_heads_are_compared(tiny_faster_rcnn_wrapper):
    wrapper = tiny_faster_rcnn_wrapper
    report = compare_models(wrapper, wrapper.fuse(), (64, 96))
    assert report['methods'] == ['two_stage_heads', 'extract_feat']
    assert report['max_rel_err'] <= 1e-4 and report['num_tensors'] > 5

    # the RoI head's fused layers are covered: break one and the comparison sees it
    broken = wrapper.fuse()
    with torch.no_grad():
        broken.roi_head.bbox_head.shared_fcs[1].weight.mul_(1.5)
    assert compare_models(wrapper, broken, (64, 96))['max_rel_err'] > 1e-3

    # a different head: named shape mismatch
    bad = wrapper.fuse()
    bad.roi_head.bbox_head.fc_cls = torch.nn.Linear(64, 7)
    with pytest.raises(FuseCheckpointError, match=r'has shape \(\S+ 4\) \(wrapper\) vs'):
        compare_models(wrapper, bad, (64, 96))
