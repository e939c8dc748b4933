"""LAM frequency mapping from FcaNet's 7x7 grid to the DCT sizes of the configs (issue 18).

The old ``u * h // 7`` mapping collapsed the 16 ``top16`` frequencies to 12 on SYSU layer 4's
4x8 regions, (1, 0) becoming (0, 0), a second copy of average pooling."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from mmdenoise.models.selacfp import dct_basis_2d, dct_filters, select_frequencies
from mmdenoise.models.selacfp.dct import scale_to_grid

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SELECTIONS = ['top1', 'top2', 'top4', 'top8', 'top16', 'top32', 'low16', 'bot16', 'low32']


def _config_dct_sizes():
    """(config, layer, dct_size, frequencies) of every LAM in the shipped model configs."""
    found = []
    for path in sorted(glob.glob(osp.join(ROOT, 'configs/selacfp/_base_/models/*.py'))):
        cfg = Config.fromfile(path)
        for layer, lam in cfg.model.backbone.get('lam_cfgs', {}).items():
            found.append((osp.basename(path), layer, tuple(lam['dct_size']),
                          lam.get('frequencies', 'top16')))
    return found


CONFIG_LAMS = _config_dct_sizes()


def test_configs_hold_the_sysu_and_regdb_sizes():
    sizes = {size for _, _, size, _ in CONFIG_LAMS}
    # the SYSU model (layer3 8x16, layer4 4x8) and the RegDB stages-up-to-3 one (16x32, 8x16)
    assert {(8, 16), (4, 8), (16, 32)} <= sizes


@pytest.mark.parametrize('config,layer,size,selection', CONFIG_LAMS)
def test_config_frequencies_are_distinct_and_never_average_pooling_twice(
        config, layer, size, selection):
    pairs = select_frequencies(selection)
    mapped = scale_to_grid(pairs, *size)
    assert len(set(mapped)) == len(pairs), (config, layer, mapped)
    assert all(0 <= u < size[0] and 0 <= v < size[1] for u, v in mapped)
    # only the 7x7 (0, 0) is average pooling
    assert [p for p, m in zip(pairs, mapped) if m == (0, 0)] == [(0, 0)]
    # the filters are then linearly independent (orthonormal distinct DCT basis images)
    filters = dct_filters(len(pairs), *size, selection).flatten(1).double()
    torch.testing.assert_close(filters @ filters.t(), torch.eye(len(pairs), dtype=torch.float64),
                               atol=1e-5, rtol=0)


def test_sysu_layer4_regression():
    """4x8: the 16 top16 frequencies stay 16 (the old mapping gave 12) and (1, 0) stays
    (1, 0); the frequencies that fit the 4 rows keep their index."""
    pairs = select_frequencies('top16')
    old = [(u * 4 // 7, v * 8 // 7) for u, v in pairs]
    assert len(set(old)) == 12 and old[pairs.index((1, 0))] == (0, 0)  # the bug
    mapped = scale_to_grid(pairs, 4, 8)
    assert len(set(mapped)) == 16
    assert mapped[pairs.index((1, 0))] == (1, 0)
    assert mapped[:7] == [(0, 0), (0, 1), (3, 0), (0, 5), (0, 2), (1, 0), (1, 2)]


@pytest.mark.parametrize('n', [7, 14, 28, 56])
@pytest.mark.parametrize('selection', SELECTIONS)
def test_fcanet_mapping_on_multiples_of_seven(n, selection):
    pairs = select_frequencies(selection)
    fcanet = [(u * (n // 7), v * (n // 7)) for u, v in pairs]
    assert scale_to_grid(pairs, n, n) == fcanet
    # and on rectangular grids, axis by axis
    assert scale_to_grid(pairs, n, 14) == [(u * (n // 7), v * 2) for u, v in pairs]


@pytest.mark.parametrize('size', [(1, 8), (2, 8), (3, 5), (4, 4), (5, 6), (6, 3), (8, 8)])
@pytest.mark.parametrize('selection', SELECTIONS)
def test_small_grids_distinct_when_room_and_no_false_average_pooling(size, selection):
    pairs = select_frequencies(selection)
    mapped = scale_to_grid(pairs, *size)
    distinct_pairs = len(set(pairs))
    if size[0] * size[1] >= distinct_pairs:
        assert len(set(mapped)) == distinct_pairs, mapped
    else:  # fuller grid: every frequency is used
        assert len(set(mapped)) == size[0] * size[1]
    # a selection without (0, 0) that fills the grid may use it as its last free frequency
    zero_as_last_resort = (0, 0) not in pairs and distinct_pairs >= size[0] * size[1]
    assert len({p for p, m in zip(pairs, mapped) if m == (0, 0)}) <= 1
    for pair, m in zip(pairs, mapped):
        assert 0 <= m[0] < size[0] and 0 <= m[1] < size[1]
        if pair != (0, 0) and not zero_as_last_resort:
            assert m != (0, 0), (pair, mapped)
        if (0, 0) in pairs and pair != (0, 0):
            assert m != (0, 0), (pair, mapped)  # never a copy of average pooling


def test_explicit_duplicates_map_identically_and_filters_match():
    mapped = scale_to_grid([(1, 0), (1, 0), (0, 0)], 3, 3)
    assert mapped == [(1, 0), (1, 0), (0, 0)]
    filters = dct_filters(3, 4, 8, [(0, 0), (6, 0), (4, 0)])
    for channel, (u, v) in enumerate(scale_to_grid([(0, 0), (6, 0), (4, 0)], 4, 8)):
        torch.testing.assert_close(filters[channel], dct_basis_2d(u, v, 4, 8).float())
    assert not torch.equal(filters[1], filters[2])  # (6, 0) and (4, 0) no longer merge
