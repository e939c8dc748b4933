# DFF-ResNet-50, leave-one-out DG-ReID protocol MA+CS+C3 -> MS (paper 004: mAP 25.1, R1 50.5,
# paper-reported): train on the union of the Market-1501, CUHK-SYSU and CUHK03 training sets,
# test on MSMT17.
_base_ = [
    './_base_/models/dff-resnet50-bnneck.py', './_base_/datasets/dg-reid_256x128.py',
    './_base_/schedules/adam-60e.py', './_base_/default_runtime.py'
]
sources = [_base_.market1501_train, _base_.cuhk_sysu_train, _base_.cuhk03_train]
num_classes = (_base_.num_ids['market1501'] + _base_.num_ids['cuhk_sysu'] +
               _base_.num_ids['cuhk03'])
model = dict(head=dict(num_classes=num_classes))
train_dataloader = dict(dataset=dict(datasets=sources))
test_dataloader = _base_.msmt17_test
test_evaluator = _base_.reid_evaluator
test_cfg = dict()
