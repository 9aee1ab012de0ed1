"""The view recipe shared by the SimCLR-family presets, as a ViewSpec."""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Tuple, Union

from fastssl.transforms.spec import (
    ColorJitterSpec,
    GrayscaleSpec,
    HorizontalFlipSpec,
    NormalizeSpec,
    PixelOpSpec,
    RandomResizedCropSpec,
    RotationSpec,
    VerticalFlipSpec,
    ViewSpec,
)


def color_jitter(
    prob: Optional[float],
    strength: float,
    bright: float,
    contrast: float,
    sat: float,
    hue: float,
) -> ColorJitterSpec:
    """Lightly's color jitter: each factor multiplied by ``strength``."""
    return ColorJitterSpec(
        prob=prob,
        brightness=strength * bright,
        contrast=strength * contrast,
        saturation=strength * sat,
        hue=strength * hue,
    )


def augmented_view(
    *,
    crop: Optional[RandomResizedCropSpec],
    hf_prob: float,
    vf_prob: float,
    rr_prob: float,
    rr_degrees: Optional[Union[float, Tuple[float, float]]],
    jitter: ColorJitterSpec,
    random_gray_scale: float,
    tail: Sequence[PixelOpSpec],
    normalize: Union[None, Dict[str, List[float]]],
) -> ViewSpec:
    """crop, h-flip, v-flip, rotation, jitter, grayscale, then ``tail`` (blur, solarize)."""
    ops = (
        HorizontalFlipSpec(prob=hf_prob),
        VerticalFlipSpec(prob=vf_prob),
        RotationSpec(prob=rr_prob, degrees=rr_degrees),
        jitter,
        GrayscaleSpec(prob=random_gray_scale),
        *tail,
    )
    return ViewSpec(crop=crop, ops=ops, normalize=NormalizeSpec.from_dict(normalize))
