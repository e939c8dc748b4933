"""Small shared helpers: checkpoint loading under torch >= 2.6, atomic file writes, setup."""
from .checkpoint import (checkpoint_safe_globals, load_checkpoint_file, load_local_checkpoint,
                         register_checkpoint_safe_globals)
from .io import atomic_write

__all__ = [
    'checkpoint_safe_globals', 'load_checkpoint_file', 'load_local_checkpoint',
    'register_checkpoint_safe_globals',
    'atomic_write'
]
