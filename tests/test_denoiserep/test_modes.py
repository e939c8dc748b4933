"""Training modes: label-free, label-augmented, alternating phases; collecting noise losses."""
import copy

import pytest
import torch
from torch import nn

from mmdenoise.denoiserep import (LayerDenoiser, apply_training_mode, attach_denoisers,
                                  collect_noise_losses, fuse, get_training_mode,
                                  set_training_mode)
from mmdenoise.denoiserep.testing import max_rel_error, perturb_denoisers, randomize_bn_stats

from .toy_models import ToyNet

SCHED = dict(num_steps=100, beta_start=1e-3, beta_end=0.1)


def setup(seed=0, freeze_stem=False):
    torch.manual_seed(seed)
    plain = ToyNet()
    randomize_bn_stats(plain, seed=1)
    if freeze_stem:
        for p in plain.stem.parameters():
            p.requires_grad = False
    model = copy.deepcopy(plain)
    attach_denoisers(model, steps_per_layer=2, schedule=SCHED)
    perturb_denoisers(model, seed=2)
    return plain, model


def is_denoiser_param(name):
    return '.denoiser.' in name


def grads(model):
    return {n: p.grad for n, p in model.named_parameters()}


def test_label_free_output_is_the_original_and_only_denoisers_learn():
    plain, model = setup()
    set_training_mode(model, 'label_free')
    model.train()  # a later train() must not undo the mode
    assert get_training_mode(model) == 'label_free'
    for m in model.modules():
        expected = isinstance(m, LayerDenoiser)
        assert m.training == expected, type(m).__name__
    bn_mean = model.stem[1].running_mean.clone()
    x = torch.randn(4, 3, 16, 16)
    out = model(x)  # no labels anywhere
    with torch.no_grad():
        assert torch.equal(out, plain.eval()(x))
    assert torch.equal(model.stem[1].running_mean, bn_mean)  # BN stats frozen
    losses = collect_noise_losses(model)
    assert set(losses['per_layer']) == {n for n, _ in model.named_modules()
                                        if isinstance(getattr(n and model.get_submodule(n),
                                                              'denoiser', None), LayerDenoiser)}
    assert losses['loss_denoise'].requires_grad and torch.isfinite(losses['loss_denoise'])
    losses['loss_denoise'].backward()
    for name, p in model.named_parameters():
        if is_denoiser_param(name):
            assert p.requires_grad
            if name.endswith('.wd'):
                assert p.grad is not None and torch.count_nonzero(p.grad) > 0, name
        else:
            assert not p.requires_grad and p.grad is None, name
    # eval()/train() cycles keep the mode
    model.eval()
    model.train()
    assert not model.stem[1].training and model.head.denoiser.training


def test_label_free_survives_deepcopy():
    _, model = setup()
    set_training_mode(model, 'label_free')
    other = copy.deepcopy(model)
    other.train()
    assert not other.stem[1].training and other.head.denoiser.training
    assert other.train.module is other


def test_label_augmented_trains_everything_through_the_denoised_path():
    plain, model = setup(freeze_stem=True)
    set_training_mode(model, 'label_augmented')
    model.train()
    assert model.stem[1].training and model.mlp.drop.training
    x = torch.randn(4, 3, 16, 16)
    out = model(x)
    losses = collect_noise_losses(model)
    assert len(losses['per_layer']) == 8
    task = out.square().mean()  # stands for a task loss
    (0.9 * task + 0.1 * losses['loss_denoise']).backward()
    for name, p in model.named_parameters():
        if name.startswith('stem.') and not is_denoiser_param(name):
            assert not p.requires_grad  # frozen before the mode was set: stays frozen
        elif not name.endswith('num_batches_tracked'):
            assert p.requires_grad and p.grad is not None, name
    assert torch.count_nonzero(model.block.conv1.weight.grad) > 0
    assert torch.count_nonzero(model.block.conv1.denoiser.wd.grad) > 0
    # eval outputs equal the fused model's
    model.eval()
    x = torch.randn(2, 3, 16, 16)
    with torch.no_grad():
        assert max_rel_error(fuse(model)(x), model(x)) <= 1e-5
        assert max_rel_error(model(x), plain.eval()(x)) > 1e-3


def test_noise_loss_is_computed_on_detached_features_by_default():
    _, model = setup()
    set_training_mode(model, 'label_augmented')
    model(torch.randn(2, 3, 16, 16))
    collect_noise_losses(model)['loss_denoise'].backward()
    assert model.block.conv1.weight.grad is None
    assert model.block.conv1.denoiser.wd.grad is not None
    _, model = setup()
    set_training_mode(model, 'label_augmented', detach_features=False)
    model(torch.randn(2, 3, 16, 16))
    collect_noise_losses(model)['loss_denoise'].backward()
    assert model.block.conv1.weight.grad is not None


