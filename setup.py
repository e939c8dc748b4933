"""Install mmdenoise.

Like the other OpenMMLab packages, installing links (development mode) or copies (sdist / wheel)
``configs``, ``tools`` and ``model-index.yml`` into ``mmdenoise/.mim`` so that
``_base_ = 'mmdenoise::...'`` and ``mim`` find them after installation.
"""
import os
import os.path as osp
import shutil
import sys

from setuptools import find_packages, setup

ROOT = osp.dirname(osp.abspath(__file__))
MIM_FILES = ('configs', 'tools', 'model-index.yml')


def get_version():
    namespace = {}
    with open(osp.join(ROOT, 'mmdenoise', 'version.py')) as f:
        exec(f.read(), namespace)
    return namespace['__version__']


def parse_requirements(fname):
    path = osp.join(ROOT, 'requirements', fname)
    reqs = []
    with open(path) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line and not line.startswith('-'):
                reqs.append(line)
    return reqs


def add_mim_extension():
    """Link (develop / editable) or copy (sdist, wheel) the mim files into mmdenoise/.mim."""
    if 'develop' in sys.argv or 'editable_wheel' in sys.argv:
        mode = 'symlink'
    elif {'sdist', 'bdist_wheel', 'build', 'install'} & set(sys.argv):
        mode = 'copy'
    else:
        return
    mim_dir = osp.join(ROOT, 'mmdenoise', '.mim')
    os.makedirs(mim_dir, exist_ok=True)
    for name in MIM_FILES:
        src = osp.join(ROOT, name)
        dst = osp.join(mim_dir, name)
        if not osp.exists(src) and mode == 'copy':
            continue
        if osp.islink(dst) or osp.isfile(dst):
            os.remove(dst)
        elif osp.isdir(dst):
            shutil.rmtree(dst)
        if mode == 'symlink':
            os.symlink(osp.relpath(src, mim_dir), dst)
        elif osp.isdir(src):
            shutil.copytree(src, dst)
        else:
            shutil.copyfile(src, dst)


if __name__ == '__main__':
    add_mim_extension()
    setup(
        name='mmdenoise',
        version=get_version(),
        description='DenoiseRep and related ReID methods as an OpenMMLab model zoo',
        long_description=open(osp.join(ROOT, 'README.md'), encoding='utf-8').read()
        if osp.exists(osp.join(ROOT, 'README.md')) else '',
        long_description_content_type='text/markdown',
        packages=find_packages(exclude=('configs', 'tools', 'tests', 'tests.*')),
        include_package_data=True,
        python_requires='>=3.8',
        install_requires=parse_requirements('runtime.txt'),
        extras_require=dict(tests=parse_requirements('tests.txt')),
        license='Apache License 2.0',
        zip_safe=False,
    )
