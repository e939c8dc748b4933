"""Publish a training checkpoint for the model zoo (``tools/publish_model.py``).

Follows mmpretrain's ``publish_model.py`` behaviour (written anew):

1. load the checkpoint with :func:`mmdenoise.utils.load_local_checkpoint` (full MMEngine training
   checkpoints load without executing code from the file);
2. keep only ``keep_keys`` (default ``meta`` and ``state_dict``): optimizer, param_schedulers,
   message_hub, ema_state_dict, deploy_state_dict ... are dropped. A bare state dict is wrapped
   as ``{'state_dict': ...}``;
3. with ``use_deploy``, the ``deploy_state_dict`` that :class:`DenoiseRepDeployHook` adds to
   checkpoints becomes the ``state_dict`` (the fused weights of the plain task model);
4. ``meta`` is turned into plain Python (numpy scalars / arrays / dtypes -> int, float, list,
   str), so the published file loads with ``torch.load(..., weights_only=True)``; this is checked
   on the written file before it gets its final name;
5. the file is saved to a temporary file in the output folder, its bytes are hashed (sha256) and
   it is renamed atomically to ``<name>_<YYYYMMDD>-<sha256[:8]>.pth``, the zoo convention that
   :mod:`mmdenoise.apis.download` verifies. The temporary file is named after its writer
   (``.<name>.<host>-p<pid>.<random>.pth.tmp``, :mod:`mmdenoise.utils.io`): one left by a
   publisher killed with ``kill -9`` is removed by the next publish of the same name.

Note: MMEngine's ``CheckpointHook(published_keys=...)`` names its files with the sha256 of
``pickle.dumps(checkpoint)``, not of the file's bytes, so its names do not verify as zoo
checkpoints: publish with this tool.
"""
from __future__ import annotations

import hashlib
import os
import os.path as osp
import re
import time
from typing import Any, Mapping, Optional, Sequence, Tuple

import torch

from mmdenoise.utils.checkpoint import plain_meta
from mmdenoise.utils.io import (default_permissions, fsync_dir, make_temp_file,
                                remove_stale_temp_files)
from .runner_setup import ToolError

__all__ = [
    'PublishError', 'publish_checkpoint', 'plain_meta', 'file_sha256', 'published_name',
    'DEFAULT_KEEP_KEYS'
]

DEFAULT_KEEP_KEYS = ('meta', 'state_dict')
DEPLOY_KEY = 'deploy_state_dict'
_TIMESTAMP_SUFFIX = re.compile(r'_\d{8}_\d{6}$')  # Runner.experiment_name = <cfg stem>_<stamp>
_BAD_NAME = re.compile(r'[\\/\s]')


class PublishError(ToolError):
    """A problem with the checkpoint or the arguments of :func:`publish_checkpoint`; nothing was
    written."""


