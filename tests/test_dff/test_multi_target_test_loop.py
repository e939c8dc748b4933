"""MultiTargetTestLoop: several target test sets in one test run, each reported under its
name, plus their mean (the DG-ReID protocol-1 report). The end-to-end run through
tools/test.py is in test_dff_tools.py."""
from types import SimpleNamespace

import pytest
from mmengine.evaluator import BaseMetric, Evaluator
from torch.utils.data import DataLoader

from mmdenoise.engine import MultiTargetTestLoop


class ConstantMetric(BaseMetric):
    """Reports ``mAP = value``, ``R1 = value + number of samples seen``, ``mAP_std = 1``."""
    default_prefix = 'reid'

    def __init__(self, value):
        super().__init__()
        self.value = value

    def process(self, data_batch, data_samples):
        self.results.extend(data_samples)

    def compute_metrics(self, results):
        return dict(mAP=self.value, R1=self.value + len(results), mAP_std=1.0)


class FakeRunner:
    """What the loop uses of a Runner: dataloaders and evaluators by config, hooks, model."""

    def __init__(self, loaders):
        self.loaders = loaders
        self.seed = 0
        self.visualizer = SimpleNamespace()
        self.hooks = []
        self.model = SimpleNamespace(eval=lambda: None,
                                     test_step=lambda batch: [dict(x=int(v)) for v in batch])

    def build_dataloader(self, cfg, seed=None):
        return self.loaders[cfg['name']]

    def build_evaluator(self, cfg):
        return Evaluator(ConstantMetric(cfg['value']))

    def call_hook(self, name, **kwargs):
        self.hooks.append((name, kwargs.get('batch_idx')))


def _loader(n):
    return DataLoader(list(range(n)), batch_size=2)


def test_runs_every_target_and_averages():
    runner = FakeRunner({'b': _loader(5), 'c': _loader(1)})
    first = _loader(3)
    loop = MultiTargetTestLoop(
        runner, first, Evaluator(ConstantMetric(10.0)), name='A',
        extra_targets=[dict(name='B', dataloader=dict(name='b'), evaluator=dict(value=30.0)),
                       dict(name='C', dataloader=dict(name='c'), evaluator=dict(value=50.0))])
    metrics = loop.run()
    assert metrics['A/reid/mAP'] == 10.0 and metrics['A/reid/R1'] == 13.0
    assert metrics['B/reid/mAP'] == 30.0 and metrics['B/reid/R1'] == 35.0
    assert metrics['C/reid/R1'] == 51.0
    assert metrics['mean/reid/mAP'] == pytest.approx(30.0)
    assert metrics['mean/reid/R1'] == pytest.approx((13 + 35 + 51) / 3)
    assert 'mean/reid/mAP_std' not in metrics  # not a metric to average
    names = [h for h, _ in runner.hooks]
    assert names[:2] == ['before_test', 'before_test_epoch']
    assert names[-2:] == ['after_test_epoch', 'after_test']
    assert names.count('after_test_iter') == 2 + 3 + 1  # every batch of every target
    assert loop.dataloader is first  # restored for the hooks after the run


def test_extra_target_without_evaluator_copies_the_first_config():
    runner = FakeRunner({'b': _loader(2)})
    loop = MultiTargetTestLoop(runner, _loader(2), dict(value=7.0), name='A',
                               extra_targets=[dict(name='B', dataloader=dict(name='b'))])
    metrics = loop.run()
    assert metrics['B/reid/mAP'] == 7.0 and metrics['mean/reid/mAP'] == 7.0


@pytest.mark.parametrize('extra,message', [
    ([dict(dataloader=dict(name='b'))], r'extra_targets\[0\] must be dict\(name=...'),
    ([dict(name='B', dataloader=dict(name='b'), metric=1)], 'got keys'),
    ([dict(name='A', dataloader=dict(name='b'))], 'target names must be unique'),
    ([dict(name='mean', dataloader=dict(name='b'))], 'differ from mean_name'),
])
def test_bad_targets_are_named(extra, message):
    with pytest.raises(ValueError, match=message):
        MultiTargetTestLoop(FakeRunner({}), _loader(1), dict(value=1.0), name='A',
                            extra_targets=extra)


def test_extra_target_needs_an_evaluator_when_the_first_is_built():
    with pytest.raises(ValueError, match='needs an evaluator'):
        MultiTargetTestLoop(FakeRunner({}), _loader(1), Evaluator(ConstantMetric(1.0)),
                            extra_targets=[dict(name='B', dataloader=dict(name='b'))])
