"""Seed-independent statistics against Lightly: crop area / aspect ratio, flips,
grayscale and blur shares. fastssl and Lightly draw with DIFFERENT seeds; the
measured distributions must agree within the stated (about 4-sigma) tolerances."""

from __future__ import annotations

import random
from typing import Callable, List

import lightly.transforms as lightly_transforms
import numpy as np
import pytest
import torch
from PIL import Image

import fastssl.transforms as fastssl_transforms

LIBS = {"lightly": lightly_transforms, "fastssl": fastssl_transforms}
SEEDS = {"lightly": 11, "fastssl": 12345}
W, H, OUT = 64, 48, 16


def _draw(lib: str, make: Callable, image: Image.Image, n: int) -> List[torch.Tensor]:
    seed = SEEDS[lib]
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)
    transform = make(LIBS[lib])
    return [transform(image)[0] for _ in range(n)]


def _coordinate_image() -> Image.Image:
    """Red encodes x (4 levels per pixel), green encodes y (5 levels per pixel)."""
    y, x = np.mgrid[0:H, 0:W]
    pixels = np.stack([x * 4, y * 5, np.zeros_like(x)], axis=-1).astype(np.uint8)
    return Image.fromarray(pixels)


def _crop_geometry(view: torch.Tensor):
    """(area fraction, log aspect ratio, h-flipped, v-flipped) read off the pixels."""
    x = view[0].mean(dim=0) * 255 / 4  # input x coordinate per output column
    y = view[1].mean(dim=1) * 255 / 5
    lo, hi = OUT // 4, 3 * OUT // 4  # interior: away from antialias border effects
    slope_x = (x[hi] - x[lo]).item() / (hi - lo)
    slope_y = (y[hi] - y[lo]).item() / (hi - lo)
    w, h = abs(slope_x) * OUT, abs(slope_y) * OUT
    return w * h / (W * H), np.log(w / h), slope_x < 0, slope_y < 0


def _geometry(lib: str, n: int = 800) -> np.ndarray:
    def make(L):
        return L.SimCLRTransform(
            input_size=OUT, cj_prob=0.0, random_gray_scale=0.0, gaussian_blur=0.0,
            vf_prob=0.3, min_scale=0.08, normalize=None,
        )

    return np.array([_crop_geometry(v) for v in _draw(lib, make, _coordinate_image(), n)])


@pytest.fixture(scope="module")
def geometry():
    return {lib: _geometry(lib) for lib in LIBS}


QUANTILES = [0.1, 0.25, 0.5, 0.75, 0.9]


def test_crop_area_fraction_distribution(geometry) -> None:
    ours, theirs = geometry["fastssl"][:, 0], geometry["lightly"][:, 0]
    assert 0.05 < ours.min() and ours.max() < 1.1  # scale=(0.08, 1) plus measurement noise
    # Area is ~uniform on [0.08, 1]: quantile standard error ~0.02 per side, tolerance 0.1.
    np.testing.assert_allclose(np.quantile(ours, QUANTILES), np.quantile(theirs, QUANTILES), atol=0.1)


def test_crop_aspect_ratio_distribution(geometry) -> None:
    ours, theirs = geometry["fastssl"][:, 1], geometry["lightly"][:, 1]
    assert np.all(np.abs(ours) < np.log(4 / 3) + 0.1)  # ratio=(3/4, 4/3) plus noise
    # log-ratio spans 0.58: quantile standard error ~0.015 per side, tolerance 0.07.
    np.testing.assert_allclose(np.quantile(ours, QUANTILES), np.quantile(theirs, QUANTILES), atol=0.07)


@pytest.mark.parametrize("column, prob", [(2, 0.5), (3, 0.3)], ids=["horizontal", "vertical"])
def test_flip_share(geometry, column: int, prob: float) -> None:
    ours, theirs = geometry["fastssl"][:, column].mean(), geometry["lightly"][:, column].mean()
    # n=800: standard error <= 0.018 per share; 4 sigma of the difference is 0.1.
    assert abs(ours - theirs) < 0.1 and abs(ours - prob) < 0.07


def _share(lib: str, make: Callable, image: Image.Image, predicate: Callable, n: int = 800) -> float:
    return float(np.mean([predicate(view) for view in _draw(lib, make, image, n)]))


def test_grayscale_share() -> None:
    image = Image.fromarray(np.random.default_rng(1).integers(0, 256, (12, 12, 3), dtype=np.uint8))

    def make(L):
        return L.SimCLRTransform(input_size=8, cj_prob=0.0, gaussian_blur=0.0, normalize=None)

    def is_gray(view):
        return bool(torch.equal(view[0], view[1]) and torch.equal(view[1], view[2]))

    ours, theirs = (_share(lib, make, image, is_gray) for lib in ("fastssl", "lightly"))
    # p=0.2, n=800: standard error 0.014 per share.
    assert abs(ours - theirs) < 0.08 and abs(ours - 0.2) < 0.06


def test_blur_share() -> None:
    # min_scale=1 on a square image crops the whole image, resized to its own size:
    # a view differs from the plain image exactly when it was blurred.
    checker = ((np.indices((16, 16)).sum(axis=0) % 2) * 255).astype(np.uint8)
    image = Image.fromarray(np.stack([checker] * 3, axis=-1))
    plain = torch.from_numpy(np.asarray(image).copy()).permute(2, 0, 1).float() / 255

    def make(L):
        return L.SimCLRTransform(
            input_size=16, min_scale=1.0, cj_prob=0.0, random_gray_scale=0.0, hf_prob=0.0,
            gaussian_blur=0.4, sigmas=(1.0, 2.0), normalize=None,
        )

    def is_blurred(view):
        return not torch.equal(view, plain)

    ours, theirs = (_share(lib, make, image, is_blurred) for lib in ("fastssl", "lightly"))
    assert abs(ours - theirs) < 0.1 and abs(ours - 0.4) < 0.07
