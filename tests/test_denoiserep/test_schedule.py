import math

import pytest
import torch

from mmdenoise.denoiserep import DiffusionSchedule


def test_defaults_are_the_authors_values():
    s = DiffusionSchedule()
    assert (s.num_steps, s.beta_start, s.beta_end) == (1000, 1e-4, 2e-3)
    assert s.betas.dtype == torch.float64 and s.betas.shape == (1000, )
    assert float(s.beta(1)) == pytest.approx(1e-4) and float(s.beta(1000)) == pytest.approx(2e-3)
    ddpm = DiffusionSchedule(beta_end=2e-2)
    assert float(ddpm.beta(1000)) == pytest.approx(2e-2)


def test_coefficients_match_the_formulas():
    s = DiffusionSchedule(num_steps=50, beta_start=1e-3, beta_end=0.1)
    betas = [1e-3 + (0.1 - 1e-3) * i / 49 for i in range(50)]
    abar = 1.0
    for t in range(1, 51):
        beta = betas[t - 1]
        alpha = 1 - beta
        abar_prev, abar = abar, abar * alpha
        assert float(s.alpha_bar(t)) == pytest.approx(abar, rel=1e-12)
        assert float(s.c3(t)) == pytest.approx(1 / math.sqrt(alpha), rel=1e-12)
        assert float(s.c1(t)) == pytest.approx(beta / (math.sqrt(alpha) * math.sqrt(1 - abar)),
                                                rel=1e-12)
        assert float(s.sigma(t)) == pytest.approx(
            math.sqrt(beta * (1 - abar_prev) / (1 - abar)), rel=1e-12, abs=1e-300)
    assert float(s.sigma(1)) == 0.0
    # tensors of steps give per-step values
    ts = torch.tensor([1, 7, 50])
    assert torch.equal(s.c1(ts), torch.stack([s.c1(1), s.c1(7), s.c1(50)]))


@pytest.mark.parametrize('bad', [0, 1001, -3])
def test_step_range_is_checked(bad):
    with pytest.raises(ValueError, match='out of range'):
        DiffusionSchedule().c1(bad)


def test_invalid_schedules():
    with pytest.raises(ValueError):
        DiffusionSchedule(num_steps=0)
    with pytest.raises(ValueError):
        DiffusionSchedule(beta_start=0.1, beta_end=0.01)
    with pytest.raises(TypeError):
        DiffusionSchedule().c1(1.5)


def test_q_sample_int_and_per_sample_steps():
    s = DiffusionSchedule(num_steps=20, beta_start=1e-3, beta_end=0.2)
    y0, eps = torch.randn(3, 4, 5), torch.randn(3, 4, 5)
    abar = float(s.alpha_bar(9))
    expected = math.sqrt(abar) * y0 + math.sqrt(1 - abar) * eps
    torch.testing.assert_close(s.q_sample(y0, 9, eps), expected)
    ts = torch.tensor([1, 9, 20])
    out = s.q_sample(y0, ts, eps)
    for i, t in enumerate(ts.tolist()):
        torch.testing.assert_close(out[i], s.q_sample(y0[i], t, eps[i]))
    with pytest.raises(ValueError):
        s.q_sample(y0, torch.tensor([1, 2]), eps)


def test_build_and_repr():
    s = DiffusionSchedule.build(dict(num_steps=10))
    assert s == DiffusionSchedule(10) and 'num_steps=10' in repr(s)
    assert DiffusionSchedule.build(s) is s
    assert DiffusionSchedule.build(None) == DiffusionSchedule()


def test_method_package_is_plain_pytorch():
    """No MMEngine/OpenMMLab import anywhere in mmdenoise/denoiserep (architecture rule)."""
    import ast
    import pathlib

    import mmdenoise.denoiserep as pkg
    forbidden = ('mmengine', 'mmcv', 'mmdet', 'mmseg', 'mmpretrain')
    for path in pathlib.Path(pkg.__file__).parent.glob('*.py'):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                mods = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                mods = [node.module or '']
            else:
                continue
            assert not [m for m in mods if m.split('.')[0] in forbidden], (path.name, mods)
