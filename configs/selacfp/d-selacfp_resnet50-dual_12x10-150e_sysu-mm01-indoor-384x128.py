# D-SELACFP on SYSU-MM01, indoor-search (paper 002, Table 1): the all-search model (same
# training), tested against the indoor visible cameras 1 and 2 only.
#   python tools/test.py THIS <checkpoint of the all-search config>
_base_ = './d-selacfp_resnet50-dual_12x10-150e_sysu-mm01-all-384x128.py'
val_dataloader = dict(dataset=dict(mode='indoor'))
test_dataloader = dict(dataset=dict(mode='indoor'))
