"""Average the test metrics of several runs: the protocols that repeat a training per random split
or trial (RegDB's 10 trials, MLR-CUHK03 / MLR-VIPeR / CAVIAR, VIPeR-style splits trained per
split) and repeated seeds.

``tools/test.py`` (MMEngine's ``LoggerHook``) writes the metrics of a test run to
``<work_dir>/<timestamp>/<timestamp>.json``: one JSON object, ``{"reid/mAP": ..., "reid/R1": ...,
"data_time": ..., "time": ...}``. A training run logs to ``<timestamp>/vis_data/<timestamp>.json``
(one JSON object per logged step) instead, so a work directory's newest
``<timestamp>/<timestamp>.json`` holding one object of metrics is its latest test result.
"""
import glob
import json
import math
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence, Tuple

#: Keys of the test json that are timings, not metrics.
TIMING_KEYS = ('time', 'data_time')
_TIMESTAMP = re.compile(r'^\d{8}_\d{6}$')


class TrialResultsError(ValueError):
    """A result file or folder that holds no test metrics, or runs that disagree on metrics."""


def read_test_metrics(path: str) -> Dict[str, float]:
    """The metrics of one test run: ``path`` is MMEngine's test json, or a work directory (its
    newest ``<timestamp>/<timestamp>.json`` that is a test result)."""
    if osp.isdir(path):
        candidates = sorted(
            (f for f in glob.glob(osp.join(path, '*', '*.json'))
             if _TIMESTAMP.match(osp.basename(osp.dirname(f)))
             and osp.splitext(osp.basename(f))[0] == osp.basename(osp.dirname(f))),
            reverse=True)
        for candidate in candidates:
            metrics = _metrics_of(candidate)
            if metrics:
                return metrics
        raise TrialResultsError(
            f'{path}: no test result in this folder (expected <timestamp>/<timestamp>.json '
            f'written by tools/test.py with --work-dir {path})')
    if not osp.isfile(path):
        raise TrialResultsError(f'{path}: no such file or folder')
    metrics = _metrics_of(path)
    if not metrics:
        raise TrialResultsError(f'{path}: not a test result (one JSON object of metrics, as '
                                f'tools/test.py writes)')
    return metrics


def _metrics_of(path: str) -> Optional[Dict[str, float]]:
    """The metrics of a test json, or None when it is not one (training log, bad JSON)."""
    with open(path) as f:
        lines = [line for line in f.read().splitlines() if line.strip()]
    if len(lines) != 1:
        return None
    try:
        record = json.loads(lines[0])
    except json.JSONDecodeError:
        return None
    if not isinstance(record, dict):
        return None
    metrics = {
        k: float(v) for k, v in record.items()
        if k not in TIMING_KEYS and isinstance(v, (int, float)) and not isinstance(v, bool)
    }
    return metrics or None


def average_metrics(runs: Sequence[Tuple[str, Dict[str, float]]],
                    keys: Optional[str] = None) -> Dict[str, Dict[str, float]]:
    """``{metric: {mean, std, min, max, n}}`` over ``runs`` (``(name, metrics)`` pairs).

    ``std`` is the sample standard deviation (``n - 1``; 0 for one run). Every run must report
    the same metrics (those matching the regular expression ``keys``, if given).
    """
    if not runs:
        raise TrialResultsError('no runs to average')
    pattern = re.compile(keys) if keys else None

    def selected(metrics):
        return {k for k in metrics if pattern is None or pattern.search(k)}

    names = selected(runs[0][1])
    if not names:
        raise TrialResultsError(f'{runs[0][0]}: no metric matches {keys!r}')
    for name, metrics in runs[1:]:
        if selected(metrics) != names:
            missing = sorted(names - selected(metrics))
            extra = sorted(selected(metrics) - names)
            raise TrialResultsError(
                f'{name}: reports other metrics than {runs[0][0]} (missing {missing}, '
                f'extra {extra})')
    summary = {}
    for key in sorted(names):
        values = [metrics[key] for _, metrics in runs]
        n = len(values)
        mean = sum(values) / n
        std = math.sqrt(sum((v - mean)**2 for v in values) / (n - 1)) if n > 1 else 0.0
        summary[key] = dict(mean=mean, std=std, min=min(values), max=max(values), n=n)
    return summary


def format_summary(summary: Dict[str, Dict[str, float]], digits: int = 2) -> str:
    """A markdown table: metric, mean, std, min, max, n."""
    lines = ['| metric | mean | std | min | max | runs |', '|---|---|---|---|---|---|']
    for key, s in summary.items():
        lines.append(f'| {key} | {s["mean"]:.{digits}f} | {s["std"]:.{digits}f} | '
                     f'{s["min"]:.{digits}f} | {s["max"]:.{digits}f} | {s["n"]} |')
    return '\n'.join(lines)


def average_test_results(paths: Sequence[str], keys: Optional[str] = None) -> Tuple[
        List[Tuple[str, Dict[str, float]]], Dict[str, Dict[str, float]]]:
    """Read each path (:func:`read_test_metrics`) and average them (:func:`average_metrics`)."""
    runs = [(path, read_test_metrics(path)) for path in paths]
    return runs, average_metrics(runs, keys)
