"""DenoiseRepWrapper on real mmpretrain classifiers (tiny), on CPU."""
import copy

import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.runner.checkpoint import load_state_dict

import mmdenoise  # noqa: F401
from mmdenoise.denoiserep import find_denoised_layers
from mmdenoise.registry import MODELS

RESNET = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNet', depth=18, base_channels=8, frozen_stages=1, norm_eval=False,
                  out_indices=(3, )),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(type='LinearClsHead', num_classes=5, in_channels=64,
              loss=dict(type='CrossEntropyLoss')),
    init_cfg=[dict(type='Kaiming', layer='Conv2d'), dict(type='Constant', val=1,
                                                           layer='_BatchNorm')])
VIT = dict(
    type='ImageClassifier',
    backbone=dict(type='VisionTransformer',
                  arch=dict(embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64),
                  img_size=32, patch_size=8),
    neck=None,
    head=dict(type='VisionTransformerClsHead', num_classes=5, in_channels=32,
              loss=dict(type='CrossEntropyLoss')),
    init_cfg=[dict(type='TruncNormal', layer='Linear', std=.02)])
PREPROCESSOR = dict(type='ClsDataPreprocessor', mean=[127.5] * 3, std=[127.5] * 3,
                    num_classes=5)
CNN_ATTACH = dict(layer_types=('Conv2d', ), include=[r'^backbone\.'])
VIT_ATTACH = dict(layer_types=('Linear', ), include=[r'ffn\.layers\.'])


def build(arch, mode, attach, **kwargs):
    init_default_scope('mmpretrain')
    torch.manual_seed(0)
    model = MODELS.build(dict(type='mmdenoise.DenoiseRepWrapper', architecture=copy.deepcopy(arch),
                              mode=mode, attach=attach, data_preprocessor=PREPROCESSOR,
                              **kwargs))
    model.init_weights()
    return model


def plain(arch):
    init_default_scope('mmpretrain')
    cfg = copy.deepcopy(arch)
    cfg['data_preprocessor'] = PREPROCESSOR
    return MODELS.build(cfg)


def batch(n=4, size=32):
    from mmpretrain.structures import DataSample
    g = torch.Generator().manual_seed(1)
    return dict(inputs=[torch.randint(0, 255, (3, size, size), generator=g, dtype=torch.uint8)
                        for _ in range(n)],
                data_samples=[DataSample().set_gt_label(i % 5) for i in range(n)])


def randomize_bn_and_denoisers(model):
    g = torch.Generator().manual_seed(3)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)
    for _, layer in find_denoised_layers(model):
        for p in layer.denoiser.parameters():
            p.data.add_(torch.randn(p.shape, generator=g) * 0.05)


@pytest.mark.parametrize('arch,attach', [(RESNET, CNN_ATTACH), (VIT, VIT_ATTACH)])
def test_keys_are_the_task_models_plus_denoisers(arch, attach):
    model = build(arch, 'label_free', attach)
    keys = set(model.state_dict())
    plain_keys = set(plain(arch).state_dict())
    assert plain_keys <= keys
    extra = keys - plain_keys
    assert extra and all('.denoiser.' in k for k in extra)
    assert not any(k.startswith('architecture.') for k in keys)
    # a plain upstream checkpoint loads with only the denoiser keys missing
    reference = plain(arch).state_dict()
    result = model.load_state_dict(reference, strict=False)
    assert not result.unexpected_keys
    assert result.missing_keys and all('.denoiser.' in k for k in result.missing_keys)
    for key, value in reference.items():
        torch.testing.assert_close(model.state_dict()[key], value)
    # and through MMEngine's loader (what load_from uses)
    load_state_dict(model, reference, strict=False)
    # our own checkpoints round-trip strictly
    model2 = build(arch, 'label_free', attach)
    model2.load_state_dict(model.state_dict(), strict=True)


@pytest.mark.parametrize('arch,attach', [(RESNET, CNN_ATTACH), (VIT, VIT_ATTACH)])
def test_label_free_keeps_outputs_and_trains_only_denoisers(arch, attach):
    model = build(arch, 'label_free', attach)
    reference = plain(arch)
    reference.load_state_dict(model.state_dict(), strict=False)
    reference.eval()
    model.train()
    data = model.data_preprocessor(batch(), True)
    with torch.no_grad():
        expected = reference(data['inputs'], mode='tensor')
    seen = model(data['inputs'], mode='tensor')
    from mmdenoise.denoiserep import collect_noise_losses
    collect_noise_losses(model.architecture)
    torch.testing.assert_close(seen, expected, rtol=0, atol=0)
    losses = model(data['inputs'], data['data_samples'], mode='loss')
    assert set(losses) == {'loss_denoise'}
    losses['loss_denoise'].backward()
    grads = {n for n, p in model.named_parameters() if p.grad is not None}
    assert grads and all('.denoiser.' in n for n in grads)
    assert len(model.last_noise_losses) == len(model.denoised_layers)


