"""Writers of tiny ReID datasets in the real folder layouts (8x4 images)."""
import os
import os.path as osp

import cv2
import numpy as np

_RNG = np.random.default_rng(0)


def write_image(path, height=8, width=4):
    os.makedirs(osp.dirname(path), exist_ok=True)
    img = _RNG.integers(0, 256, (height, width, 3), dtype=np.uint8)
    assert cv2.imwrite(path, img), path
    return path


def write_lines(path, lines):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')


def market_name(pid, cam, index, ext='.jpg'):
    """``0001_c1s1_000151_00.jpg`` style."""
    prefix = '-1' if pid == -1 else f'{pid:04d}'
    return f'{prefix}_c{cam}s1_{index:06d}_00{ext}'


def make_market(root, num_cams=6, size=(8, 4), ext='.jpg'):
    """Market-style folders.

    train: pids 2, 7, 10 (3 + 2 + 2 images, cameras 1-3)
    query: pids 1, 3 (one image each, camera 1)
    gallery: pids 1, 3 (2 images each, cameras 1 and 2), 3 distractors 0000, 2 junk -1
    """
    train = [(2, 1), (2, 2), (2, 3), (7, 1), (7, 2), (10, 2), (10, 3)]
    query = [(1, 1), (3, 1)]
    gallery = [(1, 1), (1, 2), (3, 1), (3, 2), (0, 1), (0, 2), (0, num_cams), (-1, 1), (-1, 2)]
    for folder, items in (('bounding_box_train', train), ('query', query),
                          ('bounding_box_test', gallery)):
        for i, (pid, cam) in enumerate(items):
            write_image(osp.join(root, folder, market_name(pid, cam, i, ext)), *size)
    return root


def make_msmt17(root, version='V1'):
    """MSMT17 lists: train pids 0, 1 (+ val pid 2), query/gallery pids 0, 1 (test ids)."""
    train_dir, test_dir = ('train', 'test') if version == 'V1' else ('mask_train_v2',
                                                                     'mask_test_v2')
    lists = {
        'list_train.txt': (train_dir, [(0, 1), (0, 3), (1, 15)]),
        'list_val.txt': (train_dir, [(2, 4)]),
        'list_query.txt': (test_dir, [(0, 2), (1, 5)]),
        'list_gallery.txt': (test_dir, [(0, 7), (0, 2), (1, 9), (1, 5), (1, 11)]),
    }
    for list_name, (folder, items) in lists.items():
        lines = []
        for i, (pid, cam) in enumerate(items):
            rel = f'{pid:04d}/{pid:04d}_{i:03d}_{cam:02d}_0303morning_{i:04d}_0.jpg'
            write_image(osp.join(root, folder, rel))
            lines.append(f'{rel} {pid}')
        write_lines(osp.join(root, list_name), lines)
    return root


def make_cuhk03np(root):
    """labeled: market layout; detected: one more gallery image per identity."""
    for subset, extra in (('labeled', 0), ('detected', 1)):
        base = osp.join(root, subset)
        for pid in (1, 2, 3):
            write_image(osp.join(base, 'bounding_box_train', f'{pid:04d}_c1_1.png'))
            write_image(osp.join(base, 'bounding_box_train', f'{pid:04d}_c2_2.png'))
        for pid in (4, 5):
            write_image(osp.join(base, 'query', f'{pid:04d}_c1_1.png'))
            for n in range(1 + extra):
                write_image(osp.join(base, 'bounding_box_test', f'{pid:04d}_c2_{n + 2}.png'))
    return root


def make_vehicleid(root, num_test_ids=5, images_per_id=3):
    lines_train, lines_test = [], []
    n = 0
    for vid in range(10, 14):
        for _ in range(2):
            write_image(osp.join(root, 'image', f'{n:07d}.jpg'))
            lines_train.append(f'{n:07d} {vid}')
            n += 1
    for vid in range(100, 100 + num_test_ids):
        for _ in range(images_per_id):
            write_image(osp.join(root, 'image', f'{n:07d}.jpg'))
            lines_test.append(f'{n:07d} {vid}')
            n += 1
    write_lines(osp.join(root, 'train_test_split', 'train_list.txt'), lines_train)
    write_lines(osp.join(root, 'train_test_split', 'test_list_800.txt'), lines_test)
    return root


