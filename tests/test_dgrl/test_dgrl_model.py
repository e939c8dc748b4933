"""The DGRL model: losses (Eq. 13), test routing, frozen SR in training, DenoiseRep attachment."""
import copy
import math
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config

from mmdenoise.denoiserep import find_denoised_layers, find_uncalled_layers
from mmdenoise.registry import MODELS
from dgrl_test_utils import REPO, TINY_DGRL, build_tiny_dgrl, pair_batch

CONFIGS = osp.join(REPO, 'configs', 'dgrl')


def _label_smoothed_ce(logits, labels, xi=0.1):
    """Eq. 6: q_y = 1 - (N - 1) / N xi, q_i = xi / N otherwise; -sum q log p."""
    n = logits.shape[1]
    log_p = torch.log_softmax(logits, dim=1)
    q = torch.full_like(log_p, xi / n)
    q[torch.arange(len(labels)), labels] = 1 - (n - 1) / n * xi
    return -(q * log_p).sum(1).mean()


def test_losses_follow_eq_13():
    model = build_tiny_dgrl().eval()  # eval: BN statistics fixed, so the parts can be re-run
    data = pair_batch(model)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_id', 'loss_metric', 'loss_kl', 'loss_feat', 'accuracy'}
    hr, lr = data['inputs']['hr'], data['inputs']['lr']
    labels = torch.tensor([0, 0, 1, 1] * 2)
    f_h, f_s = model.stem_features(hr, lr)
    feats = model.embed(torch.cat([f_h, f_s]))
    logits = [head.classifier(head.bnneck(f)) for head, f in zip(model.heads, feats)]
    weights = (1.0, 0.5, 0.5)  # alpha = beta = 0.5
    expected_id = sum(w * _label_smoothed_ce(x, labels) for w, x in zip(weights, logits))
    expected_wrt = sum(w * model.metric_loss(f, labels) for w, f in zip(weights, feats))
    expected_kl = sum(F.kl_div(F.log_softmax(logits[i], 1), F.log_softmax(logits[j], 1),
                               reduction='batchmean', log_target=True)
                      for i in range(3) for j in range(3) if i != j)
    expected_feat = 5.0 * F.smooth_l1_loss(f_h, f_s)
    torch.testing.assert_close(losses['loss_id'], expected_id)
    torch.testing.assert_close(losses['loss_metric'], expected_wrt)
    torch.testing.assert_close(losses['loss_kl'], expected_kl)
    torch.testing.assert_close(losses['loss_feat'], expected_feat)
    assert all(math.isfinite(v.item()) and v.item() > 0 for k, v in losses.items()
               if k.startswith('loss'))


def test_modes_and_input_checks():
    model = build_tiny_dgrl().eval()
    data = pair_batch(model)
    feats = model(data['inputs'], mode='tensor')
    assert set(feats) == {'hr', 'sr'} and set(feats['hr']) == {'main', 'side2', 'side3'}
    assert feats['sr']['side3'].shape == (4, 16)
    single = data['inputs']['hr']
    torch.testing.assert_close(model(single, mode='tensor'), feats['hr']['main'])
    with pytest.raises(ValueError, match='paired inputs'):
        model(single, data['data_samples'], mode='loss')
    with pytest.raises(ValueError, match='single images'):
        model(data['inputs'], mode='predict')
    with pytest.raises(KeyError, match='missing'):
        model(dict(hr=single), mode='tensor')
    with pytest.raises(ValueError, match='one weight per branch'):
        MODELS.build(dict(copy.deepcopy(TINY_DGRL), id_weights=(1.0, 0.5)))


def _samples(splits):
    from mmpretrain.structures import DataSample
    return [DataSample(metainfo=dict(split=s)) for s in splits]


def test_predict_takes_lr_queries_through_sr_and_gallery_through_hr(rcan_weights):
    model = build_tiny_dgrl(sr_weights=rcan_weights[0]).eval()
    x = pair_batch(model)['inputs']['hr']
    splits = ['query', 'gallery', 'query', 'gallery']
    out = model.predict(x, _samples(splits))
    bnneck = model.heads[0].bnneck
    hr_path = bnneck(model.embed(model.hr_branch(x), side_branches=False)[0])
    sr_path = bnneck(model.embed(model.sr_branch(model.super_resolve(x)),
                                 side_branches=False)[0])
    for i, split in enumerate(splits):
        expected = sr_path[i] if split == 'query' else hr_path[i]
        torch.testing.assert_close(out[i].pred_feature, expected)
    assert not torch.allclose(sr_path[0], hr_path[0])
    model.test_cfg.update(low_resolution='none', feature='before_bn', normalize=True)
    out = model.predict(x, _samples(splits))
    plain = F.normalize(model(x, mode='tensor'), dim=1)
    torch.testing.assert_close(torch.stack([s.pred_feature for s in out]), plain)


def test_sr_stage_is_frozen_through_a_training_step(rcan_weights):
    from mmengine.optim import build_optim_wrapper
    model = build_tiny_dgrl(sr_weights=rcan_weights[0])
    schedule = Config.fromfile(osp.join(CONFIGS, '_base_', 'schedules', 'dgrl_sgd-70e.py'))
    optim_wrapper = build_optim_wrapper(model, copy.deepcopy(schedule.optim_wrapper))
    in_optimizer = {id(p) for g in optim_wrapper.optimizer.param_groups for p in g['params']}
    sr_params = list(model.sr.parameters())
    assert sr_params and not in_optimizer & {id(p) for p in sr_params}
    assert {id(p) for p in model.hr_branch.parameters()} <= in_optimizer
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.train()
    assert not model.sr.training and model.hr_branch.training
    model.train_step(pair_batch(model), optim_wrapper)
    after = model.state_dict()
    for key, value in before.items():
        if key.startswith('sr.'):
            torch.testing.assert_close(after[key], value, rtol=0, atol=0, msg=key)
    assert not torch.equal(after['hr_branch.conv1.weight'], before['hr_branch.conv1.weight'])
    assert not torch.equal(after['galns.2.group_fc.weight'], before['galns.2.group_fc.weight'])


