# The real TransReID-SSL ViT-S Market-1501 config (ViT-S/16 unchanged: 12 layers, 384-d, BNNeck,
# CE + soft-margin triplet) with the tiny sizes and data of _tiny_market.py. Also the deploy config
# of the DenoiseRep variant next to it.
_base_ = [
    '../../../../configs/reid/transreid_ssl/transreid-ssl_vit-small_16xb4-120e_market1501-256x128.py',
    './_tiny_market.py',
]
model = dict(backbone=_base_.tiny_backbone, head=dict(num_classes=_base_.tiny_num_classes))
train_pipeline = _base_.tiny_train_pipeline
test_pipeline = _base_.tiny_test_pipeline
train_dataloader = _base_.tiny_train_dataloader
val_dataloader = _base_.tiny_val_dataloader
test_dataloader = val_dataloader
train_cfg = _base_.tiny_train_cfg
param_scheduler = []
default_hooks = _base_.tiny_default_hooks
