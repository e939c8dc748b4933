"""Checkpoint loading under torch >= 2.6, in one place (imported with :mod:`mmdenoise`).

torch >= 2.6 loads with ``weights_only=True`` by default, and mmengine 0.10.7 calls ``torch.load``
without the argument. Its own full training checkpoints hold the message hub's ``HistoryBuffer``
objects, numpy arrays, dtypes and scalars, and ``HistoryBuffer`` pickles its statistics functions
as ``getattr(HistoryBuffer, 'min')``. So ``--resume`` and ``load_from`` of them fail with
``UnpicklingError`` and the usual advice is ``weights_only=False``, which runs arbitrary code.

What we do instead, with no environment variable:

* :func:`register_checkpoint_safe_globals` allow-lists the plain data containers of MMEngine
  checkpoints (``HistoryBuffer``, numpy arrays / dtypes / scalars) for ``weights_only=True``.
* :func:`load_local_checkpoint` unpickles local files with torch's weights-only allow-list plus
  those containers plus a ``getattr`` restricted to ``HistoryBuffer``'s own methods. Any other
  global is refused and named. It replaces mmengine's loader for local paths, so ``--resume`` and
  ``load_from`` work and still never execute code from a file.
* Files that come from outside (``http(s)://`` through mmengine, or our download tool) keep
  loading with plain ``weights_only=True``.
"""
from __future__ import annotations

import os.path as osp
import pickle
import types
import warnings
from collections import OrderedDict
from typing import Any, Dict, List, Mapping

import numpy as np
import torch

__all__ = [
    'register_checkpoint_safe_globals', 'checkpoint_safe_globals', 'load_local_checkpoint',
    'load_checkpoint_file', 'plain_meta'
]

_REGISTERED = False


def checkpoint_safe_globals() -> List[Any]:
    """The globals an MMEngine training checkpoint needs, beyond what torch allows by default."""
    from mmengine.logging.history_buffer import HistoryBuffer

    safe: List[Any] = [HistoryBuffer, np.ndarray, np.dtype]
    # numpy's array / scalar reconstructors live in numpy.core (numpy < 2) or numpy._core.
    core = getattr(np, '_core', None)
    multiarray = getattr(core, 'multiarray', None) or np.core.multiarray
    safe += [multiarray._reconstruct, multiarray.scalar]
    # The concrete dtype classes (numpy >= 1.25 pickles dtypes by their class).
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        safe += [
            getattr(dtypes, name) for name in dir(dtypes)
            if name.endswith('DType') and isinstance(getattr(dtypes, name), type)
        ]
    return safe


def register_checkpoint_safe_globals() -> None:
    """Allow-list MMEngine's checkpoint containers for ``weights_only=True`` and install
    :func:`load_local_checkpoint` as mmengine's loader for local paths. Idempotent."""
    global _REGISTERED
    if _REGISTERED:
        return
    if hasattr(torch.serialization, 'add_safe_globals'):
        torch.serialization.add_safe_globals(checkpoint_safe_globals())
    from mmengine.runner.checkpoint import CheckpointLoader
    CheckpointLoader.register_scheme(prefixes='', force=True)(load_local_checkpoint)
    _REGISTERED = True


def _qualified(obj: Any) -> str:
    return f'{obj.__module__}.{obj.__qualname__}'


def _allowed_globals() -> Dict[str, Any]:
    allowed: Dict[str, Any] = {}
    wou = getattr(torch, '_weights_only_unpickler', None)
    if wou is not None and hasattr(wou, '_get_allowed_globals'):
        allowed.update(wou._get_allowed_globals())
    if hasattr(torch.serialization, 'get_safe_globals'):
        for obj in torch.serialization.get_safe_globals():
            obj = obj[0] if isinstance(obj, tuple) else obj
            allowed[_qualified(obj)] = obj
    for obj in checkpoint_safe_globals():
        allowed[_qualified(obj)] = obj
        allowed[f'{obj.__module__}.{obj.__name__}'] = obj
    return allowed


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """``getattr`` restricted to what HistoryBuffer pickles: its own statistics methods."""
    from mmengine.logging.history_buffer import HistoryBuffer
    attr = getattr(HistoryBuffer, name, None) if obj is HistoryBuffer else None
    if not isinstance(attr, types.FunctionType):
        raise pickle.UnpicklingError(
            f'refusing getattr({obj!r}, {name!r}): only HistoryBuffer methods are allowed')
    return attr


