"""D-SELACFP tests: the tiny ReID layouts (tests/test_datasets/reid_layouts.py) and the tool
helpers (tests/test_tools/tool_test_utils.py) are shared with their folders."""
import os.path as osp
import sys

_TESTS = osp.dirname(osp.dirname(osp.abspath(__file__)))
for _folder in ('test_datasets', 'test_tools'):
    _path = osp.join(_TESTS, _folder)
    if _path not in sys.path:
        sys.path.append(_path)
