# TransReID-SSL schedule: SGD momentum 0.9, lr 4e-4 for batch 64, weight decay 1e-4, bias lr x2,
# 120 epochs, cosine decay to 0.002 x lr after a 20-epoch linear warm-up from 0.01 x lr.
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=4e-4, momentum=0.9, weight_decay=1e-4),
    paramwise_cfg=dict(bias_lr_mult=2.0),
)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=20,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', by_epoch=True, begin=20, end=120, eta_min=8e-7),
]
train_cfg = dict(by_epoch=True, max_epochs=120, val_interval=10)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=64)
