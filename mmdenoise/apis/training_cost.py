"""The zoo's training-cost evidence: one label-free DenoiseRep step vs one plain fine-tuning step.

For a label-free DenoiseRep config, two models with the same weights are built on CPU (random
weights, no download): the wrapper of the config (task model frozen, only the denoisers learn)
and the plain task model of its ``deploy_config`` (every parameter learns, the fine-tuning a user
would otherwise run). Each gets the optimizer of its own config (``build_optim_wrapper``). One
full ``train_step`` (data preprocessing, forward, loss, backward, optimizer step) of each on the
same synthetic batch is timed, interleaved (:func:`mmdenoise.apis.benchmark.measure_latency`,
paired ratios, medians). Target: label-free / fine-tuning <= 1.3.
"""
import copy
import os.path as osp
from typing import Any, Callable, Dict, Optional, Sequence

import torch

from .benchmark import measure_latency
from .latency_study import _no_init
from .model_zoo import config_input_shape, repo_root

#: name -> (label-free DenoiseRep config, batch size, images per identity (ReID batches) or
#: None, input (H, W) or None for the config's test size)
CASES = {
    'vit-s-reid': ('configs/reid/transreid_ssl/'
                   'denoiserep-label-free_transreid-ssl_vit-small_market1501-256x128.py', 16, 4,
                   None),
    'resnet50-cls': ('configs/denoiserep/classification/'
                     'denoiserep-label-free_resnet50_8xb32_in1k.py', 8, None, None),
    'resnet18-w16-fashion-mnist': ('configs/fashion-mnist/'
                                   'denoiserep-label-free_resnet18-w16_fashion-mnist.py', 128,
                                   None, (28, 28)),
}


