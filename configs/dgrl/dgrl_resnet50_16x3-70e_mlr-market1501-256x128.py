# DGRL on MLR-Market-1501 (paper 003, Table I): ResNet-50, 256x128, 16 identities x 3 LR/HR
# pairs, SGD 1.3e-2, 70 epochs. The ImageNet ResNet-50 initialises the shared stages and both
# stems. Data: configs/dgrl/README.md (build the MLR test set first).
#   python tools/train.py THIS
#   python tools/test.py THIS work_dirs/<this config>/best_reid_mAP_epoch_<n>.pth
_base_ = [
    './_base_/models/dgrl_resnet50.py', './_base_/datasets/mlr-market1501_256x128.py',
    './_base_/schedules/dgrl_sgd-70e.py', '../reid/_base_/default_runtime.py'
]
model = dict(
    num_classes={{_base_.num_classes}},
    embedding=dict(backbone=dict(init_cfg={{_base_.pretrained_init}})),
    branch=dict(init_cfg={{_base_.pretrained_init}}),
)
