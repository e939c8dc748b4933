"""The model-zoo metadata: metafiles, model-index.yml and the generated model_zoo.md.

Fast checks only: the one test that builds models builds three cheap metafile configs (every
config is built by tests/test_configs).
"""
import copy
import os
import os.path as osp

import pytest
import yaml

from mmdenoise.apis import model_zoo

ROOT = model_zoo.repo_root()
SEED_COLLECTIONS = {
    'configs/selacfp/metafile.yml': 'D-SELACFP',
    'configs/dgrl/metafile.yml': 'DGRL',
    'configs/dff/metafile.yml': 'DFF',
}
MODES = {'label-free': 'label-free', 'label-aug': 'label-augmented', 'alternating': 'alternating'}
# three cheap metafile rows whose configs are built for real (DenoiseRep wrapper + deploy model)
SAMPLE_MODELS = (
    'denoiserep-label-free_resnet18-w16_fashion-mnist-mini',
    'denoiserep-label-aug_mobilenetv2-bnneck_cuhk03-ours-128x64',
    'denoiserep-label-free_transreid-ssl_vit-small_market1501-256x128',
)


def _models():
    return model_zoo.all_models(ROOT)


def _by_name():
    return {model['Name']: model for _, model in _models()}


def test_model_index_imports_every_metafile():
    imported = set(model_zoo.metafile_paths(ROOT))
    on_disk = {
        osp.relpath(osp.join(dirpath, 'metafile.yml'), ROOT)
        for dirpath, _, files in os.walk(osp.join(ROOT, 'configs')) if 'metafile.yml' in files}
    assert imported == on_disk, (f'not imported: {sorted(on_disk - imported)}; '
                                 f'imported but missing: {sorted(imported - on_disk)}')


def test_every_config_folder_has_a_metafile():
    folders = {osp.dirname(c) for c in model_zoo.config_files(ROOT)}
    # composed baselines live in a task folder's baselines/, described by the task's metafile
    folders = {f[:-len('/baselines')] if f.endswith('/baselines') else f for f in folders}
    missing = sorted(f for f in folders if not osp.isfile(osp.join(ROOT, f, 'metafile.yml')))
    assert not missing, f'config folders without metafile.yml: {missing}'


def test_metafiles_load_with_modelindex():
    from modelindex.load_model_index import load
    cwd = os.getcwd()
    os.chdir(ROOT)  # modelindex resolves Import paths against the working directory
    try:
        index = load('model-index.yml')
        index.build_models_with_collections()
        errors = index.check(silent=True)
    finally:
        os.chdir(cwd)
    assert len(index.models) == len(_models())
    assert {m.name for m in index.models} == set(_by_name())
    assert {c.name for c in index.collections} == {
        c['Name'] for _, data in model_zoo.load_metafiles(ROOT) for c in data['Collections']}
    # modelindex resolves a README path against the metafile's folder, OpenMMLab writes them
    # relative to the repository root (as we do; their existence is checked below): that is the
    # only kind of message allowed.
    other = [e for e in errors if 'Path to README file' not in e]
    assert not other, other
    for _, data in model_zoo.load_metafiles(ROOT):
        for coll in data['Collections']:
            if coll.get('README'):
                assert osp.isfile(osp.join(ROOT, coll['README'])), coll['README']


def test_metafiles_are_valid():
    errors = model_zoo.validate_metafiles(ROOT)
    assert not errors, '\n'.join(errors)


def test_config_fields_point_at_existing_configs():
    missing = [(m['Name'], m['Config']) for _, m in _models()
               if m.get('Config') and not osp.isfile(osp.join(ROOT, m['Config']))]
    assert not missing, missing
    for _, m in _models():
        deploy = (m.get('Metadata') or {}).get('Deploy Config')
        assert deploy is None or osp.isfile(osp.join(ROOT, deploy)), (m['Name'], deploy)


