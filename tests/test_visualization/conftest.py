import pytest


@pytest.fixture(autouse=True)
def _bare_names_resolve_in_mmdenoise(mmdenoise_default_scope):
    yield
