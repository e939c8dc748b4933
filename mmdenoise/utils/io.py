"""Atomic file writes: a half-written file never replaces a good one."""
from __future__ import annotations

import contextlib
import os
import os.path as osp
import tempfile
from typing import Iterator

__all__ = ['atomic_write', 'default_permissions']


def default_permissions(path: str) -> None:
    """Give ``path`` the permissions a normal new file gets (``0666 & ~umask``): temporary files
    from ``tempfile.mkstemp`` are 0600, which would make published weights unreadable to others."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


@contextlib.contextmanager
def atomic_write(path: str, overwrite: bool = True) -> Iterator[str]:
    """Yield a temporary path next to ``path``; move it into place only if the block succeeds.

    Args:
        path: the final file.
        overwrite: if False and ``path`` exists, raise :class:`FileExistsError` before writing.

    The temporary file lives in the same folder (same file system), so the final ``os.replace`` is
    atomic. On any error the temporary file is removed and ``path`` is left as it was.
    """
    if not overwrite and osp.exists(path):
        raise FileExistsError(f'{path} exists; refusing to overwrite it (use --force)')
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix='.' + osp.basename(path) + '.', suffix='.tmp', dir=folder)
    os.close(fd)
    try:
        yield tmp
        default_permissions(tmp)
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
