"""The dual-stream backbone (modality routing, ImageNet initialisation, RegDB variant) and the
D-SELACFP model's loss / predict / tensor modes, on tiny inputs."""
import copy
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.models.backbones import ResNet
from mmpretrain.structures import DataSample

from mmdenoise.denoiserep import find_denoised_layers
from mmdenoise.models.selacfp import DSELACFP, DualStreamResNet, HeteroCenterTripletLoss
from mmdenoise.registry import MODELS

TINY = dict(depth=18, base_channels=16, stem_channels=16)
SYSU_LIKE = dict(
    lam_cfgs=dict(layer3=dict(num_parts=2, dct_size=(4, 4)),
                  layer4=dict(num_parts=2, dct_size=(2, 2))),
    ifpem_cfg=dict(stage='layer4', low_proj_channels=8, high_proj_channels=16,
                   fuse_channels=(16, 8)))
CONFIGS = osp.join(osp.dirname(osp.dirname(__file__)), 'data', 'configs', 'selacfp')


def _backbone(**kwargs):
    torch.manual_seed(0)
    cfg = dict(TINY, **SYSU_LIKE)
    cfg.update(kwargs)
    backbone = DualStreamResNet(**cfg)
    backbone.init_weights()
    return backbone


def _samples(modalities, labels=None):
    samples = []
    for i, modality in enumerate(modalities):
        sample = DataSample().set_gt_label(labels[i] if labels is not None else i % 2)
        sample.set_field(modality, 'modality', field_type='metainfo')
        samples.append(sample)
    return samples


def _model(**kwargs):
    torch.manual_seed(0)
    cfg = dict(
        backbone=dict(type='mmdenoise.DualStreamResNet', **TINY, **SYSU_LIKE),
        head=dict(type='mmdenoise.BNNeckHead', in_channels=128, num_classes=3))
    cfg.update(kwargs)
    model = DSELACFP(**cfg)
    model.init_weights()
    return model


# ---------------------------------------------------------------------- backbone
def test_mixed_batch_is_routed_per_sample():
    backbone = _backbone()
    backbone.eval()  # (mmpretrain's ResNet.train() returns None)
    with torch.no_grad():  # make the two stems differ
        backbone.infrared_stem.conv1.weight.mul_(-1.5)
    x = torch.randn(5, 3, 64, 32)
    infrared = torch.tensor([True, False, True, False, False])
    with torch.no_grad():
        mixed = backbone(x, infrared)[0]
        visible = backbone(x[~infrared], torch.zeros(3, dtype=torch.bool))[0]
        thermal = backbone(x[infrared], torch.ones(2, dtype=torch.bool))[0]
        other = backbone(x, ~infrared)[0]
    assert mixed.shape == (5, 128, 4, 2)  # last stride 1
    torch.testing.assert_close(mixed[~infrared], visible)
    torch.testing.assert_close(mixed[infrared], thermal)
    assert not torch.allclose(mixed, other)  # the stem matters


def test_each_stem_sees_only_its_modality():
    backbone = _backbone()
    backbone.train()
    visible_mean = backbone.bn1.running_mean.clone()
    infrared_mean = backbone.infrared_stem.bn1.running_mean.clone()
    backbone(torch.randn(4, 3, 64, 32), torch.zeros(4, dtype=torch.bool))
    assert not torch.equal(backbone.bn1.running_mean, visible_mean)
    assert torch.equal(backbone.infrared_stem.bn1.running_mean, infrared_mean)


def test_frozen_stem_covers_both_modalities():
    backbone = _backbone(frozen_stages=0)
    backbone.train()
    for stem in (backbone.conv1, backbone.infrared_stem):
        assert not any(p.requires_grad for p in stem.parameters())
    assert not backbone.infrared_stem.bn1.training
    assert all(p.requires_grad for p in backbone.layer1.parameters())


