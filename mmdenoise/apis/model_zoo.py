"""Model-zoo metadata: read the metafiles, render ``model_zoo.md``, compute deploy complexity.

The metafiles (``configs/**/metafile.yml``, imported by the root ``model-index.yml``) follow the
OpenMMLab format (``Collections`` / ``Models`` with ``Name``, ``In Collection``, ``Config``,
``Metadata``, ``Results``, ``Weights``) with these project conventions:

* ``Models[].Metadata``: ``Task``, ``Backbone``, ``Mode`` (DenoiseRep training mode),
  ``Parameters`` / ``FLOPs`` (of the *deployed* model, i.e. the baseline architecture, computed by
  :func:`deploy_complexity`; ``null`` where no config exists), ``Input Size`` (``HxW`` they were
  computed at), ``Deploy Config`` (the plain config the fused weights load into),
  ``Latency Ratio`` (fused / baseline latency; ``null`` unless measured here, then a mapping
  ``{Value: <float>, Source: 'measured here, with <command>'}``).
* ``Models[].Results[]``: one entry per (dataset, metric): ``Task``, ``Dataset``,
  ``Metrics: {<metric>: <value with the method>}``, plus two keys of ours, ``Baseline`` (the same
  metric without the method, or ``null``) and ``Source`` (``'paper-reported: paper 000 Table 2
  ...'`` or ``'measured here, with <command>'``). ``modelindex`` loads them (it ignores unknown
  result keys), this module reads the YAML itself and keeps them.
* ``Config: null`` marks a model the papers report but this repository does not implement yet
  (rendered "not yet implemented"); ``Weights: null`` means nothing is published.

``python tools/misc/generate_model_zoo.py`` writes ``model_zoo.md`` from them
(:func:`render_model_zoo`); ``--check`` compares instead (:func:`check_model_zoo`);
``--check-complexity`` recomputes every row's ``Parameters`` / ``FLOPs`` from its config
(:func:`check_complexity`).
"""
import copy
import difflib
import glob
import os
import os.path as osp
import re
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import yaml

MODEL_INDEX = 'model-index.yml'
MODEL_ZOO_MD = 'model_zoo.md'
SOURCE_PREFIXES = ('paper-reported', 'measured here')
DENOISEREP_CONFIG_RE = re.compile(r'^denoiserep-(label-free|label-aug|alternating)_(.+)\.py$')
NOT_IMPLEMENTED = 'not yet implemented'
DASH = '—'
GENERATOR = 'tools/misc/generate_model_zoo.py'
#: measured evidence (latency, training cost, real-data accuracy, fusion time), one markdown
#: fragment per script, written by the ``tools/analysis`` scripts with ``--record``
EVIDENCE_DIR = osp.join('docs', 'evidence')
_Loader = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)  # libyaml when available


def repo_root() -> str:
    """The repository root (the folder holding ``model-index.yml`` and ``configs/``)."""
    return osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


# ----------------------------------------------------------------------------------------------
# reading


def metafile_paths(root: Optional[str] = None) -> List[str]:
    """Metafiles imported by ``model-index.yml``, relative to ``root``, in import order."""
    root = root or repo_root()
    with open(osp.join(root, MODEL_INDEX), encoding='utf-8') as f:
        index = yaml.load(f, Loader=_Loader) or {}
    return [osp.normpath(p) for p in index.get('Import', [])]


_CACHE: Dict[str, Tuple[Tuple[int, int], dict]] = {}


def load_metafile(path: str) -> dict:
    """A metafile as plain data (a fresh copy; parsed once per file version)."""
    stat = os.stat(path)
    key = (stat.st_mtime_ns, stat.st_size)
    cached = _CACHE.get(path)
    if cached is None or cached[0] != key:
        with open(path, encoding='utf-8') as f:
            data = yaml.load(f, Loader=_Loader) or {}
        data.setdefault('Collections', [])
        data.setdefault('Models', [])
        _CACHE[path] = cached = (key, data)
    return copy.deepcopy(cached[1])


def load_metafiles(root: Optional[str] = None) -> List[Tuple[str, dict]]:
    """``(relative path, data)`` of every imported metafile."""
    root = root or repo_root()
    return [(rel, load_metafile(osp.join(root, rel))) for rel in metafile_paths(root)]


def all_models(root: Optional[str] = None) -> List[Tuple[str, dict]]:
    """``(metafile, model)`` for every model row of every metafile."""
    return [(rel, model) for rel, data in load_metafiles(root) for model in data['Models']]


