# configs/dff/dff-resnet50_1xb64-60e_dg-protocol1-256x128.py made tiny for the tool tests: a
# DFF-ResNet-18 with 8 base channels on 64x32 images, two tiny generated sources (Market-1501-
# and DukeMTMC-style folders: 6 identities, one epoch = 2 iterations of 3 ids x 2 images), two
# targets with 2 random splits each (VIPeR, then iLIDS with the evaluator copied). The tests
# point every data_root at their generated folders with --cfg-options.
_base_ = ['../../../../configs/dff/dff-resnet50_1xb64-60e_dg-protocol1-256x128.py']
model = dict(
    backbone=dict(depth=18, stem_channels=8, base_channels=8, init_cfg=None,
                  filter_cfg=dict(kernel_size=3)),
    head=dict(in_channels=64, num_classes=6))
tiny_train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(32, 64)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='mmdenoise.PackReIDInputs'),
]
tiny_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(32, 64)),
    dict(type='mmdenoise.PackReIDInputs'),
]
train_dataloader = dict(
    batch_size=6, num_workers=0, persistent_workers=False,
    sampler=dict(type='mmdenoise.IdentitySampler', num_instances=2, batch_size=6),
    dataset=dict(
        datasets=[dict(type='mmdenoise.Market1501', data_root='', split='train'),
                  dict(type='mmdenoise.DukeMTMCReID', data_root='', split='train')],
        pipeline=tiny_train_pipeline))
train_cfg = dict(max_epochs=1)
test_dataloader = dict(
    batch_size=16, num_workers=0,
    dataset=dict(data_root='', num_trials=2, num_train_ids=10, pipeline=tiny_test_pipeline))
test_cfg = dict(extra_targets=[
    dict(name='iLIDS',
         dataloader=dict(
             batch_size=16, num_workers=0, persistent_workers=False, drop_last=False,
             sampler=dict(type='DefaultSampler', shuffle=False),
             dataset=dict(type='mmdenoise.ILIDS', data_root='', split='test', num_trials=2,
                          num_train_ids=4, pipeline=tiny_test_pipeline)))
])
