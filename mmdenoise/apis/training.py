"""The logic of ``tools/train.py``: MMEngine's Runner on any OpenMMLab config (arguments as mmdet's
and mmpretrain's ``tools/train.py``)."""
from __future__ import annotations

import argparse
import os
import os.path as osp
import re
import zipfile
from typing import List, Optional, Tuple

from mmengine.config import Config, ConfigDict

from .runner_setup import (ToolError, add_common_args, build_runner, finish_args, load_config,
                           set_work_dir, setup_cpu_distributed, teardown_cpu_distributed)

__all__ = [
    'build_train_parser', 'parse_train_args', 'merge_train_args', 'run_train',
    'apply_reliability_defaults', 'resolve_resume', 'find_resume_checkpoint',
    'checkpoint_is_complete'
]


def build_train_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='Train a model (a DenoiseRep wrapper or any OpenMMLab model) with MMEngine')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the folder to save logs and checkpoints in')
    resume = parser.add_mutually_exclusive_group()
    resume.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint; without a path, resume from the latest checkpoint '
        'in the work folder (an error if it has none)')
    resume.add_argument(
        '--auto-resume',
        action='store_true',
        help='resume from the latest checkpoint in the work folder if there is one, else start '
        'from scratch (for restart loops: preemptible jobs, fault soaks)')
    parser.add_argument(
        '--non-strict',
        action='store_true',
        help='load a load_from checkpoint whose keys or shapes do not match the model anyway '
        '(the mismatch is printed as a warning; by default it is an error)')
    parser.add_argument(
        '--amp', action='store_true', help='automatic mixed precision (AmpOptimWrapper)')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the learning rate by the actual total batch size over the config\'s '
        'auto_scale_lr.base_batch_size')
    parser.add_argument(
        '--no-validate', action='store_true', help='do not evaluate checkpoints during training')
    parser.add_argument(
        '--no-pin-memory', action='store_true', help='pin_memory=False in the dataloaders')
    parser.add_argument(
        '--no-persistent-workers',
        action='store_true',
        help='persistent_workers=False in the dataloaders')
    parser.add_argument(
        '--seed', type=int, default=None, help='random seed (sets randomness.seed of the config)')
    parser.add_argument(
        '--deterministic',
        action='store_true',
        help='deterministic algorithms (sets randomness.deterministic=True)')
    add_common_args(parser)
    return parser


def parse_train_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    return finish_args(build_train_parser().parse_args(argv))


