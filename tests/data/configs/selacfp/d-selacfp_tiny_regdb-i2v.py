# The tiny RegDB model tested infrared to visible (as the real i2v config over the v2i one).
_base_ = './d-selacfp_tiny_regdb-v2i.py'
val_dataloader = dict(dataset=dict(direction='i2v'))
test_dataloader = dict(dataset=dict(direction='i2v'))
