"""The Fashion-MNIST accuracy study of the zoo (issue: real-data evidence).

For each model (the narrow ResNet-18 and the small ViT of ``configs/fashion-mnist``) and each
seed, through the project's own tools (subprocesses, same Python):

1. ``baseline``: ``tools/train.py`` the plain config from scratch with ``randomness.seed=S``;
   ``tools/test.py`` it on the 10,000 test images;
2. ``finetune``: two more epochs of plain fine-tuning of that baseline (the control of the
   label-augmented run: same optimizer, no denoisers);
3. ``label_free`` / ``label_aug``: DenoiseRep on that baseline (``load_from``), then
   ``tools/fuse_checkpoint.py --verify`` and ``tools/test.py`` of the **deploy config on the fused
   weights** (the number a user of the deployed model gets).

Every stage writes ``<work_dir>/<model>/seed<S>/<stage>/result.json`` and is skipped when that
file exists, so an interrupted study resumes where it stopped. The summary gives mean +- std
(sample std, ``ddof=1``) over the seeds of the top-1 accuracy (%) and the differences to the
baseline, whether or not a gain appears.
"""
import json
import os
import os.path as osp
import statistics
import sys
from typing import Callable, Dict, List, Optional, Sequence

from .demo import find_test_metrics, parse_fuse_errors, read_last_checkpoint, run_stage

CONFIG_DIR = osp.join('configs', 'fashion-mnist')
MODELS = {
    'resnet18-w16': 'resnet18-w16_fashion-mnist',
    'vit-tiny-p4': 'vit-tiny-p4_fashion-mnist',
}
STAGES = ('baseline', 'finetune', 'label_free', 'label_aug')
STAGE_LABELS = {
    'baseline': 'baseline (8 epochs)',
    'finetune': 'baseline + 2 epochs plain fine-tuning',
    'label_free': 'DenoiseRep label-free (+2 epochs, fused)',
    'label_aug': 'DenoiseRep label-augmented (+2 epochs, fused)',
}
METRIC = 'accuracy/top1'


def stage_configs(model: str) -> Dict[str, str]:
    stem = MODELS[model]
    return {
        'baseline': osp.join(CONFIG_DIR, f'{stem}.py'),
        'finetune': osp.join(CONFIG_DIR, f'{stem}_finetune.py'),
        'label_free': osp.join(CONFIG_DIR, f'denoiserep-label-free_{stem}.py'),
        'label_aug': osp.join(CONFIG_DIR, f'denoiserep-label-aug_{stem}.py'),
    }


def _result_path(work_dir: str, model: str, seed: int, stage: str) -> str:
    return osp.join(work_dir, model, f'seed{seed}', stage, 'result.json')


def _write_json(path: str, data: dict) -> None:
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(data, f, indent=2)
    os.replace(tmp, path)


def _test(stage_dir: str, config: str, checkpoint: str, printer) -> Dict[str, float]:
    test_dir = osp.join(stage_dir, 'test')
    run_stage('test', [sys.executable, 'tools/test.py', config, checkpoint, '--work-dir', test_dir],
              osp.join(stage_dir, 'test.log'), printer=printer)
    metrics = find_test_metrics(test_dir, METRIC)
    if metrics is None:
        raise RuntimeError(f'no {METRIC} in the test output under {test_dir}')
    return metrics


def run_stage_for_seed(model: str, seed: int, stage: str, work_dir: str,
                       printer: Callable[[str], None] = print) -> dict:
    """Run (or reuse) one stage of one seed; returns its ``result.json`` content."""
    path = _result_path(work_dir, model, seed, stage)
    if osp.isfile(path):
        with open(path) as f:
            return json.load(f)
    configs = stage_configs(model)
    stage_dir = osp.dirname(path)
    os.makedirs(stage_dir, exist_ok=True)
    train_cmd = [sys.executable, 'tools/train.py', configs[stage], '--work-dir', stage_dir,
                 '--cfg-options', f'randomness.seed={seed}']
    baseline_ckpt = None
    if stage != 'baseline':
        baseline = run_stage_for_seed(model, seed, 'baseline', work_dir, printer)
        baseline_ckpt = baseline['checkpoint']
        train_cmd.append(f'load_from={baseline_ckpt}')
    printer(f'[{model} seed {seed}] {stage}: training')
    run_stage(stage, train_cmd, osp.join(stage_dir, 'train.log'), printer=printer)
    ckpt = read_last_checkpoint(stage_dir)
    result = dict(model=model, seed=seed, stage=stage, config=configs[stage], checkpoint=ckpt,
                  train_command=' '.join(train_cmd[1:]))
    if stage in ('label_free', 'label_aug'):
        deploy = osp.join(stage_dir, 'deploy_fused.pth')
        fuse_out = run_stage('fuse', [sys.executable, 'tools/fuse_checkpoint.py', configs[stage],
                                      ckpt, deploy, '--verify'],
                             osp.join(stage_dir, 'fuse.log'), printer=printer)
        result['fusion'] = parse_fuse_errors(fuse_out)
        result['test_checkpoint'] = deploy
        metrics = _test(stage_dir, configs['baseline'], deploy, printer)
    else:
        result['test_checkpoint'] = ckpt
        metrics = _test(stage_dir, configs['baseline'], ckpt, printer)
    result['metrics'] = metrics
    result['accuracy'] = metrics[METRIC]
    _write_json(path, result)
    printer(f'[{model} seed {seed}] {stage}: top-1 {result["accuracy"]:.2f}')
    return result


