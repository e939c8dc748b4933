import pytest
from mmengine.registry import DefaultScope


@pytest.fixture(autouse=True)
def mmdenoise_default_scope():
    """Build registered classes by bare name in the ``mmdenoise`` scope, whatever an earlier
    test left current."""
    with DefaultScope.overwrite_default_scope('mmdenoise'):
        yield