def test_denoiser_phase_freezes_the_backbone():
    _, model = setup()
    set_training_mode(model, 'denoiser')
    model.train()
    x = torch.randn(2, 3, 16, 16)
    out = model(x)
    with torch.no_grad():
        assert torch.equal(out, copy.deepcopy(model).eval()(x))  # denoised path, frozen BN
    loss = collect_noise_losses(model)['loss_denoise'] + out.square().mean()
    loss.backward()
    for name, p in model.named_parameters():
        assert p.requires_grad == is_denoiser_param(name), name
        assert (p.grad is not None) == is_denoiser_param(name), name


def test_backbone_phase_freezes_the_denoisers():
    _, model = setup(freeze_stem=True)
    set_training_mode(model, 'denoiser')
    set_training_mode(model, 'backbone')
    model.train()
    assert model.block.bn1.training  # BN trains again in this phase
    out = model(torch.randn(2, 3, 16, 16))
    losses = collect_noise_losses(model)
    assert losses['per_layer'] == {}
    assert float(losses['loss_denoise']) == 0 and losses['loss_denoise'].requires_grad
    out.square().mean().backward()
    for name, p in model.named_parameters():
        if is_denoiser_param(name) or name.startswith('stem.'):
            assert not p.requires_grad and p.grad is None, name
        else:
            assert p.requires_grad, name
    # and back to label-free
    set_training_mode(model, 'label_free')
    assert not model.block.bn1.training
    assert all(p.requires_grad == is_denoiser_param(n) for n, p in model.named_parameters())


def test_mode_is_reapplied_after_an_upstream_train_that_refreezes():
    """Backbones such as ResNet re-freeze stages in train(); denoisers must be re-enabled."""

    class Refreezing(ToyNet):

        def train(self, mode=True):
            super().train(mode)
            for p in self.stem.parameters():  # includes stem.0.denoiser.*
                p.requires_grad = False
            self.stem.eval()
            return self

    torch.manual_seed(0)
    model = Refreezing()
    attach_denoisers(model, schedule=SCHED)
    set_training_mode(model, 'label_augmented')
    model.train()
    assert model.stem[0].denoiser.wd.requires_grad
    assert model.stem[0].denoiser.training
    assert not model.stem[0].weight.requires_grad and not model.stem[1].training
    # a wrapper that only calls train() on an inner module can re-apply by hand
    Refreezing.train(model, True)
    assert not model.stem[0].denoiser.wd.requires_grad
    apply_training_mode(model)
    assert model.stem[0].denoiser.wd.requires_grad


def test_collect_noise_losses_reductions_and_popping():
    _, model = setup()
    set_training_mode(model, 'label_free')
    model.train()
    torch.manual_seed(5)
    model(torch.randn(2, 3, 16, 16))
    mean = collect_noise_losses(model)
    assert collect_noise_losses(model)['per_layer'] == {}  # popped
    torch.manual_seed(5)
    model(torch.randn(2, 3, 16, 16))
    total = collect_noise_losses(model, reduction='sum')
    values = torch.stack(list(mean['per_layer'].values()))
    torch.testing.assert_close(mean['loss_denoise'], values.mean())
    torch.testing.assert_close(total['loss_denoise'], values.sum())
    # two forwards: per-layer mean of the two
    model(torch.randn(2, 3, 16, 16))
    model(torch.randn(2, 3, 16, 16))
    assert len(collect_noise_losses(model)['per_layer']) == 8
    # eval forward records nothing
    model.eval()
    model(torch.randn(2, 3, 16, 16))
    assert collect_noise_losses(model)['per_layer'] == {}
    with pytest.raises(ValueError):
        collect_noise_losses(model, reduction='max')


def test_unknown_mode_and_model_without_denoisers():
    _, model = setup()
    with pytest.raises(ValueError, match='unknown training mode'):
        set_training_mode(model, 'supervised')
    with pytest.raises(RuntimeError, match='no denoisers'):
        set_training_mode(nn.Linear(2, 2), 'label_free')


def test_fused_model_forgets_the_training_mode():
    _, model = setup()
    set_training_mode(model, 'label_free')
    fused = fuse(model)
    assert 'train' not in fused.__dict__ and get_training_mode(fused) is None
    fused.train()
    assert fused.stem[1].training and all(p.requires_grad for p in fused.parameters())
    # the training model keeps its mode
    model.train()
    assert not model.stem[1].training