def mean_std(values: Sequence[float]):
    values = list(values)
    mean = statistics.fmean(values)
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return mean, std


def summarize(results: Dict[str, Dict[str, List[dict]]]) -> List[dict]:
    """Rows ``{model, stage, n, mean, std, delta_mean, delta_std, per_seed}``; the delta is the
    per-seed difference to that seed's baseline."""
    rows = []
    for model, by_stage in results.items():
        base = {r['seed']: r['accuracy'] for r in by_stage.get('baseline', [])}
        for stage in STAGES:
            runs = sorted(by_stage.get(stage, []), key=lambda r: r['seed'])
            if not runs:
                continue
            mean, std = mean_std(r['accuracy'] for r in runs)
            deltas = [r['accuracy'] - base[r['seed']] for r in runs if r['seed'] in base]
            d_mean, d_std = mean_std(deltas) if deltas else (float('nan'), float('nan'))
            rows.append(dict(model=model, stage=stage, n=len(runs), mean=mean, std=std,
                             delta_mean=d_mean, delta_std=d_std,
                             per_seed=[round(r['accuracy'], 2) for r in runs]))
    return rows


def format_table(rows: List[dict]) -> str:
    lines = ['| model | variant | seeds | top-1 (%) mean ± std | Δ vs baseline (pp) | per seed |',
             '|---|---|---|---|---|---|']
    for r in rows:
        delta = '—' if r['stage'] == 'baseline' else f"{r['delta_mean']:+.2f} ± {r['delta_std']:.2f}"
        lines.append(f"| {r['model']} | {STAGE_LABELS[r['stage']]} | {r['n']} | "
                     f"{r['mean']:.2f} ± {r['std']:.2f} | {delta} | "
                     f"{', '.join(f'{a:.2f}' for a in r['per_seed'])} |")
    return '\n'.join(lines)


def run_study(models: Sequence[str], seeds: Sequence[int], work_dir: str,
              stages: Sequence[str] = STAGES,
              printer: Callable[[str], None] = print) -> List[dict]:
    if not osp.isfile(osp.join('data', 'fashion-mnist', 'train-images-idx3-ubyte')):
        raise FileNotFoundError(
            'data/fashion-mnist/train-images-idx3-ubyte not found: run '
            'python tools/dataset_converters/prepare_fashion_mnist.py first')
    results: Dict[str, Dict[str, List[dict]]] = {}
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise KeyError(f'unknown model(s) {unknown}; choose from {sorted(MODELS)}')
    for seed in seeds:  # seed-major: a stopped study has every model at the same seeds
        for model in models:
            for stage in stages:
                res = run_stage_for_seed(model, seed, stage, work_dir, printer)
                results.setdefault(model, {}).setdefault(stage, []).append(res)
    return summarize(results)


def collect(work_dir: str, models: Optional[Sequence[str]] = None) -> List[dict]:
    """The summary of whatever stages have finished under ``work_dir`` (no training)."""
    results: Dict[str, Dict[str, List[dict]]] = {}
    for model in models or MODELS:
        model_dir = osp.join(work_dir, model)
        if not osp.isdir(model_dir):
            continue
        for seed_dir in sorted(os.listdir(model_dir)):
            for stage in STAGES:
                path = osp.join(model_dir, seed_dir, stage, 'result.json')
                if osp.isfile(path):
                    with open(path) as f:
                        results.setdefault(model, {}).setdefault(stage, []).append(json.load(f))
    return summarize(results)