def config_files(root: Optional[str] = None) -> List[str]:
    """Every config under ``configs/`` (``_base_`` folders excluded), relative to ``root``."""
    root = root or repo_root()
    found = glob.glob(osp.join(root, 'configs', '**', '*.py'), recursive=True)
    rels = [osp.relpath(p, root) for p in found]
    return sorted(r for r in rels if '_base_' not in r.split(os.sep))


def denoiserep_configs(root: Optional[str] = None) -> List[str]:
    """DenoiseRep training configs (``denoiserep-<mode>_<base>.py``), relative to ``root``."""
    return [r for r in config_files(root) if DENOISEREP_CONFIG_RE.match(osp.basename(r))]


# ----------------------------------------------------------------------------------------------
# rendering


def _fmt_number(value) -> str:
    if value is None:
        return DASH
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(value)
    return str(value)


def _fmt_count(value) -> str:
    """Parameters: 25557032 -> '25.56M'."""
    if value is None:
        return DASH
    if isinstance(value, (int, float)):
        if value >= 1e9:
            return f'{value / 1e9:.2f}G'
        if value >= 1e6:
            return f'{value / 1e6:.2f}M'
        if value >= 1e3:
            return f'{value / 1e3:.2f}K'
        return str(value)
    return str(value)


def _cell(text) -> str:
    return str(text).replace('|', '\\|').replace('\n', ' ')


def _latency(meta: dict) -> str:
    ratio = meta.get('Latency Ratio')
    if ratio is None:
        return DASH
    if isinstance(ratio, dict):
        value = ratio.get('Value')
        source = ratio.get('Source', '')
        return f'{_fmt_number(value)} ({source})' if source else _fmt_number(value)
    return _fmt_number(ratio)


def _parameters(meta: dict) -> str:
    params = meta.get('Parameters')
    if params is not None:
        return _fmt_count(params)
    paper = meta.get('Paper Parameters')
    if paper is not None:
        return f'{_fmt_count(paper)} (paper-reported)'
    return DASH


def zoo_rows(root: Optional[str] = None) -> List[Tuple[str, List[dict]]]:
    """The table rows, grouped by collection: ``[(collection name, [row, ...]), ...]``.

    One row per result (``(dataset, metric)``) of every model, one row with dashes for a
    model without results.
    """
    groups: Dict[str, List[dict]] = {}
    for rel, data in load_metafiles(root):
        for coll in data['Collections']:
            groups.setdefault(coll['Name'], [])
        for model in data['Models']:
            meta = model.get('Metadata') or {}
            config = model.get('Config')
            weights = model.get('Weights')
            if config:
                config_cell = f'[config]({config})'
                download = f'[model]({weights})' if weights else DASH
            else:
                config_cell = download = NOT_IMPLEMENTED
            common = dict(
                model=model['Name'],
                backbone=meta.get('Backbone', DASH),
                parameters=_parameters(meta),
                latency=_latency(meta),
                config=config_cell,
                download=download)
            results = model.get('Results') or []
            rows = []
            for result in results:
                (metric, value), = result['Metrics'].items()
                rows.append(dict(
                    common,
                    task=result.get('Task', meta.get('Task', DASH)),
                    dataset=result.get('Dataset', DASH),
                    metric=metric,
                    baseline=_fmt_number(result.get('Baseline')),
                    value=_fmt_number(value),
                    source=result.get('Source', DASH)))
            if not rows:
                rows.append(dict(
                    common, task=meta.get('Task', DASH),
                    dataset=meta.get('Training Data') or DASH, metric=DASH,
                    baseline=DASH, value=DASH, source='no result yet'))
            collection = model.get('In Collection', DASH)
            groups.setdefault(collection, []).extend(rows)
    return list(groups.items())


