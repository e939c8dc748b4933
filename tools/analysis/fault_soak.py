"""Fault soak (opt-in, minutes): kill -9 demo trainings at random moments, resume them until they
complete, and check that nothing is lost and the result is bit-exact.

    OMP_NUM_THREADS=1 python tools/analysis/fault_soak.py --kills 50 --max-minutes 40 \\
        [--seed 0] [--work-dir work_dirs/fault_soak] [--epochs 4] [--train-subset 512] \\
        [--configs baseline label_aug]

The real demo configs (configs/demo) on data/fashion-mnist-mini, shortened with --cfg-options
(``--epochs``, the first ``--train-subset`` training images, no validation) and with a checkpoint
every epoch (``max_keep_ckpts=1`` as the demo), so kills land inside checkpoint saves too:

1. reference runs, uninterrupted: the baseline (its final checkpoint is also the ``load_from`` of
   the DenoiseRep configs) and each DenoiseRep config (its ``work_dir/deploy.pth``);
2. rounds, alternating the configs: ``tools/train.py ... --auto-resume`` in a fresh work folder,
   SIGKILLed a few times per round (half of the kills at a random moment of the run, half a
   random fraction of a second after a ``Saving checkpoint`` log line, i.e. inside or right
   after a save), relaunched until it completes;
3. after every kill: the checkpoint ``last_checkpoint`` names must load, no checkpoint older than
   the one before the launch (lost), no incomplete file under a final name (``epoch_<N>.pth``,
   ``deploy.pth``);
4. at the end of a round: the final weights (``deploy.pth`` of a DenoiseRep config, the final
   checkpoint's ``state_dict`` of the baseline) must equal the reference run's bit for bit.

Prints the counts (kills, kills that left a temporary file, i.e. that landed inside a write, lost
checkpoints, unloadable checkpoints, partial files, deploy-weight differences, failed runs) and
exits 1 if any problem count is not 0. Not part of the test suite (tests/test_faults has the
fast cases).
"""
from __future__ import annotations

import argparse
import os
import os.path as osp
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from typing import Dict, List, Optional

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

CONFIGS = {
    'baseline': 'configs/demo/resnet18-w16_fashion-mnist-mini.py',
    'label_aug': 'configs/demo/denoiserep-label-aug_resnet18-w16_fashion-mnist-mini.py',
    'label_free': 'configs/demo/denoiserep-label-free_resnet18-w16_fashion-mnist-mini.py',
}
SAVING = re.compile(r'Saving checkpoint at')
CKPT_NAME = re.compile(r'^epoch_(\d+)\.pth$')


class Stats:
    """The soak's counts (a plain class: the tool also loads as a module without a package)."""

    FIELDS = ('kills', 'kills_in_write', 'lost', 'unloadable', 'partial', 'differences',
              'failed_runs', 'launches')

    def __init__(self, kills_by_mode=None, rounds=None, problems=None, **counts):
        for name in self.FIELDS:
            setattr(self, name, int(counts.pop(name, 0)))
        if counts:
            raise TypeError(f'unknown counts {sorted(counts)}')
        self.kills_by_mode: Dict[str, int] = dict(kills_by_mode or {})
        self.rounds: Dict[str, int] = dict(rounds or {})
        self.problems: List[str] = list(problems or [])

    def problem_count(self) -> int:
        return self.lost + self.unloadable + self.partial + self.differences + self.failed_runs


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--kills', type=int, default=50, help='SIGKILLs in all (default 50)')
    parser.add_argument('--max-minutes', type=float, default=40.0,
                        help='stop killing after this long (the round in progress is finished)')
    parser.add_argument('--seed', type=int, default=0, help='seed of the kill schedule')
    parser.add_argument('--work-dir', default=osp.join('work_dirs', 'fault_soak'))
    parser.add_argument('--epochs', type=int, default=4, help='epochs per training (default 4)')
    parser.add_argument('--train-subset', type=int, default=512,
                        help='the first N training images (default 512)')
    parser.add_argument('--configs', nargs='+', default=['baseline', 'label_aug'],
                        choices=sorted(CONFIGS), help='configs of the rounds')
    parser.add_argument('--kills-per-round', type=int, nargs=2, default=(3, 7),
                        metavar=('MIN', 'MAX'), help='kills of one round (default 3 7)')
    args = parser.parse_args(argv)
    if args.kills < 0 or args.epochs < 1 or args.train_subset < 1 or args.max_minutes <= 0:
        parser.error('--kills >= 0, --epochs >= 1, --train-subset >= 1, --max-minutes > 0')
    if not 1 <= args.kills_per_round[0] <= args.kills_per_round[1]:
        parser.error('--kills-per-round: 1 <= MIN <= MAX')
    return args


