"""Mean / std of the test metrics of several runs (one training per trial or random split, or
per seed), read from the json that tools/test.py writes into each work directory.

Example (RegDB, 10 trials, each trained and tested on its own split)::

    for T in 0 1 2 3 4 5 6 7 8 9; do
      python tools/train.py CONFIG --work-dir work_dirs/regdb-t$T --cfg-options \\
          train_dataloader.dataset.trials=$T val_dataloader.dataset.trials=$T \\
          test_dataloader.dataset.trials=$T
      python tools/test.py CONFIG work_dirs/regdb-t$T/epoch_150.pth \\
          --work-dir work_dirs/regdb-t$T --cfg-options test_dataloader.dataset.trials=$T
    done
    python tools/analysis/average_results.py work_dirs/regdb-t* [--keys 'mAP|R1$'] [--json OUT]

Each argument is a work directory (its newest test result) or a test json
(``<work_dir>/<timestamp>/<timestamp>.json``). Logic: mmdenoise.apis.trial_results.
"""
import argparse
import json
import os.path as osp
import sys

try:
    from mmdenoise.apis import trial_results
except ImportError:  # running from a checkout that is not installed
    sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    from mmdenoise.apis import trial_results


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Average the test metrics of several runs (trials, splits, seeds)')
    parser.add_argument('paths', nargs='+', help='work directories or test json files')
    parser.add_argument('--keys', default=None,
                        help='regular expression: average only the metrics it matches')
    parser.add_argument('--digits', type=int, default=2)
    parser.add_argument('--json', default=None, help='also write the summary to this file')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        runs, summary = trial_results.average_test_results(args.paths, args.keys)
    except trial_results.TrialResultsError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    for path, _ in runs:
        print(f'run: {path}')
    print(trial_results.format_summary(summary, args.digits))
    if args.json:
        from mmdenoise.utils import atomic_write
        with atomic_write(args.json) as tmp, open(tmp, 'w') as f:
            json.dump(dict(runs=[path for path, _ in runs], summary=summary), f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
