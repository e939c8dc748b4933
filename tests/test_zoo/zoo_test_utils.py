"""Helpers of the model-zoo tests (a module name of its own: several test folders have a
conftest.py)."""
import hashlib
import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_tool(name):
    """tools/<name>.py as a module (run its main(argv) in this process: fast)."""
    spec = importlib.util.spec_from_file_location(f'zoo_tool_{name}', REPO / 'tools' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
