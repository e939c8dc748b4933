"""Fuse a DenoiseRep training checkpoint into plain deploy weights (``tools/fuse_checkpoint.py``).

Steps, each failing with a message that names the problem and leaves no output file:

1. refuse an existing output without ``force`` (before any work);
2. build the wrapper model from the training config (``Config.fromfile`` + the config's default
   scope + ``MODELS.build``; ``init_weights`` is never called and every ``Pretrained`` init /
   ``pretrained`` path in the model config is dropped, so nothing is downloaded);
3. load the checkpoint's ``state_dict`` strictly: it must hold ``*.denoiser.*`` keys and match
   the model's keys exactly;
4. ``wrapper.fuse()`` -> plain task model;
5. build the deploy model (the config's ``deploy_config``, or the given one, or else the
   training config's ``model.architecture``) and load the fused weights with ``strict=True``;
6. with ``verify``: run the wrapper (training weights, eval mode) and the deploy model (fused
   weights) on the same random images and compare every output tensor;
7. write ``{'meta': ..., 'state_dict': ...}`` atomically.
"""
from __future__ import annotations

import copy
import datetime
import os.path as osp
from collections import OrderedDict
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import torch
from torch import nn

from mmdenoise.denoiserep import FusionCheckError, first_non_finite
from mmdenoise.utils.checkpoint import plain_meta
from .runner_setup import ToolError, load_config

__all__ = [
    'FuseCheckpointError', 'VerificationError', 'fuse_checkpoint', 'load_training_weights',
    'build_model_from_cfg', 'deploy_model_config', 'compare_models', 'guess_input_shape'
]

DENOISER_KEY_HINT = ('contains no DenoiseRep denoiser weights: was it trained with a DenoiseRep '
                     'config?')
WRAPPER_TYPE = 'DenoiseRepWrapper'


class FuseCheckpointError(ToolError):
    """A checkpoint / config problem found by :func:`fuse_checkpoint` (nothing was written)."""


class VerificationError(FuseCheckpointError):
    """The fused deploy model's outputs differ from the wrapper's beyond the tolerance."""

    def __init__(self, message: str, report: Dict[str, Any]):
        super().__init__(message)
        self.report = report


# ------------------------------------------------------------------ configs and models

def _model_type_name(model_cfg: Any) -> str:
    mtype = model_cfg.get('type', '') if hasattr(model_cfg, 'get') else ''
    return mtype if isinstance(mtype, str) else getattr(mtype, '__name__', str(mtype))


def _strip_pretrained_init(init_cfg: Any) -> Any:
    if isinstance(init_cfg, dict):
        return None if init_cfg.get('type') == 'Pretrained' else init_cfg
    if isinstance(init_cfg, (list, tuple)):
        kept = [c for c in init_cfg if not (isinstance(c, dict) and c.get('type') == 'Pretrained')]
        return kept or None
    return init_cfg


def disable_pretrained(model_cfg: Any) -> Any:
    """Drop every ``Pretrained`` init_cfg and ``pretrained=<path or True>`` in a model config
    (in place; returned): the weights come from the checkpoint, nothing may be downloaded."""
    if isinstance(model_cfg, dict):
        for key in list(model_cfg.keys()):
            value = model_cfg[key]
            if key == 'init_cfg':
                model_cfg[key] = _strip_pretrained_init(value)
            elif key == 'pretrained' and (isinstance(value, str) or value is True):
                model_cfg[key] = None if isinstance(value, str) else False
            else:
                disable_pretrained(value)
    elif isinstance(model_cfg, (list, tuple)):
        for item in model_cfg:
            disable_pretrained(item)
    return model_cfg


