"""Time DenoiseRep fusion on real architectures (CPU) and check its exactness.

For each model: build it from the upstream config with random weights, attach denoisers (ViT-B:
the two Linear layers of every MLP; Mask R-CNN R50-FPN: every conv of backbone + neck), give
them random "trained-looking" parameters and random BatchNorm statistics, then report

* ``fuse`` time: median over ``--repeats`` runs of ``fuse(model)`` (deep copy + float64 algebra),
  and of the algebra alone (``switch_to_deploy`` on a prepared copy);
* the max relative error ``max|fused - unfused| / max|unfused|`` of the eval-mode outputs.

Example::

    python tools/analysis/benchmark_fusion.py --repeats 3
"""
import argparse
import copy
import os
import statistics
import sys
import time

import torch
from torch import nn

from mmdenoise.denoiserep import attach_denoisers, fuse, switch_to_deploy
from mmdenoise.denoiserep.testing import max_rel_error, perturb_denoisers, randomize_bn_stats

MODELS = {
    'vit-b': dict(package='mmpretrain', cfg='vision_transformer/vit-base-p16_64xb64_in1k.py',
                  part='backbone', input=(1, 3, 224, 224),
                  attach=dict(layer_types='Linear', include=[r'ffn\.layers\.(0\.0|1)$'])),
    'mask-rcnn-r50-fpn': dict(package='mmdet', cfg='mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py',
                              part='backbone+neck', input=(1, 3, 256, 256),
                              attach=dict(layer_types='Conv2d')),
}


def build(package: str, cfg_path: str, part: str) -> nn.Module:
    from mmengine.hub import get_config
    from mmengine.model import revert_sync_batchnorm
    from mmengine.registry import DefaultScope, init_default_scope
    init_default_scope(package)
    registry = __import__(f'{package}.registry', fromlist=['MODELS']).MODELS
    cfg = get_config(f'{package}::{cfg_path}')
    cfg.model.backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope(package):
        backbone = registry.build(cfg.model.backbone)
        model = backbone if part == 'backbone' else nn.Sequential(
            backbone, registry.build(cfg.model.neck))
    return revert_sync_batchnorm(model)


def timed(fn, repeats: int):
    walls, cpus, result = [], [], None
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def run(name: str, spec: dict, repeats: int) -> None:
    torch.manual_seed(0)
    model = build(spec['package'], spec['cfg'], spec['part'])
    randomize_bn_stats(model, seed=1)
    records = attach_denoisers(model, **spec['attach'])
    perturb_denoisers(model, seed=2)
    model.eval()
    n_params = sum(p.numel() for n, p in model.named_parameters() if '.denoiser.' not in n)
    wall, cpu, fused = timed(lambda: fuse(model), repeats)
    copies = [copy.deepcopy(model) for _ in range(repeats)]
    algebra_wall, algebra_cpu, _ = timed(lambda: switch_to_deploy(copies.pop()), repeats)
    x = torch.randn(*spec['input'])
    with torch.no_grad():
        err = max_rel_error(fused(x), model(x))
    print(f'{name}: {len(records)} layers fused, {n_params / 1e6:.1f} M parameters')
    print(f'  fuse():            median {wall:6.2f} s wall, {cpu:6.2f} s CPU '
          f'over {repeats} runs')
    print(f'  algebra only:      median {algebra_wall:6.2f} s wall, {algebra_cpu:6.2f} s CPU')
    print(f'  max rel err (fp32 outputs, input {tuple(spec["input"])}): {err:.2e}')
    return dict(name=name, layers=len(records), params=n_params, wall=wall, cpu=cpu,
                algebra_wall=algebra_wall, err=err, input=tuple(spec['input']))


def markdown(rows, repeats: int) -> str:
    lines = ['Fusion time of `fuse(model)` (deep copy + float64 algebra) on CPU, median of '
             f'{repeats} runs; target ViT-B <= 10 s on 2 cores.', '',
             '| model | layers fused | parameters | fuse() wall s | CPU s | algebra only wall s '
             '| fused vs unfused max rel err |', '|---|---|---|---|---|---|---|']
    for r in rows:
        lines.append(f"| {r['name']} | {r['layers']} | {r['params'] / 1e6:.1f} M | "
                     f"{r['wall']:.2f} | {r['cpu']:.2f} | {r['algebra_wall']:.2f} | "
                     f"{r['err']:.1e} |")
    return '\n'.join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--models', nargs='+', default=list(MODELS), choices=list(MODELS))
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--threads', type=int, default=None, help='torch CPU threads')
    parser.add_argument('--record', action='store_true',
                        help='write docs/evidence/fusion_time.md (then regenerate model_zoo.md)')
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f'torch {torch.__version__}, {torch.get_num_threads()} threads, '
          f'{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}')
    rows = [run(name, MODELS[name], args.repeats) for name in args.models]
    if args.record:
        from mmdenoise.apis.model_zoo import write_evidence
        command = 'python tools/analysis/benchmark_fusion.py ' + ' '.join(sys.argv[1:])
        print(write_evidence('fusion_time', 'Fusion time', command.strip(),
                             markdown(rows, args.repeats)))


if __name__ == '__main__':
    main()
