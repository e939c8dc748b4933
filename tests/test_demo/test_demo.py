"""The `make demo` pieces: the embedded data set, the demo configs, the latency helper, the
parsing of tool output and the summary. Fast (no training); the demo itself runs with
`make demo` (a few minutes)."""
import gzip
import hashlib
import json
import os.path as osp
import sys

import numpy as np
import pytest
import torch

from mmdenoise.apis import demo
from mmdenoise.apis.benchmark import format_latency, measure_latency

REPO = demo.REPO_ROOT
DATA = osp.join(REPO, demo.SUBSET_DIR)
CONFIGS = [demo.BASELINE_CONFIG, demo.DENOISEREP_CONFIG,
           osp.join(demo.CONFIG_DIR, 'denoiserep-label-aug_resnet18-w16_fashion-mnist-mini.py')]
FASHION_CLASSES = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt',
                   'Sneaker', 'Bag', 'Ankle boot')


def _cfg(path):
    from mmdenoise.apis import load_config
    return load_config(osp.join(REPO, path))


# ------------------------------------------------------------------ the embedded subset

def test_subset_files_licence_and_checksums():
    names = [n for pair in demo.IDX_FILES.values() for n in pair]
    total = sum(osp.getsize(osp.join(DATA, n)) for n in names)
    assert total < 3 * 1024 * 1024
    licence = open(osp.join(DATA, 'LICENSE'), encoding='utf-8').read()
    assert 'MIT License' in licence and 'Zalando SE' in licence
    readme = open(osp.join(DATA, 'README.md'), encoding='utf-8').read()
    assert '--make-subset' in readme
    sums = dict(line.split()[::-1] for line in open(osp.join(DATA, 'SHA256SUMS')))
    for name in names:
        with open(osp.join(DATA, name), 'rb') as f:
            assert hashlib.sha256(f.read()).hexdigest() == sums[name], name


