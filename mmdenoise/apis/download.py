"""Verified checkpoint downloads (``tools/download_checkpoint.py``, ``load_from=<url>``).

A checkpoint is fetched into the cache (``torch.hub.get_dir()/checkpoints``, or a given folder)
and verified before anything loads it:

* the sha256 prefix in its file name, the model-zoo convention
  (``<name>_<YYYYMMDD>-<sha256[:8]>.pth`` or ``<name>-<hex>.pth``: 8 to 64 hex digits), and/or
* a full sha256 given explicitly: the ``sha256`` argument (``--sha256``), a ``#sha256=<hex>``
  fragment of the URL (pip's convention; not sent to the server), or the model's
  ``Weights-SHA256`` field in the zoo metafile (:data:`SHA256_FIELD`; ``Weights SHA256``,
  ``Weights_SHA256`` and ``SHA256`` are read too, case-insensitively).

When a full hash is given it decides (a name prefix that disagrees with it only gets a warning:
mmseg, for example, names files after the hash of the training checkpoint). A download with
neither is refused unless ``allow_unverified`` (for ``load_from``: the environment variable
``MMDENOISE_ALLOW_UNVERIFIED_DOWNLOADS=1``).

The transfer goes to ``<cache>/<name>.part``. An interrupted transfer is resumed with an HTTP
``Range`` request (within the call, up to ``retries`` times, and by the next call, which finds the
``.part``); a server that answers the range with the whole file (200) restarts it from zero. A
transfer is complete when it received as many bytes as the server announced (``Content-Length``,
or the total of ``Content-Range`` for a resumed one); fewer is an interruption, whatever the
connection did. The ``.part`` becomes ``<cache>/<name>`` (atomic rename) only after a complete
transfer and verification; a mismatch deletes it and raises :class:`ChecksumMismatchError` naming
the URL and both hashes. A cached file is re-verified each time it is used (and downloaded again
if it no longer verifies). Downloaded files are loaded with ``weights_only=True`` only
(:func:`mmdenoise.utils.load_checkpoint_file`).

**Unverified downloads** (``allow_unverified``, no hash) have no hash to tell a complete file
from a cut one later, so their completion is recorded: just before the ``.part`` is renamed, the
sidecar ``<cache>/<name>.download.json`` (written atomically) records the URL, the size, the
sha256 and whether the server announced the size. A cached file used without a hash is reused
only if that record exists and its size and sha256 match the file; otherwise (a file left by an
older version, copied in by hand, cut, or changed) it is downloaded again. A server that
announces no size (a connection-delimited body; a cut chunked body is detected) cannot show a
cut transfer: such a file is kept with a warning and ``"size_announced": false`` in its record.

Importing this module registers :func:`load_from_http_verified` as MMEngine's loader for
``http://`` and ``https://``, so ``load_from=<url>``, ``init_cfg=dict(type='Pretrained',
checkpoint=<url>)`` and ``tools/test.py CONFIG URL`` go through the same verification. Under
distributed training rank 0 downloads first, then the other ranks use the verified cache.

Model names are looked up in ``model-index.yml`` (``Import:`` -> metafiles -> ``Models:`` ->
``Name`` / ``Weights`` / ``Weights-SHA256``).
"""
from __future__ import annotations

import glob
import hashlib
import http.client
import os
import os.path as osp
import re
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from dataclasses import dataclass
from typing import Any, Dict, Iterable, Optional, Tuple

from .runner_setup import ToolError

__all__ = [
    'DownloadError', 'ChecksumMismatchError', 'UnverifiableDownloadError', 'ZooModel',
    'SHA256_FIELD', 'ALLOW_UNVERIFIED_ENV', 'download_checkpoint', 'resolve_zoo_model',
    'find_model_index', 'hash_prefix_from_name', 'cache_dir', 'load_from_http_verified',
    'register_url_loader', 'verify_file', 'RECORD_SUFFIX'
]

