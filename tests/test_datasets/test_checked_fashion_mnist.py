"""CheckedFashionMNIST's file checks on tiny generated IDX files (the real format)."""
import hashlib

import numpy as np
import pytest

from mmdenoise.datasets.fashion_mnist import (MNIST_FILES, DatasetFileError, check_idx_file,
                                              check_mnist_files, read_sha256sums)


def idx_bytes(array, code=0x08):
    array = np.ascontiguousarray(array, dtype=np.uint8)
    return bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, '>i4').tobytes() + \
        array.tobytes()


def write_set(root, num_train=6, num_test=4, sums=True):
    rng = np.random.default_rng(0)
    files = {}
    for split, n in (('train', num_train), ('test', num_test)):
        images, labels = MNIST_FILES[split]
        files[images] = idx_bytes(rng.integers(0, 256, (n, 28, 28)))
        files[labels] = idx_bytes(rng.integers(0, 10, (n, )))
    for name, data in files.items():
        (root / name).write_bytes(data)
    if sums:
        (root / 'SHA256SUMS').write_text(''.join(
            f'{hashlib.sha256(d).hexdigest()}  {n}\n' for n, d in files.items()))
    return files


def test_good_files_pass_and_shape_is_read(tmp_path):
    write_set(tmp_path)
    check_mnist_files(str(tmp_path), MNIST_FILES['train'])
    assert check_idx_file(str(tmp_path / 't10k-images-idx3-ubyte'), ndim=3) == (4, 28, 28)


@pytest.mark.parametrize('mutate,rule', [
    (lambda d: d[:3], 'shorter than the 4-byte magic number'),
    (lambda d: b'\x01' + d[1:], 'must start with two zero bytes'),
    (lambda d: d[:2] + b'\x07' + d[3:], 'unknown element type 0x07'),
    (lambda d: d[:2] + b'\x0c' + d[3:], 'expected uint8'),
    (lambda d: d[:3] + b'\x02' + d[4:], 'gives 2 dimension(s), expected 3'),
    (lambda d: d[:10], 'expected at least 16 bytes of header'),
    (lambda d: d[:-1], f'truncated IDX file: expected {16 + 4 * 784} bytes from the header'),
    (lambda d: d + b'\x00', 'IDX file too long'),
])
def test_each_header_rule_names_the_file(tmp_path, mutate, rule):
    files = write_set(tmp_path)
    name = 't10k-images-idx3-ubyte'
    (tmp_path / name).write_bytes(mutate(files[name]))
    with pytest.raises(DatasetFileError) as err:
        check_mnist_files(str(tmp_path), MNIST_FILES['test'])
    assert str(tmp_path / name) in str(err.value) and rule in str(err.value)


def test_count_mismatch_and_hashes(tmp_path):
    files = write_set(tmp_path, sums=False)
    labels = MNIST_FILES['train'][1]
    (tmp_path / labels).write_bytes(idx_bytes(np.zeros(5)))
    with pytest.raises(DatasetFileError, match='5 labels for the 6 images'):
        check_mnist_files(str(tmp_path), MNIST_FILES['train'])
    (tmp_path / labels).write_bytes(files[labels])
    check_mnist_files(str(tmp_path), MNIST_FILES['train'])  # no SHA256SUMS: no hash check
    (tmp_path / 'SHA256SUMS').write_text(f'{"0" * 64}  {labels}\n')
    with pytest.raises(DatasetFileError, match='sha256 mismatch: .*SHA256SUMS lists 0{64}'):
        check_mnist_files(str(tmp_path), MNIST_FILES['train'])
    check_mnist_files(str(tmp_path), MNIST_FILES['test'])  # files it does not list: unchecked
    (tmp_path / 'SHA256SUMS').write_text('not a checksum line\n')
    with pytest.raises(DatasetFileError, match=r'SHA256SUMS:1: expected'):
        read_sha256sums(str(tmp_path / 'SHA256SUMS'))


def test_missing_file_is_named(tmp_path):
    write_set(tmp_path)
    (tmp_path / 'train-images-idx3-ubyte').unlink()
    all_files = [n for pair in MNIST_FILES.values() for n in pair]
    with pytest.raises(FileNotFoundError, match='train-images-idx3-ubyte: file not found'):
        check_mnist_files(str(tmp_path), MNIST_FILES['test'], required=all_files)


def test_registered_class_is_mmpretrains_fashion_mnist(tmp_path):
    from mmpretrain.datasets import FashionMNIST

    from mmdenoise.datasets import CheckedFashionMNIST
    from mmdenoise.registry import DATASETS
    write_set(tmp_path)
    assert issubclass(CheckedFashionMNIST, FashionMNIST)
    dataset = DATASETS.build(dict(type='CheckedFashionMNIST', data_root=str(tmp_path),
                                  split='test', test_mode=True, download=False))
    assert isinstance(dataset, CheckedFashionMNIST) and len(dataset) == 4
    (tmp_path / 't10k-labels-idx1-ubyte').write_bytes(b'\x00\x00\x08\x01\x00\x00\x00\x04ab')
    with pytest.raises(DatasetFileError, match='t10k-labels-idx1-ubyte: truncated'):
        DATASETS.build(dict(type='CheckedFashionMNIST', data_root=str(tmp_path),
                            split='test', test_mode=True, download=False))
