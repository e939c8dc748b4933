"""Dataset and download faults (issue 17): every broken input is refused with a message naming
the file (or folder) and the rule, and nothing that existed before is lost.

Datasets: the demo's Fashion-MNIST IDX files (built through the demo config's own dataset entry)
and the real ReID folder / list layouts (tests/test_datasets/reid_layouts.py). Downloads: the
loopback HTTP server of the zoo tests (tests/test_zoo/conftest.py, 127.0.0.1 only) plus a 500
answer and a body without Content-Length."""
import hashlib
import importlib.util
import json
import os
import os.path as osp
import shutil
import sys
import threading
import warnings
from pathlib import Path

import pytest

import fault_log

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent
for _folder in ('test_datasets', 'test_zoo'):
    if str(TESTS / _folder) not in sys.path:
        sys.path.insert(0, str(TESTS / _folder))
from reid_layouts import make_market, write_image, write_lines  # noqa: E402
from zoo_test_utils import load_tool  # noqa: E402

MINI = REPO / 'data' / 'fashion-mnist-mini'
DEMO_CFG = REPO / 'configs' / 'demo' / 'resnet18-w16_fashion-mnist-mini.py'


def _digest(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def _snapshot(folder):
    """{relative path: sha256} of every file under folder (to tell whether anything was lost)."""
    out = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = osp.join(root, name)
            out[osp.relpath(path, folder)] = _digest(path)
    return out


# ---------------------------------------------------------------------- Fashion-MNIST (IDX)
@pytest.fixture
def mini_copy(tmp_path):
    """A copy of data/fashion-mnist-mini (its four IDX files and SHA256SUMS)."""
    dst = tmp_path / 'fashion-mnist-mini'
    shutil.copytree(MINI, dst)
    return dst


def _build_demo_dataset(root, split='test'):
    """The demo config's dataset entry (type from the config), on ``root``."""
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import DATASETS
    cfg = Config.fromfile(str(DEMO_CFG))
    loader = cfg.train_dataloader if split == 'train' else cfg.test_dataloader
    ds_cfg = loader.dataset.copy()
    assert ds_cfg.type == 'mmdenoise.CheckedFashionMNIST'
    ds_cfg.data_root = str(root)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        return DATASETS.build(ds_cfg)


def test_demo_dataset_loads_the_intact_copy(mini_copy):
    dataset = _build_demo_dataset(mini_copy, 'test')
    assert len(dataset) == 1000 and type(dataset).__name__ == 'CheckedFashionMNIST'
    from mmpretrain.datasets import FashionMNIST
    assert isinstance(dataset, FashionMNIST)


def test_truncated_idx_file(mini_copy):
    from mmdenoise.datasets.fashion_mnist import DatasetFileError
    target = mini_copy / 't10k-images-idx3-ubyte'
    data = target.read_bytes()
    target.write_bytes(data[:len(data) - 784 * 3 - 100])  # cut inside the 997th image
    before = _snapshot(mini_copy)
    with pytest.raises(DatasetFileError) as err:
        _build_demo_dataset(mini_copy, 'test')
    message = str(err.value)
    assert f'expected {len(data)} bytes from the header' in message
    assert f'found {len(data) - 784 * 3 - 100}' in message and 'truncated' in message
    fault_log.record('dataset', 'truncated IDX file -> CheckedFashionMNIST',
                     lost=_snapshot(mini_copy) != before, message=message,
                     expect_name=str(target))


def test_truncated_labels_header(mini_copy):
    from mmdenoise.datasets.fashion_mnist import DatasetFileError
    target = mini_copy / 'train-labels-idx1-ubyte'
    target.write_bytes(target.read_bytes()[:6])  # magic + half of the count
    with pytest.raises(DatasetFileError, match='header') as err:
        _build_demo_dataset(mini_copy, 'train')
    fault_log.record('dataset', 'IDX file cut inside its header', message=str(err.value),
                     expect_name='train-labels-idx1-ubyte')


def test_hash_mismatched_idx_file(mini_copy):
    from mmdenoise.datasets.fashion_mnist import DatasetFileError
    target = mini_copy / 't10k-images-idx3-ubyte'
    data = bytearray(target.read_bytes())
    data[5000] ^= 0xFF  # one pixel: the header and the size still agree
    target.write_bytes(bytes(data))
    before = _snapshot(mini_copy)
    with pytest.raises(DatasetFileError, match='sha256 mismatch') as err:
        _build_demo_dataset(mini_copy, 'test')
    assert 'SHA256SUMS' in str(err.value)
    fault_log.record('dataset', 'IDX file whose sha256 disagrees with SHA256SUMS',
                     lost=_snapshot(mini_copy) != before, message=str(err.value),
                     expect_name=str(target))
    # without SHA256SUMS the (well-formed) file is accepted: the hash check is what caught it
    os.remove(mini_copy / 'SHA256SUMS')
    assert len(_build_demo_dataset(mini_copy, 'test')) == 1000


def test_missing_idx_file(mini_copy):
    os.remove(mini_copy / 'train-labels-idx1-ubyte')
    with pytest.raises(FileNotFoundError) as err:
        _build_demo_dataset(mini_copy, 'test')
    fault_log.record('dataset', 'missing IDX file (download=False)', message=str(err.value),
                     expect_name='train-labels-idx1-ubyte')


# ---------------------------------------------------------------------- ReID layouts
def _market(tmp_path):
    return make_market(str(tmp_path / 'market'))


def _load_all(dataset):
    for i in range(len(dataset)):
        dataset[i]


def test_corrupt_jpeg(tmp_path, mmdenoise_default_scope):
    from mmdenoise.datasets import Market1501
    root = _market(tmp_path)
    target = osp.join(root, 'query', sorted(os.listdir(osp.join(root, 'query')))[0])
    with open(target, 'wb') as f:
        f.write(b'\xff\xd8\xff\xe0 this is not a JPEG body')
    before = _snapshot(root)
    dataset = Market1501(data_root=root, split='test', serialize_data=False,
                         pipeline=[dict(type='LoadImageFromFile'), dict(type='PackReIDInputs')])
    with pytest.raises(Exception) as err:
        _load_all(dataset)
    fault_log.record('dataset', 'corrupt JPEG -> LoadImageFromFile', lost=_snapshot(root) != before,
                     message=str(err.value), expect_name=target)


def test_unparsable_reid_file_name(tmp_path):
    from mmdenoise.datasets import DatasetLayoutError, Market1501
    root = _market(tmp_path)
    target = write_image(osp.join(root, 'bounding_box_test', 'person_one.jpg'))
    with pytest.raises(DatasetLayoutError, match='cannot parse identity/camera') as err:
        Market1501(data_root=root, split='test')
    fault_log.record('dataset', 'unparsable ReID file name', message=str(err.value),
                     expect_name=target)


@pytest.mark.parametrize('folder,split', [('query', 'query'), ('bounding_box_test', 'gallery')])
def test_empty_query_or_gallery_folder(tmp_path, folder, split):
    from mmdenoise.datasets import DatasetLayoutError, Market1501
    root = _market(tmp_path)
    empty = osp.join(root, folder)
    for name in os.listdir(empty):
        os.remove(osp.join(empty, name))
    for built_split in ('test', split):
        with pytest.raises(DatasetLayoutError, match='holds no image') as err:
            Market1501(data_root=root, split=built_split)
        assert f'the {split} folder' in str(err.value)
    fault_log.record('dataset', f'empty {split} folder', message=str(err.value),
                     expect_name=empty)


def test_query_of_junk_only_is_refused(tmp_path):
    """Not empty on disk, but nothing left after dropping junk identities (-1)."""
    from mmdenoise.datasets import DatasetLayoutError, Market1501
    root = _market(tmp_path)
    query = osp.join(root, 'query')
    for name in os.listdir(query):
        os.remove(osp.join(query, name))
    write_image(osp.join(query, '-1_c1s1_000001_00.jpg'))
    with pytest.raises(DatasetLayoutError, match='0 query and 7 gallery images') as err:
        Market1501(data_root=root, split='test')
    fault_log.record('dataset', 'query folder of junk images only', message=str(err.value),
                     expect_name=root)


def test_missing_split_files(tmp_path):
    """CUHK03 as a list dataset (tools/dataset_converters/make_cuhk03_split.py writes its
    lists), RegDB's idx lists and a random-split JSON: the missing file is named."""
    from mmdenoise.datasets import VIPeR, DatasetLayoutError, ReIDListDataset, RegDB
    root = tmp_path / 'cuhk03'
    write_image(str(root / 'images' / 'a.png'))
    write_lines(str(root / 'train.txt'), ['a.png 1 0'])
    write_lines(str(root / 'gallery.txt'), ['a.png 1 1'])
    with pytest.raises(DatasetLayoutError) as err:
        ReIDListDataset(data_root=str(root), split='test', query_file='query.txt',
                        gallery_file='gallery.txt', data_prefix=dict(img_path='images'))
    fault_log.record('dataset', 'missing split file (CUHK03 list)', message=str(err.value),
                     expect_name=str(root / 'query.txt'))

    regdb = tmp_path / 'RegDB'
    write_lines(str(regdb / 'idx' / 'test_visible_1.txt'), ['Visible/1/a.bmp 1'])
    with pytest.raises(DatasetLayoutError) as err:
        RegDB(data_root=str(regdb), split='test')
    fault_log.record('dataset', 'missing split file (RegDB idx)', message=str(err.value),
                     expect_name='test_thermal_1.txt')

    viper = tmp_path / 'viper'
    for view in ('cam_a', 'cam_b'):
        for i in range(4):
            write_image(str(viper / view / f'{i:03d}_{view}.bmp'))
    split_file = tmp_path / 'viper_splits.json'
    with pytest.raises(FileNotFoundError) as err:
        VIPeR(data_root=str(viper), split='test', split_file=str(split_file), num_trials=1)
    fault_log.record('dataset', 'missing split file (random-split JSON)', message=str(err.value),
                     expect_name=str(split_file))
    split_file.write_text('[{"train": [0, 1], "test": [2, 3]')  # cut JSON
    with pytest.raises(ValueError, match='not valid JSON') as err:
        VIPeR(data_root=str(viper), split='test', split_file=str(split_file), num_trials=1)
    fault_log.record('dataset', 'truncated split file (random-split JSON)',
                     message=str(err.value), expect_name=str(split_file))


# ---------------------------------------------------------------------- downloads
def _zoo_conftest():
    """tests/test_zoo/conftest.py's ZooServer and handler, loaded under a name of their own."""
    name = 'zoo_conftest_for_faults'
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, TESTS / 'test_zoo' / 'conftest.py')
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[name] = module
    return sys.modules[name]


