"""Dataset tests build many small ``BaseDataset`` objects; each one calls ``gc.collect()``
when serialising its data list, which costs about a second once torch, mmengine and
mmpretrain are imported. Importing the heavy modules first and freezing the objects that
exist then keeps those collections cheap."""
import gc

import mmpretrain.datasets  # noqa: F401
import mmpretrain.structures  # noqa: F401

import mmdenoise.datasets  # noqa: F401

gc.freeze()



import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _bare_names_resolve_in_mmdenoise(mmdenoise_default_scope):
    yield
