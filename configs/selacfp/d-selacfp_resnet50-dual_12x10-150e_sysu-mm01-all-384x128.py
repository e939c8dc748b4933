# D-SELACFP on SYSU-MM01, all-search (paper 002, Table 1): dual-stream ResNet-50 with LAM and
# IFPEM, 384x128, 12 identities x 10 images, 150 epochs. The ImageNet ResNet-50 initialises the
# shared stages and both stems (init_cfg Pretrained, prefix 'backbone.').
#   python tools/train.py THIS
#   python tools/test.py THIS work_dirs/<this config>/best_reid_mAP_epoch_<n>.pth
_base_ = [
    './_base_/models/d-selacfp_resnet50-dual.py', './_base_/datasets/sysu-mm01_384x128.py',
    './_base_/schedules/sgd-150e.py', '../reid/_base_/default_runtime.py'
]
model = dict(head=dict(num_classes=395))
