"""The logic of ``tools/train.py``: MMEngine's Runner on any OpenMMLab config (arguments as mmdet's
and mmpretrain's ``tools/train.py``)."""
from __future__ import annotations

import argparse
from typing import List, Optional

from mmengine.config import Config, ConfigDict

from .runner_setup import (ToolError, add_common_args, build_runner, finish_args, load_config,
                           set_work_dir, setup_cpu_distributed, teardown_cpu_distributed)

__all__ = ['build_train_parser', 'parse_train_args', 'merge_train_args', 'run_train']


def build_train_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description='Train a model (a DenoiseRep wrapper or any OpenMMLab model) with MMEngine')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the folder to save logs and checkpoints in')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint; without a path, resume from the latest checkpoint '
        'in the work folder')
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


def run_train(argv: Optional[List[str]] = None):
    """``tools/train.py``: returns the Runner after training."""
    args = parse_train_args(argv)
    cfg = merge_train_args(load_config(args.config), args)
    cpu_dist = setup_cpu_distributed(cfg, args.launcher)
    runner = build_runner(cfg)
    runner.train()
    teardown_cpu_distributed(cpu_dist)
    return runner
