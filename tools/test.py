"""Test (and evaluate) a checkpoint with MMEngine: a DenoiseRep wrapper config with its training
checkpoint, or a plain (deploy) config with fused weights from tools/fuse_checkpoint.py.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out RESULTS.pkl] [--show]
        [--show-dir DIR] [--wait-time S] [--interval N] [--tta] [--amp] [--non-strict]
        [--cfg-options k=v ...]
        [--launcher {none,pytorch,slurm,mpi}]

CHECKPOINT may be a local file or a URL. Multi-process: tools/dist_test.sh CONFIG CHECKPOINT
NUM_PROCS [args] (works on CPU with gloo). A checkpoint that does not fit the config (missing or
unexpected keys, deploy weights with a DenoiseRep config) is refused unless --non-strict. The
logic lives in mmdenoise.apis.testing.
"""
import os.path as osp
import sys

try:
    import mmdenoise  # noqa: F401  (scope, safe checkpoint loading, mmdenoise:: configs)
except ImportError:  # running from a checkout that is not installed
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
    import mmdenoise  # noqa: F401

from mmdenoise.apis import run_test, run_cli


def main(argv=None) -> int:
    return run_cli(run_test, argv)


if __name__ == '__main__':
    sys.exit(main())
