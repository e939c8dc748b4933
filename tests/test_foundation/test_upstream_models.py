"""The pinned stack runs the upstream model families the zoo uses, on CPU, from their configs.

Each model is built from the upstream config (``mmengine.hub.get_config('mmX::...')``) with
pretrained backbone weights disabled, and run in the modes that apply on tiny inputs.
"""
import pytest
import torch
from mmengine.hub import get_config
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import init_default_scope


def _build(cfg_path, scope, **backbone_overrides):
    cfg = get_config(cfg_path)
    init_default_scope(scope)
    model_cfg = cfg.model
    if cfg.get('data_preprocessor') is not None:  # as Runner does: merge the top-level one
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    if 'backbone' in model_cfg:
        model_cfg.backbone.init_cfg = None
        model_cfg.backbone.update(backbone_overrides)
    if 'pretrained' in model_cfg:
        model_cfg.pretrained = None
    registry = {
        'mmpretrain': 'mmpretrain.registry',
        'mmdet': 'mmdet.registry',
        'mmseg': 'mmseg.registry'
    }[scope]
    models = __import__(registry, fromlist=['MODELS']).MODELS
    torch.manual_seed(0)
    return revert_sync_batchnorm(models.build(model_cfg))


@pytest.mark.parametrize('cfg_path,size', [
    ('mmpretrain::resnet/resnet50_8xb32_in1k.py', 64),
    ('mmpretrain::deit/deit-small_4xb256_in1k.py', 64),
    ('mmpretrain::swin_transformer_v2/swinv2-tiny-w8_16xb64_in1k-256px.py', 256),
])
def test_image_classifier(cfg_path, size):
    from mmpretrain.structures import DataSample
    model = _build(cfg_path, 'mmpretrain')
    data = dict(
        inputs=[torch.randint(0, 255, (3, size, size), dtype=torch.uint8) for _ in range(2)],
        data_samples=[DataSample().set_gt_label(i) for i in (1, 7)])
    packed = model.data_preprocessor(data, True)
    model.train()
    losses = model(**packed, mode='loss')
    assert torch.isfinite(losses['loss']) and losses['loss'] > 0
    model.eval()
    with torch.no_grad():
        preds = model(**model.data_preprocessor(data, False), mode='predict')
        feats = model(packed['inputs'], mode='tensor')
    assert preds[0].pred_score.shape == (1000, )
    assert feats.shape == (2, 1000)


def _det_inputs(with_mask):
    from mmdet.testing import demo_mm_inputs
    return demo_mm_inputs(
        batch_size=1, image_shapes=[(3, 128, 160)], num_items=[2], num_classes=80,
        with_mask=with_mask)


@pytest.mark.parametrize('cfg_path,with_mask', [
    ('mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py', True),
    ('mmdet::detr/detr_r50_8xb2-150e_coco.py', False),
])
def test_detector(cfg_path, with_mask):
    model = _build(cfg_path, 'mmdet')
    packed = model.data_preprocessor(_det_inputs(with_mask), True)
    model.train()
    losses = model(**packed, mode='loss')
    total = sum(v.sum() if isinstance(v, torch.Tensor) else sum(x.sum() for x in v)
                for k, v in losses.items() if 'loss' in k)
    assert torch.isfinite(total)
    if with_mask:
        assert {'loss_rpn_cls', 'loss_cls', 'loss_mask'} <= set(losses)
    else:
        assert 'loss_cls' in losses and 'loss_bbox' in losses
    model.eval()
    with torch.no_grad():
        packed = model.data_preprocessor(_det_inputs(with_mask), False)
        results = model(**packed, mode='predict')
        outs = model(packed['inputs'], packed['data_samples'], mode='tensor')
    assert len(results) == 1 and 'bboxes' in results[0].pred_instances
    assert len(outs) > 0


@pytest.mark.parametrize('cfg_path', [
    'mmseg::fcn/fcn_r50-d8_4xb4-80k_ade20k-512x512.py',
    'mmseg::segformer/segformer_mit-b0_8xb2-160k_ade20k-512x512.py',
])
def test_segmentor(cfg_path):
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample
    model = _build(cfg_path, 'mmseg')

    def data():
        sample = SegDataSample(metainfo=dict(img_shape=(64, 64), ori_shape=(64, 64),
                                             pad_shape=(64, 64)))
        sample.gt_sem_seg = PixelData(data=torch.randint(0, 150, (1, 64, 64)))
        return dict(inputs=[torch.randint(0, 255, (3, 64, 64), dtype=torch.uint8)],
                    data_samples=[sample])

    packed = model.data_preprocessor(data(), True)
    model.train()
    losses = model(**packed, mode='loss')
    assert torch.isfinite(losses['decode.loss_ce'])
    model.eval()
    with torch.no_grad():
        packed = model.data_preprocessor(data(), False)
        results = model(**packed, mode='predict')
        logits = model(packed['inputs'], packed['data_samples'], mode='tensor')
    assert results[0].pred_sem_seg.data.shape == (1, 64, 64)
    assert logits.shape[1] == 150
