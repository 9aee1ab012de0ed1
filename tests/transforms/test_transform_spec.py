"""Spec validation (ValueError naming the field and the value), hashing, equality."""

from __future__ import annotations

import dataclasses

import pytest

import fastssl.transforms as T
from fastssl.transforms.multi_crop_transform import MultiCropTranform
from fastssl.transforms.spec import (
    ColorJitterSpec,
    GaussianBlurSpec,
    HorizontalFlipSpec,
    MultiViewSpec,
    NormalizeSpec,
    RandomResizedCropSpec,
    RotationSpec,
    SolarizeSpec,
    ViewSpec,
)

BAD = [
    ("flip-prob", lambda: HorizontalFlipSpec(prob=1.5), "HorizontalFlipSpec.prob", "1.5"),
    ("flip-prob-str", lambda: HorizontalFlipSpec(prob="0.5"), "HorizontalFlipSpec.prob", "'0.5'"),
    ("crop-size-zero", lambda: RandomResizedCropSpec(size=0), "RandomResizedCropSpec.size", "0"),
    ("crop-size-triple", lambda: RandomResizedCropSpec(size=(3, 4, 5)), "size", "(3, 4, 5)"),
    ("crop-scale-order", lambda: RandomResizedCropSpec(size=8, scale=(0.9, 0.1)), "scale", "(0.9, 0.1)"),
    ("crop-ratio-zero", lambda: RandomResizedCropSpec(size=8, ratio=(0, 1)), "ratio", "(0.0, 1.0)"),
    ("crop-interp", lambda: RandomResizedCropSpec(size=8, interpolation="lanczos"), "interpolation", "'lanczos'"),
    ("rotation-negative", lambda: RotationSpec(prob=0.5, degrees=-5), "RotationSpec.degrees", "-5"),
    ("rotation-order", lambda: RotationSpec(prob=0.5, degrees=(30, 10)), "degrees", "(30, 10)"),
    ("jitter-hue", lambda: ColorJitterSpec(hue=0.7), "ColorJitterSpec.hue", "0.7"),
    ("jitter-negative", lambda: ColorJitterSpec(brightness=-1), "brightness", "-1"),
    ("blur-sigmas", lambda: GaussianBlurSpec(sigmas=(2, 1)), "GaussianBlurSpec.sigmas", "(2, 1)"),
    ("solarize-threshold", lambda: SolarizeSpec(threshold=300), "SolarizeSpec.threshold", "300"),
    ("normalize-lengths", lambda: NormalizeSpec(mean=(0.5,), std=(0.1, 0.2)), "NormalizeSpec.std", "(0.1, 0.2)"),
    ("normalize-zero-std", lambda: NormalizeSpec(mean=(0.5,), std=(0,)), "std", "(0.0,)"),
    ("normalize-dict", lambda: NormalizeSpec.from_dict({"mean": [0.5]}), "normalize", "'mean'"),
    ("view-ops", lambda: ViewSpec(ops=("flip",)), "ViewSpec.ops", "('flip',)"),
    ("view-crop", lambda: ViewSpec(crop=224), "ViewSpec.crop", "224"),
    ("multi-empty", lambda: MultiViewSpec(views=()), "MultiViewSpec.views", "()"),
    ("preset-hf", lambda: T.SimCLRTransform(hf_prob=2), "HorizontalFlipSpec.prob", "2"),
    ("preset-gray", lambda: T.DINOTransform(random_gray_scale=-0.1), "GrayscaleSpec.prob", "-0.1"),
    ("preset-local", lambda: T.DINOTransform(n_local_views=-1), "n_local_views", "-1"),
    ("preset-blur", lambda: T.DINOTransform(gaussian_blur=(1.0, 0.1)), "gaussian_blur", "(1.0, 0.1)"),
    ("preset-views", lambda: T.FastSiamTransform(num_views=0), "num_views", "0"),
    ("preset-scale", lambda: T.MAETransform(min_scale=2.0), "scale", "(2.0, 1.0)"),
    ("blur-op", lambda: T.GaussianBlur(prob=3), "GaussianBlurSpec.prob", "3"),
    ("solarize-op", lambda: T.RandomSolarization(prob=0.5, threshold=-1), "threshold", "-1"),
    ("multicrop-lengths", lambda: MultiCropTranform((8, 4), (1,), (0.1, 0.1), (1, 1), None),
     "crop_counts", "2 and 1"),
]


@pytest.mark.parametrize("make, field, value", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_values_raise_value_error_naming_them(make, field: str, value: str) -> None:
    with pytest.raises(ValueError) as info:
        make()
    assert field in str(info.value) and value in str(info.value)


def test_specs_are_frozen_hashable_and_comparable() -> None:
    a = T.SimCLRTransform(input_size=32).spec
    b = T.SimCLRTransform(input_size=32).spec
    c = T.SimCLRTransform(input_size=32, hf_prob=0.4).spec
    assert a == b and hash(a) == hash(b) and len({a, b, c}) == 2
    assert a != c
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.views = ()  # type: ignore[misc]


def test_specs_normalize_their_fields() -> None:
    crop = RandomResizedCropSpec(size=[32, 48], scale=[0, 1])
    assert crop.size == (32, 48) and crop.scale == (0.0, 1.0)
    assert RotationSpec(prob=1, degrees=15).degrees == (-15.0, 15.0)
    view = ViewSpec(crop=crop, ops=[HorizontalFlipSpec()])
    assert view.ops == (HorizontalFlipSpec(prob=0.5),) and view.output_size == (32, 48)
    assert NormalizeSpec.from_dict(None) is None


def test_preset_spec_is_inspectable_data() -> None:
    spec = T.VICRegTransform(input_size=32, solarize_prob=0.3).spec
    view = spec.views[0]
    assert view.crop == RandomResizedCropSpec(size=32, scale=(0.08, 1.0))
    names = [type(op).__name__ for op in view.ops]
    # VICReg solarizes BEFORE blurring (BYOL and DINO do the opposite).
    assert names.index("SolarizeSpec") < names.index("GaussianBlurSpec")
    assert view.normalize == NormalizeSpec(mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225))
    assert T.VICRegTransform(normalize=None).spec.views[0].normalize is None
