"""The logic of ``tools/demo.py`` (``make demo``): DenoiseRep end to end on embedded real data.

Stages (each a subprocess of the project's own tools, run with the same Python):

1. ``baseline``: train a small ResNet classifier on ``data/fashion-mnist-mini`` with
   ``tools/train.py`` (plain mmpretrain config);
2. ``denoiserep``: attach denoisers to its convolutions and train them label-free from the
   baseline checkpoint (``tools/train.py ... --cfg-options load_from=<baseline ckpt>``);
3. ``fuse``: fold the denoisers into the convolution weights with
   ``tools/fuse_checkpoint.py ... --verify --force`` (prints ``max_abs_err=... max_rel_err=...``);
4. ``test-baseline`` / ``test-fused``: evaluate the baseline checkpoint and the fused weights with
   the *untouched* baseline config (``tools/test.py``);
5. ``compare`` (in process): parameter counts, state-dict keys and shapes, and the latency of the
   fused model relative to the baseline (:func:`mmdenoise.apis.benchmark.measure_latency`).

Then one summary table. Each stage's full log goes to ``work_dirs/demo/logs/<stage>.log``; only
the training / evaluation lines are echoed. A failing stage stops the demo with
:class:`DemoError` naming it (``tools/demo.py`` exits 1).

The embedded data set is made by :func:`make_subset` (``tools/demo.py --make-subset``).
"""
from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import os.path as osp
import re
import subprocess
import sys
import time
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np

__all__ = [
    'DemoError', 'REPO_ROOT', 'SUBSET_DIR', 'FASHION_MNIST_SYSTEM_DIR', 'IDX_FILES',
    'read_idx', 'write_idx', 'select_first_per_class', 'make_subset', 'parse_fuse_errors',
    'parse_accuracy', 'find_test_metrics', 'read_last_checkpoint', 'run_stage', 'compare_models',
    'format_summary', 'run_demo', 'main'
]

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
#: the embedded subset (relative to the repository root, as the demo configs use it)
SUBSET_DIR = osp.join('data', 'fashion-mnist-mini')
#: where Debian's ``dataset-fashion-mnist`` package puts the full data set
FASHION_MNIST_SYSTEM_DIR = '/usr/share/datasets/fashion-mnist'
#: split -> (images file, labels file), the names mmpretrain's ``FashionMNIST`` reads
#: (uncompressed: it strips ``.gz`` from its file list and opens the files as they are)
IDX_FILES = {
    'train': ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
    'test': ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'),
}
#: default subset size: images per class
SUBSET_PER_CLASS = {'train': 250, 'test': 100}

CONFIG_DIR = osp.join('configs', 'demo')
BASELINE_CONFIG = osp.join(CONFIG_DIR, 'resnet18-w16_fashion-mnist-mini.py')
DENOISEREP_CONFIG = osp.join(CONFIG_DIR, 'denoiserep-label-free_resnet18-w16_fashion-mnist-mini.py')
DEPLOY_CONFIG = BASELINE_CONFIG  # the untouched baseline config
WORK_DIR = osp.join('work_dirs', 'demo')


class DemoError(RuntimeError):
    """A demo stage failed; ``stage`` names it."""

    def __init__(self, stage: str, message: str):
        super().__init__(f'stage {stage!r} failed: {message}')
        self.stage = stage


# ---------------------------------------------------------------------------- the data subset

_IDX_DTYPES = {0x08: np.uint8}


def _open(path: str):
    return gzip.open(path, 'rb') if path.endswith('.gz') else open(path, 'rb')


