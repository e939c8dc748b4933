"""Every config under ``configs/`` (``_base_`` folders excluded) parses and builds on CPU, offline.

* A DenoiseRep config (``denoiserep-<mode>_<name>.py``, any folder) builds a
  ``DenoiseRepWrapper`` with denoised layers, in the mode its file name says; its task model
  downloads nothing (no remote ``Pretrained`` init / ``pretrained`` URL: the trained model comes
  through ``load_from``); its optimizer holds what that mode trains (the ``paramwise_cfg`` trap);
  its LR schedulers and hooks build.
* Its deploy model (the config's ``deploy_config``, else its ``model.architecture``, as
  ``tools/fuse_checkpoint.py`` chooses) builds the plain task model, without denoisers, whose
  state-dict keys are exactly those of ``wrapper.fuse()``: the fused weights load into it with
  ``strict=True``.
* Any other config builds a model without denoisers.
* ``configs/denoiserep/`` follows the zoo's scheme: ``deploy_config`` is ``./<name>_deploy.py``,
  each such deploy config is used, every model has label-free and label-aug configs, and every
  DenoiseRep config has ``DenoiseRepDeployHook`` (alternating ones: ``DenoiseRepPhaseHook`` and
  ``find_unused_parameters``).

Models are built as ``tools/train.py`` builds them (the Runner merges a top-level
``data_preprocessor`` into ``model``), with SyncBN reverted, without ``init_weights`` and with any
checkpoint load or download turned into an error. To keep the suite fast, the random
initialisation that layers run in their constructors (``reset_parameters`` of Linear / Conv and of
the denoisers) is skipped: the parameters are allocated but left unfilled. Nothing checked here
depends on parameter values (the numerics of the wrapper and of fusion are tested in
``tests/test_models`` and ``tests/test_denoiserep``); filling ViT-B-sized denoisers alone takes
several seconds per config on CPU. Fusion runs on a ``meta``-device copy of the wrapper for the
same reason; parsed configs, fused keys and plain models' keys are cached within the
session.
"""
import copy
import functools
import glob
import logging
import os
import os.path as osp
import re
from contextlib import contextmanager
from typing import Dict, Set

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.model import revert_sync_batchnorm
from mmengine.registry import HOOKS, MODELS, PARAM_SCHEDULERS, init_default_scope

import mmdenoise  # noqa: F401  (registers the mmdenoise scope)
from mmdenoise.denoiserep import denoisers as denoiser_module
from mmdenoise.denoiserep import find_denoised_layers

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG_ROOT = osp.join(REPO, 'configs')
ZOO = 'denoiserep'  # configs/denoiserep: the zoo's own naming scheme is enforced there
CONFIGS = sorted(
    osp.relpath(p, CONFIG_ROOT)
    for p in glob.glob(osp.join(CONFIG_ROOT, '**', '*.py'), recursive=True)
    if '_base_' not in osp.relpath(p, CONFIG_ROOT).split(os.sep))
DENOISEREP_RE = re.compile(r'^denoiserep-(label-free|label-aug|alternating)_(.+)\.py$')
MODES = {'label-free': 'label_free', 'label-aug': 'label_augmented', 'alternating': 'alternating'}
DENOISEREPS = [rel for rel in CONFIGS if DENOISEREP_RE.match(osp.basename(rel))]
ZOO_DEPLOYS = [
    rel for rel in CONFIGS if rel.split(os.sep)[0] == ZOO and rel.endswith('_deploy.py')
]
WRAPPER = 'DenoiseRepWrapper'
DEPLOY_HOOK = 'DenoiseRepDeployHook'
PHASE_HOOK = 'DenoiseRepPhaseHook'
UPSTREAM_SCOPES = ('mmpretrain', 'mmdet', 'mmseg')

_FUSED_KEYS: Dict[str, Set[str]] = {}
_PLAIN_KEYS: Dict[str, Set[str]] = {}


# ---------------------------------------------------------------------- helpers
def _in_zoo(rel: str) -> bool:
    return rel.split(os.sep)[0] == ZOO


@functools.lru_cache(maxsize=None)
def _load(rel: str) -> Config:
    """The parsed config (cached: parsing costs ~0.3 s; callers copy before changing it)."""
    return Config.fromfile(osp.join(CONFIG_ROOT, rel))


def _type_name(cfg) -> str:
    t = cfg.get('type', '') if hasattr(cfg, 'get') else ''
    return t if isinstance(t, str) else getattr(t, '__name__', str(t))


