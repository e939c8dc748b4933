"""What tools/train.py and tools/test.py share: config loading, work_dir, launchers, the Runner.

The tools work for every task type (mmpretrain, mmdet, mmseg, our ReID models) because they only
use MMEngine's Runner with the config's ``default_scope``; nothing here is task specific.

CPU multi-process (``torchrun`` + ``--launcher pytorch`` with no GPU): mmengine 0.10.7's
``init_dist`` calls ``torch.cuda.set_device`` unconditionally and the Runner wraps the model in
``MMDistributedDataParallel(device_ids=[LOCAL_RANK])``; both fail without a GPU.
:func:`setup_cpu_distributed` initialises a ``gloo`` process group itself (the Runner skips
``init_dist`` when one exists) and sets a CPU ``model_wrapper_cfg``. GPU users keep the upstream
behaviour untouched.
"""
from __future__ import annotations

import argparse
import os
import os.path as osp
from datetime import timedelta
from typing import Any, Optional

import torch
from mmengine.config import Config, ConfigDict, DictAction

__all__ = [
    'ToolError', 'load_config', 'add_common_args', 'finish_args', 'set_work_dir',
    'setup_cpu_distributed', 'teardown_cpu_distributed', 'build_runner', 'run_cli', 'LAUNCHERS'
]

LAUNCHERS = ('none', 'pytorch', 'slurm', 'mpi')


class ToolError(RuntimeError):
    """A user-facing problem of a tool's input; the tools print it as ``error: ...`` and exit 1
    (anything else keeps its traceback)."""


