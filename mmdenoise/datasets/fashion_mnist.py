"""Fashion-MNIST with its files checked before loading (``mmdenoise.CheckedFashionMNIST``).

mmpretrain's ``FashionMNIST`` reads the four IDX files as they are: a truncated file fails deep
inside it with a reshape / assertion error that names no file. :class:`CheckedFashionMNIST`
(a subclass of it) first checks, for the files of its split:

* the IDX header: the magic number ``0x00 0x00 <type> <ndim>`` (type ``0x08``, unsigned bytes,
  the one mmpretrain reads; ``ndim`` 3 for images, 1 for labels), then ``ndim`` big-endian
  int32 sizes; the file size must be exactly ``4 + 4 * ndim + prod(sizes)`` bytes (shorter:
  truncated; longer: trailing bytes), and images and labels must count the same samples;
* the sha256 of each file listed in a ``SHA256SUMS`` file (``<hex>  <name>`` lines, the
  ``sha256sum`` format) next to them, if there is one.

Every failure is a :class:`DatasetFileError` (or ``FileNotFoundError`` for a missing file)
whose message names the file and the rule broken.

The class is built through the registry (``type='mmdenoise.CheckedFashionMNIST'``) from a factory,
so that ``import mmdenoise.datasets`` does not import mmpretrain (slow); the class itself lives
in :mod:`mmdenoise.datasets._checked_fashion_mnist` and is importable from here as
``CheckedFashionMNIST`` (attribute access imports it).
"""
import hashlib
import os.path as osp
import re
from typing import Dict, Optional, Sequence, Tuple

import numpy as np

from mmdenoise.registry import DATASETS

__all__ = ['DatasetFileError', 'check_idx_file', 'read_sha256sums', 'check_sha256',
           'check_mnist_files', 'MNIST_FILES', 'build_checked_fashion_mnist']

#: split -> (images file, labels file), the uncompressed names mmpretrain's MNIST classes read
MNIST_FILES = {
    'train': ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
    'test': ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'),
}
#: IDX element type code -> (name, bytes per element)
IDX_TYPES = {0x08: ('uint8', 1), 0x09: ('int8', 1), 0x0B: ('int16', 2), 0x0C: ('int32', 4),
             0x0D: ('float32', 4), 0x0E: ('float64', 8)}
SHA256SUMS = 'SHA256SUMS'
_SUM_LINE = re.compile(r'([0-9a-fA-F]{64}) [ *](.+)')


class DatasetFileError(ValueError):
    """A data file that exists but breaks its format (or its recorded hash); ``path`` names it."""

    def __init__(self, path: str, rule: str):
        super().__init__(f'{path}: {rule}')
        self.path = path
        self.rule = rule


