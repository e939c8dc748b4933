"""DFF tests: the tiny ReID layout writers (tests/test_datasets/reid_layouts.py) and the tool
helpers (tests/test_tools/tool_test_utils.py) are shared with their own folders."""
import os.path as osp
import sys

import pytest
import torch

TESTS = osp.dirname(osp.dirname(osp.abspath(__file__)))
for folder in ('test_datasets', 'test_tools'):
    path = osp.join(TESTS, folder)
    if path not in sys.path:
        sys.path.append(path)


@pytest.fixture(autouse=True)
def _single_thread(mmdenoise_default_scope):
    """One thread (tiny tensors, shared CPU) and bare names resolving in mmdenoise."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
