"""tools/analysis/average_results.py: mean / std of the test metrics of several runs."""
import json
import math
import os
import os.path as osp

import pytest

from mmdenoise.apis import trial_results
from tool_test_utils import load_tool


def _tool():
    return load_tool('analysis/average_results')


def _work_dir(root, name, test=None, train_lines=2, stamp='20261121_120000'):
    """A work directory as tools/train.py + tools/test.py leave it (MMEngine 0.10): the training
    run's <stamp>/vis_data/<stamp>.json (one object per logged step) and, later, the test run's
    <stamp>/<stamp>.json (one object)."""
    work_dir = osp.join(root, name)
    train_stamp = '20261121_100000'
    os.makedirs(osp.join(work_dir, train_stamp, 'vis_data'))
    with open(osp.join(work_dir, train_stamp, 'vis_data', f'{train_stamp}.json'), 'w') as f:
        for step in range(train_lines):
            f.write(json.dumps({'lr': 0.1, 'loss': 1.0 / (step + 1), 'iter': step + 1}) + '\n')
    if test is not None:
        os.makedirs(osp.join(work_dir, stamp))
        with open(osp.join(work_dir, stamp, f'{stamp}.json'), 'w') as f:
            f.write(json.dumps(dict(test, data_time=0.1, time=0.5)))
    return work_dir


def test_reads_the_newest_test_result_of_each_work_dir(tmp_path):
    root = str(tmp_path)
    wd = _work_dir(root, 't0', {'reid/mAP': 50.0, 'reid/R1': 60.0})
    # an older test run in the same folder is ignored
    os.makedirs(osp.join(wd, '20261121_110000'))
    with open(osp.join(wd, '20261121_110000', '20261121_110000.json'), 'w') as f:
        f.write(json.dumps({'reid/mAP': 1.0, 'reid/R1': 1.0}))
    assert trial_results.read_test_metrics(wd) == {'reid/mAP': 50.0, 'reid/R1': 60.0}
    with pytest.raises(trial_results.TrialResultsError, match='t1: no test result'):
        trial_results.read_test_metrics(_work_dir(root, 't1'))  # trained, never tested


def test_mean_and_sample_std_against_the_definition(tmp_path, capsys):
    maps, r1s = [50.0, 54.0, 58.5], [70.0, 71.0, 75.0]
    dirs = [_work_dir(str(tmp_path), f't{i}', {'reid/mAP': m, 'reid/R1': r, 'reid/mINP': 1.0})
            for i, (m, r) in enumerate(zip(maps, r1s))]
    runs, summary = trial_results.average_test_results(dirs, keys='mAP|R1')
    assert set(summary) == {'reid/mAP', 'reid/R1'}
    mean = sum(maps) / 3
    std = math.sqrt(sum((m - mean)**2 for m in maps) / 2)
    assert summary['reid/mAP']['mean'] == pytest.approx(mean)
    assert summary['reid/mAP']['std'] == pytest.approx(std)
    assert summary['reid/R1']['min'] == 70.0 and summary['reid/R1']['max'] == 75.0
    assert summary['reid/R1']['n'] == 3
    out = str(tmp_path / 'summary.json')
    assert _tool().main(dirs + ['--keys', 'mAP', '--json', out]) == 0
    printed = capsys.readouterr().out
    assert f'| reid/mAP | {mean:.2f} | {std:.2f} | 50.00 | 58.50 | 3 |' in printed
    assert 'reid/R1' not in printed
    saved = json.load(open(out))
    assert saved['runs'] == dirs and saved['summary']['reid/mAP']['n'] == 3


def test_disagreeing_or_empty_inputs_are_named(tmp_path, capsys):
    a = _work_dir(str(tmp_path), 'a', {'reid/mAP': 1.0, 'reid/R1': 2.0})
    b = _work_dir(str(tmp_path), 'b', {'reid/mAP': 1.0})
    assert _tool().main([a, b]) == 1
    err = capsys.readouterr().err
    assert 'b: reports other metrics' in err and "missing ['reid/R1']" in err
    train_json = osp.join(a, '20261121_100000', 'vis_data', '20261121_100000.json')
    with pytest.raises(trial_results.TrialResultsError, match='not a test result'):
        trial_results.read_test_metrics(train_json)
    with pytest.raises(trial_results.TrialResultsError, match='no such file'):
        trial_results.read_test_metrics(str(tmp_path / 'missing'))
    with pytest.raises(trial_results.TrialResultsError, match='no metric matches'):
        trial_results.average_metrics([('a', {'reid/mAP': 1.0})], keys='accuracy')
