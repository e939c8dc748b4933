"""Publish a checkpoint for the model zoo: strip the training state, name it by its hash.

    python tools/publish_model.py IN_FILE OUT_NAME_OR_DIR [--keep-keys meta state_dict]
        [--use-deploy] [--config-name NAME] [--date YYYYMMDD]

Writes OUT_DIR/<name>_<YYYYMMDD>-<sha256[:8]>.pth, where the hash is the sha256 of the written
file (mmpretrain's convention; tools/download_checkpoint.py and load_from=<url> verify it).
OUT_NAME_OR_DIR is an existing folder (or one ending with /), or OUT_DIR/<name>; --config-name
sets <name>, which otherwise comes from the checkpoint's meta.experiment_name. Only --keep-keys
are kept (default: meta state_dict; optimizer, param_schedulers, message_hub, ... are dropped),
meta is made plain Python so the file loads with torch.load(weights_only=True). --use-deploy
publishes the deploy_state_dict that DenoiseRepDeployHook stores in checkpoints (the fused
weights of the plain task model) as the state_dict. Prints the path and the full sha256.
Logic: mmdenoise.apis.publish.
"""
import argparse
import os.path as osp
import sys

try:
    import mmdenoise  # noqa: F401  (safe checkpoint loading)
except ImportError:  # running from a checkout that is not installed
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
    import mmdenoise  # noqa: F401

from mmdenoise.apis.publish import (DEFAULT_KEEP_KEYS, PublishError, file_sha256,
                                    publish_checkpoint)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Publish a checkpoint as <name>_<YYYYMMDD>-<sha256[:8]>.pth')
    parser.add_argument('in_file', help='the (training) checkpoint to publish')
    parser.add_argument(
        'out', help='output folder (existing, or ending with /) or OUT_DIR/<name>')
    parser.add_argument(
        '--keep-keys', nargs='+', default=list(DEFAULT_KEEP_KEYS), metavar='KEY',
        help='top-level keys to keep (default: meta state_dict)')
    parser.add_argument(
        '--use-deploy', action='store_true',
        help='publish the checkpoint\'s deploy_state_dict (added by DenoiseRepDeployHook) as '
        'the state_dict: the fused weights of the plain task model')
    parser.add_argument(
        '--config-name', help='<name> of the published file (default: the name in OUT, else '
        'the config name in the checkpoint\'s meta.experiment_name)')
    parser.add_argument('--date', help='YYYYMMDD of the name (default: today)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        path = publish_checkpoint(
            args.in_file,
            args.out,
            keep_keys=args.keep_keys,
            use_deploy=args.use_deploy,
            config_name=args.config_name,
            date=args.date)
    except PublishError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    print(f'published: {path}')
    print(f'sha256: {file_sha256(path)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