def build_model_from_cfg(cfg: Any, model_cfg: Optional[Any] = None) -> nn.Module:
    """Build ``model_cfg`` (default ``cfg.model``) in ``cfg``'s default scope, like the Runner does
    (the config's top-level ``data_preprocessor`` is merged in), without ``init_weights`` and with
    pretrained weights disabled. The model is on the CPU in eval mode."""
    from mmengine.registry import MODELS, DefaultScope
    model_cfg = copy.deepcopy(cfg.model if model_cfg is None else model_cfg)
    if cfg.get('data_preprocessor', None) is not None and isinstance(model_cfg, dict):
        model_cfg.setdefault('data_preprocessor', copy.deepcopy(cfg.data_preprocessor))
    disable_pretrained(model_cfg)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', None)):
        model = MODELS.build(model_cfg)
    return model.cpu().eval()


def _resolve_config_path(path: str, relative_to: Optional[str]) -> str:
    if '::' in path or osp.isfile(path) or osp.isabs(path) or relative_to is None:
        return path
    candidate = osp.normpath(osp.join(osp.dirname(osp.abspath(relative_to)), path))
    return candidate if osp.isfile(candidate) else path


def deploy_model_config(cfg: Any, config_path: Optional[str] = None,
                        deploy_config: Optional[str] = None) -> Tuple[Any, str]:
    """The deploy (plain model) config and a description of where it came from.

    Order: ``deploy_config`` argument > the training config's ``deploy_config`` key (a path,
    relative to the training config's folder or the working folder, or ``pkg::path``) > the
    training config itself with ``model = model.architecture``.
    """
    path = deploy_config or cfg.get('deploy_config', None)
    if path:
        path = _resolve_config_path(path, None if deploy_config else config_path)
        try:
            dcfg = load_config(path)
        except ToolError as err:
            raise FuseCheckpointError(f'deploy config: {err}') from err
        if _model_type_name(dcfg.model).endswith(WRAPPER_TYPE):
            raise FuseCheckpointError(
                f'deploy config {path} describes a {WRAPPER_TYPE}; it must be the plain task '
                'model (the untouched upstream config)')
        return dcfg, path
    dcfg = copy.deepcopy(cfg)
    dcfg.model = copy.deepcopy(cfg.model.architecture)
    return dcfg, f'model.architecture of {config_path or "the training config"}'


# ------------------------------------------------------------------ checkpoints

def _is_denoiser_key(key: str) -> bool:
    return '.denoiser.' in key or key.startswith('denoiser.')


def _state_dict_of(ckpt: Any, source: str) -> Dict[str, torch.Tensor]:
    if isinstance(ckpt, dict) and isinstance(ckpt.get('state_dict'), dict):
        state = ckpt['state_dict']
    elif isinstance(ckpt, dict) and ckpt and all(torch.is_tensor(v) for v in ckpt.values()):
        state = ckpt
    else:
        raise FuseCheckpointError(f'{source} holds no state_dict')
    # weights saved from a DDP model
    if state and all(k.startswith('module.') for k in state):
        state = OrderedDict((k[len('module.'):], v) for k, v in state.items())
    return state


def _key_list(keys: Sequence[str], limit: int = 10) -> str:
    keys = sorted(keys)
    shown = ', '.join(keys[:limit])
    more = f', ... ({len(keys) - limit} more)' if len(keys) > limit else ''
    return f'{len(keys)}: [{shown}{more}]'


def _key_mismatch_message(missing: Iterable[str], unexpected: Iterable[str],
                          shapes: Iterable[str] = ()) -> str:
    parts = []
    missing, unexpected, shapes = list(missing), list(unexpected), list(shapes)
    if missing:
        parts.append(f'missing keys {_key_list(missing)}')
    if unexpected:
        parts.append(f'unexpected keys {_key_list(unexpected)}')
    if shapes:
        parts.append(f'shape mismatches {_key_list(shapes)}')
    return '; '.join(parts)


