# Domain-generalisation ReID data (paper 004): source training sets, concatenated with
# mmdenoise.ReIDConcatDataset (identities relabelled per source), and target test sets.
# Each config picks its sources (`train_dataloader.dataset.datasets`) and targets; the layouts
# of data/<name> are those of the dataset classes (configs/dff/README.md).
_base_ = ['../../../reid/_base_/datasets/reid_256x128_pipelines.py']

# --------------------------------------------------------------------------- sources
# training identities (the head's num_classes is their sum over a config's sources)
num_ids = dict(market1501=751, dukemtmc=702, cuhk02=1816, cuhk03=767, msmt17=1041,
               cuhk_sysu=11934)
market1501_train = dict(type='mmdenoise.Market1501', data_root='data/market1501', split='train')
dukemtmc_train = dict(type='mmdenoise.DukeMTMCReID', data_root='data/dukemtmc-reid',
                      split='train')
# CUHK03-NP (767 training ids); the poster does not say labeled or detected boxes
cuhk03_train = dict(type='mmdenoise.CUHK03NP', data_root='data/cuhk03-np', subset='labeled',
                    split='train')
msmt17_train = dict(type='mmdenoise.MSMT17', data_root='data/msmt17', split='train')
cuhk_sysu_train = dict(type='mmdenoise.CUHKSYSU', data_root='data/cuhk-sysu', split='train')
cuhk02_train = dict(type='mmdenoise.CUHK02', data_root='data/cuhk02', split='train')
# "Com-" protocols: a source's training and test identities together (combine_all: queries
# and gallery images of the test identities added, distractors left out; CUHK-SYSU is used
# whole in both settings). Identities: training + test.
num_ids_all = dict(market1501=751 + 750, cuhk03=767 + 700, msmt17=1041 + 3060,
                   cuhk_sysu=11934)
market1501_all = dict(market1501_train, combine_all=True)
cuhk03_all = dict(cuhk03_train, combine_all=True)
msmt17_all = dict(msmt17_train, combine_all=True)

train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='mmdenoise.IdentitySampler', num_instances=4, batch_size=64),
    dataset=dict(type='mmdenoise.ReIDConcatDataset', datasets=[],
                 pipeline={{_base_.train_pipeline}}),
)

# --------------------------------------------------------------------------- targets
# VIPeR / PRID2011 / GRID / iLIDS: one test set holds the query/gallery of all 10 random
# identity splits (trials 0-9, seed 0); ReIDMetric averages the metrics over the trials.
test_loader = dict(
    batch_size=128,
    num_workers=4,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_pipeline = {{_base_.test_pipeline}}
viper_test = dict(test_loader, dataset=dict(
    type='mmdenoise.VIPeR', data_root='data/viper', split='test', num_trials=10, seed=0,
    pipeline=test_pipeline))
prid_test = dict(test_loader, dataset=dict(
    type='mmdenoise.PRID2011', data_root='data/prid2011', split='test', num_trials=10, seed=0,
    pipeline=test_pipeline))
grid_test = dict(test_loader, dataset=dict(
    type='mmdenoise.GRID', data_root='data/grid', split='test', num_trials=10, seed=0,
    pipeline=test_pipeline))
ilids_test = dict(test_loader, dataset=dict(
    type='mmdenoise.ILIDS', data_root='data/ilids', split='test', num_trials=10, seed=0,
    pipeline=test_pipeline))
# the large sets of the leave-one-out protocols: their standard query/gallery
market1501_test = dict(test_loader, dataset=dict(market1501_train, split='test',
                                                 pipeline=test_pipeline))
cuhk03_test = dict(test_loader, dataset=dict(cuhk03_train, split='test', pipeline=test_pipeline))
msmt17_test = dict(test_loader, dataset=dict(msmt17_train, split='test', pipeline=test_pipeline))

reid_evaluator = dict(type='mmdenoise.ReIDMetric', distance='cosine', topk=(1, 5, 10))
