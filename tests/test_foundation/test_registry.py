"""Importing mmdenoise registers its registries under scope ``mmdenoise``."""
import mmengine.registry as mmengine_registry


def test_registries_are_children_of_mmengine_with_scope_mmdenoise():
    import mmdenoise.registry as registry

    pairs = {
        'MODELS': mmengine_registry.MODELS,
        'DATASETS': mmengine_registry.DATASETS,
        'DATA_SAMPLERS': mmengine_registry.DATA_SAMPLERS,
        'TRANSFORMS': mmengine_registry.TRANSFORMS,
        'HOOKS': mmengine_registry.HOOKS,
        'METRICS': mmengine_registry.METRICS,
        'VISUALIZERS': mmengine_registry.VISUALIZERS,
    }
    for name, parent in pairs.items():
        child = getattr(registry, name)
        assert child.scope == 'mmdenoise', name
        assert child.parent is parent, name
        assert parent.children['mmdenoise'] is child, name


def test_registry_locations_are_lazy_package_modules():
    import mmdenoise.registry as registry

    assert registry.MODELS._locations == ['mmdenoise.models']
    assert registry.HOOKS._locations == ['mmdenoise.engine']
    assert registry.METRICS._locations == ['mmdenoise.evaluation']


def test_mim_prefix_is_known_to_mmengine():
    import mmdenoise  # noqa: F401
    from mmengine.config import utils as config_utils
    from mmengine.utils import get_installed_path

    assert config_utils.MODULE2PACKAGE['mmdenoise'] == 'mmdenoise'
    package, path = config_utils._get_package_and_cfg_path('mmdenoise::demo/x.py')
    assert (package, path) == ('mmdenoise', 'demo/x.py')
    # development install: the package resolves to this checkout, whose .mim links configs/tools
    import os.path as osp
    installed = get_installed_path('mmdenoise')
    assert osp.samefile(installed, osp.join(osp.dirname(__file__), '..', '..', 'mmdenoise'))
