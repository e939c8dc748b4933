import sys

import pytest
from mmengine.registry import DefaultScope


@pytest.fixture(autouse=True)
def _reset_default_scope():
    """Every test starts and ends without an MMEngine default scope, so none leaks from one test
    into the next: each test passes alone and in any subset (a Runner built by an earlier test
    leaves its scope current, after which ``Registry.build`` looks names up there)."""
    saved = dict(DefaultScope._instance_dict)
    DefaultScope._instance_dict.clear()
    yield
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(saved)


def pytest_terminal_summary(terminalreporter):
    """The fault suite's counts (tests/test_faults/fault_log.py), when any fault case ran."""
    mod = sys.modules.get('fault_log') or sys.modules.get('tests.test_faults.fault_log')
    lines = mod.summary_lines() if mod is not None else []
    if lines:
        terminalreporter.section('fault suite')
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture
def mmdenoise_default_scope():
    """Run a test with ``mmdenoise`` as the default scope, so registered classes resolve by their
    bare names (``type='Market1501'``) whatever an earlier test left current. Folders whose tests
    build by bare name use it autouse (see their conftest.py)."""
    with DefaultScope.overwrite_default_scope('mmdenoise'):
        yield