def _no_download(*args, **kwargs):
    raise AssertionError(f'a config tried to load/download a checkpoint at build time: {args}')


def _skip(self, *args, **kwargs):
    return None


@pytest.fixture(autouse=True)
def offline_fast_build(monkeypatch):
    """No checkpoint load / download; constructors allocate but do not fill parameters."""
    from mmengine.runner import checkpoint as mm_checkpoint
    monkeypatch.setattr(mm_checkpoint.CheckpointLoader, 'load_checkpoint', _no_download)
    monkeypatch.setattr(torch.hub, 'load_state_dict_from_url', _no_download)
    monkeypatch.setattr(torch.hub, 'download_url_to_file', _no_download)
    for cls in (torch.nn.Linear, torch.nn.modules.conv._ConvNd,
                denoiser_module.NoisePredictor):
        monkeypatch.setattr(cls, 'reset_parameters', _skip)


@contextmanager
def _quiet_logger():
    """The optimizer constructors log one line per parameter option: keep warnings only."""
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _build(cfg: Config, model_cfg=None) -> torch.nn.Module:
    """Build ``cfg.model`` (or ``model_cfg``) the way the Runner does, on CPU."""
    init_default_scope(cfg.get('default_scope', 'mmengine'))
    model_cfg = copy.deepcopy(cfg.model if model_cfg is None else model_cfg)
    if cfg.get('data_preprocessor') is not None and isinstance(model_cfg, dict):
        model_cfg.setdefault('data_preprocessor', copy.deepcopy(cfg.data_preprocessor))
    torch.manual_seed(0)
    return revert_sync_batchnorm(MODELS.build(model_cfg))


