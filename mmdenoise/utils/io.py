"""Atomic file writes: a half-written file never replaces a good one, and the temporary files of
writers that died (``kill -9``, power loss) are cleaned up by the next writer of the same path.

Temporary files are named ``.<final name>.<host>-p<pid>.<random>.tmp`` in the folder of the final
file: the host and process id of the writer make them identifiable, so a later writer can tell a
stale one (its writer no longer runs on this host) from one a live process is still writing.
"""
from __future__ import annotations

import contextlib
import errno
import os
import os.path as osp
import re
import socket
import tempfile
from typing import Iterator, List, Optional

__all__ = [
    'atomic_write', 'default_permissions', 'temp_prefix', 'make_temp_file', 'parse_temp_name',
    'stale_temp_files', 'remove_stale_temp_files', 'pid_alive', 'fsync_dir', 'write_text_atomic'
]

_TEMP_NAME = re.compile(r'^\.(?P<base>.+)\.(?P<host>[A-Za-z0-9_]+)-p(?P<pid>\d+)\.'
                        r'(?P<rand>[A-Za-z0-9_]+)(?P<suffix>\.[A-Za-z0-9_.]*)?\.tmp$')


def default_permissions(path: str) -> None:
    """Give ``path`` the permissions a normal new file gets (``0666 & ~umask``): temporary files
    from ``tempfile.mkstemp`` are 0600, which would make published weights unreadable to others."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def _host() -> str:
    return re.sub(r'[^A-Za-z0-9_]', '_', socket.gethostname() or 'host')[:32] or 'host'


def temp_prefix(basename: str) -> str:
    """The start of this process's temporary files for the final file ``basename``."""
    return f'.{basename}.{_host()}-p{os.getpid()}.'


def make_temp_file(folder: str, basename: str, suffix: str = '') -> str:
    """Create (empty, mode 0600) and return a temporary file for ``folder/basename``, named
    ``.<basename>.<host>-p<pid>.<random><suffix>.tmp``."""
    fd, tmp = tempfile.mkstemp(prefix=temp_prefix(basename), suffix=suffix + '.tmp', dir=folder)
    os.close(fd)
    return tmp


def parse_temp_name(name: str) -> Optional[dict]:
    """``{'base', 'host', 'pid', 'rand', 'suffix'}`` of one of our temporary file names, else
    None."""
    match = _TEMP_NAME.match(name)
    if match is None:
        return None
    info = match.groupdict()
    info['pid'] = int(info['pid'])
    info['suffix'] = info['suffix'] or ''
    return info


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this host (a zombie, which can write nothing more, counts
    as dead; a process of another user counts as alive)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError as err:  # pragma: no cover
        return err.errno != errno.ESRCH
    try:
        with open(f'/proc/{pid}/stat') as f:
            state = f.read().rsplit(')', 1)[1].split()[0]
        return state not in ('Z', 'X')
    except (OSError, IndexError):
        return True


def stale_temp_files(folder: str, basename: Optional[str] = None) -> List[str]:
    """Our temporary files in ``folder`` (of the final file ``basename``, or of any file) whose
    writer process no longer exists on this host. Temporary files written on another host (a
    shared file system) are never stale here: their writer cannot be checked."""
    if not osp.isdir(folder):
        return []
    host = _host()
    found = []
    for name in os.listdir(folder):
        info = parse_temp_name(name)
        if info is None or (basename is not None and info['base'] != basename):
            continue
        if info['host'] != host or info['pid'] == os.getpid() or pid_alive(info['pid']):
            continue
        found.append(osp.join(folder, name))
    return sorted(found)


def remove_stale_temp_files(folder: str, basename: Optional[str] = None) -> List[str]:
    """Remove :func:`stale_temp_files`; returns the removed paths."""
    removed = []
    for path in stale_temp_files(folder, basename):
        try:
            os.remove(path)
            removed.append(path)
        except FileNotFoundError:  # another cleaner was faster
            pass
    return removed


def _fsync_file(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: str) -> None:
    """Make a rename in ``folder`` durable (no-op where directories cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_write(path: str, overwrite: bool = True, fsync: bool = True) -> Iterator[str]:
    """Yield a temporary path next to ``path``; move it into place only if the block succeeds.

    Args:
        path: the final file.
        overwrite: if False and ``path`` exists, raise :class:`FileExistsError` before writing.
        fsync: flush the file (and the rename) to disk, so that not even a power loss leaves a
            truncated file under the final name.

    The temporary file lives in the same folder (same file system), so the final ``os.replace`` is
    atomic. On any error the temporary file is removed and ``path`` is left as it was. A process
    killed with ``kill -9`` cannot remove its temporary file: the next ``atomic_write`` of the same
    path removes those whose writer process is gone (:func:`remove_stale_temp_files`).
    """
    if not overwrite and osp.exists(path):
        raise FileExistsError(f'{path} exists; refusing to overwrite it (use --force)')
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    remove_stale_temp_files(folder, osp.basename(path))
    tmp = make_temp_file(folder, osp.basename(path))
    try:
        yield tmp
        default_permissions(tmp)
        if fsync:
            _fsync_file(tmp)
        os.replace(tmp, path)
        if fsync:
            fsync_dir(folder)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def write_text_atomic(path: str, text: str, fsync: bool = True) -> None:
    """Replace ``path`` by a file holding ``text``, atomically."""
    with atomic_write(path, fsync=fsync) as tmp:
        with open(tmp, 'w') as f:
            f.write(text)
