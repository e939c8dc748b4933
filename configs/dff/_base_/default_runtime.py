# The ReID runtime (default_scope 'mmpretrain', mmdenoise classes as 'mmdenoise.<Name>'), with
# no validation in the DG configs: a checkpoint every 10 epochs, none chosen by a metric.
_base_ = ['../../reid/_base_/default_runtime.py']
default_hooks = dict(checkpoint=dict(interval=10, max_keep_ckpts=2, save_best=None))
