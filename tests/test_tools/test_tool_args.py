"""The command-line options of tools/train.py and tools/test.py, as applied to a config (no
training here: fast)."""
import os

import pytest
import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.registry import HOOKS

import mmdenoise  # noqa: F401
from mmdenoise.apis import (ToolError, build_model_from_cfg, check_checkpoint_matches_model,
                            deploy_model_config, guess_input_shape, load_config,
                            merge_test_args, merge_train_args, setup_cpu_distributed)
from mmdenoise.apis.testing import parse_test_args
from mmdenoise.apis.training import parse_train_args
from tool_test_utils import LABEL_AUG_CFG, PLAIN_CFG


def _train_cfg(*argv):
    args = parse_train_args([str(PLAIN_CFG), *argv])
    return merge_train_args(load_config(str(PLAIN_CFG)), args)


def _test_cfg(cfg, *argv):
    args = parse_test_args([str(PLAIN_CFG), 'ckpt.pth', *argv])
    return merge_test_args(cfg, args)


def test_train_options():
    cfg = _train_cfg()
    assert cfg.work_dir == os.path.join('./work_dirs', 'tiny_vit_cls')
    assert not cfg.get('resume') and cfg.launcher == 'none'

    cfg = _train_cfg('--resume', '--work-dir', 'wd', '--amp', '--auto-scale-lr', '--no-validate',
                     '--seed', '3', '--cfg-options', 'train_cfg.max_epochs=5', 'work_dir=other')
    assert cfg.resume is True and cfg.load_from is None  # auto: latest in work_dir
    assert cfg.work_dir == 'wd'  # the explicit option wins over --cfg-options
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper' and cfg.optim_wrapper.loss_scale == 'dynamic'
    assert cfg.auto_scale_lr.enable is True
    assert cfg.val_cfg is None and cfg.val_dataloader is None and cfg.val_evaluator is None
    assert cfg.randomness.seed == 3 and cfg.randomness.deterministic is True
    assert cfg.train_cfg.max_epochs == 5

    cfg = _train_cfg('--resume', 'some/epoch_3.pth')
    assert cfg.resume is True and cfg.load_from == 'some/epoch_3.pth'

    args = parse_train_args([str(PLAIN_CFG), '--auto-scale-lr'])
    cfg = load_config(str(PLAIN_CFG))
    cfg.auto_scale_lr = None
    with pytest.raises(ToolError, match='base_batch_size'):
        merge_train_args(cfg, args)


def test_test_options():
    cfg = _test_cfg(load_config(str(PLAIN_CFG)), '--amp', '--work-dir', 'wd')
    assert cfg.load_from == 'ckpt.pth' and cfg.test_cfg.fp16 is True and cfg.work_dir == 'wd'
    with pytest.raises(SystemExit):
        parse_test_args([str(PLAIN_CFG), 'ckpt.pth', '--out', 'results.json'])


def test_show_dir_per_visualization_hook():
    # mmpretrain: enable / out_dir / interval (its tool's default interval 1)
    cfg = _test_cfg(load_config(str(PLAIN_CFG)), '--show-dir', 'vis')
    vis = cfg.default_hooks.visualization
    assert vis.enable is True and vis.out_dir == 'vis' and vis.interval == 1
    assert 'draw' not in vis and 'test_out_dir' not in vis

    # mmdet: draw / test_out_dir; show + wait_time
    cfg = Config(dict(default_scope='mmdet', default_hooks=dict(
        visualization=dict(type='DetVisualizationHook')), visualizer=dict(type='Visualizer')))
    cfg = _test_cfg(cfg, '--show-dir', 'vis', '--show', '--wait-time', '1')
    vis = cfg.default_hooks.visualization
    assert vis.draw is True and vis.test_out_dir == 'vis' and vis.show is True
    assert vis.wait_time == 1 and 'out_dir' not in vis and 'save_dir' not in cfg.visualizer

    # mmseg: draw; the folder goes to the visualizer
    cfg = Config(dict(default_scope='mmseg', default_hooks=dict(
        visualization=dict(type='SegVisualizationHook')), visualizer=dict(type='Visualizer')))
    cfg = _test_cfg(cfg, '--show-dir', 'vis', '--interval', '3')
    vis = cfg.default_hooks.visualization
    assert vis.draw is True and vis.interval == 3 and cfg.visualizer.save_dir == 'vis'
    assert 'test_out_dir' not in vis and 'out_dir' not in vis

    # no visualization hook at all
    cfg = Config(dict(default_scope='mmpretrain', default_hooks=dict()))
    with pytest.raises(ToolError, match='default_hooks.visualization'):
        _test_cfg(cfg, '--show-dir', 'vis')


