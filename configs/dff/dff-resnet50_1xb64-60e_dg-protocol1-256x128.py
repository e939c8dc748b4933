# DFF-ResNet-50, multi-source DG-ReID protocol 1 ("All w/o D" of paper 004's first open-set
# ReID table): train on the union of Market-1501, CUHK02, CUHK03 and CUHK-SYSU, test on VIPeR,
# PRID, GRID and iLIDS (each averaged over its 10 random splits) and report their mean, in one
# tools/test.py run (mmdenoise.MultiTargetTestLoop): keys VIPeR/reid/mAP ... mean/reid/R1.
_base_ = [
    './_base_/models/dff-resnet50-bnneck.py', './_base_/datasets/dg-reid_256x128.py',
    './_base_/schedules/adam-60e.py', './_base_/default_runtime.py'
]
sources = [_base_.market1501_train, _base_.cuhk02_train, _base_.cuhk03_train,
           _base_.cuhk_sysu_train]
num_classes = (_base_.num_ids['market1501'] + _base_.num_ids['cuhk02'] +
               _base_.num_ids['cuhk03'] + _base_.num_ids['cuhk_sysu'])
model = dict(head=dict(num_classes=num_classes))
train_dataloader = dict(dataset=dict(datasets=sources))

test_dataloader = _base_.viper_test
test_evaluator = _base_.reid_evaluator
test_cfg = dict(
    type='mmdenoise.MultiTargetTestLoop',
    name='VIPeR',
    extra_targets=[
        dict(name='PRID', dataloader=_base_.prid_test, evaluator=_base_.reid_evaluator),
        dict(name='GRID', dataloader=_base_.grid_test, evaluator=_base_.reid_evaluator),
        dict(name='iLIDS', dataloader=_base_.ilids_test, evaluator=_base_.reid_evaluator),
    ])