def test_every_denoiserep_config_has_a_metafile_row():
    listed = {m['Config'] for _, m in _models() if m.get('Config')}
    missing = [c for c in model_zoo.denoiserep_configs(ROOT) if c not in listed]
    assert not missing, ('DenoiseRep configs without a metafile row (add them to the metafile '
                         f'of their folder): {missing}')


def test_denoiserep_rows_name_their_deploy_config_and_complexity():
    from mmengine.config import Config
    for _, m in _models():
        config = m.get('Config')
        if not config or not model_zoo.DENOISEREP_CONFIG_RE.match(osp.basename(config)):
            continue
        meta = m['Metadata']
        assert meta.get('Deploy Config'), m['Name']
        mode = model_zoo.DENOISEREP_CONFIG_RE.match(osp.basename(config)).group(1)
        assert meta.get('Mode') == MODES[mode], m['Name']
        for key in ('Parameters', 'FLOPs'):
            assert isinstance(meta.get(key), int) and meta[key] > 0, (m['Name'], key)
        assert meta.get('Input Size'), m['Name']
    # the deploy config of one row is the one its config names (deploy_config key)
    row = _by_name()[SAMPLE_MODELS[0]]
    cfg = Config.fromfile(osp.join(ROOT, row['Config']))
    assert osp.normpath(osp.join(osp.dirname(row['Config']), cfg.deploy_config)) == \
        row['Metadata']['Deploy Config']


def test_every_result_names_its_source():
    for _, m in _models():
        for result in m.get('Results') or []:
            source = str(result.get('Source') or '')
            assert source.startswith(('paper-reported', 'measured here')), (m['Name'], source)
            if source.startswith('paper-reported'):
                assert 'paper 00' in source, (m['Name'], source)
            assert 'Baseline' in result, m['Name']
            assert isinstance(result['Metrics'], dict) and len(result['Metrics']) == 1


def test_seed_systems_have_configs_and_paper_rows():
    """D-SELACFP, DGRL and DFF: implemented (rows with a config that exists, DenoiseRep rows
    among them) and every paper number kept as paper-reported."""
    files = dict(model_zoo.load_metafiles(ROOT))
    for rel, collection in SEED_COLLECTIONS.items():
        assert rel in files, f'{rel} not imported by model-index.yml'
        models = files[rel]['Models']
        assert models, rel
        assert all(m['In Collection'] == collection for m in models)
        configs = [m['Config'] for m in models if m['Config']]
        assert configs and all(osp.isfile(osp.join(ROOT, c)) for c in configs), rel
        assert any(model_zoo.DENOISEREP_CONFIG_RE.match(osp.basename(c)) for c in configs), rel
        paper = [r for m in models for r in m['Results'] or []
                 if r['Source'].startswith('paper-reported')]
        assert paper, f'{rel}: no paper-reported results'
        # no weights are claimed for models nobody has trained here
        assert all(m['Weights'] is None for m in models), rel


def test_model_zoo_md_is_up_to_date():
    ok, diff = model_zoo.check_model_zoo(ROOT)
    assert ok, ('model_zoo.md is not the generator\'s output; run '
                f'python tools/misc/generate_model_zoo.py\n{diff[:3000]}')


def test_generated_page_content():
    text = model_zoo.render_model_zoo(ROOT)
    assert text.startswith('# Model zoo')
    assert 'generated' in text and 'tools/misc/generate_model_zoo.py' in text
    assert 'paper-reported' in text and 'measured here' in text
    names = _by_name()
    for name, m in names.items():
        assert f'| {name} |' in text, name
    # rows without a config say so in the config and download columns
    row = next(line for line in text.splitlines() if '| dff_resnet_office-home |' in line)
    assert row.rstrip().endswith('| not yet implemented | not yet implemented |')
    # rows with a config link it relatively and have no download yet
    name = SAMPLE_MODELS[2]
    row = next(line for line in text.splitlines() if f'| {name} |' in line)
    assert f'[config]({names[name]["Config"]})' in row and row.rstrip().endswith('| — |')
    header = next(line for line in text.splitlines() if line.startswith('| task |'))
    for column in ('model', 'backbone', 'dataset', 'metric', 'baseline', '+DenoiseRep', 'source',
                   'parameters', 'fused/baseline latency ratio', 'config', 'download'):
        assert f'| {column} |' in header, column


