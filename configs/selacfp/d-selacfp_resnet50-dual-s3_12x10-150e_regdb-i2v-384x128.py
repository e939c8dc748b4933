# D-SELACFP on RegDB, infrared to visible (paper 002, Table 2): the visible-to-infrared model
# (same training on the same trial), tested with thermal queries against the visible gallery.
#   python tools/test.py THIS <checkpoint of the v2i config>
_base_ = './d-selacfp_resnet50-dual-s3_12x10-150e_regdb-v2i-384x128.py'
val_dataloader = dict(dataset=dict(direction='i2v'))
test_dataloader = dict(dataset=dict(direction='i2v'))