def read_idx(path: str) -> np.ndarray:
    """Read an idx file (``.gz`` or not) of unsigned bytes: images ``(N, H, W)``, labels ``(N,)``.

    The header is the magic ``0x0000 08 <ndim>`` and ``ndim`` big-endian int32 sizes (so images
    start at byte 16, labels at byte 8).
    """
    with _open(path) as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f'{path}: not an idx file')
    dtype = _IDX_DTYPES.get(data[2])
    if dtype is None:
        raise ValueError(f'{path}: unsupported idx element type 0x{data[2]:02x}')
    ndim = data[3]
    shape = tuple(int(v) for v in np.frombuffer(data, dtype='>i4', count=ndim, offset=4))
    array = np.frombuffer(data, dtype=dtype, offset=4 + 4 * ndim)
    if array.size != int(np.prod(shape)):
        raise ValueError(f'{path}: {array.size} values for shape {shape}')
    return array.reshape(shape)


def write_idx(path: str, array: np.ndarray) -> None:
    """Write a uint8 array as an (uncompressed) idx file, byte-compatible with the originals."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 0x08, array.ndim]) + np.asarray(array.shape, dtype='>i4').tobytes()
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(header)
        f.write(array.tobytes())
    os.replace(tmp, path)


def select_first_per_class(labels: np.ndarray, per_class: int,
                           num_classes: int = 10) -> np.ndarray:
    """Indices of the first ``per_class`` samples of every class, in the original file order."""
    labels = np.asarray(labels)
    chosen = []
    for cls in range(num_classes):
        idx = np.flatnonzero(labels == cls)[:per_class]
        if len(idx) < per_class:
            raise ValueError(f'class {cls} has only {len(idx)} samples, {per_class} requested')
        chosen.append(idx)
    return np.sort(np.concatenate(chosen))


def _sha256(path: str) -> str:
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def make_subset(source_dir: str = FASHION_MNIST_SYSTEM_DIR,
                out_dir: str = SUBSET_DIR,
                per_class: Optional[Dict[str, int]] = None) -> Dict[str, Any]:
    """Make the embedded Fashion-MNIST subset: the first ``per_class[split]`` images of every
    class of each official split (original order kept), written as uncompressed idx files under
    the names mmpretrain's ``FashionMNIST`` dataset reads.

    ``source_dir`` holds the official ``{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]`` files
    (``apt-get install dataset-fashion-mnist`` puts them in ``/usr/share/datasets/fashion-mnist``).
    Deterministic: the same source gives byte-identical files. Returns per file its count and
    sha256 (also written to ``out_dir/SHA256SUMS``).
    """
    per_class = dict(SUBSET_PER_CLASS if per_class is None else per_class)
    os.makedirs(out_dir, exist_ok=True)
    report: Dict[str, Any] = {}
    for split, (img_name, lbl_name) in IDX_FILES.items():
        sources = []
        for name in (img_name, lbl_name):
            candidates = [osp.join(source_dir, name + '.gz'), osp.join(source_dir, name)]
            found = [p for p in candidates if osp.isfile(p)]
            if not found:
                raise FileNotFoundError(
                    f'{candidates[0]} not found (apt-get install dataset-fashion-mnist)')
            sources.append(found[0])
        images, labels = read_idx(sources[0]), read_idx(sources[1])
        if images.shape[0] != labels.shape[0]:
            raise ValueError(f'{split}: {images.shape[0]} images but {labels.shape[0]} labels')
        keep = select_first_per_class(labels, per_class[split])
        write_idx(osp.join(out_dir, img_name), images[keep])
        write_idx(osp.join(out_dir, lbl_name), labels[keep])
        report[split] = dict(num_images=int(len(keep)), per_class=per_class[split],
                             source_images=int(images.shape[0]),
                             last_source_index=int(keep.max()))
    sums = OrderedDict()
    for img_name, lbl_name in IDX_FILES.values():
        for name in (img_name, lbl_name):
            sums[name] = _sha256(osp.join(out_dir, name))
    with open(osp.join(out_dir, 'SHA256SUMS'), 'w') as f:
        f.writelines(f'{digest}  {name}\n' for name, digest in sums.items())
    report['sha256'] = dict(sums)
    report['bytes'] = int(sum(osp.getsize(osp.join(out_dir, n)) for n in sums))
    return report


# ---------------------------------------------------------------------------- parsing tool output

_FLOAT = r'([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|nan|inf)'


def parse_fuse_errors(text: str) -> Dict[str, float]:
    """``{'max_abs_err', 'max_rel_err'}`` from ``tools/fuse_checkpoint.py --verify`` output
    (the last occurrence of each).

    Raises:
        ValueError: either value is missing.
    """
    out = {}
    for key in ('max_abs_err', 'max_rel_err'):
        found = re.findall(rf'{key}={_FLOAT}', text)
        if not found:
            raise ValueError(f'no {key}=... in the fuse output')
        out[key] = float(found[-1])
    return out


def parse_accuracy(text: str, key: str = 'accuracy/top1') -> float:
    """The last ``accuracy/top1: <value>`` of an MMEngine test (or validation) log, in percent.

    Raises:
        ValueError: no such metric in ``text``.
    """
    found = re.findall(rf'{re.escape(key)}: {_FLOAT}', text)
    if not found:
        raise ValueError(f'no "{key}: ..." in the log')
    return float(found[-1])


def find_test_metrics(work_dir: str, key: str = 'accuracy/top1') -> Optional[Dict[str, float]]:
    """The metrics of the newest ``tools/test.py`` run in ``work_dir``: MMEngine's LoggerHook
    dumps them to ``work_dir/<timestamp>/<timestamp>.json``. None if there is none with ``key``."""
    if not osp.isdir(work_dir):
        return None
    runs = sorted(d for d in os.listdir(work_dir)
                  if re.fullmatch(r'\d{8}_\d{6}', d) and osp.isdir(osp.join(work_dir, d)))
    for run in reversed(runs):
        path = osp.join(work_dir, run, f'{run}.json')
        if not osp.isfile(path):
            continue
        try:
            with open(path) as f:
                metrics = json.load(f)
        except (OSError, ValueError):
            continue
        if isinstance(metrics, dict) and key in metrics:
            return {k: float(v) for k, v in metrics.items() if isinstance(v, (int, float))}
    return None


def read_last_checkpoint(work_dir: str) -> str:
    """The checkpoint named in ``work_dir/last_checkpoint`` (MMEngine's CheckpointHook).

    Raises:
        FileNotFoundError: no ``last_checkpoint`` or the file it names is missing.
    """
    marker = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        raise FileNotFoundError(f'{marker} not found')
    with open(marker) as f:
        path = f.read().strip()
    if not osp.isfile(path):  # a moved work dir: the file next to the marker
        candidate = osp.join(work_dir, osp.basename(path))
        path = candidate if osp.isfile(candidate) else path
    if not osp.isfile(path):
        raise FileNotFoundError(f'{marker} names {path}, which does not exist')
    return path


# ---------------------------------------------------------------------------- running the tools

#: mmengine log lines worth echoing while a tool runs (the rest goes to the stage's log file)
_ECHO_TRAIN = re.compile(r'Epoch\((?:train|val|test)\)|Saving checkpoint|DenoiseRep: |'
                         r'Load checkpoint from|Traceback|Error|error:')
_LOG_PREFIX = re.compile(
    r'^(?:\d{4}/)?\d{2}/\d{2} (\d{2}:\d{2}:\d{2}) - mmengine - \w+ - ')


def _echo_line(line: str) -> str:
    """An mmengine log line without its date / logger prefix (the time is kept)."""
    return _LOG_PREFIX.sub(r'\1 ', line.rstrip())


def run_stage(stage: str,
              cmd: Sequence[str],
              log_path: str,
              echo: Optional[re.Pattern] = _ECHO_TRAIN,
              cwd: str = REPO_ROOT,
              printer: Callable[[str], None] = print,
              tail_on_error: int = 40) -> str:
    """Run ``cmd`` (stdout and stderr merged), save its whole output to ``log_path``, echo the
    lines matching ``echo`` (None: all) prefixed with the stage name, and return the output.

    Raises:
        DemoError: the command cannot start or exits non-zero (its last lines are printed).
    """
    os.makedirs(osp.dirname(osp.abspath(log_path)), exist_ok=True)
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    lines: List[str] = []
    try:
        proc = subprocess.Popen(list(cmd), cwd=cwd, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, bufsize=1)
    except OSError as err:
        raise DemoError(stage, f'cannot start {cmd[0]}: {err}') from err
    with open(log_path, 'w') as log:
        log.write('$ ' + ' '.join(cmd) + '\n')
        assert proc.stdout is not None
        for line in proc.stdout:
            log.write(line)
            lines.append(line)
            if echo is None or echo.search(line):
                printer(f'  [{stage}] {_echo_line(line)}')
        rc = proc.wait()
    output = ''.join(lines)
    if rc != 0:
        tail = [_echo_line(x) for x in lines[-tail_on_error:]]
        printer(f'  [{stage}] --- last {len(tail)} lines of {log_path} ---')
        for line in tail:
            printer(f'  [{stage}] {line}')
        raise DemoError(stage, f'{" ".join(cmd[:3])} ... exited with code {rc} (log: {log_path})')
    return output


# ---------------------------------------------------------------------------- in-process comparison

@contextlib.contextmanager
def _quiet_mmengine_logger():
    """Hide mmengine's INFO lines (e.g. 'Loads checkpoint by ...') while the demo works in
    process."""
    import logging

    from mmengine.logging import MMLogger
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def _load_state(path: str) -> Dict[str, Any]:
    from mmengine.runner.checkpoint import CheckpointLoader
    with _quiet_mmengine_logger():
        ckpt = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    state = ckpt.get('state_dict', ckpt) if isinstance(ckpt, dict) else ckpt
    return OrderedDict(state)


def _test_images(data_dir: str, limit: Optional[int] = None):
    """The embedded test split as the configs' pipeline sees it: ``(N, 3, 28, 28)`` uint8 (grey
    replicated to 3 channels) and ``(N,)`` int64 labels."""
    import torch
    img_name, lbl_name = IDX_FILES['test']
    images = read_idx(osp.join(data_dir, img_name))
    labels = read_idx(osp.join(data_dir, lbl_name)).astype(np.int64)
    if limit is not None:
        images, labels = images[:limit], labels[:limit]
    images = torch.from_numpy(np.repeat(images[:, None], 3, axis=1).copy())
    return images, torch.from_numpy(labels)


def _logits(model, images, batch_size: int = 250):
    """``model(inputs, mode='tensor')`` over ``images`` after the model's own data preprocessor."""
    import torch
    outs = []
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            batch = [img for img in images[start:start + batch_size]]
            data = model.data_preprocessor(dict(inputs=batch, data_samples=None), False)
            out = model(data['inputs'], None, mode='tensor')
            outs.append(out[-1] if isinstance(out, (list, tuple)) else out)
    return torch.cat(outs)


