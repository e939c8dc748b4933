# DFF-ResNet-50, leave-one-out DG-ReID protocol MS+MA+CS -> C3 (paper 004: mAP 41.3, R1 41.1,
# paper-reported): train on the union of the MSMT17, Market-1501 and CUHK-SYSU training sets,
# test on CUHK03-NP (labeled boxes; `subset` of cuhk03_train in the dataset base to change).
_base_ = [
    './_base_/models/dff-resnet50-bnneck.py', './_base_/datasets/dg-reid_256x128.py',
    './_base_/schedules/adam-60e.py', './_base_/default_runtime.py'
]
sources = [_base_.msmt17_train, _base_.market1501_train, _base_.cuhk_sysu_train]
num_classes = (_base_.num_ids['msmt17'] + _base_.num_ids['market1501'] +
               _base_.num_ids['cuhk_sysu'])
model = dict(head=dict(num_classes=num_classes))
train_dataloader = dict(dataset=dict(datasets=sources))
test_dataloader = _base_.cuhk03_test
test_evaluator = _base_.reid_evaluator
test_cfg = dict()