@pytest.fixture
def server(monkeypatch):
    """The zoo tests' loopback server, plus paths answered 500 and paths served without a
    Content-Length (connection-delimited, optionally cut after ``no_length[path]`` bytes)."""
    import http.server
    zoo = _zoo_conftest()
    for var in ('http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy',
                'ALL_PROXY'):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv('no_proxy', '*')
    monkeypatch.setenv('NO_PROXY', '*')
    srv = zoo.ZooServer()
    srv.fail = set()
    srv.no_length = {}
    base = zoo._handler(srv)

    class Handler(base):

        def do_GET(self):
            path = self.path.split('?', 1)[0]
            if path in srv.fail:
                self._record(path, self.headers.get('Range'), 500)
                self.send_error(500, 'Internal Server Error')
                return
            if path in srv.no_length:
                data = srv.files[path][:srv.no_length[path]]
                self._record(path, self.headers.get('Range'), 200)
                self.send_response(200)
                self.send_header('Content-Type', 'application/octet-stream')
                self.end_headers()
                self.wfile.write(data)
                self.close_connection = True
                return
            super().do_GET()

    srv.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    srv.httpd.daemon_threads = True
    thread = threading.Thread(target=srv.httpd.serve_forever, kwargs=dict(poll_interval=0.02),
                              daemon=True)
    thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()
    thread.join(5)


