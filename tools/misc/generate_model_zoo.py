"""Generate model_zoo.md from the metafiles (configs/**/metafile.yml, imported by model-index.yml).

    python tools/misc/generate_model_zoo.py            # (re)write model_zoo.md
    python tools/misc/generate_model_zoo.py --check    # exit 1 (and print a diff) if it is stale
    python tools/misc/generate_model_zoo.py --complexity CONFIG [CONFIG ...] [--shape H W]
        # Parameters / FLOPs of the deployed model of each config (its deploy_config for a
        # DenoiseRep config), to write into the metafile's Metadata

Logic: mmdenoise.apis.model_zoo.
"""
import argparse
import os.path as osp
import sys

try:
    from mmdenoise.apis import model_zoo
except ImportError:  # running from a checkout that is not installed
    sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    from mmdenoise.apis import model_zoo


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Generate model_zoo.md from the metafiles (or check that it is up to date)')
    parser.add_argument('--check', action='store_true',
                        help='do not write; exit 1 with a diff if model_zoo.md is not up to date')
    parser.add_argument('--root', default=None,
                        help='repository root (default: the checkout holding this script)')
    parser.add_argument('--output', default=None, help='where to write (default: ROOT/model_zoo.md)')
    parser.add_argument('--complexity', nargs='+', metavar='CONFIG',
                        help='print Parameters / FLOPs of the deployed model of these configs')
    parser.add_argument('--shape', type=int, nargs=2, metavar=('H', 'W'),
                        help='input size for --complexity (default: from the test pipeline)')
    parser.add_argument('--check-complexity', action='store_true',
                        help='recompute Parameters / FLOPs of every metafile row from its config '
                        'and exit 1 on a mismatch')
    parser.add_argument('--match', default=None,
                        help='with --check-complexity: only rows whose name matches this regex')
    parser.add_argument('--params-only', action='store_true',
                        help='with --check-complexity: compare Parameters only (faster)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    root = args.root or model_zoo.repo_root()
    if args.complexity:
        for config in args.complexity:
            info = model_zoo.deploy_complexity(config, args.shape)
            print(f'{config}:\n  deploy config: {info["deploy_config"]}\n'
                  f'  Parameters: {info["params"]}\n  FLOPs: {info["flops"]}\n'
                  f'  Input Size: {info["input_shape"]}')
        return 0
    if args.check_complexity:
        errors = model_zoo.check_complexity(root, args.match, flops=not args.params_only,
                                            log=print)
        if errors:
            print('complexity mismatches:\n  ' + '\n  '.join(errors), file=sys.stderr)
            return 1
        print('Parameters / FLOPs of the metafiles match their configs')
        return 0
    errors = model_zoo.validate_metafiles(root)
    if errors:
        print('metafile problems:\n  ' + '\n  '.join(errors), file=sys.stderr)
        return 1
    if args.check:
        ok, diff = model_zoo.check_model_zoo(root, args.output)
        if not ok:
            sys.stdout.write(diff)
            print(f'model_zoo.md is not up to date: run python tools/misc/generate_model_zoo.py',
                  file=sys.stderr)
            return 1
        print('model_zoo.md is up to date')
        return 0
    path = model_zoo.write_model_zoo(root, args.output)
    print(f'wrote {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