HEADER = f"""# Model zoo

<!-- Generated file: do not edit by hand. Edit configs/**/metafile.yml, then run
     python {GENERATOR} -->

This page is **generated** from the metafiles (`configs/**/metafile.yml`, imported by
[`model-index.yml`](model-index.yml)) by `python {GENERATOR}`;
`python {GENERATOR} --check` (also run by `tests/test_zoo_metadata`) exits non-zero when it is
out of date. To add or change a row, edit the metafile and regenerate.

**Where each number comes from** (column *source*):

- **paper-reported**: the authors' number, copied from the paper table named in the source
  (`paper 000` = DenoiseReID paper, `paper 001` = DenoiseRep NeurIPS slides, `paper 002` =
  D-SELACFP, `paper 003` = DGRL, `paper 004` = DFF poster). It was obtained with the authors'
  code, checkpoints and protocol; it is **not** a result of the config in the same row, and no
  weights of ours back it.
- **measured here**: measured in this repository; the source names the command that produced it.

Columns: *baseline* is the same metric without the method; *+DenoiseRep* (or the method named in
the section) is the metric with it. *parameters* is the parameter count of the deployed model
(for DenoiseRep: the fused model, which has exactly the baseline's architecture; heads included,
for ReID models the training-only ID classifier too), computed with
mmengine's complexity analysis (`python {GENERATOR} --complexity CONFIG`); FLOPs and the input
size they were counted at are in the metafiles; "(paper-reported)" marks a count copied from a
paper where no config exists. *fused/baseline latency ratio* is left empty until
measured here. *config* links the training config; "{NOT_IMPLEMENTED}" marks a model the papers
report that has no config here yet. *download* is empty (—) while no weights are published.
Segmentation numbers the slides give as fractions are shown in %.
"""

COLUMNS = ('task', 'model', 'backbone', 'dataset', 'metric', 'baseline', 'value', 'source',
           'parameters', 'latency', 'config', 'download')


def render_model_zoo(root: Optional[str] = None) -> str:
    """The content of ``model_zoo.md``."""
    root = root or repo_root()
    collections = {}
    for rel, data in load_metafiles(root):
        for coll in data['Collections']:
            collections[coll['Name']] = (rel, coll)
    out = [HEADER]
    for name, rows in zoo_rows(root):
        rel, coll = collections.get(name, (None, {}))
        out.append(f'## {name}\n')
        about = []
        paper = coll.get('Paper') or {}
        if isinstance(paper, dict) and paper.get('Title'):
            title = paper['Title']
            about.append(f"Paper: [{title}]({paper['URL']})" if paper.get('URL')
                         else f'Paper: *{title}*')
        if coll.get('README'):
            about.append(f"README: [{coll['README']}]({coll['README']})")
        if rel:
            about.append(f'metafile: [{rel}]({rel})')
        if about:
            out.append('. '.join(about) + '.\n')
        method = (coll.get('Metadata') or {}).get('Method', '+DenoiseRep')
        header = ('task', 'model', 'backbone', 'dataset', 'metric', 'baseline', method,
                  'source', 'parameters', 'fused/baseline latency ratio', 'config', 'download')
        out.append('| ' + ' | '.join(header) + ' |')
        out.append('|' + '---|' * len(header))
        for row in rows:
            out.append('| ' + ' | '.join(_cell(row[c]) for c in COLUMNS) + ' |')
        out.append('')
    out.extend(evidence_sections(root))
    return '\n'.join(out).rstrip('\n') + '\n'


def evidence_sections(root: Optional[str] = None) -> List[str]:
    """The ``## Evidence`` part of ``model_zoo.md``: every ``docs/evidence/*.md`` fragment
    (sorted by name) as it is."""
    folder = osp.join(root or repo_root(), EVIDENCE_DIR)
    paths = sorted(glob.glob(osp.join(folder, '*.md')))
    if not paths:
        return []
    out = ['## Evidence (measured here)\n',
           'Measured in this repository by the scripts named in each part (their `--record` '
           f'option writes the fragment under `{EVIDENCE_DIR}/`, which this page includes).\n']
    for path in paths:
        with open(path, encoding='utf-8') as f:
            out.append(f.read().strip() + '\n')
    return out


def write_evidence(name: str, title: str, command: str, body: str,
                   root: Optional[str] = None) -> str:
    """Write the evidence fragment ``docs/evidence/<name>.md`` (atomically) with its title, the
    command that produced it, the machine it ran on, and ``body`` (markdown); returns its
    path. Regenerate ``model_zoo.md`` afterwards."""
    import datetime
    import platform

    from mmdenoise.utils.io import atomic_write
    path = osp.join(root or repo_root(), EVIDENCE_DIR, f'{name}.md')
    os.makedirs(osp.dirname(path), exist_ok=True)
    load = os.getloadavg()[0] if hasattr(os, 'getloadavg') else float('nan')
    text = (f'### {title}\n\n'
            f'Measured here on {datetime.date.today().isoformat()} with `{command}` '
            f'({platform.machine()}, {os.cpu_count()} CPUs, load average {load:.1f} at the end; '
            f'torch {_torch_version()}).\n\n{body.strip()}\n')
    with atomic_write(path, overwrite=True) as tmp:
        with open(tmp, 'w', encoding='utf-8') as f:
            f.write(text)
    return path


