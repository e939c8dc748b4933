"""The logic of ``tools/test.py``: evaluate a checkpoint with MMEngine's Runner on any OpenMMLab
config (arguments as mmdet's and mmpretrain's ``tools/test.py``).

Visualization (``--show`` / ``--show-dir``) adapts to the task's ``VisualizationHook``, found
through the config's default scope and recognised by its arguments:

* mmpretrain (``enable``, ``out_dir``, ``interval``, ``**kwargs`` for ``wait_time``);
* mmdet (``draw``, ``test_out_dir``, relative to ``work_dir/<timestamp>``);
* mmseg and any other hook (``draw`` if it has it; the folder goes to ``visualizer.save_dir``).

ReID: with ``--show-dir``, every ``ReIDMetric`` of ``test_evaluator`` writes rank lists there
(:func:`mmdenoise.visualization.enable_rank_lists`) and the per-sample hook stays off.

A further hook point: a config may define
``reid_rank_list_hook = dict(type=...)`` (a hook config, not active by itself). With ``--show`` /
``--show-dir`` a copy is appended to ``custom_hooks`` with whichever of ``enable``, ``draw``,
``show``, ``wait_time``, ``interval`` and ``out_dir`` its ``__init__`` accepts (a hook that cannot
be resolved gets ``out_dir`` and ``show`` only). The hook should accept ``out_dir``.
"""
from __future__ import annotations

import argparse
import inspect
import os.path as osp
import warnings
from typing import Any, Dict, List, Optional

from mmengine.config import Config, ConfigDict

from .runner_setup import (ToolError, add_common_args, build_runner, finish_args, load_config,
                           set_work_dir, setup_cpu_distributed, teardown_cpu_distributed)

__all__ = [
    'build_test_parser', 'parse_test_args', 'merge_test_args', 'enable_visualization', 'enable_tta',
    'check_checkpoint_matches_model', 'run_test'
]

#: config key of the ReID rank-list hook (provided by the visualization module)
REID_RANK_LIST_KEY = 'reid_rank_list_hook'


def build_test_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='Test (and evaluate) a model (a DenoiseRep wrapper, a fused deploy model or '
        'any OpenMMLab model) with MMEngine')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file or URL')
    parser.add_argument(
        '--work-dir', help='the folder to save the file with the evaluation metrics in')
    parser.add_argument(
        '--out', help='dump the predictions to this pickle file (.pkl / .pickle)')
    parser.add_argument(
        '--show', action='store_true', help='show the prediction results in a window')
    parser.add_argument(
        '--show-dir',
        help='save painted predictions in this folder (mmdet: relative to '
        'work_dir/<timestamp>)')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='display time of each window, seconds')
    parser.add_argument(
        '--interval', type=int, default=None, help='visualize every this many samples/batches')
    parser.add_argument(
        '--tta',
        action='store_true',
        help='test-time augmentation with the config\'s tta_model and tta_pipeline')
    parser.add_argument(
        '--amp', action='store_true', help='automatic mixed precision (test_cfg.fp16=True)')
    parser.add_argument(
        '--no-pin-memory', action='store_true', help='pin_memory=False in the dataloader')
    parser.add_argument(
        '--non-strict', action='store_true',
        help='load a checkpoint whose keys do not match the model (missing / unexpected keys '
        'become warnings, as in plain MMEngine); by default such a checkpoint is refused')
    add_common_args(parser)
    return parser


def parse_test_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = build_test_parser()
    args = finish_args(parser.parse_args(argv))
    if args.out is not None and not args.out.endswith(('.pkl', '.pickle')):
        parser.error(f'--out must be a .pkl or .pickle file, got {args.out}')
    return args


# ---------------------------------------------------------------- visualization

def _hook_params(hook_cfg: Any, scope: Optional[str]) -> Optional[Dict[str, inspect.Parameter]]:
    """The ``__init__`` parameters of the hook class a hook config names, or None if unknown."""
    hook_type = hook_cfg.get('type') if hasattr(hook_cfg, 'get') else None
    if hook_type is None:
        return None
    try:
        if isinstance(hook_type, str):
            from mmengine.registry import HOOKS
            with HOOKS.switch_scope_and_registry(scope) as registry:
                hook_cls = registry.get(hook_type)
        else:
            hook_cls = hook_type
        if hook_cls is None:
            return None
        return dict(inspect.signature(hook_cls.__init__).parameters)
    except Exception:  # an unknown hook: fall back to the generic handling
        return None


