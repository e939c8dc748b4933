# DGRL on MLR-CUHK03 (paper 003, Table I): ResNet-50, 256x128, 16 identities x 3 LR/HR pairs,
# SGD 1.3e-2, 70 epochs, trial 0 of the 1,367 / 100 split (change trials in both datasets for
# the others). Data: configs/dgrl/README.md (build the MLR test set first).
#   python tools/train.py THIS
#   python tools/test.py THIS work_dirs/<this config>/best_reid_mAP_epoch_<n>.pth
_base_ = [
    './_base_/models/dgrl_resnet50.py', './_base_/datasets/mlr-cuhk03_256x128.py',
    './_base_/schedules/dgrl_sgd-70e.py', '../reid/_base_/default_runtime.py'
]
model = dict(
    num_classes={{_base_.num_classes}},
    embedding=dict(backbone=dict(init_cfg={{_base_.pretrained_init}})),
    branch=dict(init_cfg={{_base_.pretrained_init}}),
)