def test_denoiserep_preset_skips_sr_and_reaches_every_branch_label_free(rcan_weights):
    """The configs' attach preset on a tiny DGRL: no denoiser in the SR module or the
    classifiers, and one label-free step (the tensor forward on training pairs) runs every
    denoiser, so all of them learn."""
    preset = Config.fromfile(osp.join(CONFIGS, '_base_', 'denoiserep_attach.py'))
    arch = copy.deepcopy(TINY_DGRL)
    arch['super_resolution']['weights'] = rcan_weights[0]
    wrapper = MODELS.build(dict(type='mmdenoise.DenoiseRepWrapper', architecture=arch,
                                mode='label_free', attach=preset.denoiserep_attach))
    names = [name for name, _ in find_denoised_layers(wrapper.architecture)]
    assert not [n for n in names if n.startswith(('sr.', 'heads.'))]
    for prefix in ('hr_branch.restormer.', 'sr_branch.restormer.', 'embedding.non_local.',
                   'embedding.side_branches.stage2.', 'galns.1.'):
        assert any(n.startswith(prefix) for n in names), prefix
    wrapper.train()
    losses = wrapper(**pair_batch(wrapper.architecture), mode='loss')
    assert set(losses) == {'loss_denoise'} and losses['loss_denoise'].requires_grad
    assert find_uncalled_layers(wrapper.architecture) == []


def test_denoiserep_fusion_is_exact_on_both_paths_and_every_branch(rcan_weights):
    """Fused DGRL == the denoised wrapper on training pairs: the HR and SR branches (Restormer
    blocks), the side branches and all three GALNs (``tools/fuse_checkpoint.py --verify``
    feeds single images, which take the HR path and the main branch only)."""
    from mmdenoise.denoiserep.testing import (flatten_outputs, perturb_denoisers,
                                              randomize_bn_stats)
    preset = Config.fromfile(osp.join(CONFIGS, '_base_', 'denoiserep_attach.py'))
    arch = copy.deepcopy(TINY_DGRL)
    arch['super_resolution']['weights'] = rcan_weights[0]
    torch.manual_seed(0)
    wrapper = MODELS.build(dict(type='mmdenoise.DenoiseRepWrapper', architecture=arch,
                                mode='label_augmented', attach=preset.denoiserep_attach))
    wrapper.init_weights()
    perturb_denoisers(wrapper, seed=1, scale=0.5)
    randomize_bn_stats(wrapper, seed=2)
    wrapper.eval()
    inputs = pair_batch(wrapper.architecture)['inputs']
    with torch.no_grad():
        reference = wrapper(inputs, mode='tensor')
        fused = wrapper.fuse()
        out = fused(inputs, mode='tensor')
    assert not find_denoised_layers(fused)
    assert set(out['sr']) == {'main', 'side2', 'side3'}
    assert len(flatten_outputs(out)) == len(flatten_outputs(reference)) == 6  # 2 paths x 3
    for got, want in zip(flatten_outputs(out), flatten_outputs(reference)):
        torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5)
    # the denoisers do change the features (the check above is not vacuous)
    fresh = MODELS.build(copy.deepcopy(arch))
    fresh.load_state_dict(
        {k: v for k, v in wrapper.architecture.state_dict().items() if '.denoiser.' not in k})
    with torch.no_grad():
        without = fresh.eval()(inputs, mode='tensor')
    assert (without['sr']['side3'] - reference['sr']['side3']).abs().max() > 1e-4
    assert set(fused.state_dict()) == set(fresh.state_dict())


def test_imagenet_resnet_initialises_the_trunk_and_both_stems(tmp_path):
    """The configs' ``Pretrained`` init (an mmpretrain ResNet checkpoint, prefix 'backbone.')
    fills the shared stages and the stem of each branch; the stem keys are not expected by the
    trunk (it has no stem), the trunk keys not by the stems."""
    from mmpretrain.models import ResNet
    torch.manual_seed(3)
    resnet = ResNet(depth=18, base_channels=8, stem_channels=8, strides=(1, 2, 2, 1))
    for module in resnet.modules():  # statistics a fresh model could not match by chance
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_var.uniform_(0.5, 2.0)
            module.weight.data.uniform_(0.5, 1.5)
    path = tmp_path / 'resnet18_w8.pth'
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in resnet.state_dict().items()}},
               path)
    init = dict(type='Pretrained', checkpoint=str(path), prefix='backbone.')
    cfg = copy.deepcopy(TINY_DGRL)
    cfg['embedding']['backbone']['init_cfg'] = init
    cfg['branch']['init_cfg'] = init
    model = MODELS.build(cfg)
    model.init_weights()
    reference = resnet.state_dict()
    for key, value in model.embedding.backbone.state_dict().items():
        torch.testing.assert_close(value, reference[key], rtol=0, atol=0, msg=key)
    for branch in (model.hr_branch, model.sr_branch):
        for key in ('conv1.weight', 'bn1.weight', 'bn1.running_var'):
            torch.testing.assert_close(branch.state_dict()[key], reference[key], rtol=0, atol=0)