SHA256_FIELD = 'Weights-SHA256'
_SHA256_FIELD_ALIASES = {'weights-sha256', 'weights sha256', 'weights_sha256', 'sha256'}
ALLOW_UNVERIFIED_ENV = 'MMDENOISE_ALLOW_UNVERIFIED_DOWNLOADS'
# ``..._<YYYYMMDD>-<8 hex>.pth``, ``...-<8 hex>.pth`` (also torchvision's ``resnet50-0676ba61.pth``)
_NAME_HASH = re.compile(r'-([0-9a-fA-F]{8,64})\.(?:pth|pt|ckpt|bin)$')
_FULL_SHA256 = re.compile(r'[0-9a-fA-F]{64}')
_CHUNK = 1 << 16
_USER_AGENT = 'mmdenoise-download (urllib)'


class DownloadError(ToolError):
    """A download that failed or was refused (nothing was put under the final name)."""


class ChecksumMismatchError(DownloadError):
    """The downloaded bytes do not have the expected sha256 (the file was deleted)."""

    def __init__(self, url: str, expected: str, actual: str, path: str):
        super().__init__(
            f'sha256 mismatch for {url}: expected {expected}{"..." if len(expected) < 64 else ""}'
            f', got {actual}; the downloaded file was deleted ({path})')
        self.url, self.expected, self.actual, self.path = url, expected, actual, path


class UnverifiableDownloadError(DownloadError):
    """No hash to verify the file with (nothing was downloaded)."""


@dataclass
class ZooModel:
    """A model of the zoo's metafiles."""
    name: str
    weights: str
    sha256: Optional[str] = None
    config: Optional[str] = None
    metafile: Optional[str] = None


# ------------------------------------------------------------------ hashes

def hash_prefix_from_name(url_or_name: str) -> Optional[str]:
    """The sha256 prefix a zoo file name carries (lower case), or None."""
    name = osp.basename(urllib.parse.urlsplit(url_or_name).path) if '://' in url_or_name \
        else osp.basename(url_or_name)
    match = _NAME_HASH.search(name)
    return match.group(1).lower() if match else None


