"""Analysis-tool tests share the tool helpers of tests/test_tools (tool_test_utils.py)."""
import os.path as osp
import sys

TOOLS_TESTS = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'test_tools')
if TOOLS_TESTS not in sys.path:
    sys.path.append(TOOLS_TESTS)