def _remote_weights(node, path='model'):
    """``(where, url)`` of every remote Pretrained init / pretrained path in a model config."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            where = f'{path}.{key}'
            if key in ('checkpoint', 'pretrained') and isinstance(value, str) and '://' in value:
                found.append((where, value))
            else:
                found += _remote_weights(value, where)
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            found += _remote_weights(value, f'{path}[{i}]')
    return found


def _deploy_of(rel: str, cfg: Config):
    """The deploy config (path relative to configs/) a DenoiseRep config names, or None."""
    if not cfg.get('deploy_config'):
        return None
    path = osp.normpath(osp.join(CONFIG_ROOT, osp.dirname(rel), cfg.deploy_config))
    assert osp.isfile(path), f'{rel}: deploy_config {cfg.deploy_config} does not exist'
    return osp.relpath(path, CONFIG_ROOT)


def _fused_keys(rel: str, wrapper=None) -> Set[str]:
    """State-dict keys of ``wrapper.fuse()`` for the DenoiseRep config ``rel`` (cached)."""
    if rel not in _FUSED_KEYS:
        if wrapper is None:
            wrapper = _build(_load(rel))
        wrapper = wrapper.to('meta')  # the keys do not depend on the values
        fused = wrapper.fuse()
        assert not find_denoised_layers(fused), f'{rel}: fuse() left denoisers'
        assert type(fused) is type(wrapper.architecture)
        _FUSED_KEYS[rel] = set(fused.state_dict())
    return _FUSED_KEYS[rel]


def _plain_keys(rel: str) -> Set[str]:
    """State-dict keys of the plain model of config ``rel`` (cached)."""
    if rel not in _PLAIN_KEYS:
        model = _build(_load(rel))
        assert type(model).__name__ != WRAPPER, f'{rel}: a deploy config must be the plain model'
        assert not find_denoised_layers(model)
        _PLAIN_KEYS[rel] = set(model.state_dict())
    return _PLAIN_KEYS[rel]


def _check_optimizer(rel, cfg, model):
    from mmengine.optim import build_optim_wrapper
    with _quiet_logger():
        optim_wrapper = build_optim_wrapper(model, copy.deepcopy(cfg.optim_wrapper))
    in_optim = {id(p) for g in optim_wrapper.optimizer.param_groups for p in g['params']}
    denoiser = {id(p) for _, layer in find_denoised_layers(model)
                for p in layer.denoiser.parameters()}
    task = {id(p) for p in model.parameters()} - denoiser
    trainable = {id(p) for p in model.parameters() if p.requires_grad}
    assert denoiser <= in_optim, f'{rel}: denoiser parameters missing from the optimizer'
    if model.mode == 'label_free':
        assert trainable == denoiser, f'{rel}: label-free must train the denoisers only'
    elif model.mode == 'label_augmented':
        assert trainable & task, f'{rel}: label-augmented must train the task model'
        assert trainable <= in_optim, f'{rel}: trainable parameters missing from the optimizer'
    else:  # alternating: whatever trains in either phase must be in the optimizer
        for phase in ('backbone', 'denoiser'):
            model.set_phase(phase)
            trainable = {id(p) for p in model.parameters() if p.requires_grad}
            missing = trainable - in_optim
            assert not missing, (f'{rel}: {len(missing)} parameters trained in the {phase!r} '
                                 'phase are not in the optimizer (a paramwise_cfg drops the '
                                 'parameters that are frozen when the optimizer is built)')
            if phase == 'backbone':
                assert trainable & task and not trainable & denoiser
    return optim_wrapper


def _check_schedulers(cfg, optim_wrapper):
    for sched in cfg.get('param_scheduler') or []:
        sched = copy.deepcopy(sched)
        if sched.pop('convert_to_iter_based', False):
            cls = PARAM_SCHEDULERS.get(sched.pop('type'))
            cls.build_iter_from_epoch(optim_wrapper, **sched, epoch_length=10)
        else:
            PARAM_SCHEDULERS.build(sched, default_args=dict(optimizer=optim_wrapper))


def _check_exact_with_trained_looking_denoisers(rel, model):
    """The folds and step order the wrapper proved by its trace hold on this very model: with
    random denoisers and BatchNorm statistics, fused == unfused layer by layer."""
    from mmdenoise.denoiserep.testing import perturb_denoisers
    for record in model.denoised_layers:
        if record.constant == 'none' and record.why_no_fold is None:
            assert model.architecture.get_submodule(record.name).bias is not None or \
                model.attach_cfg.get('bias_free') == 'constant_free', record
    steps = [s for r in model.denoised_layers for s in r.steps]
    assert steps == sorted(steps, reverse=True), f'{rel}: steps not in one decreasing run'
    if rel.startswith('dgrl' + os.sep):
        # a real fusion of the full DGRL (two ResNet-50 trunks + side branches) takes ~70 s on
        # one CPU thread; its tiny twin is fused and checked end to end in tests/test_dgrl
        return
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():  # offline_fast_build leaves the layers' memory unfilled
        for module in model.architecture.modules():
            if isinstance(module, (torch.nn.Linear, torch.nn.modules.conv._ConvNd)):
                fan_in = module.weight[0].numel()
                module.weight.copy_(torch.randn(module.weight.shape, generator=gen) /
                                    fan_in**0.5)
                if module.bias is not None:
                    module.bias.copy_(torch.randn(module.bias.shape, generator=gen) * 0.1)
    perturb_denoisers(model, seed=1, scale=0.2)
    report = model.check_fused(tolerance=1e-4)
    assert report['num_layers_compared'] > 0, rel


# ---------------------------------------------------------------------- tests
@pytest.mark.parametrize('rel', CONFIGS)
def test_config_builds(rel):
    cfg = _load(rel)
    model = _build(cfg)
    match = DENOISEREP_RE.match(osp.basename(rel))
    if type(model).__name__ != WRAPPER:
        assert match is None, f'{rel}: builds {type(model).__name__}, not a {WRAPPER}'
        assert not find_denoised_layers(model)
        _PLAIN_KEYS[rel] = set(model.state_dict())
        return

    assert len(find_denoised_layers(model)) > 0
    assert len(model.denoised_layers) == len(find_denoised_layers(model))
    _check_exact_with_trained_looking_denoisers(rel, model)
    found = _remote_weights(cfg.model.architecture, 'model.architecture')
    assert not found, f'{rel}: the task model would download weights at build time: {found}'
    if match is None:  # a wrapper config outside the naming scheme: nothing more to pin
        return
    assert model.mode == MODES[match.group(1)], f'{rel}: mode {model.mode!r}'
    if model.mode != 'label_free':
        assert model.task_loss_weight == pytest.approx(1 - model.noise_loss_weight)
    optim_wrapper = _check_optimizer(rel, cfg, model)
    _check_schedulers(cfg, optim_wrapper)
    hooks = [type(HOOKS.build(copy.deepcopy(h))).__name__ for h in cfg.get('custom_hooks', [])]

    if _in_zoo(rel):
        assert cfg.get('default_scope') in UPSTREAM_SCOPES, \
            f'{rel}: keep the upstream default_scope (got {cfg.get("default_scope")})'
        assert model.mode == 'label_free' or model.noise_loss_weight == pytest.approx(0.1)
        deploy = _deploy_of(rel, cfg)
        assert deploy == osp.join(osp.dirname(rel), f'{match.group(2)}_deploy.py'), \
            f'{rel}: deploy_config must be ./{match.group(2)}_deploy.py, got {deploy}'
        assert _load(deploy).get('default_scope') == cfg.default_scope
        assert DEPLOY_HOOK in hooks, f'{rel}: custom_hooks lacks {DEPLOY_HOOK}'
        if model.mode == 'alternating':
            assert PHASE_HOOK in hooks, f'{rel}: alternating needs {PHASE_HOOK}'
            assert cfg.get('find_unused_parameters') is True
    _fused_keys(rel, model)


@pytest.mark.parametrize('rel', DENOISEREPS)
def test_fused_model_matches_deploy_config(rel):
    """wrapper.fuse() has exactly the state-dict keys of the plain deploy model."""
    cfg = _load(rel)
    deploy = _deploy_of(rel, cfg)
    if deploy is not None:
        keys, source = _plain_keys(deploy), deploy
    else:  # tools/fuse_checkpoint.py then uses model.architecture
        plain = _build(cfg, cfg.model.architecture)
        keys, source = set(plain.state_dict()), f'{rel} model.architecture'
    fused = _fused_keys(rel)
    assert fused == keys, (f'{rel} fuses into a model whose keys differ from {source}: '
                           f'missing {sorted(keys - fused)[:5]}, '
                           f'unexpected {sorted(fused - keys)[:5]}')


@pytest.mark.parametrize('deploy', ZOO_DEPLOYS)
def test_zoo_deploy_config_is_used(deploy):
    users = [rel for rel in DENOISEREPS if _in_zoo(rel) and _deploy_of(rel, _load(rel)) == deploy]
    assert users, f'{deploy}: no DenoiseRep config names it as deploy_config'
    _plain_keys(deploy)  # builds the plain task model (no denoisers)


def test_zoo_has_label_free_and_label_aug_configs():
    modes = {}
    for rel in DENOISEREPS:
        if _in_zoo(rel):
            match = DENOISEREP_RE.match(osp.basename(rel))
            modes.setdefault((osp.dirname(rel), match.group(2)), set()).add(match.group(1))
    assert modes
    for (folder, name), found in modes.items():
        assert {'label-free', 'label-aug'} <= found, f'{folder}/{name}: {sorted(found)}'


# fine-tuning controls: the label-augmented run's extra training without denoisers
CONTROLS = {
    'reid/cuhk03/reid_mobilenetv2-bnneck_cuhk03-ours-128x64_finetune-control.py':
    'reid/cuhk03/denoiserep-label-aug_mobilenetv2-bnneck_cuhk03-ours-128x64.py',
    'reid/cuhk03/reid_vit-small-scratch_cuhk03-ours-128x64_finetune-control.py':
    'reid/cuhk03/denoiserep-label-aug_vit-small-scratch_cuhk03-ours-128x64.py',
    'fashion-mnist/resnet18-w16_fashion-mnist_finetune.py':
    'fashion-mnist/denoiserep-label-aug_resnet18-w16_fashion-mnist.py',
    'fashion-mnist/vit-tiny-p4_fashion-mnist_finetune.py':
    'fashion-mnist/denoiserep-label-aug_vit-tiny-p4_fashion-mnist.py',
}


def test_every_finetune_control_is_listed():
    found = {rel for rel in CONFIGS if re.search(r'_finetune(-control)?\.py$', rel)}
    assert found == set(CONTROLS)


@pytest.mark.parametrize('control', sorted(CONTROLS))
def test_finetune_control_is_the_label_aug_run_without_denoisers(control):
    """A control trains the label-augmented run's task model with the same optimizer, schedule,
    data and length: only the denoisers (their noise loss and their own optimizer settings, the
    ``.denoiser.`` custom keys) differ."""
    plain, label_aug = _load(control), _load(CONTROLS[control])
    assert label_aug.model.mode == 'label_augmented'
    assert plain.model.to_dict() == label_aug.model.architecture.to_dict()
    for key in ('optim_wrapper', 'param_scheduler', 'train_cfg', 'train_dataloader'):
        ours, theirs = plain[key], copy.deepcopy(label_aug[key])
        if key == 'optim_wrapper':
            custom = theirs.get('paramwise_cfg', {}).get('custom_keys', {})
            for name in [k for k in custom if 'denoiser' in k]:
                custom.pop(name)
            if 'custom_keys' in theirs.get('paramwise_cfg', {}) and not custom:
                theirs.paramwise_cfg.pop('custom_keys')
        assert ours == theirs, f'{control}: {key} differs from {CONTROLS[control]}'
