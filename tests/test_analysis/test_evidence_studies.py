"""The evidence scripts' logic (tools/analysis): latency / parameters / FLOPs of baseline vs
DenoiseRep- vs fused, the training-cost comparison, the Fashion-MNIST study's statistics, and the
evidence fragments of model_zoo.md. Run here on the demo's small ResNet config (cheap)."""
import statistics

import pytest
import torch

import mmdenoise  # noqa: F401
from mmdenoise.apis import fashion_mnist_study as study
from mmdenoise.apis import model_zoo
from mmdenoise.apis.latency_study import VARIANTS
from mmdenoise.apis.latency_study import run_config as latency_of
from mmdenoise.apis.training_cost import run_config as training_cost_of

DEMO = model_zoo.repo_root() + '/configs/demo/denoiserep-label-free_resnet18-w16_fashion-mnist-mini.py'


def test_latency_study_compares_the_four_variants():
    res = latency_of(DEMO, (28, 28), repeats=2, warmup=1, feature_steps=5)
    params, flops = res['params'], res['flops']
    # the fused deploy model is the baseline architecture: same parameters and FLOPs
    assert params['denoiserep_fused'] == params['baseline'] == 703386
    assert flops['denoiserep_fused'] == flops['baseline'] > 0
    # DenoiseRep- adds a feature denoiser (parameters and work); the unfused wrapper adds the
    # per-layer denoisers
    assert params['denoiserep_minus'] > params['baseline']
    assert flops['denoiserep_minus'] > flops['baseline']
    assert params['denoiserep_unfused'] > params['denoiserep_minus']
    assert flops['denoiserep_unfused'] > flops['baseline']
    assert res['max_rel_err'] < 1e-4
    lat = res['latency']
    assert lat['reference'] == 'baseline' and lat['baseline']['ratio'] == 1.0
    assert all(len(lat[v]['times']) == 2 and lat[v]['ratio'] > 0 for v in VARIANTS)


def test_training_cost_steps_the_right_parameters():
    res = training_cost_of(DEMO, batch_size=4, input_shape=(28, 28), repeats=1, warmup=1)
    wrapper, plain = res['models']['label_free'], res['models']['fine_tune']
    denoiser = sum(p.numel() for n, p in wrapper.named_parameters() if '.denoiser.' in n)
    assert res['trainable'] == dict(fine_tune=703386, label_free=denoiser,
                                    label_free_sampled=denoiser)
    sampled = res['models']['label_free_sampled']
    assert {m.loss_sample_ratio for n, m in sampled.named_modules() if n.endswith('.denoiser')} \
        == {0.25}
    # both started from the same weights; the label-free steps left the task model as it was,
    # the fine-tuning steps changed it
    start = {k: v for k, v in wrapper.architecture.state_dict().items() if '.denoiser.' not in k}
    moved = [k for k, v in plain.state_dict().items()
             if v.is_floating_point() and not torch.equal(v, start[k])]
    assert moved
    assert res['latency']['fine_tune']['ratio'] == 1.0 and res['latency']['label_free']['ratio'] > 0


def _result(model, seed, stage, acc):
    return dict(model=model, seed=seed, stage=stage, accuracy=acc)


def test_study_summary_is_mean_std_and_paired_deltas():
    base = [90.0, 91.0, 92.5]
    lf = [90.5, 90.5, 93.0]
    results = {'m': {'baseline': [_result('m', s, 'baseline', a) for s, a in enumerate(base)],
                     'label_free': [_result('m', s, 'label_free', a) for s, a in enumerate(lf)]}}
    rows = {r['stage']: r for r in study.summarize(results)}
    assert rows['baseline']['mean'] == pytest.approx(statistics.fmean(base))
    assert rows['baseline']['std'] == pytest.approx(statistics.stdev(base))
    deltas = [b - a for a, b in zip(base, lf)]
    assert rows['label_free']['delta_mean'] == pytest.approx(statistics.fmean(deltas))
    assert rows['label_free']['delta_std'] == pytest.approx(statistics.stdev(deltas))
    table = study.format_table(study.summarize(results))
    assert '+0.17 ± 0.58' in table and '90.50, 90.50, 93.00' in table


def test_study_collects_finished_stages(tmp_path):
    import json
    for seed, acc in ((0, 91.0), (1, 92.0)):
        path = tmp_path / 'resnet18-w16' / f'seed{seed}' / 'baseline' / 'result.json'
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(_result('resnet18-w16', seed, 'baseline', acc)))
    (row, ) = study.collect(str(tmp_path))
    assert row['n'] == 2 and row['mean'] == pytest.approx(91.5)


def test_evidence_fragments_are_part_of_the_zoo_page(tmp_path):
    assert model_zoo.evidence_sections(str(tmp_path)) == []
    path = model_zoo.write_evidence('latency', 'Latency', 'python tools/analysis/x.py',
                                    '| a |\n|---|\n| 1 |', root=str(tmp_path))
    text = open(path).read()
    assert text.startswith('### Latency') and '`python tools/analysis/x.py`' in text
    assert 'Measured here on' in text
    sections = '\n'.join(model_zoo.evidence_sections(str(tmp_path)))
    assert '## Evidence (measured here)' in sections and '| 1 |' in sections
