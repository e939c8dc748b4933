"""The zoo's latency evidence: baseline vs DenoiseRep- vs fused DenoiseRep, side by side.

For a DenoiseRep config, four models of the same task are built on CPU from the configs (random
weights: latency and FLOPs do not depend on the values; no download):

* ``baseline``: the plain task model of the config's ``deploy_config`` (the untouched upstream
  architecture), holding the original weights of the wrapped model;
* ``denoiserep_fused``: the deploy model a user ships: the same deploy config, loaded with
  ``strict=True`` from the wrapper's fused ``deploy_state_dict()`` (denoisers given
  "trained-looking" random parameters first, so the fusion is not trivial);
* ``denoiserep_minus``: the paper's DenoiseRep- (FEFDUF) baseline: the baseline plus a
  :class:`~mmdenoise.denoiserep.FeatureDenoiser` on the backbone's last output, run for ``T'``
  reverse steps at inference (15 as the paper's ViT-S; ``--feature-steps``);
* ``denoiserep_unfused``: the training-time wrapper in eval mode (the denoised path before fusion).

They are timed interleaved (:func:`mmdenoise.apis.benchmark.measure_latency`, ratios paired per
repeat, medians) in ``tensor`` mode, and their parameters and FLOPs are counted with mmengine's
complexity analysis. The fused outputs are compared with the unfused ones (max relative error).
"""
import copy
import os.path as osp
from typing import Any, Callable, Dict, Optional, Sequence, Tuple

import torch
from torch import nn

from .benchmark import measure_latency
from .model_zoo import _dummy_data_samples, config_input_shape, repo_root, tensor_mode_flops

#: name -> (DenoiseRep config, input (H, W); None: the config's test size)
CASES = {
    'vit-s-reid': ('configs/reid/transreid_ssl/'
                   'denoiserep-label-free_transreid-ssl_vit-small_market1501-256x128.py', None),
    'resnet50-cls': ('configs/denoiserep/classification/'
                     'denoiserep-label-free_resnet50_8xb32_in1k.py', None),
    'mask-rcnn-r50-fpn': ('configs/denoiserep/detection/'
                          'denoiserep-label-free_mask-rcnn_r50_fpn_1x_coco.py', (512, 512)),
    'segformer-mit-b0': ('configs/denoiserep/segmentation/'
                         'denoiserep-label-free_segformer_mit-b0_8xb2-160k_ade20k-512x512.py',
                         None),
}
VARIANTS = ('baseline', 'denoiserep_fused', 'denoiserep_minus', 'denoiserep_unfused')