@pytest.fixture
def dest(tmp_path):
    """A download folder that already holds another, verified checkpoint (must survive)."""
    folder = tmp_path / 'cache'
    folder.mkdir()
    (folder / 'kept-0123abcd.pth').write_bytes(b'an earlier download')
    return folder


def _payload(n=4096):
    return bytes(range(256)) * (n // 256)


def test_wrong_hash(server, dest):
    from mmdenoise.apis.download import ChecksumMismatchError, download_checkpoint
    data = _payload()
    url = server.add('/zoo/model.pth', data)
    before = _snapshot(dest)
    with pytest.raises(ChecksumMismatchError) as err:
        download_checkpoint(f'{url}#sha256={"ab" * 32}', dest=str(dest))
    assert not (dest / 'model.pth').exists() and not (dest / 'model.pth.part').exists()
    fault_log.record('download', 'wrong sha256', lost=_snapshot(dest) != before,
                     message=str(err.value), expect_name='model.pth')


def test_cut_off_transfer_is_kept_as_part_and_resumed(server, dest):
    from mmdenoise.apis.download import DownloadError, download_checkpoint
    data = _payload()
    digest = hashlib.sha256(data).hexdigest()
    url = server.add('/zoo/cut.pth', data)
    server.cuts['/zoo/cut.pth'] = [1000]
    before = _snapshot(dest)
    with pytest.raises(DownloadError, match='transfer cut after 1000 of 4096 bytes') as err:
        download_checkpoint(f'{url}#sha256={digest}', dest=str(dest), retries=0)
    assert not (dest / 'cut.pth').exists() and (dest / 'cut.pth.part').stat().st_size == 1000
    lost = any(_snapshot(dest).get(k) != v for k, v in before.items())
    fault_log.record('download', 'transfer cut off (verified URL)', lost=lost,
                     message=str(err.value), expect_name='cut.pth.part')
    path = download_checkpoint(f'{url}#sha256={digest}', dest=str(dest))  # resumes
    assert _digest(path) == digest
    assert server.requests_for('/zoo/cut.pth')[-1] == ('bytes=1000-', 206)


def test_server_error_500(server, dest):
    from mmdenoise.apis.download import DownloadError, download_checkpoint
    server.files['/zoo/broken.pth'] = b''
    server.fail.add('/zoo/broken.pth')
    before = _snapshot(dest)
    with pytest.raises(DownloadError, match='HTTP 500') as err:
        download_checkpoint(server.url('/zoo/broken.pth') + '#sha256=' + '0' * 64,
                            dest=str(dest))
    assert _snapshot(dest) == before  # nothing written, nothing removed
    fault_log.record('download', 'server error 500', lost=_snapshot(dest) != before,
                     message=str(err.value), expect_name='broken.pth')


def test_url_without_hash_is_refused_without_allow_unverified(server, dest, capsys):
    tool = load_tool('download_checkpoint')
    url = server.add('/plain/model_final.pth', _payload())
    before = _snapshot(dest)
    assert tool.main([url, '--dest', str(dest), '--no-load']) == 1
    err = capsys.readouterr().err
    assert 'cannot verify' in err and '--allow-unverified' in err
    assert server.requests == [] and _snapshot(dest) == before  # refused before downloading
    fault_log.record('download', 'URL without hash, no --allow-unverified',
                     lost=_snapshot(dest) != before, message=err, expect_name='model_final.pth')


def test_unverified_cut_off_transfer_never_gets_the_final_name(server, dest, capsys):
    from mmdenoise.apis.download import RECORD_SUFFIX
    tool = load_tool('download_checkpoint')
    data = _payload()
    url = server.add('/plain/weights.pth', data)
    server.cuts['/plain/weights.pth'] = [700]
    before = _snapshot(dest)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        code = tool.main([url, '--dest', str(dest), '--allow-unverified', '--retries', '0',
                          '--no-load'])
    err = capsys.readouterr().err
    assert code == 1 and 'transfer cut after 700 of 4096 bytes' in err
    final = dest / 'weights.pth'
    assert not final.exists() and not Path(str(final) + RECORD_SUFFIX).exists()
    lost = any(_snapshot(dest).get(k) != v for k, v in before.items())
    fault_log.record('download', 'transfer cut off with --allow-unverified', lost=lost,
                     message=err, expect_name='weights.pth.part')
    # the next run completes it; only then do the final name and the record appear
    with pytest.warns(UserWarning, match='unverified'):
        assert tool.main([url, '--dest', str(dest), '--allow-unverified', '--no-load']) == 0
    assert final.read_bytes() == data
    record = json.loads(Path(str(final) + RECORD_SUFFIX).read_text())
    assert record['size'] == len(data) and record['size_announced'] is True
    assert record['sha256'] == hashlib.sha256(data).hexdigest()


def test_unverified_cached_file_without_a_record_is_not_reused(server, dest):
    """What the old code could leave: a cut unverified file under the final name. Without the
    record of a completed transfer (or when it disagrees) it is downloaded again."""
    from mmdenoise.apis.download import RECORD_SUFFIX, download_checkpoint
    data = _payload()
    url = server.add('/plain/old.pth', data)
    final = dest / 'old.pth'
    final.write_bytes(data[:1234])  # a partial file from an older version
    with pytest.warns(UserWarning, match='cannot be told from a partial download') as caught:
        path = download_checkpoint(url, dest=str(dest), allow_unverified=True)
    assert Path(path).read_bytes() == data
    message = '\n'.join(str(w.message) for w in caught)
    fault_log.record('download', 'unverified cached file without a completion record',
                     message=message, expect_name=str(final))
    requests = len(server.requests)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        assert download_checkpoint(url, dest=str(dest), allow_unverified=True) == path
    assert len(server.requests) == requests  # recorded and intact: reused, no request
    final.write_bytes(data[:-1])  # damaged after the record was written
    with pytest.warns(UserWarning, match=f'{len(data) - 1} bytes, {len(data)} recorded'):
        download_checkpoint(url, dest=str(dest), allow_unverified=True)
    assert final.read_bytes() == data
    assert json.loads(Path(str(final) + RECORD_SUFFIX).read_text())['size'] == len(data)


def test_unverified_transfer_without_content_length_is_flagged(server, dest):
    """A connection-delimited body cannot show a cut: the file is kept, with a warning and
    ``size_announced: false`` in its record."""
    from mmdenoise.apis.download import RECORD_SUFFIX, download_checkpoint
    data = _payload()
    server.add('/plain/nolength.pth', data)
    server.no_length['/plain/nolength.pth'] = len(data)
    with pytest.warns(UserWarning, match='announced no size') as caught:
        path = download_checkpoint(server.url('/plain/nolength.pth'), dest=str(dest),
                                   allow_unverified=True)
    assert Path(path).read_bytes() == data
    record = json.loads(Path(path + RECORD_SUFFIX).read_text())
    assert record['size_announced'] is False
    fault_log.record('download', 'unverified body without Content-Length (kept, flagged)',
                     message='\n'.join(str(w.message) for w in caught),
                     expect_name='nolength.pth')
