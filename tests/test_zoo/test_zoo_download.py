"""Verified downloads against a real loopback HTTP server: hash checks, refusal and deletion of
mismatching files, resume with Range, restart without it, MMEngine's CheckpointLoader, zoo names."""
import io
import os
import re
import warnings

import pytest
import torch
from mmengine.runner.checkpoint import CheckpointLoader

from mmdenoise.apis.download import (ChecksumMismatchError, DownloadError,
                                     UnverifiableDownloadError, download_checkpoint,
                                     hash_prefix_from_name, load_from_http_verified,
                                     resolve_zoo_model)
from mmdenoise.utils import load_checkpoint_file
from zoo_test_utils import load_tool, sha256_of


def checkpoint_bytes(seed=0):
    gen = torch.Generator().manual_seed(seed)
    ckpt = {'meta': {'epoch': 3, 'classes': ['a', 'b']},
            'state_dict': {'linear.weight': torch.randn(256, 256, generator=gen),
                           'linear.bias': torch.randn(256, generator=gen)}}
    buf = io.BytesIO()
    torch.save(ckpt, buf)
    return buf.getvalue(), ckpt


@pytest.fixture
def served(zoo_server):
    """A zoo-named checkpoint on the server: (url, path, bytes, checkpoint)."""
    data, ckpt = checkpoint_bytes()
    path = f'/zoo/denoiserep_toy_8xb32_20240101-{sha256_of(data)[:8]}.pth'
    return zoo_server.add(path, data), path, data, ckpt


def listing(folder):
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_hash_prefix_from_name():
    assert hash_prefix_from_name('https://x/y/a_b_20221213-60ae8e23.pth') == '60ae8e23'
    assert hash_prefix_from_name('https://x/seg_20200604_192608-EFE53F0D.pth?x=1') == 'efe53f0d'
    assert hash_prefix_from_name('resnet50-0676ba61.pth') == '0676ba61'
    assert hash_prefix_from_name('https://x/model_final.pth') is None
    assert hash_prefix_from_name('https://x/a-1234567.pth') is None  # 7 hex: not a hash


def test_download_verifies_and_loads(zoo_server, cache, served):
    url, path, data, ckpt = served
    local = download_checkpoint(url)
    assert local == str(cache / os.path.basename(path))
    assert open(local, 'rb').read() == data
    assert listing(cache) == [os.path.basename(path)]  # no .part left
    loaded = load_checkpoint_file(local)  # weights_only=True
    assert torch.equal(loaded['state_dict']['linear.weight'], ckpt['state_dict']['linear.weight'])
    # cached: verified again, not downloaded again
    assert download_checkpoint(url) == local
    assert len(zoo_server.requests_for(path)) == 1


def test_corrupted_file_is_refused_and_deleted(zoo_server, cache, served):
    url, path, data, _ = served
    zoo_server.corrupt.add(path)
    with pytest.raises(ChecksumMismatchError) as info:
        download_checkpoint(url)
    message = str(info.value)
    assert url in message and sha256_of(data)[:8] in message
    assert info.value.actual in message and info.value.actual != sha256_of(data)
    assert listing(cache) == []  # nothing left: no final file, no .part


def test_corrupted_cached_file_is_downloaded_again(zoo_server, cache, served):
    url, path, data, _ = served
    cache.mkdir(parents=True)
    (cache / os.path.basename(path)).write_bytes(b'tampered')
    with pytest.warns(UserWarning, match='does not verify'):
        local = download_checkpoint(url)
    assert open(local, 'rb').read() == data


def test_interrupted_transfer_resumes_with_range(zoo_server, cache, served):
    url, path, data, _ = served
    cut = 100_000
    zoo_server.cuts[path] = [cut]
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        local = download_checkpoint(url)
    assert open(local, 'rb').read() == data
    assert zoo_server.requests_for(path) == [(None, 200), (f'bytes={cut}-', 206)]
    assert listing(cache) == [os.path.basename(path)]


def test_partial_file_is_kept_and_resumed_by_the_next_call(zoo_server, cache, served):
    url, path, data, _ = served
    zoo_server.cuts[path] = [70_000]
    with pytest.raises(DownloadError, match='interrupted.*resumes'):
        download_checkpoint(url, retries=0)
    name = os.path.basename(path)
    assert listing(cache) == [name + '.part']  # no final file before verification
    assert (cache / (name + '.part')).read_bytes() == data[:70_000]
    local = download_checkpoint(url)
    assert open(local, 'rb').read() == data
    assert zoo_server.requests_for(path)[-1] == ('bytes=70000-', 206)
    assert listing(cache) == [name]


def test_restarts_cleanly_when_the_server_ignores_range(zoo_server, cache, served):
    url, path, data, _ = served
    zoo_server.ranges = False
    zoo_server.cuts[path] = [50_000]
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        local = download_checkpoint(url)
    assert open(local, 'rb').read() == data
    # the retry asked for a range, got the whole file (200) and started from zero
    assert zoo_server.requests_for(path) == [(None, 200), ('bytes=50000-', 200)]


