"""tools/dist_train.sh (and tools/dist_test.sh): 2 processes with torchrun on CPU (gloo).

The 2-process test run is opt-in (MMDENOISE_TEST_DIST_TEST=1): its code path on CPU is the one
the training run covers (mmdenoise.apis.runner_setup), and each extra process start costs ~15 s.
"""
import glob
import json
import os
import os.path as osp
import sys

import torch

import mmdenoise  # noqa: F401
from mmdenoise.apis import fuse_checkpoint
from mmdenoise.utils import load_local_checkpoint
from tool_test_utils import (LABEL_FREE_CFG, PLAIN_CFG, REPO, data_options, free_port, run_tool,
                             tool_env)


def _bash(*args, **env):
    import subprocess
    proc = subprocess.run(['bash', *map(str, args)], cwd=REPO, capture_output=True, text=True,
                          timeout=900, env=tool_env(PYTHON=sys.executable, **env))
    assert proc.returncode == 0, f'{args}:\n{proc.stdout[-4000:]}\n{proc.stderr[-6000:]}'
    return proc.stdout + proc.stderr


def test_two_process_train_fuse_and_test(tiny_data, tmp_path):
    work_dir = tmp_path / 'dist'
    log = _bash('tools/dist_train.sh', LABEL_FREE_CFG, 2, '--work-dir', work_dir,
                '--cfg-options', *data_options(tiny_data), PORT=free_port())
    assert 'Distributed training: True' in log
    ckpt = work_dir / 'epoch_1.pth'
    saved = load_local_checkpoint(str(ckpt))
    # 12 images, 2 processes x batch 4: 2 iterations per epoch
    assert saved['meta']['iter'] == 2 and any('.denoiser.' in k for k in saved['state_dict'])
    assert not any(k.startswith('module.') for k in saved['state_dict'])

    deploy = tmp_path / 'deploy.pth'
    result = fuse_checkpoint(str(LABEL_FREE_CFG), str(ckpt), str(deploy), verify=True,
                             logger=None)
    assert result['verify']['passed']

    if os.environ.get('MMDENOISE_TEST_DIST_TEST') != '1':
        return
    test_dir = tmp_path / 'test'
    _bash('tools/dist_test.sh', PLAIN_CFG, deploy, 2, '--work-dir', test_dir,
          '--cfg-options', *data_options(tiny_data), PORT=free_port())
    files = glob.glob(osp.join(str(test_dir), '*', '*.json'))
    assert files
    with open(files[0]) as f:
        assert 'accuracy/top1' in json.loads(f.read().strip().splitlines()[-1])