def _accepts(params: Optional[Dict[str, inspect.Parameter]], name: str) -> bool:
    if params is None:
        return False
    return name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def enable_visualization(cfg: Config,
                         show: bool = False,
                         show_dir: Optional[str] = None,
                         wait_time: float = 2,
                         interval: Optional[int] = None) -> Config:
    """Turn on the config's visualization for testing (see the module docstring).

    Raises:
        ToolError: the config has neither ``default_hooks.visualization`` nor
            ``reid_rank_list_hook``.
    """
    scope = cfg.get('default_scope', None)
    hooks = cfg.get('default_hooks', None) or {}
    vis = hooks.get('visualization', None)
    rank_list = cfg.get(REID_RANK_LIST_KEY, None)

    if show_dir:
        # ReID: rank lists need the whole gallery, so the ReIDMetric draws them after evaluation
        from mmdenoise.visualization import enable_rank_lists
        if enable_rank_lists(cfg, show_dir):
            if show:
                warnings.warn('--show: ReID rank lists are only saved (to --show-dir)')
            vis = None  # the per-sample hook has nothing to draw for ReID samples
            if rank_list is None:
                return cfg

    if vis is None and rank_list is None:
        raise ToolError(
            '--show / --show-dir need a visualization hook: the config has no '
            'default_hooks.visualization (e.g. visualization=dict(type="VisualizationHook")) '
            f'and no {REID_RANK_LIST_KEY}')

    if vis is not None:
        params = _hook_params(vis, scope)
        explicit = params or {}
        if params is None:
            warnings.warn(f'unknown visualization hook {vis.get("type")!r}: setting draw=True, '
                          'show and visualizer.save_dir')
        if 'enable' in explicit:  # mmpretrain
            vis['enable'] = True
        if 'draw' in explicit or params is None:  # mmdet, mmseg
            vis['draw'] = True
        if show:
            vis['show'] = True
            if _accepts(params, 'wait_time') or params is None:
                vis['wait_time'] = wait_time
        if interval is None and 'enable' in explicit:
            interval = 1  # mmpretrain's tools/test.py default (its hook's own is 5000)
        if interval is not None and ('interval' in explicit or params is None):
            vis['interval'] = interval
        if show_dir:
            if 'out_dir' in explicit:  # mmpretrain
                vis['out_dir'] = show_dir
            elif 'test_out_dir' in explicit:  # mmdet
                vis['test_out_dir'] = show_dir
            else:  # mmseg and unknown hooks draw through the visualizer's backends
                visualizer = cfg.get('visualizer', None)
                if visualizer is None:
                    raise ToolError('--show-dir: the config has no visualizer to save to')
                visualizer['save_dir'] = show_dir

    if rank_list is not None:
        rank_cfg = ConfigDict(rank_list)
        params = _hook_params(rank_cfg, scope)
        values = dict(enable=True, draw=True, show=show, interval=interval, out_dir=show_dir)
        if show:
            values['wait_time'] = wait_time
        if params is None:  # unresolvable hook: only the documented contract (out_dir, show)
            values = dict(out_dir=show_dir, show=True if show else None)
        for key, value in values.items():
            if value is not None and (params is None or _accepts(params, key)):
                rank_cfg[key] = value
        custom = list(cfg.get('custom_hooks', None) or [])
        custom.append(rank_cfg)
        cfg.custom_hooks = custom
    return cfg


# ---------------------------------------------------------------- TTA

def enable_tta(cfg: Config) -> Config:
    """Wrap the model in the config's ``tta_model`` and test with its ``tta_pipeline``.

    Raises:
        ToolError: the config lacks ``tta_model`` or ``tta_pipeline``.
    """
    missing = [k for k in ('tta_model', 'tta_pipeline') if cfg.get(k, None) is None]
    if missing:
        raise ToolError(
            f'--tta: the config has no {" and no ".join(missing)}; define tta_model (e.g. '
            'dict(type="DetTTAModel", ...)) and tta_pipeline (ending in TestTimeAug) in the '
            'config, as the upstream TTA configs do')
    cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
    dataset = cfg.test_dataloader.dataset
    while 'pipeline' not in dataset and 'dataset' in dataset:  # dataset wrappers
        dataset = dataset['dataset']
    dataset['pipeline'] = cfg.tta_pipeline
    return cfg


# ---------------------------------------------------------------- the checkpoint

def _is_remote(path: str) -> bool:
    return '://' in path


