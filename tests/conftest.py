import pytest
from mmengine.registry import DefaultScope


@pytest.fixture
def mmdenoise_default_scope():
    """Run a test with ``mmdenoise`` as the default scope, so registered classes resolve by their
    bare names (``type='Market1501'``) whatever an earlier test left current. Folders whose tests
    build by bare name use it autouse (see their conftest.py)."""
    with DefaultScope.overwrite_default_scope('mmdenoise'):
        yield
