"""fuse() / switch_to_deploy() on whole models: invariants, BatchNorm folding, noise option."""
import copy

import pytest
import torch
from torch import nn

from mmdenoise.denoiserep import (attach_denoisers, collect_noise_losses, find_denoised_layers,
                                  fuse, fuse_layer, is_fused, switch_to_deploy)
from mmdenoise.denoiserep.testing import max_rel_error, perturb_denoisers, randomize_bn_stats

from .toy_models import ReluBetween, ToyNet

SCHED = dict(num_steps=100, beta_start=1e-3, beta_end=0.1)


def trained_looking(k=2, **kwargs):
    torch.manual_seed(0)
    plain = ToyNet()
    randomize_bn_stats(plain, seed=1)
    model = copy.deepcopy(plain)
    kwargs.setdefault('example_inputs', torch.randn(2, 3, 16, 16))
    records = attach_denoisers(model, steps_per_layer=k, schedule=SCHED, **kwargs)
    perturb_denoisers(model, seed=2)
    return plain.eval(), model.eval(), records


def out(model, x):
    model.eval()
    with torch.no_grad():
        return model(x)


def test_bn_folding_is_proven_by_the_traced_forward():
    _, _, records = trained_looking()
    by_name = {r.name: (r.constant, r.norm) for r in records}
    assert by_name == {
        'stem.0': ('batchnorm', 'stem.1'),  # traced: each conv output goes into its bn only
        'block.conv1': ('batchnorm', 'block.bn1'),
        'block.conv2': ('batchnorm', 'block.bn2'),  # depthwise
        'block.downsample.0': ('batchnorm', 'block.downsample.1'),
        'proj': ('bias', None),
        'mlp.fc1': ('bias', None),
        'mlp.fc2': ('bias', None),
        'head': ('bias', None),
    }


@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
def test_fused_model_equals_unfused_and_keeps_the_architecture(dtype):
    plain, model, _ = trained_looking()
    plain, model = plain.to(dtype), model.to(dtype)
    x = torch.randn(2, 3, 16, 16, dtype=dtype)
    fused = fuse(model)
    assert max_rel_error(out(plain, x), out(model, x)) > 1e-3
    assert max_rel_error(out(fused, x), out(model, x)) <= (1e-5 if dtype == torch.float32 else
                                                          1e-10)
    # same classes, keys, shapes, parameter count; loads strictly into the plain model
    assert [type(m) for m in fused.modules()] == [type(m) for m in plain.modules()]
    assert {k: v.shape for k, v in fused.state_dict().items()} == \
        {k: v.shape for k, v in plain.state_dict().items()}
    assert sum(p.numel() for p in fused.parameters()) == sum(p.numel() for p in plain.parameters())
    fresh = ToyNet().to(dtype)
    fresh.load_state_dict(fused.state_dict(), strict=True)
    assert torch.equal(out(fresh, x), out(fused, x))
    assert not fused.stem[0]._forward_hooks and not find_denoised_layers(fused)
    # BN running means moved, BN variances and conv biases (None) untouched
    assert fused.stem[0].bias is None
    assert not torch.equal(fused.stem[1].running_mean, plain.stem[1].running_mean)
    assert torch.equal(fused.stem[1].running_var, plain.stem[1].running_var)


def test_fusion_is_deterministic_and_leaves_the_training_model_alone():
    _, model, _ = trained_looking()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x = torch.randn(2, 3, 16, 16)
    ref = out(model, x)
    first, second = fuse(model), fuse(model)
    for key, value in first.state_dict().items():
        assert torch.equal(value, second.state_dict()[key]), key  # bit-identical
    after = model.state_dict()
    assert before.keys() == after.keys()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert len(find_denoised_layers(model)) == 8 and not is_fused(model)
    assert torch.equal(out(model, x), ref)  # hooks still work


def test_fusing_twice_or_fusing_a_plain_model_is_refused():
    _, model, _ = trained_looking()
    fused = fuse(model)
    assert is_fused(fused)
    with pytest.raises(RuntimeError, match='already fused'):
        fuse(fused)
    with pytest.raises(RuntimeError, match='already fused'):
        switch_to_deploy(fused)
    with pytest.raises(RuntimeError, match='no denoisers'):
        fuse(ToyNet())
    assert not is_fused(ToyNet())


def test_switch_to_deploy_in_place():
    _, model, _ = trained_looking()
    x = torch.randn(2, 3, 16, 16)
    ref = out(model, x)
    weight = model.head.weight
    meta = switch_to_deploy(model)
    assert model.head.weight is weight  # parameters updated in place
    assert is_fused(model) and model._denoiserep_fuse_meta is meta
    assert meta['noise'] is False and meta['num_layers'] == 8
    assert max_rel_error(out(model, x), ref) <= 1e-5


