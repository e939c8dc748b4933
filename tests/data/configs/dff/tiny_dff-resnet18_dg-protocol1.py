# configs/dff/dff-resnet50_1xb64-60e_dg-protocol1-256x128.py made tiny for the tool tests: the
# sizes and sources of _tiny_dg.py, no ImageNet weights, and two targets with 2 random splits
# each (VIPeR, then iLIDS with the evaluator copied). The tests point every data_root at their
# generated folders with --cfg-options. Also the deploy config of the tiny DenoiseRep one.
_base_ = [
    '../../../../configs/dff/dff-resnet50_1xb64-60e_dg-protocol1-256x128.py',
    './_tiny_dg.py',
]
model = dict(backbone=dict(_base_.tiny_backbone, init_cfg=None), head=_base_.tiny_head)
train_dataloader = _base_.tiny_train_dataloader
train_cfg = _base_.tiny_train_cfg
test_dataloader = dict(
    batch_size=16, num_workers=0,
    dataset=dict(data_root='', num_trials=2, num_train_ids=10, pipeline=_base_.tiny_test_pipeline))
test_cfg = dict(extra_targets=[
    dict(name='iLIDS',
         dataloader=dict(
             batch_size=16, num_workers=0, persistent_workers=False, drop_last=False,
             sampler=dict(type='DefaultSampler', shuffle=False),
             dataset=dict(type='mmdenoise.ILIDS', data_root='', split='test', num_trials=2,
                          num_train_ids=4, pipeline=_base_.tiny_test_pipeline)))
])