def file_sha256(path: str, chunk_size: int = 1 << 20) -> str:
    """The sha256 hex digest of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(chunk_size), b''):
            digest.update(chunk)
    return digest.hexdigest()


def published_name(name: str, sha256: str, date: Optional[str] = None) -> str:
    """``<name>_<YYYYMMDD>-<sha256[:8]>.pth``."""
    date = date or time.strftime('%Y%m%d')
    return f'{name}_{date}-{sha256[:8]}.pth'


# ------------------------------------------------------------------ meta

# ------------------------------------------------------------------ checkpoint content

def _is_state_dict(obj: Any) -> bool:
    return isinstance(obj, Mapping) and len(obj) > 0 and all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in obj.items())


def published_content(checkpoint: Any,
                      keep_keys: Sequence[str] = DEFAULT_KEEP_KEYS,
                      use_deploy: bool = False,
                      source: str = 'the checkpoint') -> Tuple[dict, dict]:
    """What gets published, and the plain meta (also returned inside the content).

    Raises:
        PublishError: no state_dict / deploy_state_dict, or a requested key is missing.
    """
    if not isinstance(checkpoint, Mapping):
        raise PublishError(f'{source} is a {type(checkpoint).__name__}, not a checkpoint dict')
    if 'state_dict' not in checkpoint and _is_state_dict(checkpoint):
        checkpoint = {'state_dict': checkpoint}  # a bare state dict (mmpretrain does the same)
    checkpoint = dict(checkpoint)
    keep_keys = list(dict.fromkeys(keep_keys))
    if 'state_dict' not in keep_keys:
        raise PublishError('--keep-keys must include state_dict (the weights)')
    if use_deploy:
        if DEPLOY_KEY not in checkpoint:
            raise PublishError(
                f'{source} has no {DEPLOY_KEY!r} (keys: {sorted(checkpoint)}): --use-deploy needs '
                'a checkpoint saved with DenoiseRepDeployHook(save_in_checkpoint=True); otherwise '
                'fuse it with tools/fuse_checkpoint.py, then publish the fused file')
        checkpoint['state_dict'] = checkpoint[DEPLOY_KEY]
    if 'state_dict' not in checkpoint:
        raise PublishError(f'{source} has no state_dict (keys: {sorted(checkpoint)})')
    missing = [k for k in keep_keys if k not in checkpoint and k != 'meta']
    if missing:
        raise PublishError(f'{source} has no {missing} (keys: {sorted(checkpoint)})')

    meta = plain_meta(checkpoint.get('meta') or {})
    if not isinstance(meta, dict):
        meta = {'meta': meta}
    from mmdenoise import __version__
    meta['mmdenoise_version'] = __version__
    meta['deploy'] = bool(use_deploy)
    if use_deploy and 'cfg' in meta:
        # The training config describes the DenoiseRep wrapper, not the plain model these deploy
        # weights belong to: keep it for reference under a name nothing builds a model from.
        meta['training_cfg'] = meta.pop('cfg')
    content = {}
    for key in keep_keys:
        if key == 'meta':
            content['meta'] = meta
        elif key == 'state_dict':
            content['state_dict'] = checkpoint['state_dict']
        else:
            content[key] = plain_meta(checkpoint[key], key)
    return content, meta


def _default_name(meta: Mapping, in_file: str) -> str:
    experiment = meta.get('experiment_name') if isinstance(meta, Mapping) else None
    if isinstance(experiment, str):
        name = _TIMESTAMP_SUFFIX.sub('', experiment)
        if name and name != experiment:
            return name
    raise PublishError(
        f'cannot tell the config name of {in_file} (its meta has no experiment_name of the form '
        '<config>_<YYYYMMDD>_<HHMMSS>): give --config-name NAME or an output name')


def _split_out(out: str) -> Tuple[str, Optional[str]]:
    """``(folder, name or None)``: an existing folder or one ending with ``/`` means no name."""
    if osp.isdir(out) or out.endswith(('/', os.sep)):
        return out, None
    folder, name = osp.split(out)
    if name.endswith('.pth'):
        name = name[:-len('.pth')]
    return folder or '.', name


# ------------------------------------------------------------------ publishing

def publish_checkpoint(in_file: str,
                       out: str,
                       keep_keys: Sequence[str] = DEFAULT_KEEP_KEYS,
                       use_deploy: bool = False,
                       config_name: Optional[str] = None,
                       date: Optional[str] = None) -> str:
    """Publish ``in_file`` as ``<folder>/<name>_<YYYYMMDD>-<sha256[:8]>.pth``; returns the path.

    Args:
        in_file: a local checkpoint (MMEngine training checkpoint, ``{'meta', 'state_dict'}`` file
            or bare state dict).
        out: an output folder (existing, or ending with ``/``) or ``<folder>/<name>``.
        keep_keys: top-level keys to keep (``state_dict`` is required; ``meta`` is created if
            absent).
        use_deploy: publish the checkpoint's ``deploy_state_dict`` as ``state_dict``.
        config_name: ``<name>`` (overrides the one in ``out``); default: the name in ``out``,
            else the config name in ``meta.experiment_name``.
        date: ``YYYYMMDD`` (default: today).

    Raises:
        PublishError: a problem with the checkpoint or the arguments (nothing is written).
    """
    from mmdenoise.utils import load_local_checkpoint
    if date is not None and not re.fullmatch(r'\d{8}', date):
        raise PublishError(f'date must be YYYYMMDD, got {date!r}')
    try:
        checkpoint = load_local_checkpoint(in_file, map_location='cpu')
    except (FileNotFoundError, RuntimeError) as err:
        raise PublishError(str(err)) from err
    content, meta = published_content(checkpoint, keep_keys, use_deploy, source=in_file)
    folder, out_name = _split_out(out)
    name = config_name or out_name or _default_name(meta, in_file)
    if name.endswith('.pth'):
        name = name[:-len('.pth')]
    if not name or _BAD_NAME.search(name):
        raise PublishError(f'invalid checkpoint name {name!r} (no path separators or spaces)')

    os.makedirs(folder, exist_ok=True)
    # the temporary files of killed publishers of this name (``kill -9`` cannot clean up)
    remove_stale_temp_files(folder, name)
    tmp = make_temp_file(folder, name, suffix='.pth')
    try:
        torch.save(content, tmp)
        try:  # what users and the download tool will do with it
            torch.load(tmp, map_location='cpu', weights_only=True)
        except Exception as err:
            raise PublishError(f'the published checkpoint would not load with weights_only=True: '
                               f'{type(err).__name__}: {err}') from err
        sha256 = file_sha256(tmp)
        final = osp.join(folder, published_name(name, sha256, date))
        default_permissions(tmp)
        with open(tmp, 'rb') as f:
            os.fsync(f.fileno())
        os.replace(tmp, final)  # same folder: atomic
        fsync_dir(folder)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
    return final
