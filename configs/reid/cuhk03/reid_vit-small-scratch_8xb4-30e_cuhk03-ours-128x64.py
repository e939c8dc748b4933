# ViT-S/16 trained from scratch at 128x64 (8x4 patches) on our CUHK03 split: BNNeck, label-smoothed
# CE + soft-margin triplet, AdamW. No pretrained weights exist here; a from-scratch ViT on 6.4k
# images is a weak baseline by construction, it is here to measure DenoiseRep on a second family.
_base_ = ['../_base_/default_runtime.py', '../_base_/datasets/cuhk03-ours_128x64.py']
model = dict(
    type='mmdenoise.ReIDModel',
    backbone=dict(type='mmdenoise.TransReIDViT', arch='deit-small', img_size=(128, 64),
                  patch_size=16, drop_path_rate=0.1, init_cfg=None),
    neck=None,
    head=dict(
        type='mmdenoise.BNNeckHead',
        in_channels=384,
        num_classes={{_base_.num_classes}},
        loss_cls=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        metric_losses=dict(triplet=dict(type='mmdenoise.TripletLoss', margin=None))),
    test_cfg=dict(feature='before_bn', normalize=True),
)
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=5e-4, weight_decay=0.05),
                     clip_grad=dict(max_norm=5.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=3,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=3, end=30, eta_min=1e-6),
]
train_cfg = dict(by_epoch=True, max_epochs=30, val_interval=5)
val_cfg = dict()
test_cfg = dict()
