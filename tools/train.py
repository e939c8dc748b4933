"""Train a model with MMEngine: a DenoiseRep wrapper config or any OpenMMLab config.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp] [--auto-scale-lr]
        [--no-validate] [--seed N] [--deterministic] [--cfg-options k=v ...]
        [--launcher {none,pytorch,slurm,mpi}]

Multi-process: tools/dist_train.sh CONFIG NUM_PROCS [args] (works on CPU with gloo).
The logic lives in mmdenoise.apis.training.
"""
import os.path as osp
import sys

try:
    import mmdenoise  # noqa: F401  (scope, safe checkpoint loading, mmdenoise:: configs)
except ImportError:  # running from a checkout that is not installed
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
    import mmdenoise  # noqa: F401

from mmdenoise.apis import run_train, run_cli


def main(argv=None) -> int:
    return run_cli(run_train, argv)


if __name__ == '__main__':
    sys.exit(main())
