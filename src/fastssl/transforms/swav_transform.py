"""SwaV views: multi-crop with flips, color jitter, grayscale and blur."""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple, Union

from fastssl.transforms._views import color_jitter
from fastssl.transforms.multi_crop_transform import MultiCropTranform
from fastssl.transforms.reference import ViewTransform
from fastssl.transforms.spec import (
    ColorJitterSpec,
    GaussianBlurSpec,
    GrayscaleSpec,
    HorizontalFlipSpec,
    NormalizeSpec,
    RotationSpec,
    VerticalFlipSpec,
    ViewSpec,
)
from fastssl.transforms.utils import IMAGENET_NORMALIZE


class SwaVTransform(MultiCropTranform):
    """Implements the multi-crop transformations for SwaV.

    Output: list of sum(crop_counts) views (8 by default: 2 x 224 then 6 x 96).

    Args:
        crop_sizes: Size of the crops in pixels for each crop category.
        crop_counts: Number of crops for each crop category.
        crop_min_scales: Min scales for each crop category.
        crop_max_scales: Max scales for each crop category.
        Other arguments: see :class:`SwaVViewTransform`.

    Example:
        >>> transform = SwaVTransform(crop_sizes=(32, 16), crop_counts=(2, 2))
        >>> [tuple(v.shape[1:]) for v in transform(PIL.Image.new("RGB", (64, 48)))]
        [(32, 32), (32, 32), (16, 16), (16, 16)]
    """

    def __init__(
        self,
        crop_sizes: Tuple[int, int] = (224, 96),
        crop_counts: Tuple[int, int] = (2, 6),
        crop_min_scales: Tuple[float, float] = (0.14, 0.05),
        crop_max_scales: Tuple[float, float] = (1.0, 0.14),
        hf_prob: float = 0.5,
        vf_prob: float = 0.0,
        rr_prob: float = 0.0,
        rr_degrees: Optional[Union[float, Tuple[float, float]]] = None,
        cj_prob: float = 0.8,
        cj_strength: float = 1.0,
        cj_bright: float = 0.8,
        cj_contrast: float = 0.8,
        cj_sat: float = 0.8,
        cj_hue: float = 0.2,
        random_gray_scale: float = 0.2,
        gaussian_blur: float = 0.5,
        sigmas: Tuple[float, float] = (0.1, 2),
        normalize: Union[None, Dict[str, List[float]]] = IMAGENET_NORMALIZE,
    ):
        transforms = SwaVViewTransform(
            hf_prob=hf_prob,
            vf_prob=vf_prob,
            rr_prob=rr_prob,
            rr_degrees=rr_degrees,
            cj_prob=cj_prob,
            cj_strength=cj_strength,
            cj_bright=cj_bright,
            cj_contrast=cj_contrast,
            cj_sat=cj_sat,
            cj_hue=cj_hue,
            random_gray_scale=random_gray_scale,
            gaussian_blur=gaussian_blur,
            sigmas=sigmas,
            normalize=normalize,
        )
        super().__init__(
            crop_sizes=crop_sizes,
            crop_counts=crop_counts,
            crop_min_scales=crop_min_scales,
            crop_max_scales=crop_max_scales,
            transforms=transforms,
        )


class SwaVViewTransform(ViewTransform):
    """Transforms an (already cropped) image into a SwaV view.

    Flips, rotation, color jitter, grayscale, Gaussian blur, normalization; no
    crop (:class:`SwaVTransform` adds it). As in Lightly, a zero-strength color
    jitter runs first: it changes nothing but draws from the torch RNG.

    Args:
        hf_prob, vf_prob: Probabilities of horizontal and vertical flips.
        rr_prob: Probability that random rotation is applied.
        rr_degrees: None rotates by 90 degrees; (min, max) or d rotates randomly.
        cj_prob: Probability that color jitter is applied.
        cj_strength: Multiplies `cj_bright`, `cj_contrast`, `cj_sat`, `cj_hue`.
        cj_bright, cj_contrast, cj_sat, cj_hue: How much to jitter each property.
        random_gray_scale: Probability of conversion to grayscale.
        gaussian_blur: Probability of Gaussian blur.
        sigmas: (min, max) standard deviation of the Gaussian kernel.
        normalize: Dict with 'mean' and 'std' for the normalization, or None.

    Example:
        >>> SwaVViewTransform()(torch.rand(3, 40, 50)).shape
        torch.Size([3, 40, 50])
    """

    def __init__(
        self,
        hf_prob: float = 0.5,
        vf_prob: float = 0.0,
        rr_prob: float = 0.0,
        rr_degrees: Optional[Union[float, Tuple[float, float]]] = None,
        cj_prob: float = 0.8,
        cj_strength: float = 1.0,
        cj_bright: float = 0.8,
        cj_contrast: float = 0.8,
        cj_sat: float = 0.8,
        cj_hue: float = 0.2,
        random_gray_scale: float = 0.2,
        gaussian_blur: float = 0.5,
        sigmas: Tuple[float, float] = (0.1, 2),
        normalize: Union[None, Dict[str, List[float]]] = IMAGENET_NORMALIZE,
    ):
        ops = (
            HorizontalFlipSpec(prob=hf_prob),
            VerticalFlipSpec(prob=vf_prob),
            RotationSpec(prob=rr_prob, degrees=rr_degrees),
            ColorJitterSpec(prob=None),  # Lightly's bare T.ColorJitter()
            color_jitter(cj_prob, cj_strength, cj_bright, cj_contrast, cj_sat, cj_hue),
            GrayscaleSpec(prob=random_gray_scale),
            GaussianBlurSpec(prob=gaussian_blur, sigmas=sigmas),
        )
        super().__init__(ViewSpec(ops=ops, normalize=NormalizeSpec.from_dict(normalize)))