def test_init_from_an_imagenet_resnet_checkpoint(tmp_path):
    torch.manual_seed(1)
    resnet = ResNet(**TINY)  # stands for the mmpretrain ImageNet ResNet checkpoint
    for param in resnet.state_dict().values():
        param.copy_(torch.randn_like(param.float()).to(param.dtype))
    path = str(tmp_path / 'resnet_in1k.pth')
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in resnet.state_dict().items()}}, path)
    backbone = _backbone(init_cfg=dict(type='Pretrained', checkpoint=path, prefix='backbone.'))
    own = backbone.state_dict()
    for key, value in resnet.state_dict().items():
        assert torch.equal(own[key], value), key
    for name in ('conv1.weight', 'bn1.weight', 'bn1.bias', 'bn1.running_mean', 'bn1.running_var'):
        assert torch.equal(own[f'infrared_stem.{name}'], own[name]), name


def test_regdb_variant_up_to_stage_three():
    backbone = _backbone(
        num_stages=3,
        strides=(1, 2, 2),
        lam_cfgs=dict(layer2=dict(num_parts=2, dct_size=(8, 8)),
                      layer3=dict(num_parts=2, dct_size=(4, 4))),
        ifpem_cfg=dict(stage='layer3', low_proj_channels=8, high_proj_channels=16,
                       fuse_channels=(16, 8)))
    assert backbone.res_layers == ['layer1', 'layer2', 'layer3'] and backbone.out_channels == 64
    assert sorted(backbone.lams) == ['layer2', 'layer3']
    assert backbone.lams['layer2'].channels == 16 and backbone.lams['layer3'].channels == 32
    assert (backbone.ifpem.low_channels, backbone.ifpem.high_channels) == (32, 64)
    out = backbone(torch.randn(2, 3, 64, 32), torch.tensor([False, True]))[0]
    assert out.shape == (2, 64, 4, 2)


def test_backbone_errors():
    with pytest.raises(ValueError, match="names stage 'layer4'"):
        _backbone(num_stages=3, strides=(1, 2, 2), ifpem_cfg=dict(stage='layer4'),
                  lam_cfgs=dict())
    with pytest.raises(ValueError, match='deep_stem'):
        _backbone(deep_stem=True)
    with pytest.raises(ValueError, match='bool mask of infrared samples'):
        _backbone()(torch.randn(1, 3, 64, 32))


# ---------------------------------------------------------------------- model
def test_loss_mode():
    model = _model().train()
    x = torch.randn(8, 3, 64, 32)
    labels = [0, 1, 2, 0, 0, 1, 2, 0]
    samples = _samples(['visible'] * 4 + ['infrared'] * 4, labels)
    losses = model(x, samples, mode='loss')
    assert set(losses) == {'loss_cls', 'accuracy', 'loss_hetero_center', 'loss_cls_specific',
                           'accuracy_specific', 'loss_orthogonal'}
    assert all(torch.isfinite(v) for v in losses.values())
    # the hetero-center term acts on the modality-shared (pre-BNNeck) feature
    infrared = model.infrared_mask(samples)
    shared = model.extract_feat(x, infrared)
    torch.testing.assert_close(
        losses['loss_hetero_center'],
        HeteroCenterTripletLoss(margin=0.3)(shared, torch.tensor(labels), infrared))
    sum(v for k, v in losses.items() if k.startswith('loss')).backward()
    for name in ('backbone.conv1.weight', 'backbone.infrared_stem.conv1.weight',
                 'backbone.lams.layer3.excitations.0.0.weight', 'backbone.ifpem.fuse.2.weight',
                 'specific.visible.conv.weight', 'specific.infrared.conv.weight'):
        grad = model.get_parameter(name).grad
        assert grad is not None and grad.abs().sum() > 0, name


def test_loss_terms_can_be_switched_off():
    model = _model(specific=None, loss_hetero_center=None).train()
    losses = model(torch.randn(4, 3, 64, 32), _samples(['visible', 'infrared'] * 2), mode='loss')
    assert set(losses) == {'loss_cls', 'accuracy'}
    assert model.specific is None and model.loss_orthogonal is None


