"""DenoiseRep through DFF: denoisers on every convolution of a DFF-ResNet ReID model, the
ones inside the two-branch convolutions, spectral transforms, Fourier units and masks
included, fuse exactly (the FFTs between them are untouched linear maps)."""
import copy

import pytest
import torch

from mmdenoise.denoiserep import find_denoised_layers
from mmdenoise.denoiserep.attach import remove_denoise_hooks
from mmdenoise.denoiserep.testing import perturb_denoisers, randomize_bn_stats
from mmdenoise.registry import MODELS

# large betas: the reverse steps change the features a lot, so any slip shows
SCHEDULE = dict(num_steps=200, beta_start=1e-3, beta_end=0.1)
FILTERS = {
    'ins-spatial': dict(),
    'ins-channel': dict(attention='channel'),
    'task-spatial-orif': dict(adaptivity='task', domain='spatial'),
}


def _wrapper(filter_cfg, mode):
    arch = dict(
        type='ReIDModel',
        backbone=dict(type='DFFResNet', depth=18, stem_channels=8, base_channels=8,
                      strides=(1, 2, 2, 1), dff_stages=(0, 1, 2),
                      filter_cfg=dict(kernel_size=3, **filter_cfg),
                      local_filter_cfg=dict(kernel_size=3)),
        neck=dict(type='mmpretrain.GlobalAveragePooling'),
        head=dict(type='BNNeckHead', in_channels=64, num_classes=4))
    return MODELS.build(dict(
        type='DenoiseRepWrapper', architecture=arch, mode=mode,
        attach=dict(layer_types=('Conv2d', ), include=[r'^backbone\.'], schedule=SCHEDULE)))


@pytest.mark.parametrize('name', list(FILTERS))
def test_fused_dff_model_equals_the_wrapper(name):
    torch.manual_seed(0)
    wrapper = _wrapper(FILTERS[name], 'label_augmented').double()
    names = [n for n, _ in find_denoised_layers(wrapper.architecture)]
    for part in ('.l2l', '.l2g', '.g2l', '.g2g.conv1.0', '.g2g.conv2', '.g2g.filter.conv',
                 '.local_filter.mask', 'layer4.0.conv1'):
        assert any(part in n for n in names), f'no denoiser on a {part} conv'
    mask_convs = [n for n in names if '.g2g.filter.mask.' in n]
    assert bool(mask_convs) == (FILTERS[name].get('adaptivity', 'instance') == 'instance')
    perturb_denoisers(wrapper, seed=1, scale=0.5)
    randomize_bn_stats(wrapper, seed=2)
    wrapper.eval()
    x = torch.randn(2, 3, 64, 32, dtype=torch.float64)
    with torch.no_grad():
        denoised = wrapper(x, mode='tensor')
        fused = wrapper.fuse()
        out = fused(x, mode='tensor')
        # the same weights without the denoising steps: the denoisers do change the feature
        original = copy.deepcopy(wrapper.architecture)
        for _, layer in find_denoised_layers(original):
            remove_denoise_hooks(layer)
        without = original(x, mode='tensor')
    assert not find_denoised_layers(fused)
    assert set(fused.state_dict()) == {k for k in wrapper.state_dict() if '.denoiser.' not in k}
    torch.testing.assert_close(out, denoised, rtol=1e-10, atol=1e-10)
    assert (without - denoised).abs().max() > 1e-2 * denoised.abs().max()


def test_label_free_training_step_trains_only_the_denoisers():
    torch.manual_seed(0)
    wrapper = _wrapper({}, 'label_free')
    trainable = {n for n, p in wrapper.named_parameters() if p.requires_grad}
    assert trainable and all('.denoiser.' in n for n in trainable)
    losses = wrapper(torch.randn(4, 3, 64, 32), mode='loss')
    assert set(losses) == {'loss_denoise'} and losses['loss_denoise'] > 0
    losses['loss_denoise'].backward()
    grads = [n for n, p in wrapper.named_parameters() if p.grad is not None]
    assert any('.g2g.filter.mask.conv.denoiser.' in n for n in grads)
