# Control of the label-augmented DenoiseRep run on the ViT-S: 4 more epochs of plain fine-tuning of
# the trained baseline with exactly the label-augmented config's optimizer and schedule, no
# denoisers. The gain of label-augmented DenoiseRep over the baseline is only meaningful next to
# this one.
#   python tools/train.py THIS --cfg-options load_from=<baseline checkpoint>
_base_ = './reid_vit-small-scratch_8xb4-30e_cuhk03-ours-128x64.py'
optim_wrapper = dict(optimizer=dict(type='Adam', lr=3.5e-5, weight_decay=5e-4))
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, begin=0, end=4, eta_min=1e-6)]
train_cfg = dict(by_epoch=True, max_epochs=4, val_interval=2)