def test_predict_and_tensor_modes():
    model = _model().eval()
    x = torch.randn(4, 3, 64, 32)
    samples = _samples(['infrared', 'visible', 'visible', 'infrared'])
    infrared = torch.tensor([True, False, False, True])
    with torch.no_grad():
        out = model(x, samples, mode='predict')
        shared = model.extract_feat(x, infrared)
        both = model(x, None, mode='tensor')
        routed = model(x, samples, mode='tensor')
    assert out is samples
    feats = torch.stack([s.pred_feature for s in out])
    torch.testing.assert_close(feats, model.head(shared))  # after the BNNeck by default
    torch.testing.assert_close(routed, shared)
    assert set(both) == {'visible', 'infrared'}
    torch.testing.assert_close(both['visible'][1:3], shared[1:3])
    torch.testing.assert_close(both['infrared'][[0, 3]], shared[[0, 3]])

    model.test_cfg.update(feature='before_bn', flip=True, normalize=True)
    with torch.no_grad():
        flipped = model(x, _samples(['infrared', 'visible', 'visible', 'infrared']),
                        mode='predict')
        expected = (shared + model.extract_feat(x.flip(3), infrared)) / 2
    feats = torch.stack([s.pred_feature for s in flipped])
    torch.testing.assert_close(feats, torch.nn.functional.normalize(expected, dim=1))


def test_modality_comes_from_the_data_samples():
    model = _model().eval()
    unknown = [DataSample().set_gt_label(0)]
    with pytest.raises(ValueError, match="modality=None"):
        model(torch.randn(1, 3, 64, 32), unknown, mode='predict')
    with pytest.raises(ValueError, match='needs the data samples'):
        model(torch.randn(1, 3, 64, 32), None, mode='predict')
    # SYSU-MM01 fallback: cameras 3 and 6 (camid 2, 5) are infrared
    by_camera = _model(modality_cfg=dict(infrared_camids=(2, 5)))
    samples = [DataSample(metainfo=dict(camid=c)) for c in (0, 2, 5, 3)]
    assert by_camera.infrared_mask(samples).tolist() == [False, True, True, False]


def test_denoiserep_fusion_is_exact_on_both_streams():
    """The tiny SYSU DenoiseRep config: denoisers on both stems, the shared stages, LAM and
    IFPEM; the fused plain model gives the wrapper's eval features for either modality."""
    cfg = Config.fromfile(osp.join(CONFIGS, 'denoiserep-label-aug_d-selacfp_tiny_sysu-mm01-all.py'))
    init_default_scope(cfg.default_scope)
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg['architecture']['data_preprocessor'] = cfg.data_preprocessor
    torch.manual_seed(0)
    wrapper = MODELS.build(model_cfg)
    wrapper.init_weights()
    names = [name for name, _ in find_denoised_layers(wrapper.architecture)]
    for expected in ('backbone.conv1', 'backbone.infrared_stem.conv1',
                     'backbone.lams.layer3.excitations.0.0', 'backbone.ifpem.fuse.2'):
        assert expected in names
    with torch.no_grad():
        for _, layer in find_denoised_layers(wrapper.architecture):
            for param in layer.denoiser.parameters():
                param.add_(torch.randn_like(param) * 0.05)
    wrapper.eval()
    fused = wrapper.fuse()
    assert not find_denoised_layers(fused)
    x = torch.randn(4, 3, 64, 32)
    samples = _samples(['visible', 'infrared', 'infrared', 'visible'])
    with torch.no_grad():
        reference = wrapper(x, samples, mode='tensor')
        plain = fused(x, samples, mode='tensor')
    torch.testing.assert_close(plain, reference, rtol=1e-5, atol=1e-5)
    fresh = MODELS.build(cfg.model['architecture'])  # the deploy model, loaded strictly
    fresh.load_state_dict(fused.state_dict(), strict=True)
    with torch.no_grad():
        torch.testing.assert_close(fresh.eval()(x, samples, mode='tensor'), reference,
                                   rtol=1e-5, atol=1e-5)


def test_model_zoo_complexity_counts_one_stream():
    """The zoo's FLOPs are one image through one stream (as at test time): deploy_complexity
    feeds the model's complexity_data_samples; without samples tensor mode runs both streams."""
    from mmdenoise.apis import model_zoo
    config = osp.join(CONFIGS, 'd-selacfp_tiny_sysu-mm01-all.py')
    info = model_zoo.deploy_complexity(config)
    _, model = model_zoo._build_deploy_model(config)
    h, w = (int(v) for v in info['input_shape'].split('x'))
    both = model_zoo.tensor_mode_flops(model, torch.randn(1, 3, h, w))
    assert info['flops'] > 0 and both == 2 * info['flops']