def _torch_version() -> str:
    try:
        import torch
        return torch.__version__
    except ImportError:  # pragma: no cover
        return 'n/a'


def check_model_zoo(root: Optional[str] = None, path: Optional[str] = None) -> Tuple[bool, str]:
    """``(up to date, unified diff)`` of ``model_zoo.md`` against the generator's output."""
    root = root or repo_root()
    path = path or osp.join(root, MODEL_ZOO_MD)
    expected = render_model_zoo(root)
    actual = open(path, encoding='utf-8').read() if osp.isfile(path) else ''
    if actual == expected:
        return True, ''
    diff = difflib.unified_diff(
        actual.splitlines(True), expected.splitlines(True), fromfile=f'{path} (on disk)',
        tofile=f'{path} (generated)')
    return False, ''.join(diff)


def write_model_zoo(root: Optional[str] = None, path: Optional[str] = None) -> str:
    root = root or repo_root()
    path = path or osp.join(root, MODEL_ZOO_MD)
    with open(path, 'w', encoding='utf-8') as f:
        f.write(render_model_zoo(root))
    return path


# ----------------------------------------------------------------------------------------------
# validation (used by the tests; returns messages instead of raising)


def validate_metafiles(root: Optional[str] = None) -> List[str]:
    """Problems in the metafiles: missing fields, bad sources, duplicate names, bad configs."""
    root = root or repo_root()
    errors = []
    names = set()
    for rel, data in load_metafiles(root):
        collections = {c.get('Name') for c in data['Collections']}
        for model in data['Models']:
            name = model.get('Name')
            where = f'{rel}: {name}'
            if not name:
                errors.append(f'{rel}: a model without Name')
            if name in names:
                errors.append(f'{where}: duplicate Name')
            names.add(name)
            for key in ('In Collection', 'Config', 'Metadata', 'Results', 'Weights'):
                if key not in model:
                    errors.append(f'{where}: no {key!r} field (use null when unknown)')
            if model.get('In Collection') not in collections:
                errors.append(f'{where}: In Collection {model.get("In Collection")!r} is not a '
                              f'collection of {rel}')
            config = model.get('Config')
            if config is not None:
                if not osp.isfile(osp.join(root, config)):
                    errors.append(f'{where}: Config {config} does not exist')
                elif osp.splitext(osp.basename(config))[0] != name:
                    errors.append(f'{where}: Name is not the config stem of {config}')
            meta = model.get('Metadata') or {}
            for key in ('Task', 'Backbone', 'Parameters', 'FLOPs', 'Latency Ratio'):
                if key not in meta:
                    errors.append(f'{where}: no Metadata.{key} (use null when unknown)')
            deploy = meta.get('Deploy Config')
            if deploy is not None and not osp.isfile(osp.join(root, deploy)):
                errors.append(f'{where}: Deploy Config {deploy} does not exist')
            ratio = meta.get('Latency Ratio')
            if isinstance(ratio, dict) and not str(ratio.get('Source', '')).startswith(
                    'measured here'):
                errors.append(f'{where}: Latency Ratio.Source must start with "measured here"')
            for i, result in enumerate(model.get('Results') or []):
                for key in ('Task', 'Dataset', 'Metrics', 'Baseline', 'Source'):
                    if key not in result:
                        errors.append(f'{where}: Results[{i}] has no {key!r}')
                metrics = result.get('Metrics')
                if not isinstance(metrics, dict) or len(metrics) != 1:
                    errors.append(f'{where}: Results[{i}].Metrics must hold exactly one metric')
                source = str(result.get('Source') or '')
                if not source.startswith(SOURCE_PREFIXES):
                    errors.append(f'{where}: Results[{i}].Source {source!r} must start with '
                                  f'"paper-reported" or "measured here"')
                if source.startswith('measured here') and ', with ' not in source:
                    errors.append(f'{where}: Results[{i}].Source must name its command '
                                  f'("measured here, with <command>")')
    return errors


# ----------------------------------------------------------------------------------------------
# complexity of the deployed model


