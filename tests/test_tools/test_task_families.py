"""The tool chain on every task family the zoo's DenoiseRep configs cover: classification with a
ResNet (the tiny-ViT classifier is covered by test_pipeline.py), Mask R-CNN, DETR, FCN and
SegFormer.

For each family the real label-free and label-augmented configs of ``configs/denoiserep`` are
shrunk (task_families.py) and run on tiny data in the real format (ImageNet-style folder, COCO
json with polygon masks, ADE20K folders): train 2 iterations (``tools/train.py``'s logic), fuse
the checkpoint with ``--verify`` (``tools/fuse_checkpoint.py``'s), and test the deploy config on
the fused weights (``tools/test.py``'s), which must report the task's metric. The label-free
run also checks what label-free means on the real config: only denoiser weights change.

The tools' logic runs in this process (the subprocess fronts are covered by test_pipeline.py,
test_dist.py and the seed systems' tests), to keep the suite fast.
"""
import pytest
import torch

import mmdenoise  # noqa: F401
from mmdenoise.apis import fuse_checkpoint, run_test, run_train
from mmdenoise.utils import load_checkpoint_file, load_local_checkpoint

from task_families import FAMILIES, tiny_configs


@pytest.fixture(scope='module', params=sorted(FAMILIES))
def family(request, tmp_path_factory):
    name = request.param
    root = tmp_path_factory.mktemp(name)
    data = FAMILIES[name][2](root / 'data')
    return name, root, tiny_configs(name, data, root / 'configs')


def _train(config, work_dir, tag, load_from):
    run_train([str(config), '--work-dir', str(work_dir), '--cfg-options',
               f'experiment_name=families_{tag}', f'load_from={load_from}'])
    return work_dir / 'iter_2.pth'


@pytest.fixture(scope='module')
def trained_plain(family):
    """A plain checkpoint of the deploy (upstream) architecture: the "trained task model" the
    DenoiseRep configs start from through ``load_from``."""
    from mmengine.config import Config
    from mmdenoise.apis import build_model_from_cfg
    _, root, paths = family
    torch.manual_seed(1)
    model = build_model_from_cfg(Config.fromfile(str(paths['deploy'])))
    model.init_weights()
    path = root / 'plain.pth'
    torch.save(dict(meta=dict(), state_dict=model.state_dict()), path)
    return path


def test_tiny_configs_keep_the_real_denoiserep_settings(family):
    from mmengine.config import Config
    name, _, paths = family
    for kind in ('label_free', 'label_aug'):
        tiny = Config.fromfile(str(paths[kind]))
        real = Config.fromfile(str(paths[f'real_{kind}']))
        for key in ('type', 'mode', 'attach'):
            assert tiny.model.get(key) == real.model.get(key), (name, kind, key)
        assert tiny.optim_wrapper == real.optim_wrapper, (name, kind)
        assert [h['type'] for h in tiny.custom_hooks] == [h['type'] for h in real.custom_hooks]
        assert 'mmdenoise.IterationSeedHook' in [h['type'] for h in real.custom_hooks]


@pytest.mark.parametrize('mode', ['label_free', 'label_aug'])
def test_train_fuse_verify_test(family, trained_plain, mode, in_process):
    name, root, paths = family
    work_dir = root / mode
    ckpt = _train(paths[mode], work_dir, f'{name}_{mode}_{in_process("x")[0][-8:]}',
                  trained_plain)
    state = load_local_checkpoint(str(ckpt))['state_dict']
    denoiser_keys = [k for k in state if '.denoiser.' in k]
    assert denoiser_keys, name
    plain = torch.load(trained_plain, weights_only=True)['state_dict']
    assert set(plain) == {k for k in state if '.denoiser.' not in k}  # loaded: only these missing
    changed = [k for k in plain if not torch.equal(plain[k], state[k])]
    if mode == 'label_free':
        # the task model is frozen and its output unchanged: not one of its tensors moved
        # (BatchNorm statistics included)
        assert not changed, (name, changed[:5])
        # the real config's DenoiseRepDeployHook wrote the fused weights at the end
        deploy_hook = load_checkpoint_file(str(work_dir / 'deploy.pth'))['state_dict']
        assert set(deploy_hook) == set(plain)
    else:
        assert changed, name  # label-augmented: the task model trains too

    fused_path = root / f'{mode}_fused.pth'
    result = fuse_checkpoint(str(paths[mode]), str(ckpt), str(fused_path), verify=True,
                             logger=None)
    report = result['verify']
    assert report['passed'] and report['max_rel_err'] <= 1e-4, (name, report)
    # the verification ran on non-trivial outputs
    assert report['max_abs_ref'] > 0 and report['num_tensors'] >= 1
    fused = load_checkpoint_file(str(fused_path))['state_dict']
    assert set(fused) == {k for k in state if '.denoiser.' not in k}
    assert result['num_layers'] == len({k.split('.denoiser.')[0] for k in denoiser_keys})

    metrics = run_test([str(paths['deploy']), str(fused_path), '--work-dir',
                        str(root / f'{mode}_test'), '--cfg-options', *in_process(f'{name}_test')])
    assert paths['metric'] in metrics, (name, sorted(metrics))
