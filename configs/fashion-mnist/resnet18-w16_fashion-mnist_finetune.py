# Control for the label-augmented run: the same 2 extra epochs of plain fine-tuning of the baseline
# (same optimizer as denoiserep-label-aug_..., no denoisers), so a gain of DenoiseRep is not just
# "more epochs". Set the baseline checkpoint with --cfg-options load_from=<baseline>.
_base_ = './resnet18-w16_fashion-mnist.py'

max_epochs = 2
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=max_epochs)
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.01),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=max_epochs, eta_min_ratio=0.01,
         convert_to_iter_based=True)
]