def _num_params(model) -> int:
    return int(sum(p.numel() for p in model.parameters()))


def compare_models(baseline_config: str,
                   baseline_checkpoint: str,
                   denoiserep_config: str,
                   denoiserep_checkpoint: str,
                   deploy_checkpoint: str,
                   deploy_config: Optional[str] = None,
                   data_dir: str = SUBSET_DIR,
                   latency_batch: int = 32,
                   latency_repeats: int = 30,
                   latency_warmup: int = 5) -> Dict[str, Any]:
    """Load the baseline, the DenoiseRep wrapper (unfused) and the fused deploy model and compare
    them in process: parameter counts, state-dict keys and shapes, predictions on the embedded
    test split, and latency (interleaved, :func:`~mmdenoise.apis.benchmark.measure_latency`).

    The baseline and the fused weights both load with ``strict=True`` into the model of the deploy
    config (default: the baseline config).
    """
    import torch

    from .benchmark import measure_latency
    from .fuse_checkpoint import build_model_from_cfg, load_training_weights, strict_load
    from .runner_setup import load_config

    deploy_cfg = load_config(deploy_config or baseline_config)
    baseline = build_model_from_cfg(deploy_cfg)
    base_state = _load_state(baseline_checkpoint)
    strict_load(baseline, base_state, f'{baseline_checkpoint} vs the deploy config')
    fused = build_model_from_cfg(deploy_cfg)
    fused_state = _load_state(deploy_checkpoint)
    strict_load(fused, fused_state, f'{deploy_checkpoint} vs the deploy config')
    wrapper = build_model_from_cfg(load_config(denoiserep_config))
    load_training_weights(wrapper, _load_state(denoiserep_checkpoint), denoiserep_checkpoint)
    for model in (baseline, fused, wrapper):
        model.eval()

    same_layout = (list(base_state) == list(fused_state) and all(
        tuple(base_state[k].shape) == tuple(fused_state[k].shape) for k in base_state))
    changed = [k for k in base_state if not torch.equal(base_state[k], fused_state[k])]

    images, labels = _test_images(data_dir)
    logits = {name: _logits(model, images)
              for name, model in (('baseline', baseline), ('fused', fused), ('unfused', wrapper))}
    preds = {name: out.argmax(1) for name, out in logits.items()}
    acc = {name: float((p == labels).float().mean() * 100) for name, p in preds.items()}
    fused_vs_baseline = dict(
        agree=int((preds['fused'] == preds['baseline']).sum()), total=int(len(labels)),
        max_abs_diff=float((logits['fused'] - logits['baseline']).abs().max()))
    ref = logits['unfused'].double()
    fused_vs_unfused = dict(
        agree=int((preds['fused'] == preds['unfused']).sum()),
        total=int(len(labels)),
        max_abs_diff=float((logits['fused'].double() - ref).abs().max()),
        max_rel_diff=float((logits['fused'].double() - ref).abs().max() / ref.abs().max()))

    batch = [img for img in images[:latency_batch]]
    inputs = baseline.data_preprocessor(dict(inputs=batch, data_samples=None), False)['inputs']
    latency = measure_latency(
        {
            'baseline': lambda x: baseline(x, None, mode='tensor'),
            'fused': lambda x: fused(x, None, mode='tensor'),
            'unfused': lambda x: wrapper(x, None, mode='tensor'),
        },
        inputs,
        repeats=latency_repeats,
        warmup=latency_warmup)
    return dict(
        params=dict(baseline=_num_params(baseline), fused=_num_params(fused),
                    unfused=_num_params(wrapper)),
        num_keys=dict(baseline=len(base_state), fused=len(fused_state)),
        same_layout=bool(same_layout),
        changed_tensors=len(changed),
        accuracy_in_process=acc,
        fused_vs_unfused=fused_vs_unfused,
        fused_vs_baseline=fused_vs_baseline,
        latency=latency,
        latency_batch=int(inputs.shape[0]),
        input_shape=list(inputs.shape))


