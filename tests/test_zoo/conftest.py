"""Fixtures of the model-zoo tests: a real HTTP server on loopback (Range support, cut transfers,
corrupted files), an isolated checkpoint cache, and a real training checkpoint of a tiny
DenoiseRep model (with the deploy weights DenoiseRepDeployHook adds)."""
import http.server
import re
import threading

import pytest
import torch

import mmdenoise  # noqa: F401  (safe local checkpoint loading, registries)
import mmdenoise.apis.download  # noqa: F401  (the verified http(s) loader for MMEngine)


class ZooServer:
    """What the handler serves and records.

    files: URL path -> bytes. ranges: honour ``Range`` (else answer 200 with the whole file).
    cuts: URL path -> list of byte counts; each request pops one and the transfer is cut after
    that many body bytes (the promised Content-Length stays the full one). corrupt: paths whose
    served bytes have one byte flipped. requests: (path, Range header or None, status) per
    request.
    """

    def __init__(self):
        self.files = {}
        self.ranges = True
        self.cuts = {}
        self.corrupt = set()
        self.requests = []
        self.lock = threading.Lock()
        self.httpd = None

    def url(self, path):
        return f'http://127.0.0.1:{self.httpd.server_address[1]}{path}'

    def add(self, path, data):
        self.files[path] = data
        return self.url(path)

    def requests_for(self, path):
        return [(rng, status) for p, rng, status in self.requests if p == path]


def _handler(server: ZooServer):

    class Handler(http.server.BaseHTTPRequestHandler):

        def log_message(self, *args):  # quiet
            pass

        def _record(self, path, rng, status):
            with server.lock:
                server.requests.append((path, rng, status))

        def do_GET(self):
            path = self.path.split('?', 1)[0]
            rng = self.headers.get('Range')
            if path not in server.files:
                self._record(path, rng, 404)
                self.send_error(404)
                return
            data = server.files[path]
            if path in server.corrupt:
                data = data[:len(data) // 2] + bytes([data[len(data) // 2] ^ 0xFF]) + \
                    data[len(data) // 2 + 1:]
            status, body, start = 200, data, 0
            match = re.fullmatch(r'bytes=(\d+)-(\d*)', rng or '')
            if server.ranges and match:
                start = int(match.group(1))
                end = int(match.group(2)) if match.group(2) else len(data) - 1
                if start >= len(data):
                    self._record(path, rng, 416)
                    self.send_response(416)
                    self.send_header('Content-Range', f'bytes */{len(data)}')
                    self.send_header('Content-Length', '0')
                    self.end_headers()
                    return
                status, body = 206, data[start:end + 1]
            self._record(path, rng, status)
            self.send_response(status)
            self.send_header('Content-Type', 'application/octet-stream')
            self.send_header('Content-Length', str(len(body)))
            if server.ranges:
                self.send_header('Accept-Ranges', 'bytes')
            if status == 206:
                self.send_header('Content-Range',
                                 f'bytes {start}-{start + len(body) - 1}/{len(data)}')
            self.end_headers()
            cuts = server.cuts.get(path)
            if cuts:
                body = body[:cuts.pop(0)]
                self.close_connection = True
            self.wfile.write(body)
            self.wfile.flush()

    return Handler


@pytest.fixture
def zoo_server(monkeypatch):
    """A fresh loopback HTTP server (127.0.0.1, port 0) for one test."""
    for var in ('http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'all_proxy',
                'ALL_PROXY'):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv('no_proxy', '*')
    monkeypatch.setenv('NO_PROXY', '*')
    server = ZooServer()
    server.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _handler(server))
    server.httpd.daemon_threads = True
    thread = threading.Thread(target=server.httpd.serve_forever, kwargs=dict(poll_interval=0.02),
                              daemon=True)
    thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()
    thread.join(5)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty torch hub folder for this test: the cache is ``<it>/checkpoints``."""
    hub = tmp_path / 'hub'
    monkeypatch.setattr(torch.hub, '_hub_dir', str(hub))
    from mmdenoise.apis.download import cache_dir
    assert cache_dir() == str(hub / 'checkpoints')
    return hub / 'checkpoints'


@pytest.fixture(scope='session')
def training_checkpoint(tmp_path_factory):
    """A training checkpoint as ``Runner.save_checkpoint`` writes it, with
    ``DenoiseRepDeployHook``'s ``deploy_state_dict``: mmengine's ToyModel with DenoiseRep
    denoisers after one SGD step, real ``MessageHub`` buffers, optimizer and scheduler states,
    numpy objects in ``meta`` (built directly: a Runner, or importing mmdenoise.models, which
    imports mmpretrain / mmdet, takes too long for these tests)."""
    import numpy as np
    from mmengine.logging import MessageHub
    from mmengine.optim.scheduler import MultiStepLR
    from mmengine.testing.runner_test_case import ToyModel

    from mmdenoise.denoiserep import attach_denoisers, fuse
    torch.manual_seed(0)
    model = ToyModel()  # what DenoiseRepWrapper(architecture=ToyModel, attach=...) holds
    attach_denoisers(model, layer_types=('Linear', ))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = MultiStepLR(optimizer, milestones=[1])
    sum(p.sum() for p in model.parameters()).backward()
    optimizer.step()
    scheduler.step()
    hub = MessageHub.get_instance('zoo_training_checkpoint')
    for i in range(3):
        hub.update_scalar('train/loss', 1.0 / (i + 1))
    hub.update_info('epoch', 1)
    checkpoint = {
        'meta': dict(epoch=1, iter=4, cfg='model = dict(type="DenoiseRepWrapper")\n', seed=0,
                     experiment_name='denoiserep_toy_8xb32_in1k_20240102_030405',
                     time='20240102_030405', mmengine_version='0.10.7',
                     dataset_meta=dict(classes=('a', 'b'), palette=np.array([[1, 2, 3]]),
                                       weights=np.float32(0.5), count=np.int64(7),
                                       dtype=np.dtype('float32'))),
        'state_dict': model.state_dict(),
        'message_hub': hub.state_dict(),
        'optimizer': optimizer.state_dict(),
        'param_schedulers': [scheduler.state_dict()],
        'deploy_state_dict': fuse(model).state_dict(),  # = DenoiseRepWrapper.deploy_state_dict
    }
    out = tmp_path_factory.mktemp('training') / 'epoch_1.pth'
    torch.save(checkpoint, out)
    return out