@pytest.mark.parametrize('split,count', [('train', 2500), ('test', 1000)])
def test_subset_loads_with_the_configured_dataset(split, count):
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import DATASETS
    cfg = _cfg(demo.BASELINE_CONFIG)
    loader = cfg.train_dataloader if split == 'train' else cfg.test_dataloader
    ds_cfg = loader.dataset.copy()
    assert ds_cfg.type == 'mmdenoise.CheckedFashionMNIST' and ds_cfg.split == split and ds_cfg.download is False
    assert ds_cfg.data_root == demo.SUBSET_DIR  # relative: the tools run from the repo root
    ds_cfg.data_root = DATA
    init_default_scope('mmpretrain')
    dataset = DATASETS.build(ds_cfg)
    assert len(dataset) == count
    assert tuple(dataset.metainfo['classes']) == FASHION_CLASSES
    labels = np.array([int(dataset.get_data_info(i)['gt_label']) for i in range(len(dataset))])
    assert np.bincount(labels, minlength=10).tolist() == [count // 10] * 10
    raw = dataset.get_data_info(0)['img']
    assert raw.shape == (28, 28) and raw.dtype == np.uint8
    # the split's own files (mmpretrain 1.2 picks them by test_mode, not by split)
    img_name, _ = demo.IDX_FILES[split]
    assert np.array_equal(raw, demo.read_idx(osp.join(DATA, img_name))[0])
    packed = dataset[0]  # through the config's pipeline: grey replicated to 3 channels
    inputs = packed['inputs']
    assert tuple(inputs.shape) == (3, 28, 28) and inputs.dtype == torch.uint8
    if split == 'test':  # the test pipeline is deterministic: channels equal the raw image
        for c in range(3):
            assert np.array_equal(inputs[c].numpy(), raw)


def test_read_write_idx_and_make_subset_deterministic(tmp_path):
    rng = np.random.default_rng(0)
    src = tmp_path / 'src'
    src.mkdir()
    sizes = {'train': 60, 'test': 30}
    for split, (img_name, lbl_name) in demo.IDX_FILES.items():
        labels = rng.integers(0, 10, sizes[split]).astype(np.uint8)
        labels[:10] = np.arange(10)  # every class present
        labels = np.concatenate([labels, np.arange(10, dtype=np.uint8).repeat(3)])
        images = rng.integers(0, 256, (len(labels), 28, 28)).astype(np.uint8)
        images[:, 0, 0] = np.arange(len(labels)) % 256  # identify the source index
        for name, arr in ((img_name, images), (lbl_name, labels)):
            plain = tmp_path / name
            demo.write_idx(str(plain), arr)
            raw = plain.read_bytes()
            assert raw[:4] == bytes([0, 0, 8, arr.ndim])
            assert len(raw) == 4 + 4 * arr.ndim + arr.size
            with gzip.open(src / (name + '.gz'), 'wb') as f:
                f.write(raw)
            assert np.array_equal(demo.read_idx(str(src / (name + '.gz'))), arr)
    per_class = {'train': 2, 'test': 1}
    out1, out2 = tmp_path / 'a', tmp_path / 'b'
    report = demo.make_subset(str(src), str(out1), per_class)
    demo.make_subset(str(src), str(out2), per_class)
    assert report['train']['num_images'] == 20 and report['test']['num_images'] == 10
    for split, (img_name, lbl_name) in demo.IDX_FILES.items():
        assert (out1 / img_name).read_bytes() == (out2 / img_name).read_bytes()
        src_labels = demo.read_idx(str(src / (lbl_name + '.gz')))
        keep = demo.select_first_per_class(src_labels, per_class[split])
        labels = demo.read_idx(str(out1 / lbl_name))
        images = demo.read_idx(str(out1 / img_name))
        assert np.bincount(labels, minlength=10).tolist() == [per_class[split]] * 10
        assert np.array_equal(images[:, 0, 0], keep % 256)  # first per class, original order
        assert np.all(np.diff(keep) > 0)
    assert (out1 / 'SHA256SUMS').read_text().count('\n') == 4


def test_select_first_per_class_refuses_missing_samples():
    with pytest.raises(ValueError, match='class 2'):
        demo.select_first_per_class(np.array([0, 1, 0, 1]), 1, num_classes=3)


# ------------------------------------------------------------------ the configs

@pytest.mark.parametrize('path', CONFIGS)
def test_demo_configs_build(path):
    from mmdenoise.apis import build_model_from_cfg
    cfg = _cfg(path)
    model = build_model_from_cfg(cfg)
    x = torch.randint(0, 256, (2, 3, 28, 28), dtype=torch.uint8)
    inputs = model.data_preprocessor(dict(inputs=list(x), data_samples=None), False)['inputs']
    with torch.no_grad():
        out = model(inputs, None, mode='tensor')
    out = out[-1] if isinstance(out, (list, tuple)) else out
    assert tuple(out.shape) == (2, 10)
    if path == demo.BASELINE_CONFIG:
        assert type(model).__name__ == 'ImageClassifier'
        return
    from mmdenoise.denoiserep import find_denoised_layers
    assert type(model).__name__ == 'DenoiseRepWrapper'
    names = [n for n, _ in find_denoised_layers(model.architecture)]
    assert len(names) == 16 and all(n.startswith('backbone.layer') for n in names)
    assert cfg.deploy_config.endswith(osp.basename(demo.BASELINE_CONFIG))
    assert any(h['type'] == 'mmdenoise.DenoiseRepDeployHook' for h in cfg.custom_hooks)
    # the fused weights fit the untouched baseline model, key for key
    plain = build_model_from_cfg(_cfg(demo.BASELINE_CONFIG))
    fused = model.deploy_state_dict()
    assert list(fused) == list(plain.state_dict())
    plain.load_state_dict(fused, strict=True)
    with torch.no_grad():
        assert torch.allclose(plain(inputs, None, mode='tensor'), out, atol=1e-4, rtol=1e-4)


def test_denoiserep_config_modes():
    assert _cfg(CONFIGS[1]).model.mode == 'label_free'
    aug = _cfg(CONFIGS[2]).model
    assert aug.mode == 'label_augmented' and aug.noise_loss_weight == 0.1


# ------------------------------------------------------------------ latency helper

def test_measure_latency_identical_functions_ratio_near_one():
    a = torch.randn(64, 64)

    def work(x):
        return (x @ x).sum()

    result = measure_latency({'a': work, 'b': work}, a, repeats=7, warmup=1, number=3)
    assert result['reference'] == 'a' and result['order'] == ['a', 'b']
    assert result['a']['ratio'] == 1.0
    assert 0.5 < result['b']['ratio'] < 2.0  # loose on purpose: shared CPUs are noisy
    assert len(result['b']['times']) == 7 and result['b']['median'] > 0
    lo, hi = result['b']['ratio_iqr']
    assert lo <= result['b']['ratio'] <= hi
    assert 'ratio' in format_latency(result)


def test_measure_latency_interleaves_and_pairs_with_a_fake_clock():
    clock = [0.0]
    calls = []

    def timer():
        return clock[0]

    def make(name, cost):
        def fn(_):
            calls.append(name)
            clock[0] += cost
        return fn

    models = {'base': make('base', 1.0), 'fused': make('fused', 1.0), 'slow': make('slow', 2.5)}
    result = measure_latency(models, None, repeats=3, warmup=1, sync=None, timer=timer,
                             no_grad=False)
    # rotating order: each round starts with the next model
    assert calls == ['base', 'fused', 'slow', 'fused', 'slow', 'base', 'slow', 'base', 'fused',
                     'base', 'fused', 'slow']
    assert result['fused']['ratio'] == pytest.approx(1.0)
    assert result['slow']['ratio'] == pytest.approx(2.5)
    assert result['slow']['median'] == pytest.approx(2.5)
    other = measure_latency(models, None, repeats=2, warmup=0, reference='slow', sync=None,
                            timer=timer, no_grad=False)
    assert other['base']['ratio'] == pytest.approx(0.4)


def test_measure_latency_rejects_bad_arguments():
    with pytest.raises(ValueError):
        measure_latency({}, None)
    with pytest.raises(ValueError):
        measure_latency({'a': lambda x: x}, None, repeats=0)
    with pytest.raises(ValueError):
        measure_latency({'a': lambda x: x}, None, reference='b')


# ------------------------------------------------------------------ parsing tool output

# as printed by tools/fuse_checkpoint.py --verify and tools/test.py in a `make demo` run
FUSE_OUTPUT = '\n'.join([
    'loading /work/main/work_dirs/demo/denoiserep/epoch_2.pth',
    'fused 16 denoised layer(s); 122 keys',
    'deploy model (configs/demo/resnet18-w16_fashion-mnist-mini.py) accepts the fused weights '
    'with strict=True',
    'verify (tensor+extract_feat, input [1, 3, 28, 28], 2 tensor(s)): max_abs_err=2.384e-07 '
    'max_rel_err=3.1e-08 (tolerance 0.0001)',
    'wrote work_dirs/demo/deploy.pth',
])

TEST_OUTPUT = '\n'.join([
    '11/21 18:20:14 - mmengine - INFO - Load checkpoint from work_dirs/demo/deploy.pth',
    '11/21 18:20:15 - mmengine - INFO - Epoch(test) [2/4]    eta: 0:00:01  time: 0.5  '
    'data_time: 0.1',
    '11/21 18:20:16 - mmengine - INFO - Epoch(test) [4/4]    accuracy/top1: 84.3000  '
    'data_time: 0.0100  time: 0.2000',
])


def test_parse_fuse_errors():
    errors = demo.parse_fuse_errors(FUSE_OUTPUT)
    assert errors == {'max_abs_err': 2.384e-07, 'max_rel_err': 3.1e-08}
    with pytest.raises(ValueError, match='max_abs_err'):
        demo.parse_fuse_errors('wrote deploy.pth')


def test_parse_accuracy():
    assert demo.parse_accuracy(TEST_OUTPUT) == pytest.approx(84.3)
    two = TEST_OUTPUT.replace('84.3000', '80.0000') + '\n' + TEST_OUTPUT.splitlines()[-1]
    assert demo.parse_accuracy(two) == pytest.approx(84.3)  # the last one
    with pytest.raises(ValueError):
        demo.parse_accuracy('Epoch(test) [4/4] loss: 1.0')


def test_find_test_metrics_and_last_checkpoint(tmp_path):
    assert demo.find_test_metrics(str(tmp_path / 'none')) is None
    for stamp, acc in (('20260101_000000', 50.0), ('20260102_000000', 84.3)):
        (tmp_path / stamp).mkdir()
        (tmp_path / stamp / f'{stamp}.json').write_text(
            json.dumps({'accuracy/top1': acc, 'data_time': 0.01, 'time': 0.2}))
    assert demo.find_test_metrics(str(tmp_path))['accuracy/top1'] == 84.3
    with pytest.raises(FileNotFoundError):
        demo.read_last_checkpoint(str(tmp_path))
    ckpt = tmp_path / 'epoch_8.pth'
    ckpt.write_bytes(b'x')
    (tmp_path / 'last_checkpoint').write_text(str(ckpt))
    assert demo.read_last_checkpoint(str(tmp_path)) == str(ckpt)
    # a work dir moved elsewhere: the file name is looked up next to the marker
    (tmp_path / 'last_checkpoint').write_text('/elsewhere/work_dirs/x/epoch_8.pth')
    assert demo.read_last_checkpoint(str(tmp_path)) == str(tmp_path / 'epoch_8.pth')


def test_run_stage_echoes_logs_and_names_the_failing_stage(tmp_path):
    printed = []
    script = ('import sys; print("2026/01/01 10:00:00 - mmengine - INFO - Epoch(train) [1][1/2] '
              'loss: 1.0"); print("noise line"); print("01/01 10:00:01 - mmengine - INFO - '
              'Epoch(val) [1][4/4]    accuracy/top1: 80.1000"); sys.exit({rc})')
    out = demo.run_stage('train-x', [sys.executable, '-c', script.format(rc=0)],
                         str(tmp_path / 'logs' / 'ok.log'), printer=printed.append,
                         cwd=str(tmp_path))
    assert 'noise line' in out and 'noise line' in (tmp_path / 'logs' / 'ok.log').read_text()
    assert printed == ['  [train-x] 10:00:00 Epoch(train) [1][1/2] loss: 1.0',
                       '  [train-x] 10:00:01 Epoch(val) [1][4/4]    accuracy/top1: 80.1000']
    with pytest.raises(demo.DemoError, match="stage 'fuse' failed") as info:
        demo.run_stage('fuse', [sys.executable, '-c', script.format(rc=3)],
                       str(tmp_path / 'bad.log'), printer=printed.append, cwd=str(tmp_path))
    assert info.value.stage == 'fuse' and 'code 3' in str(info.value)


def test_format_summary():
    lat = {'reference': 'baseline', 'repeats': 5, 'warmup': 1, 'number': 1,
           'order': ['baseline', 'fused', 'unfused']}
    for name, ratio in (('baseline', 1.0), ('fused', 1.01), ('unfused', 1.4)):
        lat[name] = dict(times=[0.01] * 5, median=0.01 * ratio, min=0.01, ratio=ratio,
                         ratio_iqr=(ratio - 0.02, ratio + 0.02))
    results = dict(
        num_test=1000,
        accuracy={'baseline': 84.3, 'fused': 84.5},
        fuse={'max_abs_err': 2.4e-7, 'max_rel_err': 3.1e-8},
        compare=dict(params={'baseline': 698186, 'fused': 698186, 'unfused': 712000},
                     num_keys={'baseline': 122, 'fused': 122}, same_layout=True,
                     changed_tensors=48, latency=lat, latency_batch=32,
                     fused_vs_unfused=dict(agree=1000, total=1000, max_abs_diff=1e-6,
                                           max_rel_diff=1e-7),
                     fused_vs_baseline=dict(agree=998, total=1000, max_abs_diff=0.05)),
        hook_deploy_identical=True,
        stage_times={'baseline': 60.0, 'fuse': 5.0},
        wall_time=180.0)
    text = demo.format_summary(results)
    assert '84.30' in text and '84.50' in text and '+0.20 pt' in text
    assert '698,186' in text and 'equal: yes' in text and '1,000 test images' in text
    assert 'agree 1000/1000' in text and 'agree 998/1000' in text
    assert 'fused/baseline = 1.010' in text
    assert 'max_abs_err=2.400e-07' in text and 'max_rel_err=3.100e-08' in text
    assert 'bit-identical' in text and 'total wall time: 180 s' in text
    results['compare']['params']['fused'] = 1
    assert 'equal: NO' in demo.format_summary(results)