def _check_full_hash(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _FULL_SHA256.fullmatch(value.strip()):
        raise DownloadError(f'{where}: {value!r} is not a sha256 hex digest (64 hex digits)')
    return value.strip().lower()


def _split_fragment(url: str) -> Tuple[str, Optional[str]]:
    """``(url without fragment, sha256 from a #sha256=<hex> fragment or None)``."""
    base, _, fragment = url.partition('#')
    if not fragment:
        return base, None
    params = urllib.parse.parse_qs(fragment)
    if 'sha256' not in params:
        return base, None
    return base, _check_full_hash(params['sha256'][-1], f'{url}: the #sha256= fragment')


def _expected_hash(url: str, sha256: Optional[str], allow_unverified: bool) -> Optional[str]:
    """The hash (full or prefix, lower case) the download must match; None if unverified."""
    prefix = hash_prefix_from_name(url)
    if sha256:
        if prefix and not sha256.startswith(prefix):
            warnings.warn(f'{url}: the hash in the file name ({prefix}) is not a prefix of the '
                          f'given sha256 ({sha256}); verifying the given sha256')
        return sha256
    if prefix:
        return prefix
    if allow_unverified:
        warnings.warn(f'{url}: no sha256 to verify it with; downloading it unverified')
        return None
    raise UnverifiableDownloadError(
        f'cannot verify {url}: its file name carries no sha256 prefix (<name>-<8 hex>.pth) and '
        f'no full sha256 was given. Give one (--sha256, a "#sha256=<hex>" URL fragment, or the '
        f'model\'s {SHA256_FIELD} in its metafile), or allow unverified downloads '
        f'(--allow-unverified / {ALLOW_UNVERIFIED_ENV}=1)')


def verify_file(path: str, url: str, expected: Optional[str], delete: bool = True) -> str:
    """Check ``path``'s sha256 against ``expected`` (full digest or prefix); returns the digest.

    Raises:
        ChecksumMismatchError: on a mismatch (the file is deleted first unless ``delete=False``).
    """
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            digest.update(chunk)
    actual = digest.hexdigest()
    if expected and not actual.startswith(expected):
        if delete and osp.exists(path):
            os.remove(path)
        raise ChecksumMismatchError(url, expected, actual, path)
    return actual


# ------------------------------------------------------------------ the model zoo

def find_model_index(model_index: Optional[str] = None) -> str:
    """``model_index``, else ``./model-index.yml``, else the package's ``.mim`` copy, else the
    checkout's root file."""
    if model_index:
        if not osp.isfile(model_index):
            raise DownloadError(f'model index not found: {model_index}')
        return model_index
    package = osp.dirname(osp.dirname(osp.abspath(__file__)))
    for candidate in ('model-index.yml', osp.join(package, '.mim', 'model-index.yml'),
                      osp.join(osp.dirname(package), 'model-index.yml')):
        if osp.isfile(candidate):
            return candidate
    raise DownloadError('no model-index.yml found (looked in the current folder, the installed '
                        'package and the checkout): give --model-index PATH')


def _load_yaml(path: str) -> Any:
    import yaml
    try:
        with open(path, encoding='utf-8') as f:
            return yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as err:
        raise DownloadError(f'cannot read {path}: {err}') from err


def _get_ci(d: Dict, *names: str) -> Any:
    """A field of a metafile dict, matching case-insensitively (as modelindex does)."""
    wanted = {n.lower() for n in names}
    for key, value in d.items():
        if isinstance(key, str) and key.lower() in wanted:
            return value
    return None


def _iter_models(index_path: str) -> Iterable[Tuple[Dict, str]]:
    """``(model dict, metafile path)`` for every model reachable from ``index_path``."""
    seen = set()
    todo = [osp.abspath(index_path)]
    while todo:
        path = todo.pop(0)
        if path in seen:
            continue
        seen.add(path)
        data = _load_yaml(path)
        if isinstance(data, list):  # a bare list of models
            data = {'Models': data}
        if not isinstance(data, dict):
            continue
        imports = _get_ci(data, 'Import') or []
        for item in [imports] if isinstance(imports, str) else imports:
            pattern = osp.join(osp.dirname(path), str(item))
            matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
            for match in matches:
                if not osp.isfile(match):
                    raise DownloadError(f'{path} imports {item}, which does not exist ({match})')
                todo.append(osp.abspath(match))
        models = _get_ci(data, 'Models') or []
        for model in [models] if isinstance(models, dict) else models:
            if isinstance(model, dict):
                yield model, path


def resolve_zoo_model(name: str, model_index: Optional[str] = None) -> ZooModel:
    """Look ``name`` up in the zoo: its ``Weights`` URL and ``Weights-SHA256`` (if any).

    Raises:
        DownloadError: no index, unknown name (close names are suggested), or no Weights.
    """
    index = find_model_index(model_index)
    names = []
    for model, metafile in _iter_models(index):
        model_name = _get_ci(model, 'Name')
        names.append(str(model_name))
        if model_name != name:
            continue
        weights = _get_ci(model, 'Weights')
        if not isinstance(weights, str) or not weights:
            raise DownloadError(f'model {name} in {metafile} has no Weights URL')
        sha256 = next((v for k, v in model.items()
                       if isinstance(k, str) and k.lower() in _SHA256_FIELD_ALIASES), None)
        if sha256 is not None:
            sha256 = _check_full_hash(sha256, f'{metafile}: {SHA256_FIELD} of {name}')
        return ZooModel(name=name, weights=weights, sha256=sha256,
                        config=_get_ci(model, 'Config'), metafile=metafile)
    import difflib
    close = difflib.get_close_matches(name, names, n=5, cutoff=0.5)
    hint = f'; did you mean {", ".join(close)}?' if close else f' ({len(names)} models)'
    raise DownloadError(f'no model named {name!r} in {index}{hint}')


# ------------------------------------------------------------------ downloading

def cache_dir() -> str:
    """MMEngine's / torch hub's checkpoint cache: ``torch.hub.get_dir()/checkpoints``."""
    import torch.hub
    return osp.join(torch.hub.get_dir(), 'checkpoints')


def _file_name(url: str) -> str:
    name = urllib.parse.unquote(osp.basename(urllib.parse.urlsplit(url).path))
    if not name or name in ('.', '..') or '/' in name or '\\' in name:
        raise DownloadError(f'cannot tell a file name from the URL {url}')
    return name


_INTERRUPTED = (http.client.IncompleteRead, http.client.RemoteDisconnected, ConnectionError,
                socket.timeout, TimeoutError)


class _Interrupted(Exception):
    pass


def _content_range(value: Optional[str]) -> Tuple[Optional[int], Optional[int]]:
    """``Content-Range: bytes <start>-<end>/<total>`` (or ``*/<total>``) -> (start, total)."""
    match = re.fullmatch(r'\s*bytes\s+(?:(\d+)-\d+|\*)/(\d+|\*)\s*', value or '')
    if not match:
        return None, None
    start = int(match.group(1)) if match.group(1) else None
    total = int(match.group(2)) if match.group(2) != '*' else None
    return start, total


class _Progress:

    def __init__(self, enabled: bool, name: str):
        self.enabled, self.name, self.last = enabled, name, -1.0

    def __call__(self, done: int, total: Optional[int], force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self.last < 0.5:
            return
        self.last = now
        size = f'{done / 2**20:.1f}' + (f'/{total / 2**20:.1f}' if total else '')
        end = '\n' if force else ''
        print(f'\r{self.name}: {size} MiB', end=end, file=sys.stderr, flush=True)


def _transfer(url: str, part: str, timeout: float, progress: _Progress) -> bool:
    """One request: append to / (re)start ``part``; raises _Interrupted when cut short (fewer
    bytes than announced). Returns whether the server announced the size (when it did not, a
    connection closed early cannot be told from the end of the file)."""
    have = osp.getsize(part) if osp.exists(part) else 0
    headers = {'User-Agent': _USER_AGENT, 'Accept-Encoding': 'identity'}
    if have:
        headers['Range'] = f'bytes={have}-'
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as err:
        if err.code == 416 and have:  # nothing after `have`: complete already, or a stale part
            _, total = _content_range(err.headers.get('Content-Range'))
            err.close()
            if total == have:
                return True
            os.remove(part)
            raise _Interrupted(f'stale partial file ({have} bytes) for {url}; starting again')
        err.close()
        raise DownloadError(f'cannot download {url}: HTTP {err.code} {err.reason}') from err
    except urllib.error.URLError as err:
        if isinstance(err.reason, _INTERRUPTED):
            raise _Interrupted(f'{url}: {err.reason}') from err
        raise DownloadError(f'cannot download {url}: {err.reason}') from err
    except _INTERRUPTED as err:
        raise _Interrupted(f'{url}: {type(err).__name__}: {err}') from err

    with response:
        status = response.status
        length = response.headers.get('Content-Length')
        length = int(length) if length and length.isdigit() else None
        if have and status == 206:
            start, total = _content_range(response.headers.get('Content-Range'))
            if start != have:  # not the range we asked for: start again
                os.remove(part)
                raise _Interrupted(f'{url}: the server sent an unexpected range; starting again')
            mode = 'ab'
        elif status in (200, 203):  # whole file (the server ignored Range, or a fresh start)
            have, mode, total = 0, 'wb', length
        else:
            raise DownloadError(f'cannot download {url}: unexpected HTTP {status}')
        if total is None and length is not None:
            total = have + length
        done = have
        with open(part, mode) as f:
            try:
                while True:
                    chunk = response.read(_CHUNK)
                    if not chunk:
                        break
                    f.write(chunk)
                    done += len(chunk)
                    progress(done, total)
            except _INTERRUPTED as err:
                raise _Interrupted(f'{url}: transfer cut after {done} bytes '
                                   f'({type(err).__name__})') from err
        if total is not None and done < total:
            raise _Interrupted(f'{url}: transfer cut after {done} of {total} bytes')
        progress(done, total, force=True)
        return total is not None


#: suffix of the record of a completed unverified download (see the module docstring)
RECORD_SUFFIX = '.download.json'


def _write_record(final: str, url: str, sha256: str, size_announced: bool) -> None:
    import json
    record = dict(url=url, size=osp.getsize(final + '.part'), sha256=sha256,
                  size_announced=bool(size_announced), complete=True)
    tmp = final + RECORD_SUFFIX + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(record, f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, final + RECORD_SUFFIX)


def _recorded_complete(final: str) -> Tuple[bool, str]:
    """Whether ``final`` (a file used without a hash) is the recorded, complete download;
    ``(ok, why not)``."""
    import json
    record_path = final + RECORD_SUFFIX
    if not osp.isfile(record_path):
        return False, f'no record {osp.basename(record_path)} of a completed download'
    try:
        with open(record_path) as f:
            record = json.load(f)
        size, digest = int(record['size']), str(record['sha256'])
    except (OSError, ValueError, KeyError, TypeError) as err:
        return False, f'unreadable record {record_path} ({err})'
    actual_size = osp.getsize(final)
    if actual_size != size:
        return False, f'{actual_size} bytes, {size} recorded in {record_path}'
    actual = verify_file(final, final, None, delete=False)
    if actual != digest:
        return False, f'sha256 {actual}, {digest} recorded in {record_path}'
    return True, ''


def download_checkpoint(name_or_url: str,
                        dest: Optional[str] = None,
                        model_index: Optional[str] = None,
                        sha256: Optional[str] = None,
                        retries: int = 3,
                        timeout: float = 60.0,
                        allow_unverified: bool = False,
                        progress: bool = False) -> str:
    """Download a zoo checkpoint (model name or URL), verify it and return its local path.

    Args:
        name_or_url: an ``http(s)://`` URL (optionally with ``#sha256=<hex>``) or a model name of
            the zoo (looked up in ``model_index``).
        dest: the folder to put it in (default: :func:`cache_dir`).
        model_index: ``model-index.yml`` for model names (default: see :func:`find_model_index`).
        sha256: the full sha256 the file must have (overrides the metafile's).
        retries: how many times an interrupted transfer is resumed within this call.
        timeout: socket timeout of each request, in seconds.
        allow_unverified: accept a file that has no hash to be checked against (its
            completed transfer is recorded in ``<name>.download.json``, and a cached copy is
            reused only if it matches that record; see the module docstring).
        progress: print the progress to stderr.

    Raises:
        DownloadError: HTTP / network errors, unknown model, unverifiable file (nothing was
            downloaded), or an interruption beyond ``retries`` (the ``.part`` file is kept and the
            next call resumes it).
        ChecksumMismatchError: the file does not verify (it was deleted).
    """
    if sha256 is not None:
        sha256 = _check_full_hash(sha256, 'sha256')
    if '://' in name_or_url:
        url = name_or_url
    else:
        model = resolve_zoo_model(name_or_url, model_index)
        url, sha256 = model.weights, sha256 or model.sha256
        if '://' not in url:  # a checkpoint kept in the repository, relative to model-index.yml
            root = osp.dirname(osp.abspath(find_model_index(model_index)))
            return _verified_repository_file(model, url, root, sha256, allow_unverified)
    url, fragment_sha = _split_fragment(url)
    sha256 = sha256 or fragment_sha
    if urllib.parse.urlsplit(url).scheme not in ('http', 'https'):
        raise DownloadError(f'only http:// and https:// URLs can be downloaded, got {url}')
    expected = _expected_hash(url, sha256, allow_unverified)

    folder = dest or cache_dir()
    os.makedirs(folder, exist_ok=True)
    final = osp.join(folder, _file_name(url))
    if osp.isfile(final):
        if expected is None:  # nothing to verify with: trust only a recorded complete download
            ok, why = _recorded_complete(final)
            if ok:
                return final
            warnings.warn(f'the cached {final} cannot be told from a partial download ({why}); '
                          'downloading it again')
            os.remove(final)
        else:
            try:
                verify_file(final, url, expected, delete=False)
                return final
            except ChecksumMismatchError as err:
                warnings.warn(f'the cached {final} does not verify ({err.actual}); downloading '
                              'it again')
                os.remove(final)

    part = final + '.part'
    show = _Progress(progress, osp.basename(final))
    attempt = 0
    while True:
        try:
            size_announced = _transfer(url, part, timeout, show)
            break
        except _Interrupted as err:
            if attempt >= retries:
                raise DownloadError(
                    f'download of {url} interrupted ({err}); the partial file {part} is kept and '
                    'the next attempt resumes it') from err
            attempt += 1
            warnings.warn(f'{err}; resuming (attempt {attempt} of {retries})')
            time.sleep(min(0.1 * 2**attempt, 2.0))
    digest = verify_file(part, url, expected, delete=True)
    record = final + RECORD_SUFFIX
    if expected is None:
        if not size_announced:
            warnings.warn(f'{url}: the server announced no size (no Content-Length), so a cut '
                          f'transfer cannot be detected; {final} is kept unverified')
        _write_record(final, url, digest, size_announced)
    elif osp.exists(record):
        os.remove(record)  # verified by its hash from now on
    os.replace(part, final)  # same folder: atomic; the final name appears only when verified
    return final


def _verified_repository_file(model: ZooModel, rel_path: str, root: str,
                              sha256: Optional[str], allow_unverified: bool) -> str:
    """The checkpoint a metafile names by a path relative to the repository root (the folder of
    ``model-index.yml``): weights small and licensed to live in the repository. Verified like a
    download (the sha256 prefix of its name or the metafile's hash), never deleted."""
    rel_path, fragment_sha = _split_fragment(rel_path)
    path = osp.normpath(osp.join(root, rel_path))
    if not osp.isfile(path):
        raise DownloadError(f'model {model.name}: its Weights {rel_path} ({path}) does not exist')
    expected = _expected_hash(rel_path, sha256 or fragment_sha, allow_unverified)
    verify_file(path, rel_path, expected, delete=False)
    return path


# ------------------------------------------------------------------ MMEngine integration

def _env_allows_unverified() -> bool:
    return os.environ.get(ALLOW_UNVERIFIED_ENV, '').strip().lower() in ('1', 'true', 'yes')


def load_from_http_verified(filename: str, map_location: Any = None) -> Any:
    """MMEngine ``CheckpointLoader`` scheme for ``http(s)://``: download into the cache with
    :func:`download_checkpoint` (verified), then load with ``weights_only=True``.

    Distributed: rank 0 downloads first, then a barrier, then the other ranks use the verified
    cached file (a failure on rank 0 still reaches the barrier, so no rank hangs).
    """
    from mmengine.dist import barrier, get_dist_info

    from mmdenoise.utils import load_checkpoint_file
    allow = _env_allows_unverified()
    rank, world_size = get_dist_info()
    path, error = None, None
    if rank == 0:
        try:
            path = download_checkpoint(filename, allow_unverified=allow,
                                       progress=os.isatty(2))
        except Exception as err:  # re-raised after the barrier
            error = err
    if world_size > 1:
        barrier()
    if error is not None:
        raise error
    if rank > 0:
        path = download_checkpoint(filename, allow_unverified=allow)
    try:
        return load_checkpoint_file(path, map_location=map_location)
    except RuntimeError as err:
        raise DownloadError(f'{filename} (verified, cached as {path}) does not load with '
                            f'weights_only=True: {err}') from err


def register_url_loader() -> None:
    """Make :func:`load_from_http_verified` MMEngine's loader for ``http://`` and ``https://``
    (replacing ``load_from_http``). Idempotent; done when this module is imported."""
    from mmengine.runner.checkpoint import CheckpointLoader
    CheckpointLoader.register_scheme(
        prefixes=('http://', 'https://'), force=True)(load_from_http_verified)


register_url_loader()