def strict_load(model: nn.Module, state: Dict[str, torch.Tensor], what: str) -> None:
    """``model.load_state_dict(state, strict=True)`` with an error naming the keys."""
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    shapes = [
        f'{k} {tuple(state[k].shape)} vs {tuple(v.shape)}' for k, v in own.items()
        if k in state and torch.is_tensor(state[k]) and tuple(state[k].shape) != tuple(v.shape)
    ]
    if missing or unexpected or shapes:
        raise FuseCheckpointError(f'{what}: {_key_mismatch_message(missing, unexpected, shapes)}')
    # Some upstream modules drop keys in their own load hooks (mmpretrain SwinV2 rebuilds
    # relative_coords_table / relative_position_index), so even their own state dict never loads
    # with strict=True. The key check above is the strict one; here only keys that the model also
    # drops when loading its own state dict are tolerated.
    dropped = model.load_state_dict(model.state_dict(), strict=False)
    tolerated = set(dropped.missing_keys) | set(dropped.unexpected_keys)
    result = model.load_state_dict(state, strict=False)
    bad_missing = [k for k in result.missing_keys if k not in tolerated]
    bad_unexpected = [k for k in result.unexpected_keys if k not in tolerated]
    if bad_missing or bad_unexpected:
        raise FuseCheckpointError(
            f'{what}: {_key_mismatch_message(bad_missing, bad_unexpected, [])}')


def load_training_weights(wrapper: nn.Module, ckpt: Any, source: str) -> None:
    """Load a DenoiseRep training checkpoint into ``wrapper``, strictly.

    Raises:
        FuseCheckpointError: no ``*.denoiser.*`` keys, or keys / shapes that do not match.
    """
    state = _state_dict_of(ckpt, source)
    if not any(_is_denoiser_key(k) for k in state):
        raise FuseCheckpointError(f'{source} {DENOISER_KEY_HINT}')
    strict_load(wrapper, state,
                f'{source} does not match the model of the training config')


def _fuse_meta(model: nn.Module) -> Optional[dict]:
    for module in model.modules():
        meta = module.__dict__.get('_denoiserep_fuse_meta')
        if meta is not None:
            return meta
    return None


# ------------------------------------------------------------------ verification

def guess_input_shape(cfg: Any, default: Tuple[int, int] = (224, 224),
                      max_side: int = 512) -> Tuple[int, int]:
    """``(H, W)`` of the test images: the last crop / resize size of the test pipeline, scaled so
    the longer side is at most ``max_side`` and rounded to multiples of 32 (detectors:
    128 x 128 when the pipeline does not tell)."""
    pipeline = []
    loader = cfg.get('test_dataloader', None) or cfg.get('val_dataloader', None) or {}
    dataset = loader.get('dataset', None) or {}
    while isinstance(dataset, dict) and 'pipeline' not in dataset and 'dataset' in dataset:
        dataset = dataset['dataset']
    if isinstance(dataset, dict):
        pipeline = dataset.get('pipeline', None) or []
    size = None
    for transform in reversed(list(pipeline)):
        if not isinstance(transform, dict):
            continue
        for key in ('crop_size', 'scale', 'size', 'img_scale'):
            value = transform.get(key, None)
            if isinstance(value, int) and value > 1:
                size = (value, value)
            elif (isinstance(value, (list, tuple)) and len(value) == 2
                  and all(isinstance(v, int) and v > 1 for v in value)):
                size = (int(value[1]), int(value[0]))  # OpenMMLab sizes are (w, h)
            if size:
                break
        if size:
            break
    if size is None:
        scope = str(cfg.get('default_scope', '') or '')
        return (128, 128) if scope == 'mmdet' else default
    h, w = size
    scale = min(1.0, max_side / max(h, w))
    if scale < 1.0:
        h, w = max(32, int(round(h * scale / 32)) * 32), max(32, int(round(w * scale / 32)) * 32)
    return h, w


class _NotApplicable(Exception):
    """A verification method that does not apply to this kind of model (not a failure)."""


