"""Multi-dataset training: concatenation with identity relabelling per source."""
import copy
from typing import List, Sequence, Union

from mmengine.dataset import BaseDataset

from mmdenoise.registry import DATASETS


@DATASETS.register_module()
class ReIDConcatDataset(BaseDataset):
    """Union of several ReID training sets with disjoint labels.

    Identity ``k`` of source ``s`` gets ``gt_label = offset_s + k`` with ``offset_s`` the number
    of identities of the sources before it, so identities of different datasets never collide
    (FastReID prefixes pids with the dataset name for the same reason). Camera ids are made
    disjoint the same way. Each record keeps its source: ``source`` (index), ``source_name``
    (dataset type), ``source_label`` and ``source_camid`` (the values inside that dataset). The
    sub-datasets are built without pipeline; this dataset applies its own ``pipeline``, so
    labels are relabelled before packing. Useful for supervised multi-source training (the
    domain-generalisation protocols) and for label-free training on the union of several sets.

    Args:
        datasets (list[dict | BaseDataset]): Training datasets (configs or objects) whose
            records have ``gt_label`` in ``0..num_classes-1``.
        pipeline (list): Data pipeline.
        **kwargs: Other :class:`mmengine.dataset.BaseDataset` arguments.
    """

    def __init__(self, datasets: Sequence[Union[dict, BaseDataset]], pipeline=(), **kwargs):
        if not datasets:
            raise ValueError('ReIDConcatDataset: datasets is empty')
        self._source_cfgs = list(datasets)
        super().__init__(pipeline=list(pipeline), **kwargs)

    def _build(self, cfg: Union[dict, BaseDataset]) -> BaseDataset:
        if isinstance(cfg, BaseDataset):
            return cfg
        cfg = copy.deepcopy(cfg)
        cfg['pipeline'] = []
        return DATASETS.build(cfg)

    def load_data_list(self) -> List[dict]:
        records, names, label_offset, cam_offset = [], [], 0, 0
        for source, cfg in enumerate(self._source_cfgs):
            dataset = self._build(cfg)
            name = type(dataset).__name__
            names.append(name)
            infos = [dataset.get_data_info(i) for i in range(len(dataset))]
            labels = {int(info['gt_label']) for info in infos}
            num_classes = dataset.metainfo.get('num_classes', max(labels) + 1)
            if any(info.get('split', 'train') != 'train' for info in infos) or \
                    min(labels) < 0 or max(labels) >= num_classes:
                raise ValueError(f'ReIDConcatDataset: source {source} ({name}) must be a '
                                 'training set with labels 0..num_classes-1')
            cams = [int(info.get('camid', -1)) for info in infos]
            for info, cam in zip(infos, cams):
                info.pop('sample_idx', None)
                info.update(
                    source=source,
                    source_name=name,
                    source_label=int(info['gt_label']),
                    source_camid=cam,
                    gt_label=int(info['gt_label']) + label_offset,
                    camid=cam + cam_offset if cam >= 0 else -1)
                records.append(info)
            label_offset += num_classes
            cam_offset += max(cams) + 1 if max(cams) >= 0 else 0
        self._metainfo.update(
            num_classes=label_offset, sources=tuple(names), num_images=len(records))
        return records
