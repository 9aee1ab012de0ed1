"""Collate functions: Lightly 1.5's API (hard-coded oracles rebuilt from the 1.5
source, since Lightly 1.6.0 no longer has it) and MultiViewCollate vs Lightly 1.6."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
import torchvision.transforms as T1  # Lightly 1.5's collate functions used v1
from lightly.data import MultiViewCollate as LightlyMultiViewCollate
from lightly.transforms import GaussianBlur, RandomSolarization
from lightly.transforms.rotation import random_rotation_transform
from lightly.transforms.utils import IMAGENET_NORMALIZE
from PIL import Image

import fastssl.data as data
from fastssl.data.multi_view_collate import MultiViewCollate

NORM = [T1.ToTensor(), T1.Normalize(mean=IMAGENET_NORMALIZE["mean"], std=IMAGENET_NORMALIZE["std"])]


def _batch(n: int = 3):
    rng = np.random.default_rng(5)
    return [
        (Image.fromarray(rng.integers(0, 256, (47, 61, 3), dtype=np.uint8)), i % 2, f"img_{i}.png")
        for i in range(n)
    ]


def _seeded(fn, batch, seed=0):
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)
    return fn(batch)


def _assert_same_pixels(actual: torch.Tensor, expected: torch.Tensor) -> None:
    """Equal up to float rounding of the uint8 -> float conversion.

    Lightly 1.5 converted with torchvision v1's ToTensor (x / 255); the spec's
    reference backend converts like Lightly 1.6 (ToImage + ToDtype: x * (1 / 255)),
    which differs by at most one ulp. Any different random draw (crop, flip,
    jitter, blur) changes pixels by orders of magnitude more than 1e-6.
    """
    torch.testing.assert_close(actual, expected, rtol=0, atol=1e-6)


def _old_two_view(transform, batch):
    """BaseCollateFunction.forward of Lightly 1.5."""
    n = len(batch)
    views = [transform(batch[i % n][0]).unsqueeze_(0) for i in range(2 * n)]
    labels = torch.LongTensor([b[1] for b in batch])
    return (torch.cat(views[:n]), torch.cat(views[n:])), labels, [b[2] for b in batch]


def _old_multi_view(transforms, batch):
    """MultiViewCollateFunction.forward of Lightly 1.5."""
    views = [torch.stack([t(img) for img, _, _ in batch]) for t in transforms]
    return views, torch.LongTensor([b[1] for b in batch]), [b[2] for b in batch]


def _old_image_transform(size, cj, min_scale, blur, sigmas, rr_prob=0.0, rr_degrees=None):
    """ImageCollateFunction's transform in Lightly 1.5 (rotation before the flips)."""
    return T1.Compose([
        T1.RandomResizedCrop(size=size, scale=(min_scale, 1.0)),
        random_rotation_transform(rr_prob=rr_prob, rr_degrees=rr_degrees),
        T1.RandomHorizontalFlip(p=0.5),
        T1.RandomVerticalFlip(p=0.0),
        T1.RandomApply([T1.ColorJitter(*cj)], p=0.8),
        T1.RandomGrayscale(p=0.2),
        GaussianBlur(sigmas=sigmas, prob=blur),
        *NORM,
    ])


def _old_swav(sizes, counts, mins, maxs, s):
    view = T1.Compose([
        T1.RandomHorizontalFlip(p=0.5), T1.RandomVerticalFlip(p=0.0),
        random_rotation_transform(rr_prob=0.0, rr_degrees=None), T1.ColorJitter(),
        T1.RandomApply([T1.ColorJitter(s, s, s, s / 4.0)], p=0.8), T1.RandomGrayscale(p=0.2),
        GaussianBlur(sigmas=(0.2, 2), prob=0.5), *NORM,
    ])
    transforms = []
    for size, count, lo, hi in zip(sizes, counts, mins, maxs):
        transforms += [T1.Compose([T1.RandomResizedCrop(size, scale=(lo, hi)), view])] * count
    return transforms


def _old_dino(g, l, n_local):
    flip_jitter = T1.Compose([
        T1.RandomHorizontalFlip(p=0.5), T1.RandomVerticalFlip(p=0),
        random_rotation_transform(rr_prob=0, rr_degrees=None),
        T1.RandomApply([T1.ColorJitter(0.4, 0.4, 0.2, 0.1)], p=0.8), T1.RandomGrayscale(p=0.2),
    ])
    bicubic = T1.InterpolationMode.BICUBIC
    global_crop = T1.RandomResizedCrop(g, scale=(0.4, 1.0), interpolation=bicubic)
    g0 = T1.Compose([global_crop, flip_jitter, GaussianBlur(sigmas=(0.1, 2), prob=1.0), *NORM])
    g1 = T1.Compose([global_crop, flip_jitter, GaussianBlur(sigmas=(0.1, 2), prob=0.1),
                     RandomSolarization(prob=0.2), *NORM])
    local = T1.Compose([T1.RandomResizedCrop(l, scale=(0.05, 0.4), interpolation=bicubic),
                        flip_jitter, GaussianBlur(sigmas=(0.1, 2), prob=0.5), *NORM])
    return [g0, g1] + [local] * n_local


