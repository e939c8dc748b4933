"""Fuse a DenoiseRep training checkpoint into plain weights for the untouched task model.

    python tools/fuse_checkpoint.py CONFIG CHECKPOINT OUTPUT [--deploy-config CFG] [--verify]
        [--tolerance 1e-4] [--input-shape H W] [--force] [--cfg-options k=v ...]

CONFIG is the DenoiseRep training config, CHECKPOINT its training checkpoint (file or URL).
OUTPUT gets {'meta', 'state_dict'}; the deploy config (default: the training config's
`deploy_config`, else its model.architecture) must load it with strict=True, which is checked.
--verify compares the wrapper and the fused deploy model on random images and exits non-zero
beyond the tolerance. Nothing is written on any failure. Logic: mmdenoise.apis.fuse_checkpoint.
"""
import argparse
import os.path as osp
import sys

try:
    import mmdenoise  # noqa: F401  (scope, safe checkpoint loading, mmdenoise:: configs)
except ImportError:  # running from a checkout that is not installed
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
    import mmdenoise  # noqa: F401

from mmengine.config import DictAction

from mmdenoise.apis import ToolError, fuse_checkpoint


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Fuse a DenoiseRep training checkpoint into plain deploy weights')
    parser.add_argument('config', help='the DenoiseRep training config')
    parser.add_argument('checkpoint', help='the training checkpoint (file or URL)')
    parser.add_argument('output', help='the fused checkpoint to write')
    parser.add_argument(
        '--deploy-config',
        help='plain model config the fused weights must load into with strict=True (default: '
        'the training config\'s deploy_config, else its model.architecture)')
    parser.add_argument(
        '--verify',
        action='store_true',
        help='compare the wrapper (training weights) and the deploy model (fused weights) on '
        'random images; exit non-zero beyond --tolerance')
    parser.add_argument(
        '--tolerance', type=float, default=1e-4,
        help='largest accepted max|diff| / max|reference| of --verify (default 1e-4)')
    parser.add_argument(
        '--input-shape', type=int, nargs=2, metavar=('H', 'W'),
        help='image size of --verify (default: from the test pipeline)')
    parser.add_argument(
        '--noise-seed', type=int, default=None,
        help='fold the sigma_t*z noise term of the reverse steps into the weights, z drawn with '
        'this seed (default: deterministic fusion, what the wrapper computes in eval mode)')
    parser.add_argument('--force', action='store_true', help='overwrite an existing OUTPUT')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings of the training config, key=value pairs')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        fuse_checkpoint(
            args.config,
            args.checkpoint,
            args.output,
            deploy_config=args.deploy_config,
            verify=args.verify,
            force=args.force,
            cfg_options=args.cfg_options,
            tolerance=args.tolerance,
            input_shape=args.input_shape,
            noise_seed=args.noise_seed)
    except (ToolError, FileExistsError, FileNotFoundError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
