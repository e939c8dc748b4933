"""The :class:`CheckedFashionMNIST` class (imports mmpretrain; see :mod:`.fashion_mnist`)."""
from mmpretrain.datasets import FashionMNIST
from mmpretrain.datasets.utils import rm_suffix

from .fashion_mnist import check_mnist_files


class CheckedFashionMNIST(FashionMNIST):
    """mmpretrain's ``FashionMNIST`` whose files are checked before they are read.

    Same arguments as ``FashionMNIST`` (``data_root``, ``split``, ``test_mode``, ``download``...;
    mmpretrain 1.2 picks the files by ``test_mode``). Before loading, the split's images and
    labels files are checked (IDX header against the file size, equal counts, and the hashes of
    a ``SHA256SUMS`` next to them): see :func:`mmdenoise.datasets.fashion_mnist.check_mnist_files`.
    A missing file is named (with ``download=False``; with ``download=True`` mmpretrain
    downloads the set and the downloaded files are checked the same way).

    Raises:
        mmdenoise.datasets.fashion_mnist.DatasetFileError: a truncated / malformed file or a
            hash mismatch, naming the file and the rule.
        FileNotFoundError: a missing file (``download=False``).
    """

    def _split_files(self):
        files = self.test_list if self.test_mode else self.train_list
        return [rm_suffix(name) for name, _ in files]

    def _all_files(self):
        return [rm_suffix(name) for name, _ in self.train_list + self.test_list]

    def _check_files(self) -> None:
        check_mnist_files(self.data_prefix['root'], self._split_files(),
                          required=self._all_files())

    def load_data_list(self):
        if not self.download or self._check_exists():
            self._check_files()
        return super().load_data_list()

    def _download(self):
        super()._download()
        self._check_files()
