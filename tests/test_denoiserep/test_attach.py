"""Choosing layers, assigning steps, keeping names, surviving copies; errors."""
import copy
import io
import pickle

import pytest
import torch
from torch import nn

from mmdenoise.denoiserep import (LayerDenoiser, attach_denoisers, denoised_layer_info,
                                  find_denoised_layers, find_uncalled_layers)
from mmdenoise.denoiserep.testing import max_rel_error, perturb_denoisers, randomize_bn_stats

from .toy_models import ReversedRegistration, ToyNet, WeirdConv, WithMHA, WithUnusedLayer

SCHED = dict(num_steps=100, beta_start=1e-3, beta_end=0.1)
ALL_LAYERS = ['stem.0', 'block.conv1', 'block.conv2', 'block.downsample.0', 'proj', 'mlp.fc1',
              'mlp.fc2', 'head']


def names(records):
    return [r.name for r in records]


def test_selection_by_type_and_regex():
    assert names(attach_denoisers(ToyNet(), schedule=SCHED)) == ALL_LAYERS
    assert names(attach_denoisers(ToyNet(), layer_types='Linear',
                                  schedule=SCHED)) == ['mlp.fc1', 'mlp.fc2', 'head']
    assert names(attach_denoisers(ToyNet(), layer_types=[nn.Conv2d], schedule=SCHED,
                                  exclude=[r'^stem'])) == ['block.conv1', 'block.conv2',
                                                           'block.downsample.0', 'proj']
    assert names(attach_denoisers(ToyNet(), include=[r'mlp\.fc\d'],
                                  schedule=SCHED)) == ['mlp.fc1', 'mlp.fc2']
    assert names(attach_denoisers(ToyNet(), include=r'block', exclude=r'downsample',
                                  schedule=SCHED)) == ['block.conv1', 'block.conv2']
    with pytest.raises(ValueError, match='no layer'):
        attach_denoisers(ToyNet(), include=['nothing'])
    with pytest.raises(ValueError, match='unknown layer type'):
        attach_denoisers(ToyNet(), layer_types=('Conv1d', ))


def test_skip_frozen():
    model = ToyNet()
    for p in model.stem.parameters():
        p.requires_grad = False
    model.head.weight.requires_grad = False  # bias still trainable: not frozen
    assert names(attach_denoisers(model, skip_frozen=True, schedule=SCHED)) == ALL_LAYERS[1:]


@pytest.mark.parametrize('k', [1, 2, 3])
def test_steps_from_n_k_down_to_1(k):
    records = attach_denoisers(ToyNet(), steps_per_layer=k, schedule=SCHED)
    n = len(records)
    for i, rec in enumerate(records):
        top = (n - i) * k
        assert rec.steps == tuple(range(top, top - k, -1))
    assert records[0].steps[0] == n * k and records[-1].steps[-1] == 1
    assert [s for r in records for s in r.steps] == list(range(n * k, 0, -1))


def test_too_many_steps_is_a_clear_error():
    with pytest.raises(ValueError, match=r'8 layers x 13 steps .* 104 steps exceed the 100'):
        attach_denoisers(ToyNet(), steps_per_layer=13, schedule=SCHED)
    with pytest.raises(ValueError, match='exceed'):
        attach_denoisers(ToyNet(), schedule=dict(num_steps=7))
    model = ToyNet()
    attach_denoisers(model, steps_per_layer=12, schedule=SCHED)  # 96 <= 100


def test_execution_order():
    assert names(attach_denoisers(ReversedRegistration())) == ['last', 'first']
    model = ReversedRegistration()
    records = attach_denoisers(model, order='execution', example_inputs=torch.randn(2, 4))
    assert names(records) == ['first', 'last']
    assert model.first.denoiser.steps == (2, ) and model.last.denoiser.steps == (1, )
    with pytest.raises(ValueError, match='example_inputs'):
        attach_denoisers(ReversedRegistration(), order='execution')
    # dict / tuple example inputs
    assert names(attach_denoisers(ReversedRegistration(), order='execution',
                                  example_inputs=(torch.randn(2, 4), ))) == ['first', 'last']
    assert names(attach_denoisers(ReversedRegistration(), order='execution',
                                  example_inputs=dict(x=torch.randn(2, 4)))) == ['first', 'last']


def test_layers_never_called_through_forward_are_refused():
    with pytest.raises(ValueError, match=r"'attn.out_proj'.*MultiheadAttention.*never"):
        attach_denoisers(WithMHA())
    assert names(attach_denoisers(WithMHA(), exclude=[r'out_proj$'])) == ['fc']
    with pytest.raises(ValueError, match=r"\['unused'\] are never called"):
        attach_denoisers(WithUnusedLayer(), example_inputs=torch.randn(2, 4))
    # without example inputs it is detected after a forward
    model = WithUnusedLayer()
    attach_denoisers(model)
    model(torch.randn(2, 4))
    assert find_uncalled_layers(model) == ['unused']