def make_viper(root, num_ids=20):
    for pid in range(num_ids):
        write_image(osp.join(root, 'cam_a', f'{pid:03d}_45.bmp'))
        write_image(osp.join(root, 'cam_b', f'{pid:03d}_90.bmp'))
    return root


def make_prid(root, shared=6, only_b=(201, 202, 203, 204, 205), only_a=(250, )):
    for pid in list(range(1, shared + 1)) + list(only_a):
        write_image(osp.join(root, 'single_shot', 'cam_a', f'person_{pid:04d}.png'))
    for pid in list(range(1, shared + 1)) + list(only_b):
        write_image(osp.join(root, 'single_shot', 'cam_b', f'person_{pid:04d}.png'))
    return root


def make_grid(root, num_ids=10, num_distractors=5):
    for pid in range(1, num_ids + 1):
        write_image(osp.join(root, 'probe', f'{pid:04d}_1_25004_107_32_106_221.jpeg'))
        write_image(osp.join(root, 'gallery', f'{pid:04d}_5_25013_{pid}_32_106_221.jpeg'))
    for i in range(num_distractors):
        write_image(osp.join(root, 'gallery', f'0000_{i % 8 + 1}_2{i:04d}_1_2_3_4.jpeg'))
    return root


def make_ilids(root, num_ids=8, images_per_id=4):
    for pid in range(1, num_ids + 1):
        for n in range(1, images_per_id + 1):
            write_image(osp.join(root, 'images', f'{pid:04d}{n:03d}.jpg'))
    return root


def make_caviar(root, two_camera_ids=6, one_camera_ids=2):
    for pid in range(1, two_camera_ids + 1):
        for n in range(1, 21):
            write_image(osp.join(root, f'{pid:04d}{n:03d}.jpg'))
    for pid in range(100, 100 + one_camera_ids):
        for n in range(1, 11):
            write_image(osp.join(root, f'{pid:04d}{n:03d}.jpg'))
    return root


def make_sysu(root, train_ids=(1, 2, 3), val_ids=(4, ), test_ids=(5, 6), images_per_cam=3):
    """Every person in every camera with ``images_per_cam`` images, except person 6 who is
    not seen by camera 4."""
    for pid in list(train_ids) + list(val_ids) + list(test_ids):
        for cam in range(1, 7):
            if pid == 6 and cam == 4:
                continue
            for n in range(1, images_per_cam + 1):
                write_image(osp.join(root, f'cam{cam}', f'{pid:04d}', f'{n:04d}.jpg'))
    write_lines(osp.join(root, 'exp', 'train_id.txt'), [','.join(map(str, train_ids))])
    write_lines(osp.join(root, 'exp', 'val_id.txt'), [','.join(map(str, val_ids))])
    write_lines(osp.join(root, 'exp', 'test_id.txt'), [','.join(map(str, test_ids))])
    return root


def make_regdb(root, num_trials=2, train_ids=3, test_ids=2, images=2):
    """Trial t uses persons [t .. t + train_ids) for training, the next ones for testing."""
    for t in range(1, num_trials + 1):
        for kind, pids in (('train', range(t, t + train_ids)),
                           ('test', range(t + train_ids, t + train_ids + test_ids))):
            for folder, name in (('Visible', 'visible'), ('Thermal', 'thermal')):
                lines = []
                for label, pid in enumerate(pids):
                    for n in range(images):
                        rel = f'{folder}/{pid}/{folder[0].lower()}_{pid}_{n}.bmp'
                        if not osp.exists(osp.join(root, rel)):
                            write_image(osp.join(root, rel))
                        lines.append(f'{rel} {label}')
                write_lines(osp.join(root, 'idx', f'{kind}_{name}_{t}.txt'), lines)
    return root
