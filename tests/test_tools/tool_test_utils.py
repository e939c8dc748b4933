"""Helpers of the tool tests: the tiny configs, running the tools as subprocesses with this
interpreter (the venv) from the repository root."""
import os
import os.path as osp
import socket
import subprocess
import sys
from pathlib import Path


REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / 'tests' / 'data' / 'configs'
PLAIN_CFG = CONFIGS / 'tiny_vit_cls.py'
LABEL_FREE_CFG = CONFIGS / 'denoiserep_tiny_vit_cls_label_free.py'
LABEL_AUG_CFG = CONFIGS / 'denoiserep_tiny_vit_cls_label_augmented.py'
NUM_CLASSES, PER_CLASS, SIZE = 3, 4, 32


def data_options(root):
    """--cfg-options values pointing the three dataloaders of the tiny configs at ``root``."""
    return [f'{loader}.dataset.data_root={root}'
            for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def tool_env(**extra):
    env = dict(os.environ)
    env.setdefault('OMP_NUM_THREADS', '1')
    paths = [str(REPO)] + ([env['PYTHONPATH']] if env.get('PYTHONPATH') else [])
    env['PYTHONPATH'] = os.pathsep.join(paths)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_tool(*args, timeout=900, check=True, env=None):
    """Run ``python tools/<args>`` (or any argument list) with this interpreter from the repo."""
    cmd = [sys.executable, *map(str, args)]
    proc = subprocess.run(
        cmd, cwd=REPO, env=env or tool_env(), capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f'{" ".join(cmd)} failed ({proc.returncode}):\n'
                             f'{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}')
    return proc


def train(config, work_dir, data_root, *extra, options=(), **kwargs):
    """tools/train.py CONFIG --work-dir WORK_DIR EXTRA... --cfg-options <data root> OPTIONS..."""
    return run_tool('tools/train.py', config, '--work-dir', work_dir, *extra, '--cfg-options',
                    *data_options(data_root), *options, **kwargs)


def load_tool(name):
    """``tools/<name>.py`` as a module (``name`` may hold a sub-folder: ``analysis/...``), to
    call its ``main(argv)`` in this process (the command line front without the cost of a new
    interpreter)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        '_mmdenoise_tool_' + name.replace('/', '_'), REPO / 'tools' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