# ---------------------------------------------------------------------------- checks

def _load(path: str):
    from mmdenoise.utils import load_local_checkpoint
    return load_local_checkpoint(path, map_location='cpu')


def latest_checkpoint(work_dir: str) -> Optional[str]:
    """The path ``work_dir/last_checkpoint`` names (None without one)."""
    marker = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        return None
    with open(marker) as f:
        return f.read().strip() or None


def checkpoint_epoch(path: Optional[str]) -> int:
    match = CKPT_NAME.match(osp.basename(path or ''))
    return int(match.group(1)) if match else 0


def verify_work_dir(work_dir: str, epoch_before: int,
                    pid: Optional[int] = None) -> Dict[str, object]:
    """After a kill: ``{'epoch', 'lost', 'unloadable', 'partial': [names], 'temps': [names]}``.

    ``epoch``: the epoch of the checkpoint ``last_checkpoint`` names, if it loads (else 0);
    ``lost``: that epoch is older than ``epoch_before`` (the one before the launch);
    ``unloadable``: ``last_checkpoint`` names a file that is missing or does not load;
    ``partial``: files under a final name that are incomplete;
    ``temps``: temporary files (of a write the kill interrupted: those of process ``pid`` when
    given; an earlier kill's are removed by the next run, but only once it gets that far).
    """
    from mmdenoise.apis.training import checkpoint_is_complete
    from mmdenoise.utils.io import parse_temp_name
    result: Dict[str, object] = dict(epoch=0, lost=False, unloadable=False, partial=[], temps=[])
    latest = latest_checkpoint(work_dir)
    if latest is not None:
        try:
            ckpt = _load(latest)
            result['epoch'] = int(ckpt['meta']['epoch'])
        except Exception:  # noqa: BLE001  (any failure to load counts)
            result['unloadable'] = True
    result['lost'] = int(result['epoch']) < epoch_before
    names = sorted(os.listdir(work_dir)) if osp.isdir(work_dir) else []
    result['partial'] = [n for n in names if (CKPT_NAME.match(n) or n == 'deploy.pth')
                         and not checkpoint_is_complete(osp.join(work_dir, n))]
    result['temps'] = [n for n in names if parse_temp_name(n) and (
        pid is None or parse_temp_name(n)['pid'] == pid)]
    return result


def tensor_differences(a: dict, b: dict) -> List[str]:
    """Keys whose tensors differ (missing on one side counts)."""
    import torch
    keys = sorted(set(a) | set(b))
    return [k for k in keys
            if k not in a or k not in b or not torch.equal(a[k], b[k])]


def final_weights(kind: str, work_dir: str, epochs: int) -> dict:
    """The weights a round is judged by: ``deploy.pth`` (DenoiseRep) or the final checkpoint's
    ``state_dict`` (baseline)."""
    if kind == 'baseline':
        return _load(osp.join(work_dir, f'epoch_{epochs}.pth'))['state_dict']
    return _load(osp.join(work_dir, 'deploy.pth'))['state_dict']


def summary_lines(stats: Stats, minutes: float) -> List[str]:
    modes = ', '.join(f'{k} {v}' for k, v in sorted(stats.kills_by_mode.items()))
    rounds = ', '.join(f'{k} {v}' for k, v in sorted(stats.rounds.items()))
    return [
        f'fault soak: {stats.kills} kills ({modes}) in {sum(stats.rounds.values())} completed '
        f'rounds ({rounds}), {stats.launches} launches, {minutes:.1f} min',
        f'kills inside a write (a temporary file was left): {stats.kills_in_write}',
        f'lost checkpoints: {stats.lost}',
        f'unloadable checkpoints: {stats.unloadable}',
        f'partial files under a final name: {stats.partial}',
        f'deploy-weight differences (rounds != uninterrupted run): {stats.differences}',
        f'failed runs: {stats.failed_runs}',
    ]


# ---------------------------------------------------------------------------- running