def test_show_dir_reid_rank_lists():
    """ReID configs: the ReIDMetric draws rank lists into --show-dir; the per-sample hook stays
    off."""
    cfg = Config(dict(default_scope='mmpretrain',
                      default_hooks=dict(visualization=dict(type='VisualizationHook',
                                                            enable=False)),
                      test_evaluator=dict(type='mmdenoise.ReIDMetric')))
    cfg = _test_cfg(cfg, '--show-dir', 'ranks')
    assert cfg.test_evaluator.rank_list_dir == 'ranks'
    assert cfg.default_hooks.visualization.enable is False


@HOOKS.register_module(force=True)
class _ToolTestRankListHook(Hook):

    def __init__(self, out_dir=None, interval=1, topk=5):
        self.out_dir = out_dir


def test_reid_rank_list_hook_point():
    cfg = Config(dict(default_scope='mmpretrain', default_hooks=dict(),
                      reid_rank_list_hook=dict(type='_ToolTestRankListHook', topk=3)))
    cfg = _test_cfg(cfg, '--show-dir', 'ranks', '--interval', '2')
    hook = cfg.custom_hooks[-1]
    # only the arguments the hook accepts are set
    assert dict(hook) == dict(type='_ToolTestRankListHook', topk=3, out_dir='ranks', interval=2)
    assert HOOKS.build(hook).out_dir == 'ranks'


def test_tta():
    with pytest.raises(ToolError, match='tta_model and no tta_pipeline'):
        _test_cfg(load_config(str(PLAIN_CFG)), '--tta')
    cfg = load_config(str(PLAIN_CFG))
    cfg.tta_model = dict(type='AverageClsScoreTTA')
    cfg.tta_pipeline = [dict(type='LoadImageFromFile'), dict(type='TestTimeAug', transforms=[])]
    cfg = _test_cfg(cfg, '--tta')
    assert cfg.model.type == 'AverageClsScoreTTA' and cfg.model.module.type == 'ImageClassifier'
    assert cfg.test_dataloader.dataset.pipeline[-1]['type'] == 'TestTimeAug'


def test_cpu_distributed_setup(monkeypatch):
    cfg = load_config(str(PLAIN_CFG))
    assert setup_cpu_distributed(cfg, 'none') is False and 'model_wrapper_cfg' not in cfg
    if torch.cuda.is_available():
        pytest.skip('the CPU set-up only acts without a GPU')
    for key in ('MASTER_ADDR', 'MASTER_PORT', 'RANK', 'WORLD_SIZE'):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(ToolError, match='torchrun'):
        setup_cpu_distributed(cfg, 'pytorch')

    # the config part, with a process group that already exists (the tools' case under torchrun
    # is covered end to end by test_dist.py)
    monkeypatch.setattr(torch.distributed, 'is_initialized', lambda: True)
    for key, value in dict(MASTER_ADDR='127.0.0.1', MASTER_PORT='1', RANK='0',
                           WORLD_SIZE='1').items():
        monkeypatch.setenv(key, value)
    cfg.find_unused_parameters = True
    assert setup_cpu_distributed(cfg, 'pytorch') is True
    assert dict(cfg.model_wrapper_cfg) == dict(
        type='MMDistributedDataParallel', device_ids=None, broadcast_buffers=False,
        find_unused_parameters=True)
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'


def test_plain_config_with_training_checkpoint_is_refused(tmp_path):
    """tools/test.py: DenoiseRep training weights tested with the plain config would silently
    drop the denoisers (non-strict load): a clear error instead."""
    cfg = load_config(str(LABEL_AUG_CFG))
    wrapper = build_model_from_cfg(cfg)
    ckpt = tmp_path / 'train.pth'
    torch.save({'state_dict': wrapper.state_dict()}, str(ckpt))
    plain = build_model_from_cfg(deploy_model_config(cfg, str(LABEL_AUG_CFG))[0])
    with pytest.raises(ToolError, match='fuse it first'):
        check_checkpoint_matches_model(plain, str(ckpt))
    check_checkpoint_matches_model(wrapper, str(ckpt))  # the training config is fine
    check_checkpoint_matches_model(plain, 'https://example.com/x.pth')  # URLs: left to mmengine


def test_guess_input_shape():
    assert guess_input_shape(load_config(str(PLAIN_CFG))) == (32, 32)
    det = Config(dict(default_scope='mmdet', test_dataloader=dict(dataset=dict(pipeline=[
        dict(type='LoadImageFromFile'), dict(type='Resize', scale=(1333, 800), keep_ratio=True),
        dict(type='PackDetInputs')]))))
    assert guess_input_shape(det) == (320, 512)  # (h, w), longer side capped at 512
    assert guess_input_shape(Config(dict(default_scope='mmdet'))) == (128, 128)
    assert guess_input_shape(Config(dict(default_scope='mmpretrain'))) == (224, 224)