def same_state_dict(path_a: str, path_b: str) -> bool:
    """Whether two checkpoints hold bit-identical state dicts (same keys, dtypes, values)."""
    import torch
    a, b = _load_state(path_a), _load_state(path_b)
    return list(a) == list(b) and all(
        a[k].dtype == b[k].dtype and a[k].shape == b[k].shape and torch.equal(a[k], b[k])
        for k in a)


# ---------------------------------------------------------------------------- the summary

def _fmt_int(value: Any) -> str:
    return f'{value:,}' if isinstance(value, int) else str(value)


def format_summary(results: Dict[str, Any]) -> str:
    """The demo's summary table from the collected results (see :func:`run_demo`)."""
    acc = results.get('accuracy', {})
    cmp_ = results.get('compare', {})
    params = cmp_.get('params', {})
    fuse_err = results.get('fuse', {})
    lat = cmp_.get('latency', {})
    fvu = cmp_.get('fused_vs_unfused', {})

    def pct(v):
        return f'{v:.2f}' if isinstance(v, (int, float)) else 'n/a'

    def lat_ms(name):
        return f'{lat[name]["median"] * 1e3:.2f}' if name in lat else 'n/a'

    def ratio(name):
        if name not in lat:
            return 'n/a'
        lo, hi = lat[name]['ratio_iqr']
        return f'{lat[name]["ratio"]:.3f} (IQR {lo:.3f}-{hi:.3f})'

    width = 78
    base_acc, fused_acc = acc.get('baseline'), acc.get('fused')
    delta = (f'{fused_acc - base_acc:+.2f} pt'
             if isinstance(base_acc, float) and isinstance(fused_acc, float) else '')
    p_base, p_fused = params.get('baseline'), params.get('fused')
    rows = [
        ('', 'baseline', 'fused (deploy)', 'note'),
        ('top-1 accuracy (%)', pct(base_acc), pct(fused_acc),
         f'{delta}, tools/test.py, {_fmt_int(results.get("num_test", "?"))} test images'),
        ('parameters', _fmt_int(p_base), _fmt_int(p_fused),
         'equal: ' + ('yes' if p_base == p_fused and p_base is not None else 'NO')),
        ('state-dict tensors', _fmt_int(cmp_.get('num_keys', {}).get('baseline')),
         _fmt_int(cmp_.get('num_keys', {}).get('fused')),
         'same keys and shapes: ' + ('yes' if cmp_.get('same_layout') else 'NO') +
         f'; {cmp_.get("changed_tensors", "?")} tensors changed by fusion'),
        (f'latency (ms, batch {cmp_.get("latency_batch", "?")})', lat_ms('baseline'),
         lat_ms('fused'), f'fused/baseline = {ratio("fused")}, median of '
         f'{lat.get("repeats", "?")} interleaved runs'),
    ]
    lines = ['=' * width, 'DenoiseRep demo: summary'.center(width), '=' * width]
    for name, a, b, note in rows:
        lines.append(f'{name:<26}{a:>12}{b:>16}  {note}')
    lines.append('-' * width)
    if fuse_err:
        lines.append(f'fusion error (fuse_checkpoint --verify): '
                     f'max_abs_err={fuse_err["max_abs_err"]:.3e} '
                     f'max_rel_err={fuse_err["max_rel_err"]:.3e}')
    if fvu:
        lines.append(f'fused vs unfused wrapper on the test images: predictions agree '
                     f'{fvu["agree"]}/{fvu["total"]}, max |logit diff| '
                     f'{fvu["max_abs_diff"]:.2e} (rel {fvu["max_rel_diff"]:.2e})')
    fvb = cmp_.get('fused_vs_baseline')
    if fvb:
        lines.append(f'fused vs baseline (what the denoisers changed): predictions agree '
                     f'{fvb["agree"]}/{fvb["total"]}, max |logit diff| {fvb["max_abs_diff"]:.2e}')
    if 'unfused' in params:
        lines.append(f'unfused wrapper (training form): {_fmt_int(params["unfused"])} parameters, '
                     f'latency {lat_ms("unfused")} ms = {ratio("unfused")} x baseline')
    if 'hook_deploy_identical' in results:
        lines.append('DenoiseRepDeployHook deploy.pth == fuse_checkpoint output: ' +
                     ('bit-identical' if results['hook_deploy_identical'] else 'DIFFERENT'))
    if results.get('stage_times'):
        times = ', '.join(f'{k} {v:.0f}s' for k, v in results['stage_times'].items())
        lines.append(f'stage wall times: {times}')
    if results.get('wall_time') is not None:
        lines.append(f'total wall time: {results["wall_time"]:.0f} s')
    lines.append('=' * width)
    return '\n'.join(lines)


