# Multi-source DG-ReID schedule (our choice; the poster gives none): Adam 3.5e-4, weight decay
# 5e-4, 10-epoch linear warm-up from 0.01 x lr, x0.1 at epochs 30 and 50, 60 epochs of the
# concatenated sources; no validation (selecting checkpoints on a target domain would leak it),
# the last checkpoint is tested.
optim_wrapper = dict(optimizer=dict(type='Adam', lr=3.5e-4, weight_decay=5e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=10,
         convert_to_iter_based=True),
    dict(type='MultiStepLR', by_epoch=True, milestones=[30, 50], gamma=0.1),
]
train_cfg = dict(by_epoch=True, max_epochs=60)
auto_scale_lr = dict(base_batch_size=64)