def merge_train_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply the command-line arguments to ``cfg``: ``--cfg-options`` first, then the flags (an
    explicit flag such as ``--no-validate`` or ``--work-dir`` wins over a ``--cfg-options`` value,
    as in mmdet's tools)."""
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    cfg.launcher = args.launcher
    set_work_dir(cfg, args.work_dir, args.config)

    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None

    if args.amp:
        if cfg.get('optim_wrapper', None) is None:
            raise ToolError('--amp: the config has no optim_wrapper')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')

    if args.auto_scale_lr:
        auto = cfg.get('auto_scale_lr', None)
        if not auto or 'base_batch_size' not in auto:
            raise ToolError('--auto-scale-lr needs auto_scale_lr=dict(base_batch_size=...) in '
                               'the config (the total batch size its learning rate is for)')
        cfg.auto_scale_lr.enable = True

    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif getattr(args, 'auto_resume', False):
        cfg.resume = 'auto-or-scratch'  # resolved by resolve_resume (config's load_from kept)
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    if args.seed is not None or args.deterministic:
        randomness = ConfigDict(cfg.get('randomness', None) or {})
        if args.seed is not None:
            randomness['seed'] = args.seed
        if args.deterministic:
            randomness['deterministic'] = True
        cfg.randomness = randomness

    for field in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(field, None)
        if loader is None:
            continue
        if args.no_pin_memory:
            loader['pin_memory'] = False
        if args.no_persistent_workers:
            loader['persistent_workers'] = False
    return cfg


# ---------------------------------------------------------------- reliability defaults

def _hook_class(cfg: Config, hook_type):
    """The class a hook ``type`` resolves to under the config's default scope (None if not)."""
    if isinstance(hook_type, type):
        return hook_type
    if not isinstance(hook_type, str):
        return None
    from mmengine.registry import HOOKS, DefaultScope
    try:
        with DefaultScope.overwrite_default_scope(cfg.get('default_scope', None)):
            with HOOKS.switch_scope_and_registry(None) as registry:
                return registry.get(hook_type)
    except (KeyError, ImportError):
        return None


def apply_reliability_defaults(cfg: Config) -> List[str]:
    """What every training run of the tools gets, whatever its config says (returns one line per
    change, for the log):

    * MMEngine's ``CheckpointHook`` (named, or the Runner's default) becomes
      :class:`mmdenoise.engine.AtomicCheckpointHook` (same arguments): a kill during a save never
      leaves the run without a loadable checkpoint;
    * :class:`mmdenoise.engine.IterationSeedHook` is added when no custom hook is one: every
      iteration's random draws follow from ``(seed, iteration)``, so ``--resume`` repeats an
      uninterrupted run bit for bit. MMEngine always has a seed (``randomness.seed``, else a
      random one), stored in the checkpoints and restored on resume, so this holds for unseeded
      runs too.
    """
    from mmengine.hooks import CheckpointHook

    from mmdenoise.engine.hooks import IterationSeedHook
    notes = []
    default_hooks = cfg.get('default_hooks', None)
    if default_hooks is None:
        default_hooks = ConfigDict()
        cfg.default_hooks = default_hooks
    if 'checkpoint' not in default_hooks:
        default_hooks['checkpoint'] = ConfigDict(type='mmdenoise.AtomicCheckpointHook', interval=1)
        notes.append('default_hooks.checkpoint: mmdenoise.AtomicCheckpointHook(interval=1) '
                     '(crash-safe checkpoint saving)')
    else:
        ckpt = default_hooks['checkpoint']
        if isinstance(ckpt, dict) and _hook_class(cfg, ckpt.get('type')) is CheckpointHook:
            notes.append(f'default_hooks.checkpoint: {ckpt.get("type")} -> '
                         'mmdenoise.AtomicCheckpointHook (crash-safe checkpoint saving)')
            ckpt['type'] = 'mmdenoise.AtomicCheckpointHook'

    custom_hooks = list(cfg.get('custom_hooks', None) or [])
    has_seed_hook = any(
        isinstance(h, IterationSeedHook) or (
            isinstance(h, dict) and isinstance(_hook_class(cfg, h.get('type')), type)
            and issubclass(_hook_class(cfg, h.get('type')), IterationSeedHook))
        for h in custom_hooks)
    if not has_seed_hook:
        custom_hooks.append(ConfigDict(type='mmdenoise.IterationSeedHook'))
        cfg.custom_hooks = custom_hooks
        notes.append('custom_hooks: + mmdenoise.IterationSeedHook (every iteration seeded from '
                     '(seed, iteration): bit-exact --resume)')
    return notes


# ---------------------------------------------------------------- resume

_CKPT_NAME = re.compile(r'^(?:epoch|iter)_(\d+)\.pth$')
_ZIP_MAGIC = b'PK\x03\x04'


def checkpoint_is_complete(path: str) -> bool:
    """Whether ``path`` is a complete checkpoint file, cheaply: torch's zip format must have its
    central directory (written last, so a truncated file has none) and a ``data.pkl``; a file in
    torch's legacy format only needs to be non-empty."""
    try:
        if not osp.isfile(path) or osp.getsize(path) == 0:
            return False
        with open(path, 'rb') as f:
            magic = f.read(4)
        if magic != _ZIP_MAGIC:
            return True
        with zipfile.ZipFile(path) as zf:
            return any(n.endswith('data.pkl') for n in zf.namelist())
    except (OSError, zipfile.BadZipFile):
        return False


def _newest_complete(folders) -> Optional[str]:
    found = []
    for folder in dict.fromkeys(folders):
        if not osp.isdir(folder):
            continue
        for name in os.listdir(folder):
            match = _CKPT_NAME.match(name)
            path = osp.join(folder, name)
            if match and checkpoint_is_complete(path):
                found.append((int(match.group(1)), osp.getmtime(path), path))
    return max(found)[2] if found else None


def find_resume_checkpoint(work_dir: str) -> Tuple[Optional[str], List[str]]:
    """The checkpoint ``--resume`` continues from, and warnings.

    ``work_dir/last_checkpoint`` names it (a work folder moved elsewhere: the file of that name
    next to ``last_checkpoint``). If the file it names is missing or incomplete (a work folder
    damaged by hand, or written by MMEngine's own CheckpointHook, which deletes the old checkpoint
    before writing the new one), or there is no ``last_checkpoint`` but checkpoints exist, the
    newest complete ``epoch_<N>.pth`` / ``iter_<N>.pth`` is used, with a warning.

    Raises:
        ToolError: ``last_checkpoint`` names a missing or damaged file and there is no other
            complete checkpoint (the message names the file).
    """
    marker = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        newest = _newest_complete([work_dir])
        if newest is None:
            return None, []
        return newest, [f'{marker} does not exist; resuming from the newest complete '
                        f'checkpoint {newest}']
    with open(marker) as f:
        named = f.read().strip()
    if not named:
        problem = f'{marker} is empty'
        folders = [work_dir]
    else:
        path = named
        if not osp.isfile(path) and osp.isfile(osp.join(work_dir, osp.basename(path))):
            path = osp.join(work_dir, osp.basename(path))  # a moved work folder
        if checkpoint_is_complete(path):
            return path, []
        state = 'is incomplete or corrupt' if osp.isfile(path) else 'does not exist'
        problem = f'{marker} names {named}, which {state}'
        folders = [osp.dirname(named) or work_dir, work_dir]
    newest = _newest_complete(folders)
    if newest is None:
        raise ToolError(f'--resume: {problem}, and {work_dir} holds no other complete '
                        'checkpoint to resume from')
    return newest, [f'{problem}; resuming from the newest complete checkpoint {newest} '
                    'instead']


def resolve_resume(cfg: Config) -> List[str]:
    """Turn the resume request of ``cfg`` (after :func:`merge_train_args`) into an explicit
    ``cfg.load_from`` + ``cfg.resume=True`` (or a fresh start); returns warnings for the log.

    * ``--resume`` (``resume=True``, no ``load_from``): the work folder's latest checkpoint
      (:func:`find_resume_checkpoint`); none is an error naming the work folder;
    * ``--auto-resume`` (and a config's own ``resume=True``, MMEngine's auto-resume): the same,
      but with no checkpoint the run starts from scratch (the config's ``load_from`` kept);
    * ``--resume PATH``: a local ``PATH`` must exist and be complete.

    Raises:
        ToolError: nothing to resume from, or a missing / damaged checkpoint (named).

    Choice for a damaged work folder: fall back to the newest complete checkpoint with a warning
    (see :func:`find_resume_checkpoint`), an error only when there is none.
    """
    resume = cfg.get('resume', False)
    if not resume:
        return []
    work_dir = cfg.work_dir
    explicit = cfg.get('load_from', None) if resume is True else None
    if explicit is not None:
        if '://' not in str(explicit):
            if not osp.isfile(explicit):
                raise ToolError(f'--resume: checkpoint not found: {explicit}')
            if not checkpoint_is_complete(explicit):
                raise ToolError(f'--resume: {explicit} is incomplete or corrupt (a truncated '
                                'file?)')
        return []
    path, notes = find_resume_checkpoint(work_dir)
    if path is not None:
        cfg.resume = True
        cfg.load_from = path
        return notes
    if resume == 'auto-or-scratch':
        cfg.resume = False
        return [f'--auto-resume: no checkpoint in {work_dir}; starting from scratch']
    raise ToolError(f'--resume: no checkpoint to resume from in the work dir {work_dir} (no '
                    'last_checkpoint, no epoch_*.pth / iter_*.pth); start without --resume, or '
                    'use --auto-resume to start from scratch when there is none')


def run_train(argv: Optional[List[str]] = None):
    """``tools/train.py``: returns the Runner after training."""
    args = parse_train_args(argv)
    cfg = merge_train_args(load_config(args.config), args)
    if (args.resume is None and cfg.get('resume', False) is True
            and cfg.get('load_from', None) is None):
        cfg.resume = 'auto-or-scratch'  # a config's own resume=True: MMEngine's auto-resume
    notes = apply_reliability_defaults(cfg)
    warnings = resolve_resume(cfg)
    cpu_dist = setup_cpu_distributed(cfg, args.launcher)
    runner = build_runner(cfg)
    load_from = cfg.get('load_from', None)
    if load_from and not cfg.get('resume', False):
        # MMEngine loads load_from non-strictly (a warning, then training from a partly random
        # network): refuse a checkpoint that does not fit, only the denoiser keys may be missing
        from .testing import check_checkpoint_matches_model
        check_checkpoint_matches_model(runner.model, load_from, args.config,
                                       strict=not getattr(args, 'non_strict', False),
                                       purpose='load_from')
    for note in notes:
        runner.logger.info(f'tools/train.py: {note}')
    for warning in warnings:
        runner.logger.warning(f'tools/train.py: {warning}')
    runner.train()
    teardown_cpu_distributed(cpu_dist)
    return runner
