# The real DenoiseRep label-free TransReID-SSL ViT-S config (denoisers on the two Linear layers of
# every MLP, frozen task model) with the tiny sizes and data of _tiny_market.py.
_base_ = [
    '../../../../configs/reid/transreid_ssl/'
    'denoiserep-label-free_transreid-ssl_vit-small_market1501-256x128.py',
    './_tiny_market.py',
]
model = dict(architecture=dict(backbone=_base_.tiny_backbone,
                               head=dict(num_classes=_base_.tiny_num_classes)))
deploy_config = './tiny_transreid-ssl_vit-small_market1501.py'
train_pipeline = _base_.tiny_train_pipeline
test_pipeline = _base_.tiny_test_pipeline
train_dataloader = _base_.tiny_train_dataloader
val_dataloader = _base_.tiny_val_dataloader
test_dataloader = val_dataloader
train_cfg = _base_.tiny_train_cfg
param_scheduler = []
default_hooks = _base_.tiny_default_hooks
