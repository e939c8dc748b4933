# Tiny label-free DenoiseRep on DGRL for the tests:
# configs/dgrl/denoiserep-label-free_dgrl_resnet50_mlr-market1501-256x128.py with the sizes,
# data and loaders of _tiny_mlr.py; deploy config: dgrl_tiny_mlr-market1501.py.
_base_ = [
    '../../../../configs/dgrl/denoiserep-label-free_dgrl_resnet50_mlr-market1501-256x128.py',
    './_tiny_mlr.py',
]
model = dict(architecture=_base_.tiny_model)
train_dataloader = _base_.tiny_train_dataloader
val_dataloader = _base_.tiny_val_dataloader
test_dataloader = val_dataloader
train_cfg = _base_.tiny_train_cfg
default_hooks = _base_.tiny_default_hooks
deploy_config = './dgrl_tiny_mlr-market1501.py'