class Soak:

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.rng = random.Random(args.seed)
        self.stats = Stats()
        self.root = osp.abspath(args.work_dir)
        self.baseline_ckpt: Optional[str] = None
        self.reference: Dict[str, dict] = {}
        self.durations: Dict[str, float] = {}

    def options(self, kind: str) -> List[str]:
        opts = [f'train_dataloader.dataset.indices={self.args.train_subset}',
                f'train_cfg.max_epochs={self.args.epochs}',
                'default_hooks.checkpoint.interval=1',
                'default_hooks.checkpoint.max_keep_ckpts=1',
                'default_hooks.logger.interval=50']
        if kind != 'baseline':
            opts.append(f'load_from={self.baseline_ckpt}')
        return opts

    def command(self, kind: str, work_dir: str) -> List[str]:
        return [sys.executable, 'tools/train.py', CONFIGS[kind], '--work-dir', work_dir,
                '--auto-resume', '--no-validate', '--cfg-options', *self.options(kind)]

    @staticmethod
    def env() -> dict:
        env = dict(os.environ, OMP_NUM_THREADS='1')
        env['PYTHONPATH'] = os.pathsep.join([REPO] + ([env['PYTHONPATH']]
                                                      if env.get('PYTHONPATH') else []))
        return env

    def launch(self, kind: str, work_dir: str, log_path: str) -> subprocess.Popen:
        os.makedirs(work_dir, exist_ok=True)
        self.stats.launches += 1
        log = open(log_path, 'a')
        proc = subprocess.Popen(self.command(kind, work_dir), cwd=REPO, env=self.env(),
                                stdout=log, stderr=subprocess.STDOUT)
        log.close()
        return proc

    def run_to_end(self, kind: str, work_dir: str) -> bool:
        log_path = osp.join(work_dir + '.log')
        start = time.time()
        proc = self.launch(kind, work_dir, log_path)
        rc = proc.wait()
        self.durations.setdefault(kind, time.time() - start)
        if rc != 0:
            self.fail(f'{kind}: tools/train.py exited {rc} without a kill (log {log_path})',
                      log_path)
            return False
        return True

    def fail(self, message: str, log_path: Optional[str] = None) -> None:
        self.stats.failed_runs += 1
        tail = ''
        if log_path and osp.isfile(log_path):
            with open(log_path, errors='replace') as f:
                tail = ''.join(f.readlines()[-15:])
        self.stats.problems.append(message)
        print(f'PROBLEM: {message}\n{tail}', flush=True)

    def references(self) -> bool:
        kinds = ['baseline'] + [k for k in dict.fromkeys(self.args.configs) if k != 'baseline']
        for kind in kinds:
            work_dir = osp.join(self.root, f'reference_{kind}')
            shutil.rmtree(work_dir, ignore_errors=True)
            print(f'reference run: {kind}', flush=True)
            if not self.run_to_end(kind, work_dir):
                return False
            if kind == 'baseline':
                self.baseline_ckpt = osp.join(work_dir, f'epoch_{self.args.epochs}.pth')
            self.reference[kind] = final_weights(kind, work_dir, self.args.epochs)
        return True

    def kill_once(self, kind: str, work_dir: str, log_path: str) -> Optional[bool]:
        """Launch, kill at a random moment; True: killed, False: completed first, None: failed."""
        epoch_before = checkpoint_epoch(latest_checkpoint(work_dir))
        remaining = self.args.epochs - epoch_before
        mode = 'at-save' if remaining > 0 and self.rng.random() < 0.5 else 'random'
        if mode == 'at-save':
            nth_save = self.rng.randint(1, remaining)
            delay = self.rng.uniform(0.0, 0.25)
        else:
            delay = self.rng.uniform(0.3, 1.1 * self.durations.get(kind, 10.0))
        with open(log_path, 'a') as f:
            f.write(f'\n===== launch (kill: {mode}) =====\n')
        offset = osp.getsize(log_path)
        start = time.time()
        proc = self.launch(kind, work_dir, log_path)
        kill_at = start + delay if mode == 'random' else None
        seen, carry = 0, ''
        with open(log_path, errors='replace') as log:
            log.seek(offset)
            while proc.poll() is None:
                now = time.time()
                if kill_at is None:  # follow the log: count the saves of this launch
                    text = carry + log.read()
                    seen += len(SAVING.findall(text))
                    carry = text[-40:] if not SAVING.search(text[-40:]) else ''
                    if seen >= nth_save:
                        kill_at = now + delay
                if kill_at is not None and now >= kill_at:
                    break
                time.sleep(0.002)
        if proc.poll() is not None:  # finished before the kill
            if proc.returncode != 0:
                self.fail(f'{kind}: tools/train.py exited {proc.returncode} without a kill '
                          f'(log {log_path})', log_path)
                return None
            return False
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        self.stats.kills += 1
        self.stats.kills_by_mode[mode] = self.stats.kills_by_mode.get(mode, 0) + 1
        check = verify_work_dir(work_dir, epoch_before, pid=proc.pid)
        if check['temps']:
            self.stats.kills_in_write += 1
        if check['lost']:
            self.stats.lost += 1
            self.stats.problems.append(f'{work_dir}: epoch {check["epoch"]} < {epoch_before}')
        if check['unloadable']:
            self.stats.unloadable += 1
            self.stats.problems.append(f'{work_dir}: {latest_checkpoint(work_dir)} does not load')
        if check['partial']:
            self.stats.partial += 1
            self.stats.problems.append(f'{work_dir}: partial {check["partial"]}')
        print(f'  kill {self.stats.kills:3d} ({mode}, {time.time() - start:5.1f} s after launch): '
              f'latest epoch {check["epoch"]} (before {epoch_before})'
              f'{", inside a write" if check["temps"] else ""}', flush=True)
        return True

    def round(self, index: int, kind: str, quota: int, deadline: float) -> None:
        work_dir = osp.join(self.root, f'round_{index:03d}_{kind}')
        shutil.rmtree(work_dir, ignore_errors=True)
        log_path = work_dir + '.log'
        if osp.exists(log_path):
            os.remove(log_path)
        print(f'round {index} ({kind}): up to {quota} kills', flush=True)
        killed, completed = 0, False
        while killed < quota and time.time() < deadline:
            outcome = self.kill_once(kind, work_dir, log_path)
            if outcome is None:
                return
            if outcome is False:
                completed = True  # the run ended before its kill
                break
            killed += 1
        if not completed and not self.run_to_end(kind, work_dir):  # resume to the end
            return
        weights = final_weights(kind, work_dir, self.args.epochs)
        diff = tensor_differences(weights, self.reference[kind])
        self.stats.rounds[kind] = self.stats.rounds.get(kind, 0) + 1
        if diff:
            self.stats.differences += 1
            self.stats.problems.append(f'{work_dir}: {len(diff)} tensors differ, e.g. {diff[:3]}')
        print(f'round {index} ({kind}) complete: {killed} kills, final weights '
              f'{"IDENTICAL to" if not diff else f"DIFFER ({len(diff)} tensors) from"} the '
              'uninterrupted run', flush=True)
        shutil.rmtree(work_dir, ignore_errors=True)  # keep the disk use bounded; the log stays

    def run(self) -> int:
        start = time.time()
        deadline = start + 60 * self.args.max_minutes
        os.makedirs(self.root, exist_ok=True)
        print(f'fault soak: {self.args.kills} kills, configs {self.args.configs}, '
              f'{self.args.epochs} epochs of {self.args.train_subset} images, seed '
              f'{self.args.seed}, at most {self.args.max_minutes:g} min', flush=True)
        if self.references():
            index = 0
            while self.stats.kills < self.args.kills and time.time() < deadline:
                kind = self.args.configs[index % len(self.args.configs)]
                low, high = self.args.kills_per_round
                quota = min(self.rng.randint(low, high), self.args.kills - self.stats.kills)
                self.round(index, kind, quota, deadline)
                if self.stats.failed_runs:
                    break
                index += 1
        minutes = (time.time() - start) / 60
        print('\n'.join(summary_lines(self.stats, minutes)), flush=True)
        for problem in self.stats.problems:
            print(f'  problem: {problem}')
        if self.stats.kills < self.args.kills:
            print(f'only {self.stats.kills} of {self.args.kills} kills within '
                  f'{self.args.max_minutes:g} min')
        return 1 if self.stats.problem_count() else 0


def main(argv=None) -> int:
    os.chdir(REPO)
    return Soak(parse_args(argv)).run()


if __name__ == '__main__':
    sys.exit(main())