class _RestrictedUnpickler(pickle.Unpickler):

    _allowed: Dict[str, Any] = {}

    def find_class(self, module: str, name: str) -> Any:
        if module in ('builtins', '__builtin__') and name == 'getattr':
            return _history_buffer_getattr
        key = f'{module}.{name}'
        if key in self._allowed:
            return self._allowed[key]
        raise pickle.UnpicklingError(
            f'global {key} is not allowed in a checkpoint (only tensors, containers, numpy '
            'arrays and MMEngine message-hub buffers are)')


def _restricted_pickle_module() -> types.ModuleType:
    module = types.ModuleType('mmdenoise_restricted_pickle')
    unpickler = type('Unpickler', (_RestrictedUnpickler, ), {'_allowed': _allowed_globals()})
    module.Unpickler = unpickler
    module.load = lambda f, **kw: unpickler(f, **kw).load()
    module.__name__ = 'pickle'  # torch checks pickle_module.__name__ for protocol handling
    return module


def load_local_checkpoint(filename: str, map_location: Any = None) -> Any:
    """Load a local checkpoint (training or published) without executing code from it.

    Registered as mmengine's loader for local paths, so ``Runner`` ``resume`` / ``load_from``
    use it. Raises FileNotFoundError / RuntimeError naming the file and the problem.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'checkpoint file not found: {filename}')
    try:
        return torch.load(
            filename,
            map_location=map_location,
            pickle_module=_restricted_pickle_module(),
            weights_only=False)
    except Exception as err:
        raise RuntimeError(f'cannot load checkpoint {filename}: {type(err).__name__}: {err}') \
            from err


def load_checkpoint_file(path: str, map_location: Any = 'cpu') -> Any:
    """Load a file that came from outside (download) with ``weights_only=True``.

    Raises:
        FileNotFoundError: the file does not exist.
        RuntimeError: the file is not a readable torch checkpoint, or needs globals that are not
            allowed for safe loading (they are named in the message).
    """
    register_checkpoint_safe_globals()
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint file not found: {path}')
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as err:  # pickle errors come in several types
        unsafe = []
        try:
            unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(path)
        except Exception:  # not a zip checkpoint at all
            pass
        detail = (f'it needs globals that are not allowed for safe loading: {unsafe}'
                  if unsafe else f'{type(err).__name__}: {err}')
        raise RuntimeError(f'cannot load checkpoint {path}: {detail}') from err


_PLAIN = (bool, int, float, complex, str, bytes)


def plain_meta(value: Any, path: str = 'meta') -> Any:
    """A copy of ``value`` made of plain Python / torch objects that ``weights_only=True`` loads.

    numpy scalars become ``int``/``float``/``bool``/``complex``/``str``, arrays lists, dtypes
    strings; dicts (their keys too), lists, tuples and sets are converted recursively. Anything
    else becomes ``str(value)`` with a warning naming where it was.
    """
    if isinstance(value, np.generic):  # before the builtins: np.float64 / np.str_ subclass them
        return value.item()
    if value is None or type(value) in _PLAIN:
        return value
    for base in _PLAIN:  # other subclasses of builtins (enums, ...): the builtin value
        if isinstance(value, base):
            return base(value)
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, (torch.dtype, torch.device, torch.Size)):
        return value
    if isinstance(value, np.ndarray):
        return plain_meta(value.tolist(), path)
    if isinstance(value, np.dtype):
        return str(value)
    if isinstance(value, Mapping):
        items = [(plain_meta(k, f'{path} key'), plain_meta(v, f'{path}[{k!r}]'))
                 for k, v in value.items()]
        return OrderedDict(items) if isinstance(value, OrderedDict) else dict(items)
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [plain_meta(v, f'{path}[{i}]') for i, v in enumerate(value)]
        if isinstance(value, tuple):
            return tuple(items)
        return items if isinstance(value, list) else set(items)
    warnings.warn(f'{path} is a {type(value).__module__}.{type(value).__qualname__}; '
                  'stored as its str() so the checkpoint loads with weights_only=True')
    return str(value)