def test_unsupported_layers_are_refused():
    model = nn.Sequential(WeirdConv(3, 4, 3))
    with pytest.raises(ValueError, match=r"'0'.*overrides forward"):
        attach_denoisers(model)
    wn = nn.Sequential(nn.utils.parametrizations.weight_norm(nn.Linear(3, 3)))
    with pytest.raises(ValueError, match='parametrised'):
        attach_denoisers(wn)
    model = ToyNet()
    attach_denoisers(model, include='head')
    with pytest.raises(ValueError, match="'head' already has a denoiser"):
        attach_denoisers(model, include='head')


def test_input_side_on_padded_conv_is_refused_with_the_layer_name():
    with pytest.raises(ValueError, match=r"'stem.0'.*input-side.*zero-padded"):
        attach_denoisers(ToyNet(), side='input')
    records = attach_denoisers(ToyNet(), side='input', layer_types='Linear')
    assert [(r.name, r.channels) for r in records] == [('mlp.fc1', 16), ('mlp.fc2', 24),
                                                       ('head', 16)]


def test_original_names_are_kept_and_plain_checkpoints_load():
    plain = ToyNet()
    model = copy.deepcopy(plain)
    attach_denoisers(model)
    keys, plain_keys = set(model.state_dict()), set(plain.state_dict())
    assert plain_keys <= keys
    extra = keys - plain_keys
    assert extra and all('.denoiser.' in k for k in extra)
    assert {k.split('.denoiser.')[0] for k in extra} == set(ALL_LAYERS)
    result = model.load_state_dict(plain.state_dict(), strict=False)
    assert set(result.missing_keys) == extra and not result.unexpected_keys
    # the attached layers are still the very same objects and classes
    for name, layer in find_denoised_layers(model):
        assert type(layer) is type(plain.get_submodule(name))


def _eval_output(model, x):
    model.eval()
    with torch.no_grad():
        return model(x)


@pytest.mark.parametrize('how', ['deepcopy', 'pickle', 'torch.save', 'load_state_dict'])
def test_hooks_and_denoisers_survive_copies(how):
    torch.manual_seed(0)
    model = ToyNet()
    attach_denoisers(model, steps_per_layer=2)
    perturb_denoisers(model)
    randomize_bn_stats(model)
    x = torch.randn(2, 3, 16, 16)
    ref = _eval_output(model, x)
    if how == 'deepcopy':
        other = copy.deepcopy(model)
    elif how == 'pickle':
        other = pickle.loads(pickle.dumps(model))
    elif how == 'torch.save':
        buf = io.BytesIO()
        torch.save(model, buf)
        buf.seek(0)
        other = torch.load(buf, weights_only=False)
    else:
        torch.manual_seed(1)
        other = ToyNet()
        attach_denoisers(other, steps_per_layer=2)
        other.load_state_dict(model.state_dict())
    assert [n for n, _ in find_denoised_layers(other)] == ALL_LAYERS
    assert denoised_layer_info(other) == denoised_layer_info(model)
    out = _eval_output(other, x)
    assert torch.equal(out, ref)
    # the copy's hooks use the copy's denoisers
    with torch.no_grad():
        other.head.denoiser.bd.add_(1.0)
    assert not torch.equal(_eval_output(other, x), ref)
    assert torch.equal(_eval_output(model, x), ref)


def test_attached_model_eval_output_differs_only_by_the_denoisers():
    torch.manual_seed(0)
    plain = ToyNet().eval()
    model = copy.deepcopy(plain)
    attach_denoisers(model)
    x = torch.randn(2, 3, 16, 16)
    # at init e(t) = 0, bd = 0 and Wd is small: close to, but not equal to, c3 * y
    with torch.no_grad():
        assert 0 < max_rel_error(_eval_output(model, x), plain(x)) < 0.1


def test_denoisers_are_kept_by_mmengine_init_weights():
    mmengine = pytest.importorskip('mmengine')
    from mmengine.model import BaseModule

    class Net(BaseModule):

        def __init__(self):
            super().__init__(init_cfg=[
                dict(type='Kaiming', layer=['Conv2d', 'Linear', 'LayerDenoiser',
                                            'NoisePredictor']),
                dict(type='Constant', val=3.0, layer=['_BatchNorm', 'LayerNorm']),
                dict(type='Normal', std=5.0, layer='Linear'),
            ])
            self.body = ToyNet()

        def init_weights(self):
            super().init_weights()
            for m in self.modules():  # isinstance-based init, as many backbones do
                if isinstance(m, (nn.Linear, nn.Conv2d)):
                    nn.init.normal_(m.weight, std=7.0)

    assert mmengine
    model = Net()
    attach_denoisers(model.body)
    before = {k: v.clone() for k, v in model.state_dict().items() if '.denoiser.' in k}
    model.init_weights()
    after = model.state_dict()
    for key, value in before.items():
        assert torch.equal(after[key], value), key
    assert float(model.body.head.weight.std()) > 3  # the layer itself was initialised


def test_layer_denoiser_is_a_child_with_the_layer_name():
    model = ToyNet()
    attach_denoisers(model, include='fc')
    d = model.mlp.fc1.denoiser
    assert isinstance(d, LayerDenoiser) and d.layer_name == 'mlp.fc1'
    assert 'steps=[2]' in repr(model.mlp.fc1)