TWO_VIEW = [
    ("Image-default", lambda: data.ImageCollateFunction(),
     lambda b: _old_two_view(_old_image_transform(64, (0.7, 0.7, 0.7, 0.2), 0.15, 0.5, (0.2, 2)), b), 64),
    ("SimCLR", lambda: data.SimCLRCollateFunction(input_size=33),
     lambda b: _old_two_view(_old_image_transform(33, (0.4, 0.4, 0.4, 0.1), 0.08, 0.5, (0.2, 2)), b), 33),
    ("SimCLR-rotation", lambda: data.SimCLRCollateFunction(input_size=30, rr_prob=0.5, rr_degrees=20),
     lambda b: _old_two_view(_old_image_transform(
         30, (0.4, 0.4, 0.4, 0.1), 0.08, 0.5, (0.2, 2), rr_prob=0.5, rr_degrees=20), b), 30),
    ("MoCo", lambda: data.MoCoCollateFunction(input_size=31),
     lambda b: _old_two_view(_old_image_transform(31, (0.4,) * 4, 0.2, 0.0, (0.2, 2)), b), 31),
]


@pytest.mark.parametrize("make, oracle, size", [c[1:] for c in TWO_VIEW], ids=[c[0] for c in TWO_VIEW])
def test_two_view_collate_matches_lightly_1_5(make, oracle, size: int) -> None:
    batch = _batch()
    (x0, x1), labels, fnames = _seeded(make(), batch)
    (e0, e1), e_labels, e_fnames = _seeded(oracle, batch)
    assert x0.shape == x1.shape == (3, 3, size, size) and x0.dtype == torch.float32
    assert labels.dtype == torch.long and labels.tolist() == [0, 1, 0]
    assert fnames == e_fnames == ["img_0.png", "img_1.png", "img_2.png"]
    _assert_same_pixels(x0, e0)
    _assert_same_pixels(x1, e1)
    assert torch.equal(labels, e_labels)


MULTI_VIEW = [
    ("SwaV", lambda: data.SwaVCollateFunction(crop_sizes=[32, 16], crop_counts=[2, 3]),
     lambda b: _old_multi_view(_old_swav([32, 16], [2, 3], [0.14, 0.05], [1.0, 0.14], 0.8), b),
     [32, 32, 16, 16, 16]),
    ("DINO", lambda: data.DINOCollateFunction(global_crop_size=32, local_crop_size=16, n_local_views=2),
     lambda b: _old_multi_view(_old_dino(32, 16, 2), b), [32, 32, 16, 16]),
]


@pytest.mark.parametrize("make, oracle, sizes", [c[1:] for c in MULTI_VIEW], ids=[c[0] for c in MULTI_VIEW])
def test_multi_view_collate_matches_lightly_1_5(make, oracle, sizes) -> None:
    batch = _batch()
    collate_fn = make()
    views, labels, fnames = _seeded(collate_fn, batch)
    expected, e_labels, e_fnames = _seeded(oracle, batch)
    assert [tuple(v.shape) for v in views] == [(3, 3, s, s) for s in sizes]
    assert collate_fn.spec.num_views == len(sizes)
    for view, want in zip(views, expected):
        _assert_same_pixels(view, want)
    assert torch.equal(labels, e_labels) and fnames == e_fnames


def test_default_swav_and_dino_structure() -> None:
    batch = _batch(2)
    views, _, _ = data.SwaVCollateFunction()(batch)
    assert [v.shape[-1] for v in views] == [224] * 2 + [96] * 6
    views, _, _ = data.DINOCollateFunction()(batch)
    assert [v.shape[-1] for v in views] == [224] * 2 + [96] * 6


def test_collate_functions_hold_a_spec_unless_given_user_transforms() -> None:
    assert data.SimCLRCollateFunction().spec.num_views == 2
    assert data.BaseCollateFunction(T1.ToTensor()).spec is None
    multi = data.MultiCropCollateFunction([16, 8], [1, 2], [0.5, 0.1], [1.0, 0.5], T1.ToTensor())
    assert multi.spec is None
    views, _, _ = multi(_batch(2))
    assert [tuple(v.shape) for v in views] == [(2, 3, 16, 16), (2, 3, 8, 8), (2, 3, 8, 8)]


def test_deprecated_kernel_size_warns_and_is_ignored() -> None:
    with pytest.warns(DeprecationWarning, match="kernel_size"):
        with_kernel = data.SimCLRCollateFunction(input_size=16, kernel_size=0.1)
    assert with_kernel.spec == data.SimCLRCollateFunction(input_size=16).spec


def test_multicrop_collate_rejects_mismatched_lengths() -> None:
    with pytest.raises(ValueError, match="crop_max_scales"):
        data.MultiCropCollateFunction([16, 8], [1, 2], [0.5, 0.1], [1.0], T1.ToTensor())


def test_multi_view_collate_equals_lightly() -> None:
    rng = torch.Generator().manual_seed(0)
    batch = [
        ([torch.rand(3, 8, 8, generator=rng), torch.rand(3, 4, 5, generator=rng)], i, f"{i}.png")
        for i in range(4)
    ]
    views, labels, fnames = MultiViewCollate()(batch)
    e_views, e_labels, e_fnames = LightlyMultiViewCollate()(batch)
    assert len(views) == len(e_views) == 2
    assert all(torch.equal(v, e) for v, e in zip(views, e_views))
    assert torch.equal(labels, e_labels) and labels.dtype == torch.long and fnames == e_fnames
    assert data.MultiViewCollate is MultiViewCollate


def test_multi_view_collate_empty_batch_warns() -> None:
    with pytest.warns(UserWarning, match="empty batch"):
        views, labels, fnames = MultiViewCollate()([])
    assert views == [] and labels.dtype == torch.long and labels.numel() == 0 and fnames == []


def test_multi_view_collate_names_sample_with_missing_views() -> None:
    batch = [([torch.zeros(3, 2, 2)] * 2, 0, "a.png"), ([torch.zeros(3, 2, 2)], 1, "b.png")]
    with pytest.raises(ValueError, match="'b.png' has 1"):
        MultiViewCollate()(batch)
