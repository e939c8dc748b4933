"""Testing on several target domains in one run (domain-generalisation ReID protocols).

Protocol 1 of DG-ReID trains on large source datasets and reports VIPeR, PRID, GRID and iLIDS
(each the average of its 10 random splits) and the mean of the four (paper 004, first open-set
ReID table, "Mean of V,P,G,I"). MMEngine's ``TestLoop`` has one dataloader and one evaluator;
this loop runs several, one after the other, in a single ``tools/test.py`` call.

The 10-split averaging itself needs nothing here: a VIPeR / PRID2011 / GRID / ILIDS test set
holds the query and gallery of every trial (``trials`` default: all ``num_trials``), each image
tagged with its ``trial``, and :class:`mmdenoise.ReIDMetric` computes the metrics per trial and
averages them (it reports ``num_trials`` and ``mAP_std``).
"""
from typing import Dict, List, Optional, Sequence, Union

from mmengine.evaluator import Evaluator
from mmengine.runner import TestLoop
from mmengine.runner.loops import _parse_losses
from torch.utils.data import DataLoader

from mmdenoise.registry import LOOPS

#: metric names (after the evaluator's prefix) averaged over the targets by default
MEAN_METRICS = ('mAP', 'R1', 'R5', 'R10', 'R20', 'mINP')


@LOOPS.register_module()
class MultiTargetTestLoop(TestLoop):
    """Test the model on several target datasets; report each and their mean.

    The config's ``test_dataloader`` / ``test_evaluator`` are the first target (so
    ``tools/test.py`` options such as ``--out`` and ``--cfg-options
    test_dataloader.dataset.data_root=...`` work as usual); ``extra_targets`` adds the others.
    The metrics are returned (and logged, dumped to the work folder's json) as
    ``<target name>/<metric>``, plus ``<mean_name>/<metric>`` = the unweighted mean over the
    targets of each metric in ``mean_metrics`` that every target reports. ``tools/test.py
    --out`` dumps the predictions of the first target only (its evaluator gets the dump).

    Example::

        test_dataloader = dict(dataset=dict(type='mmdenoise.VIPeR', split='test', ...), ...)
        test_evaluator = dict(type='mmdenoise.ReIDMetric')
        test_cfg = dict(
            type='mmdenoise.MultiTargetTestLoop', name='VIPeR',
            extra_targets=[dict(name='PRID', dataloader=dict(...), evaluator=dict(...)), ...])

    Args:
        runner: the Runner.
        dataloader / evaluator: the first target (given by the Runner).
        name: name of the first target. Defaults to ``'target0'``.
        extra_targets: ``dict(name=..., dataloader=..., evaluator=...)`` for each other target
            (the evaluator defaults to a copy of the first target's config).
        mean_name: prefix of the averaged metrics. Defaults to ``'mean'``.
        mean_metrics: metric names (the part after the evaluator's own prefix, e.g. ``mAP`` of
            ``reid/mAP``) to average.
        fp16: autocast, as ``TestLoop``.
    """

    def __init__(self,
                 runner,
                 dataloader: Union[DataLoader, Dict],
                 evaluator: Union[Evaluator, Dict, List],
                 name: str = 'target0',
                 extra_targets: Sequence[dict] = (),
                 mean_name: str = 'mean',
                 mean_metrics: Sequence[str] = MEAN_METRICS,
                 fp16: bool = False):
        evaluator_cfg = evaluator if isinstance(evaluator, (dict, list)) else None
        super().__init__(runner, dataloader, evaluator, fp16=fp16)
        names = [name]
        self._extra = []
        for i, target in enumerate(extra_targets):
            target = dict(target)
            unknown = set(target) - {'name', 'dataloader', 'evaluator'}
            if 'name' not in target or 'dataloader' not in target or unknown:
                raise ValueError(f'MultiTargetTestLoop: extra_targets[{i}] must be '
                                 'dict(name=..., dataloader=..., evaluator=...), got keys '
                                 f'{sorted(target)}')
            if target.get('evaluator') is None:
                if evaluator_cfg is None:
                    raise ValueError(f'MultiTargetTestLoop: extra_targets[{i}] needs an '
                                     'evaluator (the first one is not a config to copy)')
                target['evaluator'] = evaluator_cfg
            names.append(target['name'])
            self._extra.append(target)
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates or mean_name in names:
            raise ValueError(f'MultiTargetTestLoop: target names must be unique and differ '
                             f'from mean_name={mean_name!r}, got {names}')
        self.names = names
        self.mean_name = mean_name
        self.mean_metrics = tuple(mean_metrics)

    def _targets(self):
        """``(name, dataloader, evaluator)``: the first target, then the others, each built
        only when its turn comes."""
        yield self.names[0], self.dataloader, self.evaluator
        for target in self._extra:
            dataloader = self.runner.build_dataloader(
                target['dataloader'], seed=self.runner.seed)
            evaluator = self.runner.build_evaluator(target['evaluator'])
            if hasattr(dataloader.dataset, 'metainfo'):
                evaluator.dataset_meta = dataloader.dataset.metainfo
            yield target['name'], dataloader, evaluator

    def _run_target(self, dataloader, evaluator) -> dict:
        self.dataloader, self.evaluator = dataloader, evaluator  # seen by hooks meanwhile
        self.test_loss.clear()
        for idx, data_batch in enumerate(dataloader):
            self.run_iter(idx, data_batch)
        metrics = evaluator.evaluate(len(dataloader.dataset))
        if self.test_loss:  # models that return a loss in test mode, as TestLoop
            metrics.update(_parse_losses(self.test_loss, 'test'))
        return metrics

    def run(self) -> dict:
        """Run every target; return the prefixed metrics and their means."""
        self.runner.call_hook('before_test')
        self.runner.call_hook('before_test_epoch')
        self.runner.model.eval()
        first = self.dataloader, self.evaluator
        metrics, per_target = {}, []
        try:
            for name, dataloader, evaluator in self._targets():
                target_metrics = self._run_target(dataloader, evaluator)
                per_target.append(target_metrics)
                metrics.update({f'{name}/{k}': v for k, v in target_metrics.items()})
        finally:
            self.dataloader, self.evaluator = first
        metrics.update(self.mean_of(per_target))
        self.runner.call_hook('after_test_epoch', metrics=metrics)
        self.runner.call_hook('after_test')
        return metrics

    def mean_of(self, per_target: Sequence[dict]) -> dict:
        """``{<mean_name>/<key>: mean}`` for the keys every target reports whose last part is
        in ``mean_metrics``."""
        shared = set(per_target[0]).intersection(*per_target[1:]) if per_target else set()
        keys = sorted(k for k in shared if k.rsplit('/', 1)[-1] in self.mean_metrics)
        return {
            f'{self.mean_name}/{k}': sum(float(m[k]) for m in per_target) / len(per_target)
            for k in keys
        }
