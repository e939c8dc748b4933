# configs/dff/denoiserep-label-free_dff-resnet50_dg-protocol1-256x128.py made tiny (the sizes
# and training data of tiny_dff-resnet18_dg-protocol1.py, its deploy config); the tests give
# load_from (the tiny baseline's checkpoint) and the data roots with --cfg-options.
_base_ = ['../../../../configs/dff/denoiserep-label-free_dff-resnet50_dg-protocol1-256x128.py']
model = dict(architecture=dict(
    backbone=dict(depth=18, stem_channels=8, base_channels=8, filter_cfg=dict(kernel_size=3)),
    head=dict(in_channels=64, num_classes=6)))
deploy_config = './tiny_dff-resnet18_dg-protocol1.py'
load_from = None
train_dataloader = dict(
    batch_size=6, num_workers=0, persistent_workers=False,
    sampler=dict(type='mmdenoise.IdentitySampler', num_instances=2, batch_size=6),
    dataset=dict(
        datasets=[dict(type='mmdenoise.Market1501', data_root='', split='train'),
                  dict(type='mmdenoise.DukeMTMCReID', data_root='', split='train')],
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=(32, 64)),
            dict(type='mmdenoise.PackReIDInputs'),
        ]))
train_cfg = dict(max_epochs=1)