def test_noise_option_is_seeded_and_recorded():
    _, model, _ = trained_looking()
    with pytest.raises(ValueError, match='seed'):
        fuse(model, noise=True)
    a, b = fuse(model, noise=True, seed=7), fuse(model, noise=True, seed=7)
    c, plain = fuse(model, noise=True, seed=8), fuse(model)
    sa, sb, sc, sp = (m.state_dict() for m in (a, b, c, plain))
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert any(not torch.equal(sa[k], sp[k]) for k in sa)
    assert any(not torch.equal(sa[k], sc[k]) for k in sa)
    assert a._denoiserep_fuse_meta['seed'] == 7 and a._denoiserep_fuse_meta['noise'] is True
    # only the constants (biases / BN means) carry the noise, weights are those of noise=False
    for key in sa:
        if key.endswith('weight') and 'stem.1' not in key and 'bn' not in key \
                and 'downsample.1' not in key and 'norm' not in key:
            assert torch.equal(sa[key], sp[key]), key


def test_bias_free_policies():
    # 'constant_free': never folds, no key added
    _, model, records = trained_looking(bias_free='constant_free')
    assert {r.constant for r in records if r.name in ('stem.0', 'block.conv1')} == {'none'}
    x = torch.randn(2, 3, 16, 16)
    fused = fuse(model)
    assert set(fused.state_dict()) == set(ToyNet().state_dict())
    assert max_rel_error(out(fused, x), out(model, x)) <= 1e-5
    # 'fold_bn': error when a bias-free layer has no BatchNorm after it
    lonely = nn.Sequential(nn.Conv2d(3, 4, 3, bias=False), nn.ReLU())
    with pytest.raises(ValueError, match=r"fold_bn.*'0'.*no BatchNorm"):
        attach_denoisers(lonely, bias_free='fold_bn', example_inputs=x)
    with pytest.warns(UserWarning, match=r"constant-free denoisers.*: 0;"):
        assert attach_denoisers(lonely, example_inputs=x)[0].constant == 'none'  # 'auto'


def test_explicit_bn_map_and_traced_verification():
    x = torch.randn(2, 3, 8, 8)
    # conv1 / bn1 look like a pair by their names, but a ReLU sits between them: no folding,
    # with or without a traced forward (a structural guess is never used)
    for kwargs in (dict(), dict(example_inputs=x)):
        with pytest.warns(UserWarning, match='constant-free'):
            rec = attach_denoisers(ReluBetween(), **kwargs)
        assert rec[0].constant == 'none' and rec[0].why_no_fold
    with pytest.raises(ValueError, match='no BatchNorm consumes its output'):
        attach_denoisers(ReluBetween(), bias_free='fold_bn', example_inputs=x)
    with pytest.raises(ValueError, match='example_inputs not given'):
        attach_denoisers(ReluBetween(), bias_free='fold_bn')
    # bn_map naming a BatchNorm that the trace contradicts is refused
    with pytest.raises(ValueError, match="bn_map maps 'conv1' to 'bn1', but the traced"):
        attach_denoisers(ReluBetween(), bn_map={'conv1': 'bn1'}, example_inputs=x)
    # bn_map names the BatchNorm explicitly (trusted without a trace, confirmed with one:
    # nn.Identity passes the very tensor on)
    for kwargs in (dict(), dict(example_inputs=x)):
        seq = nn.Sequential(nn.Conv2d(3, 4, 1, bias=False), nn.Identity(), nn.BatchNorm2d(4))
        rec = attach_denoisers(seq, bn_map={'0': '2'}, schedule=SCHED, **kwargs)
        assert (rec[0].constant, rec[0].norm) == ('batchnorm', '2')
        perturb_denoisers(seq)
        randomize_bn_stats(seq)
        assert max_rel_error(out(fuse(seq), x), out(seq, x)) <= 1e-5
    with pytest.raises(ValueError, match='not a module'):
        attach_denoisers(nn.Sequential(nn.Conv2d(3, 4, 1, bias=False)), bn_map={'0': 'bn'},
                         bias_free='fold_bn')


class PreActBlock(nn.Module):
    """Pre-activation residual block (bn1 -> relu -> conv1 -> bn2 -> relu -> conv2, + x): the
    names pair conv1 with bn1, which runs BEFORE conv1; conv2's output goes into the sum."""

    def __init__(self, c=8):
        super().__init__()
        self.bn1, self.conv1 = nn.BatchNorm2d(c), nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2, self.conv2 = nn.BatchNorm2d(c), nn.Conv2d(c, c, 3, padding=1, bias=False)

    def forward(self, x):
        out = self.conv1(torch.relu(self.bn1(x)))
        return x + self.conv2(torch.relu(self.bn2(out)))