def merge_test_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply the command-line arguments to ``cfg``: ``--cfg-options`` first, then the flags (an
    explicit flag wins over a ``--cfg-options`` value, as in mmdet's tools)."""
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    cfg.launcher = args.launcher
    set_work_dir(cfg, args.work_dir, args.config)
    cfg.load_from = args.checkpoint
    if args.amp:
        if cfg.get('test_cfg', None) is None:
            cfg.test_cfg = ConfigDict()
        cfg.test_cfg['fp16'] = True
    if args.show or args.show_dir:
        enable_visualization(cfg, args.show, args.show_dir, args.wait_time, args.interval)
    if args.tta:
        enable_tta(cfg)
    if args.no_pin_memory and cfg.get('test_dataloader', None) is not None:
        cfg.test_dataloader['pin_memory'] = False
    return cfg


def _is_denoiser_key(key: str) -> bool:
    return '.denoiser.' in key or key.startswith('denoiser.')


def _is_fused_checkpoint(ckpt: Any) -> bool:
    """Deploy weights written by fuse_checkpoint or DenoiseRepDeployHook (their meta says so)."""
    meta = ckpt.get('meta') if isinstance(ckpt, dict) else None
    info = meta.get('denoiserep') if isinstance(meta, dict) else None
    return isinstance(info, dict) and bool(info.get('fused') or info.get('fused_from'))


def _tolerated_keys(model: Any) -> set:
    """Keys a model drops when it loads its own state dict (mmpretrain SwinV2 rebuilds some
    buffers in its load hooks): not a mismatch."""
    dropped = model.load_state_dict(model.state_dict(), strict=False)
    return set(dropped.missing_keys) | set(dropped.unexpected_keys)


def check_checkpoint_matches_model(model: Any, checkpoint: str, config: str = 'the config',
                                   strict: bool = True, purpose: str = 'test') -> List[str]:
    """Refuse a checkpoint that does not fit ``model`` before the Runner loads it non-strictly
    (which would only log a warning and evaluate, or train, a partly random network).

    Rules (local files; URLs are left to mmengine):

    * DenoiseRep training weights (``*.denoiser.*`` keys) into a model without denoisers:
      refused (fuse first, or use the training config);
    * fused deploy weights (their ``meta.denoiserep`` says so) into a DenoiseRep wrapper when
      testing: refused (the wrapper would apply fresh denoisers on top), naming the deploy config;
    * a plain task checkpoint into a wrapper: only the ``*.denoiser.*`` keys may be missing
      (the legitimate ``load_from`` case; testing it evaluates untrained denoisers: warned);
    * otherwise every model key must be there with its shape and no key may be unexpected
      (keys the model drops when loading its own state dict are tolerated).

    Args:
        strict: with False (``--non-strict``) the key mismatches are returned as warnings
            instead of raised (the two DenoiseRep rules above still apply).
        purpose: ``'test'`` (tools/test.py) or ``'load_from'`` (training), for the messages.

    Returns:
        list[str]: warnings (already printed).

    Raises:
        ToolError: naming the config, the checkpoint and the mismatch.
    """
    if _is_remote(checkpoint) or not osp.isfile(checkpoint):
        return []
    import torch
    from mmengine.model import is_model_wrapper
    from mmengine.runner.checkpoint import CheckpointLoader
    try:
        ckpt = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
    except Exception as err:  # noqa: BLE001 (the loaders name the file and the problem)
        raise ToolError(f'cannot load {checkpoint}: {err}') from err
    if isinstance(ckpt, dict) and isinstance(ckpt.get('state_dict'), dict):
        state = ckpt['state_dict']
    elif isinstance(ckpt, dict) and ckpt and all(torch.is_tensor(v) for v in ckpt.values()):
        state = ckpt
    else:
        raise ToolError(f'{checkpoint} holds no state_dict (keys: {sorted(ckpt)[:8]})'
                        if isinstance(ckpt, dict) else f'{checkpoint} holds no state_dict')
    if state and all(k.startswith('module.') for k in state):
        state = {k[len('module.'):]: v for k, v in state.items()}
    if is_model_wrapper(model):
        model = model.module
    own = model.state_dict()
    ckpt_has = any(_is_denoiser_key(k) for k in state)
    model_has = any(_is_denoiser_key(k) for k in own)
    if ckpt_has and not model_has and purpose == 'load_from':
        raise ToolError(
            f'{checkpoint} holds DenoiseRep training weights (with *.denoiser.* keys) but the '
            f'model of {config} has no denoisers: fuse it first (tools/fuse_checkpoint.py '
            'TRAIN_CONFIG CHECKPOINT OUTPUT) and start from OUTPUT')
    if ckpt_has and not model_has:
        raise ToolError(
            f'{checkpoint} holds DenoiseRep training weights (with *.denoiser.* keys) but the '
            f'model of {config} has no denoisers: fuse it first (tools/fuse_checkpoint.py '
            'TRAIN_CONFIG CHECKPOINT OUTPUT) and test OUTPUT with the deploy config, or test it '
            'with the training config')
    warned: List[str] = []
    if model_has and not ckpt_has:
        if _is_fused_checkpoint(ckpt) and purpose == 'test':
            meta = ckpt['meta']['denoiserep']
            deploy = meta.get('deploy_config') or 'the task model\'s own (deploy) config'
            raise ToolError(
                f'{checkpoint} holds fused deploy weights, but {config} is a DenoiseRep '
                'training config: its wrapper would apply freshly initialised denoisers on top '
                f'and the metric would not be the deploy model\'s. Test it with {deploy}')
        if purpose == 'test':
            warned.append(f'{checkpoint} has no denoiser weights: {config} evaluates the plain '
                          'weights through untrained (initial) denoisers')
    skip = (lambda k: _is_denoiser_key(k)) if (model_has and not ckpt_has) else (lambda k: False)
    tolerated = _tolerated_keys(model)
    missing = [k for k in own if k not in state and not skip(k) and k not in tolerated]
    unexpected = [k for k in state if k not in own and k not in tolerated]
    shapes = [f'{k} {tuple(state[k].shape)} vs {tuple(v.shape)}' for k, v in own.items()
              if k in state and torch.is_tensor(state[k]) and torch.is_tensor(v)
              and tuple(state[k].shape) != tuple(v.shape)]
    if missing or unexpected or shapes:
        from .fuse_checkpoint import _key_mismatch_message
        detail = _key_mismatch_message(missing, unexpected, shapes)
        matched = len([k for k in own if k in state])
        message = (f'{checkpoint} does not match the model of {config} ({matched} of '
                   f'{len(own)} model keys found): {detail}')
        if strict:
            raise ToolError(message + '; pass --non-strict to load what matches anyway')
        warned.append(message)
    from .fuse_checkpoint import first_non_finite
    bad = first_non_finite(state)
    if bad is not None:
        warned.append(f'{checkpoint}: the tensor {bad!r} holds NaN or inf values; metrics '
                      'computed from this checkpoint are not meaningful')
    for line in warned:
        warnings.warn(line, stacklevel=2)
        print(f'warning: {line}')
    return warned


class NonFiniteOutputCounter:
    """Forward hook on the task model: counts test batches whose tensor outputs hold NaN / inf,
    so that a metric computed from them is flagged loudly instead of reported as a number."""

    def __init__(self, model: Any):
        import torch
        self.batches = self.bad = 0
        self.first: Optional[str] = None
        self._torch = torch
        self._handles = []
        roots = [model]
        for name in ('backbone', 'neck', 'head', 'decode_head'):
            sub = getattr(getattr(model, 'architecture', model), name, None)
            if isinstance(sub, torch.nn.Module):
                self._handles.append(sub.register_forward_hook(self._hook(name)))
        if not self._handles:
            for root in roots:
                self._handles.append(root.register_forward_hook(self._hook('model')))

    def _hook(self, name):
        def hook(module, args, output):
            if name in ('backbone', 'model'):
                self.batches += 1
            from mmdenoise.denoiserep.testing import flatten_outputs
            tensors = [t for t in flatten_outputs(output)
                       if t.is_floating_point() and t.numel()]
            if any(not bool(self._torch.isfinite(t).all()) for t in tensors):
                self.bad += 1
                self.first = self.first or name
        return hook

    def remove(self):
        for handle in self._handles:
            handle.remove()


def run_test(argv: Optional[List[str]] = None) -> Dict[str, Any]:
    """``tools/test.py``: returns the metrics."""
    args = parse_test_args(argv)
    if not _is_remote(args.checkpoint) and not osp.isfile(args.checkpoint):
        raise ToolError(f'checkpoint file not found: {args.checkpoint}')
    cfg = merge_test_args(load_config(args.config), args)
    cpu_dist = setup_cpu_distributed(cfg, args.launcher)
    runner = build_runner(cfg)
    check_checkpoint_matches_model(runner.model, args.checkpoint, args.config,
                                   strict=not args.non_strict)
    if args.out is not None:
        from mmengine.evaluator import DumpResults
        runner.test_evaluator.metrics.append(DumpResults(out_file_path=args.out))
    from mmengine.model import is_model_wrapper
    counter = NonFiniteOutputCounter(runner.model.module if is_model_wrapper(runner.model)
                                     else runner.model)
    try:
        metrics = runner.test()
    finally:
        counter.remove()
    if counter.bad:
        line = (f'{counter.bad} test batch(es) produced NaN / inf outputs (first in the '
                f'{counter.first}): the metrics above are computed from non-finite values and '
                f'are not meaningful ({args.checkpoint})')
        runner.logger.warning('!' * 20 + ' ' + line)
        print(f'warning: {line}')
        warnings.warn(line, stacklevel=2)
    teardown_cpu_distributed(cpu_dist)
    return metrics
