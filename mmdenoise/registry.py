"""MMEngine registries of mmdenoise (scope ``mmdenoise``).

Every registry is a child of MMEngine's root registry of the same kind, so objects registered here
are reachable from any scope as ``mmdenoise.<Name>`` and upstream (mmengine) objects are reachable
from configs whose default scope is ``mmdenoise``. ``locations`` are imported lazily the first time
a registry is queried, so ``import mmdenoise`` stays cheap.
"""
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import Registry

__all__ = [
    'MODELS', 'MODEL_WRAPPERS', 'DATASETS', 'DATA_SAMPLERS', 'TRANSFORMS', 'HOOKS', 'LOOPS',
    'METRICS', 'EVALUATOR', 'OPTIM_WRAPPERS', 'OPTIM_WRAPPER_CONSTRUCTORS', 'PARAM_SCHEDULERS',
    'RUNNERS', 'VISUALIZERS', 'VISBACKENDS'
]

#: Models: the DenoiseRep wrapper, ReID models, backbones, necks, heads, losses.
MODELS = Registry('model', parent=MMENGINE_MODELS, locations=['mmdenoise.models'])
MODEL_WRAPPERS = Registry(
    'model_wrapper', parent=MMENGINE_MODEL_WRAPPERS, locations=['mmdenoise.models'])
#: Datasets (ReID layouts), samplers (identity P x K) and data transforms.
DATASETS = Registry('dataset', parent=MMENGINE_DATASETS, locations=['mmdenoise.datasets'])
DATA_SAMPLERS = Registry(
    'data sampler', parent=MMENGINE_DATA_SAMPLERS, locations=['mmdenoise.datasets'])
TRANSFORMS = Registry('transform', parent=MMENGINE_TRANSFORMS, locations=['mmdenoise.datasets'])
#: Engine: hooks (phase schedule, deploy weights, noise-loss logging) and loops.
HOOKS = Registry('hook', parent=MMENGINE_HOOKS, locations=['mmdenoise.engine'])
LOOPS = Registry('loop', parent=MMENGINE_LOOPS, locations=['mmdenoise.engine'])
OPTIM_WRAPPERS = Registry(
    'optim_wrapper', parent=MMENGINE_OPTIM_WRAPPERS, locations=['mmdenoise.engine'])
OPTIM_WRAPPER_CONSTRUCTORS = Registry(
    'optimizer wrapper constructor',
    parent=MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS,
    locations=['mmdenoise.engine'])
PARAM_SCHEDULERS = Registry(
    'parameter scheduler', parent=MMENGINE_PARAM_SCHEDULERS, locations=['mmdenoise.engine'])
RUNNERS = Registry('runner', parent=MMENGINE_RUNNERS, locations=['mmdenoise.engine'])
#: Evaluation: the ReID metric and its protocols.
METRICS = Registry('metric', parent=MMENGINE_METRICS, locations=['mmdenoise.evaluation'])
EVALUATOR = Registry('evaluator', parent=MMENGINE_EVALUATOR, locations=['mmdenoise.evaluation'])
#: Visualization: rank lists.
VISUALIZERS = Registry(
    'visualizer', parent=MMENGINE_VISUALIZERS, locations=['mmdenoise.visualization'])
VISBACKENDS = Registry(
    'vis_backend', parent=MMENGINE_VISBACKENDS, locations=['mmdenoise.visualization'])