def synthetic_batch(batch_size: int, shape, num_classes: int, instances: Optional[int] = None,
                    seed: int = 0) -> Dict[str, Any]:
    """A batch as the dataloader gives it (uint8 CHW images, mmpretrain ``DataSample`` labels);
    ReID batches (``instances`` set) hold ``batch_size / instances`` identities x ``instances``."""
    from mmpretrain.structures import DataSample
    gen = torch.Generator().manual_seed(seed)
    inputs = [torch.randint(0, 256, (3, *shape), generator=gen, dtype=torch.uint8)
              for _ in range(batch_size)]
    samples = []
    for i in range(batch_size):
        label = (i // instances) if instances else i % num_classes
        samples.append(DataSample().set_gt_label(int(label) % num_classes))
    return dict(inputs=inputs, data_samples=samples)


def _num_classes(model_cfg) -> int:
    head = model_cfg.get('head') or {}
    return int(head.get('num_classes', 10))


def build_pair(config: str, seed: int = 0, loss_sample_ratio: Optional[float] = None):
    """``(wrapper, its optim wrapper, plain model, its optim wrapper, deploy cfg)``; with
    ``loss_sample_ratio``, the wrapper's denoisers compute their noise loss on that share of the
    feature positions (``attach.loss_sample_ratio``)."""
    from mmengine.config import Config
    from mmengine.model import revert_sync_batchnorm
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import DefaultScope

    from mmdenoise.registry import MODELS

    cfg = Config.fromfile(config)
    if cfg.model.get('mode') != 'label_free':
        raise ValueError(f'{config}: not a label-free DenoiseRep config')
    deploy_cfg = Config.fromfile(osp.normpath(osp.join(osp.dirname(config), cfg.deploy_config)))
    if loss_sample_ratio is not None:
        cfg.model.attach.loss_sample_ratio = loss_sample_ratio
    torch.manual_seed(seed)

    def build(c, scope):
        model_cfg = _no_init(c.model)
        if c.get('data_preprocessor') is not None and 'data_preprocessor' not in model_cfg:
            model_cfg['data_preprocessor'] = copy.deepcopy(c.data_preprocessor)
        with DefaultScope.overwrite_default_scope(scope):
            model = revert_sync_batchnorm(MODELS.build(model_cfg))
            model.train()
            optim = build_optim_wrapper(model, copy.deepcopy(c.optim_wrapper))
        return model, optim

    wrapper, wrapper_optim = build(cfg, cfg.get('default_scope', 'mmdenoise'))
    plain, plain_optim = build(deploy_cfg, deploy_cfg.get('default_scope', 'mmdenoise'))
    original = {k: v for k, v in wrapper.architecture.state_dict().items()
                if '.denoiser.' not in k}
    plain.load_state_dict(original, strict=True)
    return wrapper, wrapper_optim, plain, plain_optim, deploy_cfg


def run_case(name: str, repeats: int = 10, warmup: int = 2,
             batch_size: Optional[int] = None, root: Optional[str] = None) -> Dict[str, Any]:
    """Measure one case of :data:`CASES` (see :func:`run_config`)."""
    config, default_batch, instances, default_shape = CASES[name]
    res = run_config(osp.join(root or repo_root(), config), batch_size or default_batch,
                     instances, default_shape, repeats, warmup)
    res.update(case=name, config=config)
    return res


def run_config(config: str, batch_size: int, instances: Optional[int] = None,
               input_shape: Optional[Sequence[int]] = None, repeats: int = 10,
               warmup: int = 2, sampled_ratio: Optional[float] = 0.25) -> Dict[str, Any]:
    """Time ``train_step`` of the label-free wrapper of ``config`` against plain fine-tuning of
    its deploy model (and, with ``sampled_ratio``, of the wrapper with
    ``attach.loss_sample_ratio=sampled_ratio`` as ``label_free_sampled``); returns ``latency``,
    ``trainable`` counts, ``input_shape``, ``batch_size``, ``models``."""
    wrapper, wrapper_optim, plain, plain_optim, deploy_cfg = build_pair(config)
    shape = tuple(input_shape or config_input_shape(deploy_cfg))
    batch = synthetic_batch(batch_size, shape, _num_classes(deploy_cfg.model), instances)
    models = dict(fine_tune=plain, label_free=wrapper)
    optims = dict(fine_tune=plain_optim, label_free=wrapper_optim)
    if sampled_ratio is not None:
        sampled, sampled_optim, _, _, _ = build_pair(config, loss_sample_ratio=sampled_ratio)
        models['label_free_sampled'], optims['label_free_sampled'] = sampled, sampled_optim
    trainable = {k: sum(p.numel() for p in m.parameters() if p.requires_grad)
                 for k, m in models.items()}
    steps = {k: (lambda data, k=k: models[k].train_step(data, optims[k])) for k in models}
    latency = measure_latency(steps, batch, repeats=repeats, warmup=warmup, no_grad=False)
    return dict(case=osp.basename(config), config=config, input_shape=f'{shape[0]}x{shape[1]}',
                batch_size=len(batch['inputs']), trainable=trainable, latency=latency,
                models=models, sampled_ratio=sampled_ratio)


def format_case(res: Dict[str, Any]) -> str:
    lat = res['latency']
    lines = [f"{res['case']} (batch {res['batch_size']} x {res['input_shape']}, {res['config']})",
             f"  {'step':<20} {'trainable':>12} {'median s':>9} {'ratio':>6}"]
    for step in lat['order']:
        lines.append(f"  {step:<20} {res['trainable'][step]:>12,} {lat[step]['median']:>9.3f} "
                     f"{lat[step]['ratio']:>6.3f}")
    return '\n'.join(lines)


def markdown_rows(results: Sequence[Dict[str, Any]]) -> str:
    lines = ['| model | batch | trainable fine-tune / label-free | step s fine-tune / label-free '
             '| label-free / fine-tune | label-free, loss on 1/4 of the positions / fine-tune |',
             '|---|---|---|---|---|---|']
    for r in results:
        lat, tr = r['latency'], r['trainable']
        sampled = (f"{lat['label_free_sampled']['ratio']:.3f}" if 'label_free_sampled' in lat
                   else '—')
        lines.append(f"| {r['case']} | {r['batch_size']} x {r['input_shape']} | "
                     f"{tr['fine_tune']:,} / {tr['label_free']:,} | "
                     f"{lat['fine_tune']['median']:.3f} / {lat['label_free']['median']:.3f} | "
                     f"{lat['label_free']['ratio']:.3f} | {sampled} |")
    return '\n'.join(lines)


def main_loop(cases: Sequence[str], repeats: int, warmup: int,
              printer: Callable[[str], None] = print):
    results = []
    for case in cases:
        res = run_case(case, repeats=repeats, warmup=warmup)
        printer(format_case(res))
        results.append(res)
    return results