def test_bad_partial_file_fails_verification_then_a_fresh_download_works(
        zoo_server, cache, served):
    url, path, data, _ = served
    name = os.path.basename(path)
    cache.mkdir(parents=True)
    (cache / (name + '.part')).write_bytes(b'\0' * 1000)  # stale garbage from elsewhere
    with pytest.raises(ChecksumMismatchError):
        download_checkpoint(url)
    assert zoo_server.requests_for(path) == [('bytes=1000-', 206)]
    assert listing(cache) == []
    assert open(download_checkpoint(url), 'rb').read() == data


def test_complete_partial_file_416(zoo_server, cache, served):
    url, path, data, _ = served
    name = os.path.basename(path)
    cache.mkdir(parents=True)
    (cache / (name + '.part')).write_bytes(data)  # complete, but never renamed
    assert open(download_checkpoint(url), 'rb').read() == data
    assert zoo_server.requests_for(path) == [(f'bytes={len(data)}-', 416)]


def test_full_hash_and_unverifiable_names(zoo_server, cache):
    data, _ = checkpoint_bytes(1)
    url = zoo_server.add('/plain/model_final.pth', data)
    with pytest.raises(UnverifiableDownloadError, match='cannot verify'):
        download_checkpoint(url)
    assert zoo_server.requests == [] and listing(cache) == []  # refused before downloading
    with pytest.raises(ChecksumMismatchError, match='expected ' + '0' * 64):
        download_checkpoint(url, sha256='0' * 64)
    assert listing(cache) == []
    assert open(download_checkpoint(f'{url}#sha256={sha256_of(data)}'), 'rb').read() == data
    other = zoo_server.add('/plain/other.pth', data)
    with pytest.warns(UserWarning, match='unverified'):
        download_checkpoint(other, dest=str(cache.parent / 'elsewhere'), allow_unverified=True)
    # an unverified download leaves the record of its completed transfer next to it
    assert listing(cache.parent / 'elsewhere') == ['other.pth', 'other.pth.download.json']


def test_http_errors_are_clear(zoo_server, cache):
    with pytest.raises(DownloadError, match='HTTP 404'):
        download_checkpoint(zoo_server.url('/missing-0123abcd.pth'))
    assert listing(cache) == []


def test_mmengine_checkpoint_loader_uses_the_verified_download(zoo_server, cache, served):
    url, path, data, ckpt = served
    assert CheckpointLoader._get_checkpoint_loader(url) is load_from_http_verified
    assert CheckpointLoader._get_checkpoint_loader(url.replace('http', 'https')) is \
        load_from_http_verified
    loaded = CheckpointLoader.load_checkpoint(url, map_location='cpu')
    assert torch.equal(loaded['state_dict']['linear.bias'], ckpt['state_dict']['linear.bias'])
    assert listing(cache) == [os.path.basename(path)]
    bad_data, _ = checkpoint_bytes(2)
    bad = zoo_server.add(f'/zoo/bad_20240101-{sha256_of(data)[:8]}.pth', bad_data)
    with pytest.raises(ChecksumMismatchError):
        CheckpointLoader.load_checkpoint(bad, map_location='cpu')
    assert listing(cache) == [os.path.basename(path)]


def test_load_from_url_into_a_model(zoo_server, cache):
    """What load_from=<url> / tools/test.py CONFIG URL do (Runner.load_checkpoint calls
    mmengine.runner.checkpoint.load_checkpoint, which goes through CheckpointLoader)."""
    from mmengine.runner.checkpoint import load_checkpoint
    from mmengine.testing.runner_test_case import ToyModel
    state = ToyModel().state_dict()
    for value in state.values():
        value.fill_(0.5)
    buf = io.BytesIO()
    torch.save({'meta': {}, 'state_dict': state}, buf)
    url = zoo_server.add(f'/zoo/toy_20240101-{sha256_of(buf.getvalue())[:8]}.pth',
                         buf.getvalue())
    model = ToyModel()
    load_checkpoint(model, url, map_location='cpu', strict=True)
    assert all(torch.all(p == 0.5) for p in model.parameters())


def test_distributed_rank0_downloads_before_the_barrier(zoo_server, cache, served, monkeypatch):
    import mmengine.dist
    url, path, _, _ = served
    events = []
    monkeypatch.setattr(mmengine.dist, 'barrier', lambda *a, **k: events.append('barrier'))
    for rank in (0, 1):
        monkeypatch.setattr(mmengine.dist, 'get_dist_info', lambda *a, rank=rank: (rank, 2))
        load_from_http_verified(url, map_location='cpu')
        events.append(('requests', len(zoo_server.requests_for(path))))
    # rank 0 downloads, then waits; rank 1 waits, then uses the verified cache
    assert events == ['barrier', ('requests', 1), 'barrier', ('requests', 1)]
    zoo_server.corrupt.add(path)
    os.remove(cache / os.path.basename(path))
    monkeypatch.setattr(mmengine.dist, 'get_dist_info', lambda *a: (0, 2))
    with pytest.raises(ChecksumMismatchError):  # still reaches the barrier first: nobody hangs
        load_from_http_verified(url)
    assert events[-1] == 'barrier'