def _flatten(obj: Any, prefix: str = 'out',
             skipped: Optional[List[str]] = None) -> List[Tuple[str, torch.Tensor]]:
    """The tensors of a (nested) output; parts that cannot be read are added to ``skipped``."""
    if torch.is_tensor(obj):
        return [(prefix, obj)]
    if isinstance(obj, dict):
        return [item for k in obj for item in _flatten(obj[k], f'{prefix}.{k}', skipped)]
    if isinstance(obj, (list, tuple)):
        return [item for i, v in enumerate(obj)
                for item in _flatten(v, f'{prefix}[{i}]', skipped)]
    if hasattr(obj, 'to_dict') and callable(obj.to_dict):  # BaseDataElement
        try:
            content = obj.to_dict()
        except Exception as err:  # noqa: BLE001 (reported, never swallowed)
            if skipped is not None:
                skipped.append(f'{prefix}: cannot read {type(obj).__name__} '
                               f'({type(err).__name__}: {err})')
            return []
        return _flatten(content, prefix, skipped)
    return []


def _task_model(model: nn.Module) -> nn.Module:
    """The task model inside a DenoiseRep wrapper (the model itself otherwise)."""
    inner = getattr(model, 'architecture', None)
    return inner if isinstance(inner, nn.Module) else model


def _is_two_stage(model: nn.Module) -> bool:
    task = _task_model(model)
    return (getattr(task, 'rpn_head', None) is not None
            and getattr(task, 'roi_head', None) is not None)


def _det_samples(model: nn.Module, images: List[torch.Tensor]) -> Optional[list]:
    """``DetDataSample``s with the image metainfo for mmdet models (None for other tasks)."""
    if not type(_task_model(model)).__module__.startswith('mmdet'):
        return None
    from mmdet.structures import DetDataSample
    samples = []
    for img in images:
        h, w = int(img.shape[-2]), int(img.shape[-1])
        samples.append(DetDataSample(metainfo=dict(
            img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w), batch_input_shape=(h, w),
            scale_factor=(1.0, 1.0), img_id=0)))
    return samples


def _preprocess(model: nn.Module, images: List[torch.Tensor],
                samples: Optional[list] = None) -> Tuple[torch.Tensor, Optional[list]]:
    preprocessor = getattr(model, 'data_preprocessor', None)
    if preprocessor is None:
        return torch.stack(images).float(), samples
    data = preprocessor(
        dict(inputs=[img.clone() for img in images],
             data_samples=copy.deepcopy(samples)), False)
    if isinstance(data, dict):
        return data['inputs'], data.get('data_samples', None)
    return data[0], (data[1] if len(data) > 1 else None)