def check_idx_file(path: str, ndim: Optional[int] = None,
                   dtype_code: Optional[int] = 0x08) -> Tuple[int, ...]:
    """Check an (uncompressed) IDX file's header against its size; returns its shape.

    Args:
        path: the file.
        ndim: the number of dimensions it must have (3: images, 1: labels); None: any.
        dtype_code: the element type it must have (``0x08``: unsigned bytes); None: any.

    Raises:
        FileNotFoundError: no such file.
        DatasetFileError: bad magic number, type or dimensions, truncated or over-long file.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path}: IDX file not found')
    size = osp.getsize(path)
    with open(path, 'rb') as f:
        head = f.read(4)
        if len(head) < 4:
            raise DatasetFileError(path, f'truncated IDX file: {size} bytes, shorter than the '
                                   '4-byte magic number')
        if head[0] != 0 or head[1] != 0:
            raise DatasetFileError(
                path, f'not an IDX file: the magic number 0x{head.hex()} must start with two '
                'zero bytes (0x0000<type><ndim>)')
        code, dims = head[2], head[3]
        if code not in IDX_TYPES:
            raise DatasetFileError(path, f'not an IDX file: unknown element type 0x{code:02x} '
                                   f'in the magic number 0x{head.hex()}')
        if dtype_code is not None and code != dtype_code:
            raise DatasetFileError(
                path, f'IDX element type is {IDX_TYPES[code][0]} (0x{code:02x}), expected '
                f'{IDX_TYPES[dtype_code][0]} (0x{dtype_code:02x})')
        if ndim is not None and dims != ndim:
            raise DatasetFileError(
                path, f'the IDX header gives {dims} dimension(s), expected {ndim} '
                '(images: 3, labels: 1)')
        header_size = 4 + 4 * dims
        if size < header_size:
            raise DatasetFileError(
                path, f'truncated IDX file: expected at least {header_size} bytes of header '
                f'for {dims} dimension(s), found {size}')
        shape = tuple(int(v) for v in np.frombuffer(f.read(4 * dims), dtype='>u4'))
    expected = header_size + int(np.prod(shape, dtype=np.int64)) * IDX_TYPES[code][1]
    if size < expected:
        raise DatasetFileError(
            path, f'truncated IDX file: expected {expected} bytes from the header (shape '
            f'{shape}, {IDX_TYPES[code][0]}), found {size}')
    if size > expected:
        raise DatasetFileError(
            path, f'IDX file too long: expected {expected} bytes from the header (shape '
            f'{shape}, {IDX_TYPES[code][0]}), found {size} (trailing bytes)')
    return shape


def read_sha256sums(path: str) -> Dict[str, str]:
    """``{file name: sha256}`` from a ``sha256sum``-style file (``<hex>  <name>`` lines)."""
    sums = {}
    with open(path, encoding='utf-8', errors='replace') as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip('\r\n')
            if not line.strip() or line.lstrip().startswith('#'):
                continue
            match = _SUM_LINE.fullmatch(line.strip())
            if match is None:
                raise DatasetFileError(f'{path}:{lineno}', 'expected "<64 hex digits>  <file '
                                       f'name>" (sha256sum format), got {line!r}')
            sums[match.group(2)] = match.group(1).lower()
    return sums


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


def check_sha256(path: str, expected: str, listed_in: str) -> None:
    """Raise :class:`DatasetFileError` unless ``path`` has the sha256 ``listed_in`` gives."""
    actual = _sha256(path)
    if actual != expected.lower():
        raise DatasetFileError(
            path, f'sha256 mismatch: {listed_in} lists {expected.lower()}, the file has '
            f'{actual} (a corrupted or replaced file)')


def check_mnist_files(root: str, names: Sequence[str], required: Sequence[str] = ()) -> None:
    """Check an MNIST-style split in ``root``: ``names`` = (images file, labels file).

    ``required`` lists other files that must merely exist (mmpretrain insists on all four).
    With a ``SHA256SUMS`` file in ``root``, every file of ``names`` listed there must have
    that hash (files it does not list are not hash-checked).
    """
    for name in required:
        path = osp.join(root, name)
        if not osp.isfile(path):
            raise FileNotFoundError(f'{path}: file not found (the MNIST-style dataset in {root} '
                                    f'needs {list(required)})')
    images_name, labels_name = names
    images = check_idx_file(osp.join(root, images_name), ndim=3)
    labels = check_idx_file(osp.join(root, labels_name), ndim=1)
    if images[0] != labels[0]:
        raise DatasetFileError(
            osp.join(root, labels_name), f'{labels[0]} labels for the {images[0]} images of '
            f'{osp.join(root, images_name)}: images and labels must count the same samples')
    sums_path = osp.join(root, SHA256SUMS)
    if osp.isfile(sums_path):
        sums = read_sha256sums(sums_path)
        for name in names:
            if name in sums:
                check_sha256(osp.join(root, name), sums[name], sums_path)


@DATASETS.register_module(name='CheckedFashionMNIST')
def build_checked_fashion_mnist(**kwargs):
    """Registry entry of :class:`CheckedFashionMNIST` (imports mmpretrain on first use)."""
    from ._checked_fashion_mnist import CheckedFashionMNIST
    return CheckedFashionMNIST(**kwargs)


def __getattr__(name: str):
    if name == 'CheckedFashionMNIST':
        from ._checked_fashion_mnist import CheckedFashionMNIST
        return CheckedFashionMNIST
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