def write_zoo(root, url, sha256=None, name='denoiserep_toy_8xb32_in1k'):
    meta = root / 'configs' / 'denoiserep'
    meta.mkdir(parents=True, exist_ok=True)
    lines = ['Collections:', '  - Name: DenoiseRep', 'Models:', f'  - Name: {name}',
             '    In Collection: DenoiseRep', f'    Config: configs/denoiserep/{name}.py',
             f'    Weights: {url}']
    if sha256:
        lines.append(f'    Weights-SHA256: {sha256}')
    (meta / 'metafile.yml').write_text('\n'.join(lines) + '\n')
    index = root / 'model-index.yml'
    index.write_text('Import:\n  - configs/denoiserep/metafile.yml\n')
    return index


def test_zoo_name_resolves_through_model_index(zoo_server, cache, served, tmp_path):
    url, path, data, _ = served
    index = write_zoo(tmp_path / 'zoo', url, sha256_of(data))
    model = resolve_zoo_model('denoiserep_toy_8xb32_in1k', str(index))
    assert (model.weights, model.sha256) == (url, sha256_of(data))
    local = download_checkpoint('denoiserep_toy_8xb32_in1k', model_index=str(index))
    assert open(local, 'rb').read() == data
    with pytest.raises(DownloadError, match='did you mean denoiserep_toy_8xb32_in1k'):
        resolve_zoo_model('denoiserep_toy_8xb32_in1', str(index))


def test_zoo_full_hash_decides(zoo_server, cache, served, tmp_path):
    url, path, data, _ = served
    wrong = 'f' * 64
    index = write_zoo(tmp_path / 'zoo', url, wrong)
    with pytest.warns(UserWarning, match='not a prefix'), \
            pytest.raises(ChecksumMismatchError, match=wrong):
        download_checkpoint('denoiserep_toy_8xb32_in1k', model_index=str(index))
    assert listing(cache) == []
    index = write_zoo(tmp_path / 'zoo2', url, 'not-a-hash')
    with pytest.raises(DownloadError, match='Weights-SHA256'):
        resolve_zoo_model('denoiserep_toy_8xb32_in1k', str(index))


def test_download_tool(zoo_server, cache, served, tmp_path, capsys):
    url, path, data, _ = served
    tool = load_tool('download_checkpoint')
    index = write_zoo(tmp_path / 'zoo', url, sha256_of(data))
    dest = tmp_path / 'dest'
    assert tool.main(['denoiserep_toy_8xb32_in1k', '--model-index', str(index),
                      '--dest', str(dest)]) == 0
    out = capsys.readouterr().out
    assert str(dest / os.path.basename(path)) in out and sha256_of(data) in out
    assert 'weights_only=True' in out and listing(cache) == []
    zoo_server.corrupt.add(path)
    assert tool.main([url]) == 1
    err = capsys.readouterr().err
    assert re.search(r'error: sha256 mismatch for http://127\.0\.0\.1:\d+/zoo/', err)
    assert listing(cache) == []


def test_repository_weights_are_verified_in_place(cache, tmp_path):
    """A metafile may name weights kept in the repository by a path relative to the root
    (model-index.yml's folder): they are verified like a download, never copied or deleted."""
    data, ckpt = checkpoint_bytes(1)
    root = tmp_path / 'zoo'
    rel = f'data/checkpoints/denoiserep_toy_8xb32_20240101-{sha256_of(data)[:8]}.pth'
    (root / 'data' / 'checkpoints').mkdir(parents=True)
    (root / rel).write_bytes(data)
    index = write_zoo(root, rel, None)
    local = download_checkpoint('denoiserep_toy_8xb32_in1k', model_index=str(index))
    assert local == str(root / rel) and listing(cache) == []
    assert torch.equal(load_checkpoint_file(local)['state_dict']['linear.bias'],
                       ckpt['state_dict']['linear.bias'])

    # a corrupted repository file is refused and kept (it is not ours to delete)
    (root / rel).write_bytes(data[:-10] + b'0123456789')
    with pytest.raises(ChecksumMismatchError):
        download_checkpoint('denoiserep_toy_8xb32_in1k', model_index=str(index))
    assert (root / rel).is_file()
    # a missing one is named
    (root / rel).unlink()
    with pytest.raises(DownloadError, match='does not exist'):
        download_checkpoint('denoiserep_toy_8xb32_in1k', model_index=str(index))