def config_input_shape(cfg) -> Tuple[int, int]:
    """``(H, W)`` the model sees at test time, from the config.

    mmseg: ``crop_size``. Otherwise the test pipeline's last crop / resize (``CenterCrop`` /
    ``RandomCrop`` crop size, ``Resize`` scale; ``scale=(w, h)`` with ``keep_ratio`` gives the
    largest image, e.g. 800x1333 for mmdet's 1x configs), rounded up to the data preprocessor's
    ``pad_size_divisor``.
    """
    if cfg.get('crop_size') is not None:
        h, w = cfg.crop_size
        return int(h), int(w)
    loader = cfg.get('test_dataloader') or cfg.get('val_dataloader')
    dataset = loader['dataset']
    while 'pipeline' not in dataset and 'dataset' in dataset:
        dataset = dataset['dataset']
    shape = None
    for step in dataset.get('pipeline', []):
        kind = str(step.get('type', '')).split('.')[-1]
        if kind in ('CenterCrop', 'RandomCrop') and step.get('crop_size') is not None:
            size = step['crop_size']
            shape = (size, size) if isinstance(size, int) else (size[0], size[1])
        elif kind == 'Resize' and step.get('scale') is not None:
            scale = step['scale']
            # mmcv/mmpretrain/mmdet/mmseg Resize: scale is (w, h)
            shape = (scale, scale) if isinstance(scale, int) else (scale[1], scale[0])
    if shape is None:
        raise ValueError('cannot tell the input size from the test pipeline; pass it explicitly')
    preproc = cfg.model.get('data_preprocessor') or cfg.get('data_preprocessor') or {}
    div = preproc.get('pad_size_divisor') or 1
    h, w = (int(-(-s // div) * div) for s in shape)
    return h, w


def _load_deploy_config(config: str):
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    deploy = cfg.get('deploy_config')
    if deploy:
        cfg = Config.fromfile(osp.normpath(osp.join(osp.dirname(config), deploy)))
    elif cfg.model.get('type', '') in ('mmdenoise.DenoiseRepWrapper', 'DenoiseRepWrapper'):
        cfg.model = cfg.model.architecture
    return cfg


def _dummy_data_samples(cfg, shape, model=None):
    """Data samples the model needs in ``tensor`` mode: the model's own
    ``complexity_data_samples((H, W))`` if it defines one (e.g. D-SELACFP: one visible image, so
    that one stream is counted), image metas for mmdet detectors, else None."""
    if model is not None and callable(getattr(model, 'complexity_data_samples', None)):
        return model.complexity_data_samples(tuple(shape))
    scope = cfg.get('default_scope')
    if scope != 'mmdet':
        return None
    from mmdet.structures import DetDataSample
    h, w = shape
    sample = DetDataSample()
    sample.set_metainfo(dict(img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w),
                             batch_input_shape=(h, w), scale_factor=(1.0, 1.0)))
    return [sample]


def _sdpa_flop_jit(inputs, outputs) -> int:
    """FLOPs of ``scaled_dot_product_attention(q, k, v)``: ``q @ k^T`` and ``attn @ v``."""
    from mmengine.analysis.jit_handles import get_shape
    q, k, v = (get_shape(x) for x in inputs[:3])
    batch = 1
    for d in q[:-2]:
        batch *= d
    lq, d_qk = q[-2], q[-1]
    lk, d_v = k[-2], v[-1]
    return batch * lq * lk * d_qk + batch * lq * lk * d_v


def deploy_complexity(config: str, input_shape: Optional[Sequence[int]] = None) -> dict:
    """Parameters and FLOPs of the deployed model of ``config``.

    For a DenoiseRep config this is its ``deploy_config`` (the plain task model the fused
    weights load into, the baseline architecture); for any other config, its model. Built on
    CPU without ``init_weights`` (no download) and measured with
    mmengine's complexity analysis on one image of ``input_shape`` (``(H, W)``; default
    :func:`config_input_shape`), in the model's ``tensor`` mode (backbone + neck + head up to the
    raw outputs; post-processing is not counted). FLOPs count one multiply-add as one (mmengine /
    fvcore convention, as in the OpenMMLab metafiles). This is the ``FlopAnalyzer`` that
    ``mmengine.analysis.get_model_complexity_info`` runs (without its second, activation trace),
    plus a handle for ``aten::scaled_dot_product_attention``, which mmengine 0.10.7 does not
    count (ViT attention under torch 2 would otherwise lose its two attention matmuls).
    Parameters: every parameter of the deploy model (``get_model_complexity_info``'s
    ``params``), heads and ReID classifiers included.

    Returns ``dict(params=int, flops=int, input_shape='HxW', deploy_config=str)``.
    """
    import torch

    cfg, model = _build_deploy_model(config)
    shape = tuple(input_shape) if input_shape else config_input_shape(cfg)
    samples = _dummy_data_samples(cfg, shape, model)
    flops = tensor_mode_flops(model, torch.randn(1, 3, *shape), samples)
    params = sum(p.numel() for p in model.parameters())
    return dict(params=int(params), flops=int(flops), input_shape=f'{shape[0]}x{shape[1]}',
                deploy_config=getattr(cfg, 'filename', None))


def tensor_mode_flops(model, inputs, data_samples=None) -> int:
    """FLOPs (one multiply-add = one) of ``model(inputs[, data_samples], mode='tensor')`` with
    mmengine's ``FlopAnalyzer``, scaled-dot-product attention counted (see
    :func:`deploy_complexity`)."""
    import torch
    from mmengine.analysis import FlopAnalyzer

    class _TensorMode(torch.nn.Module):

        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, x):
            if data_samples is not None:
                return self.inner(x, data_samples, mode='tensor')
            return self.inner(x, mode='tensor')

    analyzer = FlopAnalyzer(_TensorMode(model), (inputs, ))
    analyzer.set_op_handle('aten::scaled_dot_product_attention', _sdpa_flop_jit)
    analyzer.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    with torch.no_grad():
        return int(analyzer.total())


def iter_metafile_configs(root: Optional[str] = None) -> Iterable[Tuple[str, str]]:
    """``(model name, config)`` of every metafile row with a config."""
    for _, model in all_models(root):
        if model.get('Config'):
            yield model['Name'], model['Config']


def check_complexity(root: Optional[str] = None,
                     match: Optional[str] = None,
                     flops: bool = True,
                     log=None) -> List[str]:
    """Rows whose ``Metadata.Parameters`` (and ``FLOPs``) differ from their config's.

    Recomputes :func:`deploy_complexity` for every metafile row with a ``Config`` and a
    non-null ``Parameters`` (only rows whose name matches the regular expression ``match``, if
    given), at the row's ``Input Size``, and returns one message per mismatch naming the
    metafile, the row, the stored and the computed value. ``flops=False`` compares the
    parameters only (no forward trace). ``log`` (a callable) receives one line per row checked.
    """
    root = root or repo_root()
    errors = []
    pattern = re.compile(match) if match else None
    for rel, data in load_metafiles(root):
        for model in data['Models']:
            name, config = model.get('Name'), model.get('Config')
            meta = model.get('Metadata') or {}
            if not config or meta.get('Parameters') is None:
                continue
            if pattern is not None and not pattern.search(name):
                continue
            shape = None
            size = meta.get('Input Size')
            if isinstance(size, str) and re.fullmatch(r'\d+x\d+', size):
                shape = tuple(int(v) for v in size.split('x'))
            if flops:
                info = deploy_complexity(osp.join(root, config), shape)
            else:
                info = dict(params=deploy_parameters(osp.join(root, config)))
            checks = [('Parameters', meta.get('Parameters'), info['params'])]
            if flops and meta.get('FLOPs') is not None:
                checks.append(('FLOPs', meta.get('FLOPs'), info['flops']))
            for key, stored, computed in checks:
                if int(stored) != int(computed):
                    errors.append(f'{rel}: {name}: Metadata.{key} is {stored}, its config '
                                  f'gives {computed}')
            if log is not None:
                log(f'{name}: ' + ', '.join(f'{k} {c}' for k, _, c in checks))
    return errors


def deploy_parameters(config: str) -> int:
    """Number of parameters of the deployed model of ``config`` (see
    :func:`deploy_complexity`), without tracing a forward pass."""
    _, model = _build_deploy_model(config)
    return int(sum(p.numel() for p in model.parameters()))


def _build_deploy_model(config: str):
    """``(deploy config, its model)``: built on CPU in eval mode, without ``init_weights``."""
    from mmengine.model import revert_sync_batchnorm
    from mmengine.registry import MODELS, init_default_scope

    import mmdenoise  # noqa: F401  (registers the mmdenoise scope)

    cfg = _load_deploy_config(config)
    init_default_scope(cfg.get('default_scope', 'mmengine'))
    model_cfg = copy.deepcopy(cfg.model)
    if cfg.get('data_preprocessor') is not None and isinstance(model_cfg, dict):
        model_cfg.setdefault('data_preprocessor', copy.deepcopy(cfg.data_preprocessor))
    return cfg, revert_sync_batchnorm(MODELS.build(model_cfg)).eval()