def load_config(path: str) -> Config:
    """``Config.fromfile`` that also takes ``pkg::path`` (mmengine 0.10.7's fromfile does not).

    Raises:
        ToolError: the config file does not exist.
    """
    import mmdenoise  # noqa: F401  (registers the ``mmdenoise::`` prefix and safe loading)
    if '::' in path and not osp.isfile(path):
        from mmengine.hub import get_config
        try:
            return get_config(path)
        except FileNotFoundError as err:
            raise ToolError(f'config not found: {path} ({err})') from err
    if not osp.isfile(path):
        raise ToolError(f'config file not found: {path}')
    return Config.fromfile(path)


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """Arguments both tools share (as in mmdet / mmpretrain)."""
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the config, key=value pairs (nested keys with dots), e.g. '
        'train_cfg.max_epochs=2 model.mode=label_augmented; a list is key="[a,b]" or key=a,b; '
        'no white space. Merged first: the explicit options of the tool win over them.')
    parser.add_argument(
        '--launcher', choices=LAUNCHERS, default='none', help='job launcher')
    # torch.distributed.launch passes --local-rank (torch >= 2.0) or --local_rank
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def finish_args(args: argparse.Namespace) -> argparse.Namespace:
    """Export ``LOCAL_RANK`` like the upstream tools do (torchrun already sets it)."""
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def set_work_dir(cfg: Config, work_dir: Optional[str], config_path: str) -> None:
    """work_dir priority: command line > the config's ``work_dir`` > ./work_dirs/<config stem>."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])


def _gpu_available() -> bool:
    return torch.cuda.is_available() and torch.cuda.device_count() > 0


def _is_ddp_type(wrapper_type: Any) -> bool:
    from mmengine.registry import MODEL_WRAPPERS
    from torch.nn.parallel import DistributedDataParallel
    cls = MODEL_WRAPPERS.get(wrapper_type) if isinstance(wrapper_type, str) else wrapper_type
    return isinstance(cls, type) and issubclass(cls, DistributedDataParallel)


def setup_cpu_distributed(cfg: Config, launcher: str) -> bool:
    """Make ``--launcher pytorch`` work on a machine without a GPU (gloo, DDP on CPU).

    Only acts when ``launcher == 'pytorch'`` and no GPU is available; returns whether it did.
    Initialises the default process group with ``gloo`` from torchrun's environment variables
    (``MASTER_ADDR``, ``MASTER_PORT``, ``RANK``, ``WORLD_SIZE``) before the Runner is built, and
    sets ``cfg.model_wrapper_cfg`` (``device_ids=None``) and ``cfg.env_cfg.dist_cfg.backend``
    to ``'gloo'``.
    A ``model_wrapper_cfg`` already in the config keeps its type and options (``device_ids`` is
    set to None for DDP types); ``find_unused_parameters`` of the config is kept.

    Raises:
        ToolError: torchrun's environment variables are missing.
    """
    if launcher != 'pytorch' or _gpu_available():
        return False
    import torch.distributed as dist
    needed = ('MASTER_ADDR', 'MASTER_PORT', 'RANK', 'WORLD_SIZE')
    missing = [k for k in needed if k not in os.environ]
    if missing:
        raise ToolError(
            f'--launcher pytorch needs the environment of torchrun (missing: {", ".join(missing)});'
            ' start the tool with tools/dist_train.sh / tools/dist_test.sh or torchrun')

    env_cfg = cfg.get('env_cfg', None) or ConfigDict()
    dist_cfg = env_cfg.get('dist_cfg', None) or ConfigDict()
    dist_cfg['backend'] = 'gloo'
    env_cfg['dist_cfg'] = dist_cfg
    cfg.env_cfg = env_cfg

    wrapper_cfg = cfg.get('model_wrapper_cfg', None)
    if wrapper_cfg is None:
        wrapper_cfg = ConfigDict(
            type='MMDistributedDataParallel',
            device_ids=None,
            broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
    else:
        wrapper_cfg = ConfigDict(wrapper_cfg)
        wrapper_cfg.setdefault('type', 'MMDistributedDataParallel')
        if _is_ddp_type(wrapper_cfg['type']):  # the Runner would add device_ids=[LOCAL_RANK]
            wrapper_cfg['device_ids'] = None
        if 'find_unused_parameters' in cfg:
            wrapper_cfg.setdefault('find_unused_parameters', cfg.find_unused_parameters)
    cfg.model_wrapper_cfg = wrapper_cfg

    if not dist.is_initialized():
        kwargs: dict = {}
        if dist_cfg.get('timeout') is not None:
            kwargs['timeout'] = timedelta(seconds=float(dist_cfg['timeout']))
        dist.init_process_group(backend='gloo', init_method='env://', **kwargs)
    return True


def teardown_cpu_distributed(initialised: bool) -> None:
    """Destroy the gloo process group :func:`setup_cpu_distributed` created, after a barrier (no
    rank leaves while another still communicates): a clean shutdown instead of relying on
    interpreter exit. Does nothing if ``initialised`` is False."""
    import torch.distributed as dist
    if initialised and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def build_runner(cfg: Config) -> Any:
    """``Runner.from_cfg``, or ``RUNNERS.build`` when the config names a ``runner_type``.

    A config mistake found while building (an unknown option, a misspelt type: ``ValueError``,
    ``TypeError``, ``KeyError`` from the registries) becomes a :class:`ToolError` naming the
    config file, i.e. one ``error:`` line; set ``MMDENOISE_TRACEBACK=1`` for the traceback.
    """
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    try:
        if 'runner_type' in cfg:
            return RUNNERS.build(cfg)
        return Runner.from_cfg(cfg)
    except (ValueError, TypeError, KeyError) as err:
        if os.environ.get('MMDENOISE_TRACEBACK'):
            raise
        source = getattr(cfg, 'filename', None) or 'the config'
        message = err.args[0] if isinstance(err, KeyError) and err.args else err
        raise ToolError(f'{source}: cannot build the runner: {type(err).__name__}: {message} '
                        '(MMDENOISE_TRACEBACK=1 shows the traceback)') from err


def run_cli(main, argv=None) -> int:
    """Run a tool's ``main``: a :class:`ToolError` becomes ``error: ...`` on stderr and exit 1."""
    import sys
    try:
        main(argv)
    except ToolError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    return 0