def _fake_repo(tmp_path, models):
    (tmp_path / 'configs' / 'x').mkdir(parents=True)
    (tmp_path / 'configs' / 'x' / 'a.py').write_text('model = dict()\n')
    metafile = {'Collections': [{'Name': 'X'}], 'Models': models}
    (tmp_path / 'configs' / 'x' / 'metafile.yml').write_text(yaml.safe_dump(metafile))
    (tmp_path / 'model-index.yml').write_text(
        yaml.safe_dump({'Import': ['configs/x/metafile.yml']}))
    return str(tmp_path)


GOOD = {
    'Name': 'a', 'In Collection': 'X', 'Config': 'configs/x/a.py', 'Weights': None,
    'Metadata': {'Task': 'T', 'Backbone': 'B', 'Parameters': 10, 'FLOPs': 20,
                 'Latency Ratio': None},
    'Results': [{'Task': 'T', 'Dataset': 'D', 'Metrics': {'mAP': 2.0}, 'Baseline': 1.0,
                 'Source': 'measured here, with python tools/test.py a.py w.pth'}],
}


@pytest.fixture
def generator():
    import importlib.util
    path = osp.join(ROOT, 'tools', 'misc', 'generate_model_zoo.py')
    spec = importlib.util.spec_from_file_location('generate_model_zoo', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generator_write_then_check(tmp_path, generator, capsys):
    root = _fake_repo(tmp_path, [GOOD])
    assert generator.main(['--root', root, '--check']) == 1  # no model_zoo.md yet
    assert generator.main(['--root', root]) == 0
    assert generator.main(['--root', root, '--check']) == 0
    text = (tmp_path / 'model_zoo.md').read_text()
    assert '| measured here, with python tools/test.py a.py w.pth |' in text
    assert '| 10 |' in text  # parameters
    (tmp_path / 'model_zoo.md').write_text(text.replace('2.0', '3.0'))
    assert generator.main(['--root', root, '--check']) == 1
    assert '-| T | a |' in capsys.readouterr().out  # the diff names the stale row


@pytest.mark.parametrize('change, message', [
    (lambda m: m['Results'][0].update(Source='ours'), 'must start with'),
    (lambda m: m['Results'][0].update(Source='measured here'), 'must name its command'),
    (lambda m: m['Results'][0]['Metrics'].update(R1=3.0), 'exactly one metric'),
    (lambda m: m['Results'][0].pop('Baseline'), "no 'Baseline'"),
    (lambda m: m.update(Config='configs/x/missing.py'), 'does not exist'),
    (lambda m: m.update(Name='b'), 'config stem'),
    (lambda m: m.pop('Weights'), "no 'Weights'"),
    (lambda m: m['Metadata'].update({'Latency Ratio': {'Value': 1.0, 'Source': 'paper'}}),
     'Latency Ratio.Source'),
])
def test_validation_catches(tmp_path, generator, change, message, capsys):
    model = copy.deepcopy(GOOD)
    change(model)
    root = _fake_repo(tmp_path, [model])
    errors = model_zoo.validate_metafiles(root)
    assert any(message in e for e in errors), errors
    assert generator.main(['--root', root, '--check']) == 1


def test_sample_metafile_configs_build():
    """Config fields point at buildable configs; Parameters match the deploy model."""
    import torch
    from mmengine.config import Config
    from mmengine.registry import MODELS, init_default_scope

    import mmdenoise  # noqa: F401

    rows = _by_name()
    for name in SAMPLE_MODELS:
        row = rows[name]
        for path, kind in ((row['Config'], 'config'),
                           (row['Metadata']['Deploy Config'], 'deploy')):
            cfg = Config.fromfile(osp.join(ROOT, path))
            init_default_scope(cfg.default_scope)
            model_cfg = copy.deepcopy(cfg.model)
            if cfg.get('data_preprocessor') is not None:
                model_cfg.setdefault('data_preprocessor', copy.deepcopy(cfg.data_preprocessor))
            torch.manual_seed(0)
            model = MODELS.build(model_cfg)
            assert isinstance(model, torch.nn.Module), path
            if kind == 'config':
                assert type(model).__name__ == 'DenoiseRepWrapper', path
            else:
                params = sum(p.numel() for p in model.parameters())
                assert params == row['Metadata']['Parameters'], (name, params)


def test_repository_weights_verify_and_load_into_their_deploy_config():
    """Weights kept in the repository (a path, not a URL): the file exists, its sha256 starts
    with the prefix in its name, it loads with weights_only=True and strictly into the model of
    the row's deploy config (the fused weights of a DenoiseRep row)."""
    from mmengine.config import Config

    from mmdenoise.apis import build_model_from_cfg
    from mmdenoise.apis.download import download_checkpoint
    from mmdenoise.utils import load_checkpoint_file
    local = [m for _, m in _models() if m.get('Weights') and '://' not in m['Weights']]
    assert local, 'no checkpoint kept in the repository'
    for m in local:
        path = download_checkpoint(m['Name'], model_index=osp.join(ROOT, 'model-index.yml'))
        assert osp.samefile(path, osp.join(ROOT, m['Weights']))
        state = load_checkpoint_file(path)['state_dict']
        deploy = (m.get('Metadata') or {}).get('Deploy Config') or m['Config']
        model = build_model_from_cfg(Config.fromfile(osp.join(ROOT, deploy)))
        model.load_state_dict(state, strict=True)


def test_check_complexity_finds_stale_parameters_and_flops(tmp_path, generator, capsys):
    """--check-complexity recomputes every row's Parameters / FLOPs from its config."""
    import shutil
    root = _fake_repo(tmp_path, [])
    config = tmp_path / 'configs' / 'x' / 'a.py'
    shutil.copy(osp.join(ROOT, 'tests', 'data', 'configs', 'tiny_vit_cls.py'), config)
    info = model_zoo.deploy_complexity(str(config))
    assert info['params'] == model_zoo.deploy_parameters(str(config)) > 0
    row = copy.deepcopy(GOOD)
    row['Metadata'].update(Parameters=info['params'], FLOPs=info['flops'],
                           **{'Input Size': info['input_shape']})
    stale = copy.deepcopy(row)
    stale['Name'] = 'b'
    stale['Metadata'].update(Parameters=info['params'] + 1, FLOPs=info['flops'] * 2)
    root = _fake_repo(tmp_path / 'repo', [row])
    shutil.copy(config, osp.join(root, 'configs', 'x', 'a.py'))
    assert model_zoo.check_complexity(root) == []
    assert generator.main(['--root', root, '--check-complexity']) == 0
    # the stale row (same config, other name)
    (tmp_path / 'repo' / 'configs' / 'x' / 'b.py').write_text("_base_ = './a.py'\n")
    stale['Config'] = 'configs/x/b.py'
    metafile = {'Collections': [{'Name': 'X'}], 'Models': [row, stale]}
    (tmp_path / 'repo' / 'configs' / 'x' / 'metafile.yml').write_text(yaml.safe_dump(metafile))
    errors = model_zoo.check_complexity(root)
    assert errors == [
        f'configs/x/metafile.yml: b: Metadata.Parameters is {info["params"] + 1}, its config '
        f'gives {info["params"]}',
        f'configs/x/metafile.yml: b: Metadata.FLOPs is {info["flops"] * 2}, its config gives '
        f'{info["flops"]}',
    ]
    assert len(model_zoo.check_complexity(root, flops=False)) == 1
    assert model_zoo.check_complexity(root, match='^a$') == []
    capsys.readouterr()
    assert generator.main(['--root', root, '--check-complexity', '--params-only']) == 1
    assert 'b: Metadata.Parameters' in capsys.readouterr().err
