# Tiny DGRL for the tests: configs/dgrl/dgrl_resnet50_16x3-70e_mlr-market1501-256x128.py with
# only the sizes, data and loaders of _tiny_mlr.py changed (no ImageNet weights: the branch is
# initialised randomly too). Also the deploy config of the tiny DenoiseRep one.
_base_ = [
    '../../../../configs/dgrl/dgrl_resnet50_16x3-70e_mlr-market1501-256x128.py',
    './_tiny_mlr.py',
]
model = dict(_base_.tiny_model, branch=dict(init_cfg=None))
train_dataloader = _base_.tiny_train_dataloader
val_dataloader = _base_.tiny_val_dataloader
test_dataloader = val_dataloader
train_cfg = _base_.tiny_train_cfg
default_hooks = _base_.tiny_default_hooks