def test_pre_activation_block_folds_only_where_the_trace_proves_it():
    torch.manual_seed(0)
    model = nn.Sequential(PreActBlock(), PreActBlock())
    randomize_bn_stats(model, seed=1)
    x = torch.randn(2, 8, 8, 8)
    with pytest.warns(UserWarning, match='constant-free'):
        records = attach_denoisers(model, schedule=SCHED, example_inputs=x)
    by_name = {r.name: (r.constant, r.norm) for r in records}
    assert by_name == {'0.conv1': ('batchnorm', '0.bn2'), '0.conv2': ('none', None),
                       '1.conv1': ('batchnorm', '1.bn2'), '1.conv2': ('none', None)}
    # trained-size constants: the fused model equals the unfused one
    perturb_denoisers(model, seed=2, scale=0.5)
    assert max_rel_error(out(fuse(model), x), out(model, x)) <= 1e-5


def test_in_place_use_or_second_consumer_prevents_a_fold():
    class Shared(nn.Module):  # conv output into its bn AND into the residual sum
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(4, 4, 1, bias=False)
            self.bn = nn.BatchNorm2d(4)

        def forward(self, x):
            y = self.conv(x)
            return self.bn(y) + y

    x = torch.randn(2, 4, 5, 5)
    with pytest.warns(UserWarning, match='also feeds'):
        rec = attach_denoisers(Shared(), example_inputs=x)
    assert rec[0].constant == 'none'


def test_execution_order_is_the_default_with_a_trace():
    class Late(nn.Module):  # 'first' registered last but called first
        def __init__(self):
            super().__init__()
            self.second = nn.Linear(4, 4)
            self.first = nn.Linear(4, 4)

        def forward(self, x):
            return self.second(self.first(x))

    x = torch.randn(2, 4)
    traced = attach_denoisers(Late(), schedule=SCHED, example_inputs=x)
    assert [(r.name, r.steps) for r in traced] == [('first', (2, )), ('second', (1, ))]
    registered = attach_denoisers(Late(), schedule=SCHED, example_inputs=x,
                                  order='registration')
    assert [(r.name, r.steps) for r in registered] == [('second', (2, )), ('first', (1, ))]


def test_mmcv_conv_module_folds_into_its_norm():
    cnn = pytest.importorskip('mmcv.cnn')
    model = nn.Sequential(
        cnn.ConvModule(3, 8, 3, padding=1, norm_cfg=dict(type='BN')),  # bias='auto' -> False
        cnn.ConvModule(8, 8, 3, padding=1, norm_cfg=dict(type='GN', num_groups=2)),
        cnn.ConvModule(8, 8, 1, norm_cfg=dict(type='BN'), order=('norm', 'conv', 'act')),
    )
    x = torch.randn(2, 3, 8, 8)
    records = attach_denoisers(model, schedule=SCHED, example_inputs=x)
    assert [(r.name, r.constant, r.norm) for r in records] == [
        ('0.conv', 'batchnorm', '0.bn'), ('1.conv', 'none', None), ('2.conv', 'none', None)]
    perturb_denoisers(model)
    randomize_bn_stats(model)
    fused = fuse(model)
    assert max_rel_error(out(fused, x), out(model, x)) <= 1e-5


def test_fuse_layer_helper():
    torch.manual_seed(0)
    layer = nn.Linear(6, 4)
    holder = nn.Sequential(layer)
    attach_denoisers(holder, schedule=SCHED, steps_per_layer=3)
    perturb_denoisers(holder)
    plain = fuse_layer(layer)
    assert type(plain) is nn.Linear and not plain._modules and not plain._forward_hooks
    x = torch.randn(3, 6)
    with torch.no_grad():
        assert max_rel_error(plain(x), layer.eval()(x)) <= 1e-5
    assert 'denoiser' in layer._modules  # untouched
    _, model, _ = trained_looking()
    with pytest.raises(RuntimeError, match='BatchNorm'):
        fuse_layer(model.stem[0])


def test_unbatched_inputs():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.Flatten(0), nn.Linear(4 * 25, 6))
    attach_denoisers(model, schedule=SCHED, steps_per_layer=2)
    perturb_denoisers(model)
    x = torch.randn(3, 5, 5)  # (C, H, W): no batch dim
    ref = out(model, x)
    assert ref.shape == (6, )
    assert max_rel_error(out(fuse(model), x), ref) <= 1e-5
    model.train()
    model(x)
    assert len(collect_noise_losses(model)['per_layer']) == 2


def test_fusing_a_part_without_its_batchnorm_is_refused():
    _, model, _ = trained_looking()
    with pytest.raises(RuntimeError, match='not inside the module being fused'):
        fuse(model.stem[0])
    x = torch.randn(1, 8, 8, 8)  # the block holds its convs and their BatchNorms: fine
    assert max_rel_error(out(fuse(model.block), x), out(model.block, x)) <= 1e-5