def _extract_feat(model: nn.Module, inputs: torch.Tensor) -> Any:
    extract = getattr(model, 'extract_feat', None) or getattr(_task_model(model),
                                                               'extract_feat', None)
    if extract is None:
        raise _NotApplicable(f'{type(model).__name__} has no extract_feat')
    import inspect
    required = [p for p in list(inspect.signature(extract).parameters.values())[1:]
                if p.default is inspect.Parameter.empty
                and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if required:  # e.g. D-SELACFP's extract_feat(inputs, infrared): its 'tensor' mode covers it
        raise _NotApplicable(f'{type(model).__name__}.extract_feat needs '
                             f'{[p.name for p in required]} besides the images')
    return extract(inputs)


def _fixed_proposals(h: int, w: int, num: int = 8, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    xy = torch.rand(num, 2, generator=g) * torch.tensor([w * 0.5, h * 0.5])
    wh = 16 + torch.rand(num, 2, generator=g) * torch.tensor([w * 0.5, h * 0.5])
    boxes = torch.cat([xy, xy + wh], dim=1)
    boxes[:, 0::2] = boxes[:, 0::2].clamp(max=w - 1)
    boxes[:, 1::2] = boxes[:, 1::2].clamp(max=h - 1)
    return boxes


def _run(model: nn.Module, images: List[torch.Tensor], method: str) -> Any:
    """One way of running ``model`` on ``images`` (see :func:`compare_models`)."""
    if method == 'tensor':
        if _is_two_stage(model):
            raise _NotApplicable('a two-stage detector needs proposals: compared through '
                                 'two_stage_heads')
        inputs, _ = _preprocess(model, images)
        return model(inputs, None, mode='tensor')
    if method == 'tensor_with_samples':
        samples = _det_samples(model, images)
        if samples is None or _is_two_stage(model):
            raise _NotApplicable('not an mmdet model, or a two-stage one (proposals through '
                                 'NMS are not comparable)')
        inputs, samples = _preprocess(model, images, samples)
        return model(inputs, samples, mode='tensor')
    if method == 'two_stage_heads':
        if not _is_two_stage(model):
            raise _NotApplicable('not a two-stage detector')
        from mmengine.structures import InstanceData
        samples = _det_samples(model, images)
        inputs, samples = _preprocess(model, images, samples)
        task = _task_model(model)
        feats = task.extract_feat(inputs)
        h, w = inputs.shape[-2:]
        proposals = [InstanceData(bboxes=_fixed_proposals(int(h), int(w), seed=i))
                     for i in range(inputs.shape[0])]
        return dict(rpn=task.rpn_head(feats), roi=task.roi_head(feats, proposals, samples))
    inputs, _ = _preprocess(model, images)
    return _extract_feat(model, inputs)


#: the ways :func:`compare_models` runs the two models; ``tensor_with_samples`` only when
#: ``tensor`` fails (mmdet models needing image metainfo, e.g. DETR).
VERIFY_METHODS = ('tensor', 'tensor_with_samples', 'two_stage_heads', 'extract_feat')


def input_channels(model: nn.Module, default: int = 3) -> int:
    """Image channels ``model`` takes: the length of its data preprocessor's ``mean`` (e.g. 1 for
    grey-image models, 4 for RGB-D), else ``default``."""
    mean = getattr(getattr(model, 'data_preprocessor', None), 'mean', None)
    if torch.is_tensor(mean) and mean.dim() >= 1 and mean.shape[0] > 0:
        return int(mean.shape[0])
    return default


def compare_models(reference: nn.Module, candidate: nn.Module, input_shape: Tuple[int, int],
                   batch_size: int = 1, seed: int = 0,
                   channels: Optional[int] = None) -> Dict[str, Any]:
    """Run both models (eval mode, no grad) on the same random images, each through its own data
    preprocessor, in every way that works on the reference, and compare all output tensors:

    * ``tensor``: ``forward(mode='tensor')`` (classifiers, segmentors, ReID, one-stage detectors);
    * ``tensor_with_samples``: the same with ``DetDataSample`` metainfo, when plain ``tensor``
      fails on an mmdet model (e.g. DETR);
    * ``two_stage_heads``: two-stage detectors: the RPN head on the features and the RoI head on
      fixed proposals (proposals after NMS could differ by near-ties, so they are not compared);
    * ``extract_feat``: backbone (+ neck) features.

    The images have ``channels`` channels (default: :func:`input_channels` of the reference).

    Returns ``max_abs_err``, ``max_rel_err`` (max |diff| over max |reference|), ``methods``,
    ``num_tensors``, ``input_shape``, ``max_abs_ref``.

    Every output that could not be compared is reported: a way that does not apply to the model
    (``_NotApplicable``) is listed in ``not_applicable``; any other failure of the reference, or
    a part of an output that cannot be read, fails the comparison. Non-finite outputs fail it.

    Raises:
        FuseCheckpointError: the outputs differ in structure or shape, the candidate fails where
            the reference works, an expected output was skipped, an output is not finite, or no
            way works.
    """
    generator = torch.Generator().manual_seed(seed)
    h, w = input_shape
    c = int(channels) if channels else input_channels(reference)
    images = [torch.randint(0, 256, (c, h, w), generator=generator).to(torch.uint8)
              for _ in range(batch_size)]
    reference.eval()
    candidate.eval()
    errors, methods, ref, out, skipped, not_applicable = [], [], [], [], [], []
    with torch.no_grad():
        for method in VERIFY_METHODS:
            if method == 'tensor_with_samples' and 'tensor' in methods:
                continue
            try:
                ref_m = _flatten(_run(reference, images, method), method, skipped)
            except _NotApplicable as err:
                not_applicable.append(f'{method}: {err}')
                continue
            except Exception as err:  # reported; another way may stand in for it
                errors.append(f'{method}: {type(err).__name__}: {err}')
                continue
            if not ref_m:
                errors.append(f'{method}: no tensor in the output')
                continue
            try:
                out_m = _flatten(_run(candidate, images, method), method, skipped)
            except Exception as err:
                raise FuseCheckpointError(
                    f'verify: the deploy model fails where the wrapper works ({method}): '
                    f'{type(err).__name__}: {err}') from err
            methods.append(method)
            ref += ref_m
            out += out_m
    if not methods:
        raise FuseCheckpointError(
            f'verify: cannot run the wrapper on {batch_size}x{c}x{h}x{w} random images '
            f'({"; ".join(errors)}); pass --input-shape or skip --verify')
    # 'tensor' failing is expected where 'tensor_with_samples' replaces it (DETR-like models);
    # any other failure is an output that was expected and not compared.
    if 'tensor_with_samples' in methods:
        errors = [e for e in errors if not e.startswith('tensor:')]
    skipped += errors
    if skipped:
        raise FuseCheckpointError(
            f'verify: {len(skipped)} expected output(s) could not be compared (compared: '
            f'{"+".join(methods)}): ' + '; '.join(skipped))
    if [n for n, _ in ref] != [n for n, _ in out]:
        raise FuseCheckpointError(
            f'verify: output structures differ: {[n for n, _ in ref]} vs {[n for n, _ in out]}')
    max_abs, max_ref = 0.0, 0.0
    for (name, a), (_, b) in zip(ref, out):
        if a.shape != b.shape:
            raise FuseCheckpointError(
                f'verify: {name} has shape {tuple(a.shape)} (wrapper) vs {tuple(b.shape)} (deploy)')
        if a.numel() == 0 or not (a.is_floating_point() or a.is_complex()):
            continue
        a64, b64 = a.detach().double(), b.detach().double()
        for model_name, value in (('wrapper', a64), ('deploy model', b64)):
            if not bool(torch.isfinite(value).all()):
                raise FuseCheckpointError(
                    f'verify: output {name} of the {model_name} holds NaN or inf values')
        max_abs = max(max_abs, (a64 - b64).abs().max().item())
        max_ref = max(max_ref, a64.abs().max().item())
    rel = max_abs / max_ref if max_ref > 0 else (0.0 if max_abs == 0 else float('inf'))
    return dict(max_abs_err=max_abs, max_rel_err=rel, max_abs_ref=max_ref, methods=methods,
                num_tensors=len(ref), input_shape=[batch_size, c, h, w],
                not_applicable=not_applicable)


# ------------------------------------------------------------------ the tool

def _is_wrapper(model: nn.Module) -> bool:
    try:
        from mmdenoise.models import DenoiseRepWrapper  # type: ignore
    except ImportError:
        DenoiseRepWrapper = None  # noqa: N806
    if DenoiseRepWrapper is not None:
        return isinstance(model, DenoiseRepWrapper)
    return hasattr(model, 'fuse') and hasattr(model, 'architecture')


def _source_meta(ckpt: Any) -> dict:
    meta = ckpt.get('meta', None) if isinstance(ckpt, dict) else None
    return plain_meta(meta) if isinstance(meta, dict) else {}


def fuse_checkpoint(config: str,
                    checkpoint: str,
                    output: str,
                    deploy_config: Optional[str] = None,
                    verify: bool = False,
                    force: bool = False,
                    cfg_options: Optional[dict] = None,
                    tolerance: float = 1e-4,
                    input_shape: Optional[Sequence[int]] = None,
                    noise_seed: Optional[int] = None,
                    logger: Any = print) -> Dict[str, Any]:
    """Fuse the DenoiseRep training ``checkpoint`` of ``config`` into plain weights at ``output``.

    Args:
        config: the training config (its model is a ``DenoiseRepWrapper``).
        checkpoint: the training checkpoint (local path or URL).
        output: the file to write (``{'meta', 'state_dict'}``).
        deploy_config: the plain model config the weights must load into with ``strict=True``
            (default: the training config's ``deploy_config``, else its ``model.architecture``).
        verify: compare the wrapper and the deploy model on random images.
        force: overwrite an existing ``output``.
        cfg_options: overrides merged into the training config.
        tolerance: the largest relative error ``verify`` accepts.
        input_shape: ``(H, W)`` of the verification images (default: from the test pipeline).
        noise_seed: fold the paper's ``sigma_t z`` noise term into the weights, ``z`` drawn with
            this seed (default: the deterministic fusion). ``verify`` compares with the
            deterministic wrapper, so the difference then is the noise term.
        logger: a ``print``-like callable for progress lines (None: silent).

    Returns:
        dict with ``output``, ``checkpoint``, ``config``, ``deploy_config``, ``num_layers``,
        ``num_keys``, ``meta`` (the ``denoiserep`` part) and ``verify`` (the comparison or None).

    Raises:
        FileExistsError: ``output`` exists and ``force`` is False (checked first).
        FileNotFoundError: the config or a local checkpoint does not exist.
        FuseCheckpointError: the config is not a DenoiseRep config, the checkpoint does not fit
            it or the deploy config; :class:`VerificationError` beyond the tolerance.
    """
    from mmengine.runner.checkpoint import CheckpointLoader

    from mmdenoise.utils import atomic_write
    log = logger or (lambda *a, **k: None)

    if osp.exists(output) and not force:
        raise FileExistsError(f'{output} exists; refusing to overwrite it (use --force)')
    if '://' not in checkpoint and not osp.isfile(checkpoint):
        raise FileNotFoundError(f'checkpoint file not found: {checkpoint}')

    cfg = load_config(config)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    model_cfg = cfg.get('model', None)
    if model_cfg is None or not _model_type_name(model_cfg).endswith(WRAPPER_TYPE):
        raise FuseCheckpointError(
            f'{config}: the model is a {_model_type_name(model_cfg) if model_cfg else "(none)"}, '
            f'not a mmdenoise.{WRAPPER_TYPE}: give the DenoiseRep training config the checkpoint '
            'was trained with')

    wrapper = build_model_from_cfg(cfg)
    if not _is_wrapper(wrapper):
        raise FuseCheckpointError(
            f'{config}: the model built is a {type(wrapper).__name__}, not a {WRAPPER_TYPE}')

    log(f'loading {checkpoint}')
    try:
        ckpt = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
    except FileNotFoundError:
        raise
    except Exception as err:
        raise FuseCheckpointError(f'cannot load {checkpoint}: {err}') from err
    load_training_weights(wrapper, ckpt, checkpoint)
    wrapper.eval()
    bad = first_non_finite(wrapper.state_dict())
    if bad is not None:
        raise FuseCheckpointError(f'{checkpoint}: the tensor {bad!r} holds NaN or inf values '
                                  f'(a diverged run?); {output} not written')

    if noise_seed is None:
        plain = wrapper.fuse()
    else:
        plain = wrapper.fuse(noise=True, seed=int(noise_seed))
    plain_state = OrderedDict((k, v.detach().cpu().clone()) for k, v in plain.state_dict().items())
    fuse_meta = _fuse_meta(plain) or {}
    log(f'fused {fuse_meta.get("num_layers", "?")} denoised layer(s); '
        f'{len(plain_state)} keys')

    dcfg, deploy_source = deploy_model_config(cfg, config, deploy_config)
    deploy = build_model_from_cfg(dcfg)
    strict_load(deploy, plain_state,
                f'the fused weights do not fit the deploy model ({deploy_source})')
    log(f'deploy model ({deploy_source}) accepts the fused weights with strict=True')
    bad = first_non_finite(plain_state)
    if bad is not None:
        raise FuseCheckpointError(f'the fused weight {bad!r} holds NaN or inf values; '
                                  f'{output} not written')

    # The final exactness check, always: the deploy model (or, with the noise term, the
    # deterministic fusion) vs the wrapper, every denoised layer, one random input.
    reference = deploy if noise_seed is None else wrapper.fuse()
    shape = tuple(input_shape) if input_shape else None
    try:
        check = wrapper.check_fused(reference, tolerance=tolerance, shape=shape,
                                    what=f'the deploy model ({deploy_source})')
    except FusionCheckError as err:
        raise VerificationError(f'{err}; {output} not written', err.report) from err
    log(f'checked fused == unfused on one random input: max relative error '
        f'{check["max_rel_err"]:.2e} over {check["num_layers_compared"]} layer(s) and the '
        f'outputs (worst: {check["worst_layer"]}; tolerance {tolerance:g})')

    report = None
    if verify:
        shape = tuple(input_shape) if input_shape else guess_input_shape(dcfg)
        report = compare_models(wrapper, deploy, shape)
        report['tolerance'] = tolerance
        report['passed'] = report['max_rel_err'] <= tolerance
        if report['max_abs_ref'] == 0:
            log('warning: every output of the wrapper is zero; the comparison proves little')
        log(f'verify ({"+".join(report["methods"])}, input {report["input_shape"]}, '
            f'{report["num_tensors"]} tensor(s)): max_abs_err={report["max_abs_err"]:.3e} '
            f'max_rel_err={report["max_rel_err"]:.3e} (tolerance {tolerance:g})')
        if not report['passed']:
            raise VerificationError(
                f'verify failed: max_rel_err={report["max_rel_err"]:.3e} > tolerance '
                f'{tolerance:g} (max_abs_err={report["max_abs_err"]:.3e}); {output} not written',
                report)

    model_cfg = cfg.model
    denoiserep_meta = dict(
        fused_from=checkpoint if '://' in checkpoint else osp.abspath(checkpoint),
        config=config if '::' in config else osp.abspath(config),
        deploy_config=deploy_source,
        mode=model_cfg.get('mode', None),
        noise=fuse_meta.get('noise', False),
        noise_seed=fuse_meta.get('seed', None),
        schedule=fuse_meta.get('schedule', None),
        num_layers=fuse_meta.get('num_layers', None),
        layers=[m.get('name') for m in fuse_meta.get('layers', [])],
        fused_at=datetime.datetime.now().isoformat(timespec='seconds'))
    denoiserep_meta['check'] = dict(max_rel_err=check['max_rel_err'],
                                    worst_layer=check['worst_layer'],
                                    num_layers=check['num_layers_compared'])
    if report is not None:
        denoiserep_meta['verify'] = {k: report[k] for k in
                                     ('max_abs_err', 'max_rel_err', 'input_shape', 'methods')}
    meta = _source_meta(ckpt)
    meta['denoiserep'] = plain_meta(denoiserep_meta)
    try:
        from mmdenoise import __version__
        meta['mmdenoise_version'] = __version__
    except ImportError:  # pragma: no cover
        pass

    with atomic_write(output, overwrite=force) as tmp:
        torch.save({'meta': meta, 'state_dict': plain_state}, tmp)
    log(f'wrote {output}')
    return dict(output=output, checkpoint=checkpoint, config=config,
                deploy_config=deploy_source, num_layers=fuse_meta.get('num_layers'),
                num_keys=len(plain_state), meta=meta['denoiserep'], verify=report)
