# configs/dff/denoiserep-label-free_dff-resnet50_dg-protocol1-256x128.py made tiny (the sizes
# and training data of _tiny_dg.py); deploy config: tiny_dff-resnet18_dg-protocol1.py. The
# tests give load_from (the tiny baseline's checkpoint) and the data roots with --cfg-options.
_base_ = [
    '../../../../configs/dff/denoiserep-label-free_dff-resnet50_dg-protocol1-256x128.py',
    './_tiny_dg.py',
]
model = dict(architecture=dict(backbone=_base_.tiny_backbone, head=_base_.tiny_head))
deploy_config = './tiny_dff-resnet18_dg-protocol1.py'
load_from = None
train_dataloader = _base_.tiny_train_dataloader
train_cfg = _base_.tiny_train_cfg
