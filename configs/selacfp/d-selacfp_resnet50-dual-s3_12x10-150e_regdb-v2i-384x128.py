# D-SELACFP on RegDB, visible to infrared (paper 002, Table 2): the dual-stream ResNet-50 trained
# up to stage 3, LAM before layers 2 and 3, IFPEM between layers 2 and 3 (section 3.2); trial 1 of
# the 10 standard splits (see _base_/datasets/regdb_384x128.py for the others).
#   python tools/train.py THIS
#   python tools/test.py THIS work_dirs/<this config>/best_reid_mAP_epoch_<n>.pth
_base_ = [
    './_base_/models/d-selacfp_resnet50-dual-s3.py', './_base_/datasets/regdb_384x128.py',
    './_base_/schedules/sgd-150e.py', '../reid/_base_/default_runtime.py'
]
model = dict(head=dict(num_classes=206))
