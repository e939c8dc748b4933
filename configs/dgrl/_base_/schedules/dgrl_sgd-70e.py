# DGRL schedule (paper Sec. IV-C): SGD, momentum 0.9, weight decay 5e-4, lr 1.3e-2 divided by
# 10 every 30 epochs, 70 epochs, batches of 16 identities x 3 LR/HR pairs.
# A paramwise_cfg makes the optimizer constructor skip frozen parameters (the SR network).
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=1.3e-2, momentum=0.9, weight_decay=5e-4),
    paramwise_cfg=dict(bypass_duplicate=True),
)
param_scheduler = [dict(type='MultiStepLR', by_epoch=True, milestones=[30, 60], gamma=0.1)]
train_cfg = dict(by_epoch=True, max_epochs=70, val_interval=10)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=48)
