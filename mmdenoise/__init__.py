"""mmdenoise: DenoiseRep and related ReID methods as an OpenMMLab model zoo."""
from .utils.checkpoint import register_checkpoint_safe_globals
from .version import __version__

# torch >= 2.6 + mmengine 0.10.7: make --resume / load_from of MMEngine training checkpoints work
# without environment variables (see mmdenoise/utils/checkpoint.py).
register_checkpoint_safe_globals()


def _register_mim_package() -> None:
    """Let mmengine resolve ``_base_ = 'mmdenoise::...'`` (its package table is a fixed dict)."""
    from mmengine.config import utils as config_utils
    config_utils.MODULE2PACKAGE.setdefault('mmdenoise', 'mmdenoise')
    config_utils.PKG2PROJECT.setdefault('mmdenoise', 'mmdenoise')


_register_mim_package()

__all__ = ['__version__']

# Verified http(s):// checkpoint loading for MMEngine (load_from=URL, tools/test.py CONFIG URL):
# sha256 checked before anything is loaded, weights_only=True (mmdenoise/apis/download.py).
from .apis import download  # noqa: E402,F401