def _no_init(model_cfg):
    """``model_cfg`` (a ``ConfigDict``, as MMEngine models expect: mmdet reads ``train_cfg.rpn``)
    with every ``init_cfg`` / ``pretrained`` set to None (no download)."""
    from mmengine.config import ConfigDict

    def strip(value):
        if isinstance(value, dict):
            return {k: (None if k in ('init_cfg', 'pretrained') else strip(v))
                    for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(strip(v) for v in value)
        return value

    plain = model_cfg.to_dict() if hasattr(model_cfg, 'to_dict') else model_cfg
    return ConfigDict(strip(plain))


def build_models(config: str, seed: int = 0) -> Tuple[Dict[str, nn.Module], Any]:
    """``({variant: model}, deploy cfg)`` of :data:`VARIANTS` except ``denoiserep_minus``."""
    from mmengine.config import Config
    from mmengine.model import revert_sync_batchnorm
    from mmengine.registry import DefaultScope

    from mmdenoise.denoiserep.testing import perturb_denoisers, randomize_bn_stats
    from mmdenoise.registry import MODELS

    cfg = Config.fromfile(config)
    deploy_path = cfg.get('deploy_config')
    if not deploy_path:
        raise ValueError(f'{config}: no deploy_config (not a DenoiseRep config?)')
    deploy_cfg = Config.fromfile(osp.normpath(osp.join(osp.dirname(config), deploy_path)))
    scope = cfg.get('default_scope', 'mmdenoise')
    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope(scope):
        model_cfg = _no_init(cfg.model)
        if cfg.get('data_preprocessor') is not None and 'data_preprocessor' not in model_cfg:
            model_cfg['data_preprocessor'] = copy.deepcopy(cfg.data_preprocessor)
        wrapper = revert_sync_batchnorm(MODELS.build(model_cfg))
    perturb_denoisers(wrapper, seed=seed, scale=0.5)
    randomize_bn_stats(wrapper, seed=seed)
    wrapper.eval()
    deploy_scope = deploy_cfg.get('default_scope', scope)

    def plain_model():
        with DefaultScope.overwrite_default_scope(deploy_scope):
            dcfg = _no_init(deploy_cfg.model)
            if deploy_cfg.get('data_preprocessor') is not None and 'data_preprocessor' not in dcfg:
                dcfg['data_preprocessor'] = copy.deepcopy(deploy_cfg.data_preprocessor)
            return revert_sync_batchnorm(MODELS.build(dcfg)).eval()

    baseline = plain_model()
    original = {k: v for k, v in wrapper.architecture.state_dict().items()
                if '.denoiser.' not in k and not k.startswith('denoiser.')}
    baseline.load_state_dict(original, strict=True)
    fused = plain_model()
    fused.load_state_dict(wrapper.deploy_state_dict(), strict=True)
    return dict(baseline=baseline, denoiserep_fused=fused, denoiserep_unfused=wrapper), deploy_cfg


class _FeatureDenoised(nn.Module):
    """The baseline with a DenoiseRep- feature denoiser on its final feature: the neck's output
    when it is a vector (classifiers' pooled feature), else the backbone's last output (the CLS
    vector of a ReID ViT; the last feature map of detectors and segmentors, denoised per
    position)."""

    def __init__(self, model: nn.Module, steps: int, example: torch.Tensor, samples):
        super().__init__()
        from mmdenoise.denoiserep import FeatureDenoiser
        self.model = model
        captured = {}
        parts = [p for p in ('neck', 'backbone') if getattr(model, p, None) is not None]
        handles = [getattr(model, p).register_forward_hook(
            lambda m, i, o, p=p: captured.__setitem__(p, o)) for p in parts]
        with torch.no_grad():
            _call(model, example, samples)
        for handle in handles:
            handle.remove()
        vectors = [p for p in parts if p in captured and _last(captured[p]).dim() == 2]
        part = vectors[0] if vectors else 'backbone'
        last = _last(captured[part])
        channel_dim = 1 if last.dim() == 4 else -1
        dim = last.shape[channel_dim]
        self.where = part
        self.denoiser = FeatureDenoiser(dim, inference_steps=steps, channel_dim=channel_dim)
        self.denoiser.eval()
        getattr(model, part).register_forward_hook(self._denoise_last)

    def _denoise_last(self, module, inputs, output):
        if isinstance(output, tuple):
            return output[:-1] + (self._denoise_last(module, inputs, output[-1]), )
        if isinstance(output, list):
            return output[:-1] + [self._denoise_last(module, inputs, output[-1])]
        return self.denoiser(output)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        if data_samples is not None:
            return self.model(inputs, data_samples, mode=mode)
        return self.model(inputs, mode=mode)


def _last(output):
    while isinstance(output, (tuple, list)):  # multi-level outputs; mmpretrain ViT pairs
        output = output[-1]
    return output


def _call(model, inputs, samples):
    if samples is not None:
        return model(inputs, samples, mode='tensor')
    return model(inputs, mode='tensor')


def run_case(name: str, repeats: int = 10, warmup: int = 2, feature_steps: int = 15,
             input_shape: Optional[Sequence[int]] = None, root: Optional[str] = None,
             printer: Callable[[str], None] = print) -> Dict[str, Any]:
    """Measure one case of :data:`CASES` (see :func:`run_config`)."""
    config, default_shape = CASES[name]
    root = root or repo_root()
    res = run_config(osp.join(root, config), input_shape or default_shape, repeats, warmup,
                     feature_steps)
    res.update(case=name, config=config)
    return res


def run_config(config: str, input_shape: Optional[Sequence[int]] = None, repeats: int = 10,
               warmup: int = 2, feature_steps: int = 15) -> Dict[str, Any]:
    """Measure the four :data:`VARIANTS` of a DenoiseRep ``config``; returns a dict with
    ``latency`` (measure_latency's result), ``params`` / ``flops`` per variant, ``input_shape``
    and ``max_rel_err`` (fused vs unfused outputs)."""
    from .fuse_checkpoint import compare_models
    models, deploy_cfg = build_models(config)
    shape = tuple(input_shape or config_input_shape(deploy_cfg))
    samples = _dummy_data_samples(deploy_cfg, shape)
    inputs = torch.randn(1, 3, *shape)
    models['denoiserep_minus'] = _FeatureDenoised(
        copy.deepcopy(models['baseline']), feature_steps, inputs, samples).eval()
    # tools/fuse_checkpoint.py --verify's comparison (two-stage detectors: the heads on fixed
    # proposals, since proposals after NMS may differ by near-ties)
    err = compare_models(models['denoiserep_unfused'], models['denoiserep_fused'],
                         shape)['max_rel_err']
    params = {v: sum(p.numel() for p in m.parameters()) for v, m in models.items()}
    flops = {v: tensor_mode_flops(m, inputs, samples) for v, m in models.items()}
    latency = measure_latency({v: (lambda x, m=models[v]: _call(m, x, samples))
                               for v in VARIANTS}, inputs, repeats=repeats, warmup=warmup)
    return dict(case=osp.basename(config), config=config, input_shape=f'{shape[0]}x{shape[1]}',
                params=params, flops=flops, latency=latency, max_rel_err=err,
                feature_steps=feature_steps,
                feature_denoiser_on=models['denoiserep_minus'].where)


def format_case(res: Dict[str, Any]) -> str:
    lat = res['latency']
    lines = [f"{res['case']} ({res['input_shape']}, {res['config']}); fused vs unfused max rel "
             f"err {res['max_rel_err']:.2e}; DenoiseRep-: T'={res['feature_steps']} on the "
             f"{res['feature_denoiser_on']} output",
             f"  {'variant':<20} {'params':>12} {'GFLOPs':>9} {'median ms':>10} "
             f"{'ratio':>6} {'ratio IQR':>13}"]
    for v in VARIANTS:
        r = lat[v]
        lines.append(f"  {v:<20} {res['params'][v]:>12,} {res['flops'][v] / 1e9:>9.3f} "
                     f"{r['median'] * 1e3:>10.2f} {r['ratio']:>6.3f} "
                     f"{r['ratio_iqr'][0]:>6.3f}-{r['ratio_iqr'][1]:.3f}")
    return '\n'.join(lines)


def markdown_rows(results: Sequence[Dict[str, Any]]) -> str:
    lines = ['| model | input | params baseline / fused | GFLOPs baseline / fused / DenoiseRep- '
             '| DenoiseRep- on '
             '| fused / baseline latency (IQR) | DenoiseRep- / baseline | unfused / baseline '
             '| fused vs unfused max rel err |',
             '|---|---|---|---|---|---|---|---|---|']
    for res in results:
        p, f, lat = res['params'], res['flops'], res['latency']
        lines.append(
            f"| {res['case']} | {res['input_shape']} | {p['baseline']:,} / "
            f"{p['denoiserep_fused']:,} | {f['baseline'] / 1e9:.3f} / "
            f"{f['denoiserep_fused'] / 1e9:.3f} / {f['denoiserep_minus'] / 1e9:.3f} | "
            f"{res['feature_denoiser_on']} | "
            f"{lat['denoiserep_fused']['ratio']:.3f} ({lat['denoiserep_fused']['ratio_iqr'][0]:.2f}"
            f"-{lat['denoiserep_fused']['ratio_iqr'][1]:.2f}) | "
            f"{lat['denoiserep_minus']['ratio']:.3f} | "
            f"{lat['denoiserep_unfused']['ratio']:.3f} | {res['max_rel_err']:.1e} |")
    return '\n'.join(lines)