# ---------------------------------------------------------------------------- the demo

def run_demo(work_dir: str = WORK_DIR,
             baseline_config: str = BASELINE_CONFIG,
             denoiserep_config: str = DENOISEREP_CONFIG,
             deploy_config: str = DEPLOY_CONFIG,
             data_dir: str = SUBSET_DIR,
             latency_batch: int = 32,
             latency_repeats: int = 30,
             printer: Callable[[str], None] = print) -> Dict[str, Any]:
    """Run the demo (see the module docstring) from the repository root; returns the results
    (``format_summary`` renders them). Paths are relative to the repository root.

    Raises:
        DemoError: a stage failed (``err.stage`` names it).
    """
    os.chdir(REPO_ROOT)
    py = sys.executable
    logs = osp.join(work_dir, 'logs')
    results: Dict[str, Any] = dict(stage_times=OrderedDict())
    start_all = time.perf_counter()

    def stage(name: str, title: str):
        printer(f'==> [{name}] {title}')
        return time.perf_counter()

    def done(name: str, t0: float):
        results['stage_times'][name] = time.perf_counter() - t0
        printer(f'<== [{name}] done in {results["stage_times"][name]:.0f} s')

    # 0: the data
    missing = [n for pair in IDX_FILES.values() for n in pair
               if not osp.isfile(osp.join(data_dir, n))]
    if missing:
        raise DemoError('data', f'{data_dir} lacks {", ".join(missing)} (the embedded subset; '
                        'remake it with tools/demo.py --make-subset)')
    results['num_test'] = int(read_idx(osp.join(data_dir, IDX_FILES['test'][1])).shape[0])

    # 1: baseline
    base_dir = osp.join(work_dir, 'baseline')
    t0 = stage('baseline', f'train the baseline: {baseline_config}')
    out = run_stage('baseline', [py, 'tools/train.py', baseline_config, '--work-dir', base_dir],
                    osp.join(logs, 'baseline.log'), printer=printer)
    try:
        base_ckpt = read_last_checkpoint(base_dir)
    except FileNotFoundError as err:
        raise DemoError('baseline', str(err)) from err
    try:
        results['val_accuracy_baseline'] = parse_accuracy(out)
    except ValueError:
        pass
    done('baseline', t0)

    # 2: denoisers
    dr_dir = osp.join(work_dir, 'denoiserep')
    t0 = stage('denoiserep', f'train the denoisers: {denoiserep_config}')
    run_stage('denoiserep', [py, 'tools/train.py', denoiserep_config, '--work-dir', dr_dir,
                             '--cfg-options', f'load_from={base_ckpt}'],
              osp.join(logs, 'denoiserep.log'), printer=printer)
    try:
        dr_ckpt = read_last_checkpoint(dr_dir)
    except FileNotFoundError as err:
        raise DemoError('denoiserep', str(err)) from err
    done('denoiserep', t0)

    # 3: fuse
    deploy_ckpt = osp.join(work_dir, 'deploy.pth')
    t0 = stage('fuse', f'fuse the denoisers into the weights -> {deploy_ckpt}')
    out = run_stage('fuse', [py, 'tools/fuse_checkpoint.py', denoiserep_config, dr_ckpt,
                             deploy_ckpt, '--deploy-config', deploy_config, '--verify', '--force',
                             '--input-shape', '28', '28'],
                    osp.join(logs, 'fuse.log'), echo=None, printer=printer)
    try:
        results['fuse'] = parse_fuse_errors(out)
    except ValueError as err:
        raise DemoError('fuse', str(err)) from err
    hook_deploy = osp.join(dr_dir, 'deploy.pth')
    if osp.isfile(hook_deploy):
        results['hook_deploy_identical'] = same_state_dict(hook_deploy, deploy_ckpt)
    done('fuse', t0)

    # 4: test both with the untouched baseline config
    results['accuracy'] = {}
    for name, ckpt in (('baseline', base_ckpt), ('fused', deploy_ckpt)):
        stage_name = f'test-{name}'
        t0 = stage(stage_name, f'test {ckpt} with {deploy_config}')
        test_dir = osp.join(work_dir, f'test_{name}')
        out = run_stage(stage_name, [py, 'tools/test.py', deploy_config, ckpt,
                                     '--work-dir', test_dir],
                        osp.join(logs, f'{stage_name}.log'), printer=printer)
        try:
            results['accuracy'][name] = parse_accuracy(out)
        except ValueError:
            metrics = find_test_metrics(test_dir)
            if metrics is None:
                raise DemoError(stage_name, f'no accuracy/top1 in the output nor in {test_dir}')
            results['accuracy'][name] = metrics['accuracy/top1']
        done(stage_name, t0)

    # 5: compare in process
    t0 = stage('compare', 'parameters, keys and shapes, predictions, latency (in process)')
    try:
        results['compare'] = compare_models(
            baseline_config, base_ckpt, denoiserep_config, dr_ckpt, deploy_ckpt,
            deploy_config=deploy_config, data_dir=data_dir, latency_batch=latency_batch,
            latency_repeats=latency_repeats)
    except Exception as err:  # noqa: BLE001 (any failure here is this stage's)
        raise DemoError('compare', f'{type(err).__name__}: {err}') from err
    cmp_ = results['compare']
    done('compare', t0)
    results['wall_time'] = time.perf_counter() - start_all

    problems = []
    if cmp_['params']['baseline'] != cmp_['params']['fused']:
        problems.append(f'parameter counts differ: {cmp_["params"]}')
    if not cmp_['same_layout']:
        problems.append('the fused state dict has other keys or shapes than the baseline')
    if problems:
        results['problems'] = problems
        raise DemoError('compare', '; '.join(problems))
    with open(osp.join(work_dir, 'summary.json'), 'w') as f:
        json.dump(_jsonable(results), f, indent=2)
    return results


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.generic, )):
        return obj.item()
    return obj


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``tools/demo.py``: run the demo, or (``--make-subset``) remake the embedded data set."""
    import argparse
    parser = argparse.ArgumentParser(
        description='DenoiseRep end to end on the embedded Fashion-MNIST subset: train a baseline, '
        'train its denoisers (label-free), fuse them, test both, compare.')
    parser.add_argument('--work-dir', default=WORK_DIR, help=f'default {WORK_DIR}')
    parser.add_argument('--baseline-config', default=BASELINE_CONFIG)
    parser.add_argument(
        '--denoiserep-config', default=DENOISEREP_CONFIG,
        help='the DenoiseRep training config (default: label-free; the label-augmented one is '
        'configs/demo/denoiserep-label-aug_resnet18-w16_fashion-mnist-mini.py)')
    parser.add_argument('--deploy-config', default=DEPLOY_CONFIG)
    parser.add_argument('--latency-batch', type=int, default=32)
    parser.add_argument('--latency-repeats', type=int, default=30)
    parser.add_argument(
        '--make-subset', action='store_true',
        help=f'(re)make {SUBSET_DIR} from the full Fashion-MNIST and exit')
    parser.add_argument(
        '--source', default=FASHION_MNIST_SYSTEM_DIR,
        help='folder of the full Fashion-MNIST idx files for --make-subset '
        '(default: where apt-get install dataset-fashion-mnist puts them)')
    args = parser.parse_args(argv)

    if args.make_subset:
        report = make_subset(args.source, osp.join(REPO_ROOT, SUBSET_DIR))
        print(json.dumps(report, indent=2))
        return 0

    start = time.perf_counter()
    try:
        results = run_demo(work_dir=args.work_dir, baseline_config=args.baseline_config,
                           denoiserep_config=args.denoiserep_config,
                           deploy_config=args.deploy_config,
                           latency_batch=args.latency_batch,
                           latency_repeats=args.latency_repeats)
    except DemoError as err:
        print(f'[demo] FAILED: {err}', file=sys.stderr)
        return 1
    results['wall_time'] = time.perf_counter() - start
    print(format_summary(results))
    return 0
