"""ReIDMetric refuses what it cannot evaluate (issue 18): the number of valid queries is
reported, no valid query is an error (not mAP 0.0), and a sample without ``camid`` is refused
unless the protocol reads no camera."""
import os.path as osp
import sys

import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.registry import DefaultScope

from mmdenoise.evaluation import PROTOCOLS, RankingProtocol, ReIDMetric
from mmdenoise.evaluation.functional import summarize

sys.path.insert(0, osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'test_datasets'))
from reid_layouts import make_market  # noqa: E402


def sample(split, pid, cam, feature, trial=None, path=True, **extra):
    s = dict(pred_feature=torch.tensor(feature, dtype=torch.float32), pid=pid, split=split,
             **extra)
    if cam is not None:
        s['camid'] = cam
    if path:
        s['img_path'] = f'{split}/{pid}_{cam}_{trial}_{len(feature)}_{feature[0]}.jpg'
    if trial is not None:
        s['trial'] = trial
    return s


def evaluate(metric, samples):
    metric.process({}, samples)
    return metric.evaluate(len(samples))


def test_valid_query_count_is_reported():
    samples = [sample('query', 1, 0, [1., 0.]), sample('query', 2, 0, [0., 1.]),
               sample('query', 9, 0, [1., 1.]),  # identity 9 has no gallery image
               sample('gallery', 1, 1, [1., 0.1]), sample('gallery', 2, 1, [0.1, 1.]),
               sample('gallery', 2, 0, [0., 1.])]  # same camera as its query: ignored
    result = evaluate(ReIDMetric(), samples)
    assert result['reid/num_valid_queries'] == 2
    assert result['reid/num_queries'] == 3
    assert result['reid/mAP'] == pytest.approx(100.0)


def test_valid_query_count_with_trials_is_the_mean_and_the_minimum():
    queries = [sample('query', p, 0, [float(p), 1.], trial=-1) for p in (1, 2, 3)]
    trial0 = [sample('gallery', p, 1, [float(p), 1.], trial=0) for p in (1, 2, 3)]
    trial1 = [sample('gallery', p, 1, [float(p), 1.], trial=1) for p in (1, 7)]
    result = evaluate(ReIDMetric(), queries + trial0 + trial1)
    assert result['reid/num_trials'] == 2
    assert result['reid/num_valid_queries'] == pytest.approx(2.0)  # (3 + 1) / 2
    assert result['reid/num_valid_queries_min'] == 1
    assert result['reid/num_queries'] == pytest.approx(3.0)


def test_no_query_identity_in_the_gallery_is_an_error_not_zero():
    samples = [sample('query', 1, 0, [1., 0.]), sample('query', 2, 0, [0., 1.]),
               sample('gallery', 5, 1, [1., 0.]), sample('gallery', 6, 1, [0., 1.]),
               sample('gallery', 7, 1, [1., 1.])]
    with pytest.raises(ValueError) as err:
        evaluate(ReIDMetric(), samples)
    message = str(err.value)
    assert 'none of the 2 queries' in message and 'the 3 gallery images' in message
    assert 'no query identity is in the gallery' in message
    assert 'query pids [1, 2]' in message and 'gallery pids [5, 6, 7]' in message


def test_every_match_removed_by_the_protocol_is_an_error_naming_the_rule():
    # every gallery image of the query identities comes from the query's camera
    samples = [sample('query', 1, 0, [1., 0.]), sample('gallery', 1, 0, [1., 0.1]),
               sample('gallery', 4, 1, [0., 1.])]
    with pytest.raises(ValueError, match='same identity and camera') as err:
        evaluate(ReIDMetric(), samples)
    assert 'none of the 1 queries' in str(err.value)
    assert 'query cameras [0]' in str(err.value)
    # the same data under RegDB's protocol (no camera rule) is fine
    assert evaluate(ReIDMetric(protocol='regdb'), samples)['reid/R1'] == 100.0


def test_no_valid_query_in_one_trial_names_the_trial():
    queries = [sample('query', 1, 0, [1., 0.], trial=-1)]
    good = [sample('gallery', 1, 1, [1., 0.], trial=0)]
    bad = [sample('gallery', 3, 1, [1., 0.], trial=1)]
    with pytest.raises(ValueError, match=r'trial 1: none of the 1 queries'):
        evaluate(ReIDMetric(), queries + good + bad)


