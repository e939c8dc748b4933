"""Download a model-zoo checkpoint and verify its sha256 before anything loads it.

    python tools/download_checkpoint.py NAME_OR_URL [--dest DIR] [--model-index model-index.yml]
        [--sha256 HEX] [--retries N] [--timeout S] [--allow-unverified] [--no-load]

NAME_OR_URL is an http(s) URL, or a model Name of the zoo: model-index.yml -> metafiles ->
Models -> Weights (and Weights-SHA256, the full sha256, when the metafile gives it). The file goes
to DIR (default: torch.hub.get_dir()/checkpoints, the cache MMEngine's load_from=<url> uses) as
<name>.part, resumed with HTTP Range after an interruption, and gets its final name only once its
sha256 matches: the prefix in its name (<name>_<YYYYMMDD>-<8 hex>.pth) and/or the full hash
(--sha256, a '#sha256=<hex>' URL fragment, or Weights-SHA256). A mismatch is refused and the file
deleted. Then it is loaded once with torch.load(weights_only=True) (skip with --no-load).
Prints the path and the full sha256. Logic: mmdenoise.apis.download.
"""
import argparse
import os
import os.path as osp
import sys

try:
    import mmdenoise  # noqa: F401
except ImportError:  # running from a checkout that is not installed
    sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
    import mmdenoise  # noqa: F401

from mmdenoise.apis.download import DownloadError, download_checkpoint, verify_file
from mmdenoise.utils import load_checkpoint_file


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Download a zoo checkpoint, verifying its sha256 before it is loaded')
    parser.add_argument('name_or_url', help='a model Name of the zoo, or an http(s) URL')
    parser.add_argument(
        '--dest', help='folder to save it in (default: torch.hub.get_dir()/checkpoints)')
    parser.add_argument(
        '--model-index', help='model-index.yml to look names up in (default: ./model-index.yml, '
        'else the installed package\'s)')
    parser.add_argument('--sha256', help='the full sha256 the file must have')
    parser.add_argument(
        '--retries', type=int, default=3,
        help='resume an interrupted transfer this many times (default 3)')
    parser.add_argument(
        '--timeout', type=float, default=60.0, help='socket timeout in seconds (default 60)')
    parser.add_argument(
        '--allow-unverified', action='store_true',
        help='accept a file with no hash to check (no hash in its name, none given)')
    parser.add_argument(
        '--no-load', action='store_true',
        help='do not check that it loads with torch.load(weights_only=True)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        path = download_checkpoint(
            args.name_or_url,
            dest=args.dest,
            model_index=args.model_index,
            sha256=args.sha256,
            retries=args.retries,
            timeout=args.timeout,
            allow_unverified=args.allow_unverified,
            progress=os.isatty(2))
    except DownloadError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    print(f'checkpoint: {path}')
    print(f'sha256: {verify_file(path, args.name_or_url, None, delete=False)}')
    if not args.no_load:
        try:
            ckpt = load_checkpoint_file(path)
        except RuntimeError as err:
            print(f'error: {err}', file=sys.stderr)
            return 1
        keys = sorted(ckpt) if isinstance(ckpt, dict) else type(ckpt).__name__
        print(f'loads with weights_only=True: keys {keys}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