def test_label_free_reads_no_labels():
    model = build(VIT, 'label_free', VIT_ATTACH)
    model.train()
    data = model.data_preprocessor(batch(), True)
    from mmpretrain.structures import DataSample
    unlabeled = [DataSample() for _ in data['data_samples']]
    losses = model(data['inputs'], unlabeled, mode='loss')
    assert torch.isfinite(losses['loss_denoise'])


def test_label_augmented_scales_losses_and_trains_everything():
    model = build(VIT, 'label_augmented', VIT_ATTACH, noise_loss_weight=0.25)
    model.train()
    data = model.data_preprocessor(batch(), True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss', 'loss_denoise'}
    # the task loss is (1 - lambda) * the architecture's own loss on the denoised path
    from mmdenoise.denoiserep import collect_noise_losses
    own = model.architecture(**data, mode='loss')['loss']
    collect_noise_losses(model.architecture)
    torch.testing.assert_close(losses['loss'], 0.75 * own)
    (losses['loss'] + losses['loss_denoise']).backward()
    grads = {n for n, p in model.named_parameters() if p.grad is not None}
    assert any('.denoiser.' in n for n in grads)
    assert 'architecture.backbone.layers.0.ffn.layers.1.weight' in grads
    assert 'architecture.head.layers.head.weight' in grads


@pytest.mark.parametrize('arch,attach', [(RESNET, CNN_ATTACH), (VIT, VIT_ATTACH)])
def test_fuse_matches_wrapper_and_loads_strictly_into_plain_model(arch, attach):
    model = build(arch, 'label_augmented', attach)
    randomize_bn_and_denoisers(model)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    fused = model.fuse()
    target = plain(arch)
    target.load_state_dict(fused.state_dict(), strict=True)
    assert sum(p.numel() for p in target.parameters()) == \
        sum(p.numel() for p in plain(arch).parameters())
    model.eval()
    target.eval()
    data = model.data_preprocessor(batch(), False)
    with torch.no_grad():  # features (the tiny ViT's head is zero-initialised)
        ref = model.architecture.extract_feat(data['inputs'])[-1]
        out = target.extract_feat(data['inputs'])[-1]
    ref = ref[-1] if isinstance(ref, (tuple, list)) else ref
    out = out[-1] if isinstance(out, (tuple, list)) else out
    assert ref.abs().max() > 0
    assert (out - ref).abs().max() / ref.abs().max() < 1e-5
    # the wrapper is unchanged, and deploy weights are deterministic
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key
    again = model.deploy_state_dict()
    for key, value in fused.state_dict().items():
        assert torch.equal(again[key], value), key


def test_frozen_stages_keep_their_denoisers_trainable():
    model = build(RESNET, 'label_augmented', CNN_ATTACH)
    model.train()  # ResNet._freeze_stages runs again here
    stem_and_layer1 = [n for n, _ in model.named_parameters()
                       if '.backbone.layer1.' in n or '.backbone.conv1.' in n]
    assert stem_and_layer1
    for name, param in model.named_parameters():
        if name in stem_and_layer1:
            assert param.requires_grad == ('.denoiser.' in name), name


def test_init_weights_keeps_denoiser_init():
    model = build(VIT, 'label_free', VIT_ATTACH)
    for _, layer in find_denoised_layers(model.architecture):
        emb = layer.denoiser.time_embedding(layer.denoiser.steps[0])
        assert torch.count_nonzero(emb) == 0  # e(t) = 0 at initialisation, not re-initialised


def test_bad_arguments_fail_clearly():
    with pytest.raises(ValueError, match='unknown mode'):
        build(VIT, 'supervised', VIT_ATTACH)
    with pytest.raises(ValueError, match='no layer of types'):
        build(VIT, 'label_free', dict(layer_types=('Linear', ), include=[r'^nothing$']))
    model = build(VIT, 'label_free', VIT_ATTACH)
    with pytest.raises(RuntimeError, match='alternating'):
        model.set_phase('backbone')