def test_summarize_refuses_no_valid_query():
    per_query = dict(ap=[0., 0.], first_rank=[0., 0.], inp=[0., 0.],
                     num_matches=torch.zeros(2).numpy())
    with pytest.raises(ValueError, match='none of the 2 queries'):
        summarize(per_query, (1, ))


def test_missing_camid_is_refused_with_the_image_path():
    metric = ReIDMetric()
    good = sample('query', 1, 0, [1., 0.])
    bad = sample('gallery', 1, None, [1., 0.])
    bad['img_path'] = 'bounding_box_test/0001_x.jpg'
    with pytest.raises(ValueError, match="0001_x.jpg' has no 'camid'") as err:
        metric.process({}, [good, bad])
    assert 'cameras=False' in str(err.value)
    # without img_path the sample is named by its position
    with pytest.raises(ValueError, match=r"#1 \(no img_path\) has no 'camid'"):
        ReIDMetric(protocol='sysu').process({}, [good, sample('gallery', 1, None, [1.],
                                                              path=False)])


def test_explicit_unknown_camera_is_still_accepted():
    """camid=-1 is the datasets' explicit "no camera" (VehicleID): no same-camera removal."""
    samples = [sample('query', 1, -1, [1., 0.]), sample('gallery', 1, -1, [1., 0.1]),
               sample('gallery', 2, -1, [0., 1.])]
    assert evaluate(ReIDMetric(), samples)['reid/mAP'] == pytest.approx(100.0)


@pytest.mark.parametrize('protocol', [
    'regdb', dict(exclude_same_camera=False, cameras=False),
    dict(exclude_same_camera=False, dedup_gallery_ids=True, cameras=False)
])
def test_protocol_without_cameras_needs_no_camid(protocol):
    samples = [sample('query', 1, None, [1., 0.]), sample('query', 2, None, [0., 1.]),
               sample('gallery', 1, None, [1., 0.1]), sample('gallery', 2, None, [0.1, 1.]),
               sample('gallery', 3, None, [1., 1.])]
    result = evaluate(ReIDMetric(protocol=protocol), samples)
    assert result['reid/R1'] == 100.0 and result['reid/num_valid_queries'] == 2


def test_protocol_field_and_its_consistency():
    assert PROTOCOLS['market'].cameras and PROTOCOLS['sysu'].cameras
    assert not PROTOCOLS['regdb'].cameras
    with pytest.raises(ValueError, match='cameras=False'):
        RankingProtocol(cameras=False)  # same-camera removal needs cameras
    with pytest.raises(ValueError, match='excluded_camera_pairs'):
        ReIDMetric(protocol=dict(exclude_same_camera=False, excluded_camera_pairs=[(2, 1)],
                                 cameras=False))


def _one_hot_model(data_samples):
    for s in data_samples:
        feature = torch.zeros(16)
        feature[s.pid % 16] = 1.0
        s.set_field(feature, 'pred_feature')
    return data_samples


def _run_market(root, meta_keys=None, protocol='market'):
    from mmdenoise.datasets import Market1501
    pack = dict(type='PackReIDInputs')
    if meta_keys is not None:
        pack['meta_keys'] = meta_keys
    with DefaultScope.overwrite_default_scope('mmdenoise'):
        dataset = Market1501(data_root=root, split='test', serialize_data=False,
                             pipeline=[dict(type='LoadImageFromFile'), pack])
        evaluator = Evaluator(metrics=dict(type='ReIDMetric', protocol=protocol))
        for i in range(len(dataset)):
            item = dataset[i]
            evaluator.process(_one_hot_model([item['data_samples']]),
                              dict(inputs=[item['inputs']]))
        return evaluator.evaluate(len(dataset))


def test_pipeline_that_drops_camid_is_refused(tmp_path):
    """Real Market-1501 layout through PackReIDInputs: a pipeline whose meta_keys lose camid
    used to evaluate with same-camera matches counted; now it is refused naming the image."""
    root = make_market(str(tmp_path / 'market'))
    metrics = _run_market(root)
    assert metrics['reid/num_valid_queries'] == 2 and metrics['reid/num_queries'] == 2
    with pytest.raises(ValueError, match=r"query.0001_c1s1_000000_00\.jpg' has no 'camid'"):
        _run_market(root, meta_keys=('pid', 'split', 'img_path'))
    # RegDB-style protocol: no camera needed
    no_cams = _run_market(root, meta_keys=('pid', 'split', 'img_path'), protocol='regdb')
    assert no_cams['reid/num_valid_queries'] == 2
