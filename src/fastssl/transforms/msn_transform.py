"""MSN views: ``random_views`` large crops and ``focal_views`` small crops."""

from __future__ import annotations

from typing import Dict, List, Tuple

from fastssl.transforms._views import color_jitter
from fastssl.transforms.multi_view_transform import MultiViewTransform
from fastssl.transforms.reference import ViewTransform
from fastssl.transforms.spec import (
    GaussianBlurSpec,
    GrayscaleSpec,
    HorizontalFlipSpec,
    NormalizeSpec,
    RandomResizedCropSpec,
    VerticalFlipSpec,
    ViewSpec,
)
from fastssl.transforms.utils import IMAGENET_NORMALIZE


class MSNTransform(MultiViewTransform):
    """Implements the transformations for MSN [0].

    Output: ``random_views`` views then ``focal_views`` views (12 by default).
    As in Lightly 1.6.0, the focal views use the default jitter factors
    (0.8, 0.8, 0.8, 0.2) whatever `cj_bright`, `cj_contrast`, `cj_sat`, `cj_hue` say.

    - [0]: Masked Siamese Networks, 2022: https://arxiv.org/abs/2204.07141

    Args:
        random_size: Size of the random views in pixels.
        focal_size: Size of the focal views in pixels.
        random_views: Number of random views.
        focal_views: Number of focal views.
        random_crop_scale: (min, max) area scale of the random crops.
        focal_crop_scale: (min, max) area scale of the focal crops.
        Other arguments: see :class:`MSNViewTransform`.

    Example:
        >>> transform = MSNTransform(random_size=32, focal_size=16, focal_views=2)
        >>> [tuple(v.shape[1:]) for v in transform(PIL.Image.new("RGB", (64, 48)))]
        [(32, 32), (32, 32), (16, 16), (16, 16)]
    """

    def __init__(
        self,
        random_size: int = 224,
        focal_size: int = 96,
        random_views: int = 2,
        focal_views: int = 10,
        random_crop_scale: Tuple[float, float] = (0.3, 1.0),
        focal_crop_scale: Tuple[float, float] = (0.05, 0.3),
        cj_prob: float = 0.8,
        cj_strength: float = 1.0,
        cj_bright: float = 0.8,
        cj_contrast: float = 0.8,
        cj_sat: float = 0.8,
        cj_hue: float = 0.2,
        gaussian_blur: float = 0.5,
        sigmas: Tuple[float, float] = (0.1, 2),
        random_gray_scale: float = 0.2,
        hf_prob: float = 0.5,
        vf_prob: float = 0.0,
        normalize: Dict[str, List[float]] = IMAGENET_NORMALIZE,
    ):
        for name, count in (("random_views", random_views), ("focal_views", focal_views)):
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise ValueError(f"{name} must be an int >= 0, got {count!r}")
        random_view_transform = MSNViewTransform(
            crop_size=random_size,
            crop_scale=random_crop_scale,
            cj_prob=cj_prob,
            cj_strength=cj_strength,
            cj_bright=cj_bright,
            cj_contrast=cj_contrast,
            cj_sat=cj_sat,
            cj_hue=cj_hue,
            gaussian_blur=gaussian_blur,
            sigmas=sigmas,
            random_gray_scale=random_gray_scale,
            hf_prob=hf_prob,
            vf_prob=vf_prob,
            normalize=normalize,
        )
        focal_view_transform = MSNViewTransform(  # Lightly passes no jitter factors here
            crop_size=focal_size,
            crop_scale=focal_crop_scale,
            cj_prob=cj_prob,
            cj_strength=cj_strength,
            gaussian_blur=gaussian_blur,
            sigmas=sigmas,
            random_gray_scale=random_gray_scale,
            hf_prob=hf_prob,
            vf_prob=vf_prob,
            normalize=normalize,
        )
        transforms = [random_view_transform] * random_views
        transforms += [focal_view_transform] * focal_views
        super().__init__(transforms=transforms)


class MSNViewTransform(ViewTransform):
    """Transforms an image into a single MSN view [0].

    Random resized crop, flips, color jitter, grayscale, Gaussian blur and
    normalization (no rotation). Lightly requires ``normalize``; here None
    means no normalization.

    - [0]: Masked Siamese Networks, 2022: https://arxiv.org/abs/2204.07141

    Args:
        crop_size: Size of the cropped image in pixels.
        crop_scale: (min, max) area scale of the crop.
        cj_prob: Probability that color jitter is applied.
        cj_strength: Multiplies `cj_bright`, `cj_contrast`, `cj_sat`, `cj_hue`.
        cj_bright, cj_contrast, cj_sat, cj_hue: How much to jitter each property.
        gaussian_blur: Probability of Gaussian blur.
        sigmas: (min, max) standard deviation of the Gaussian kernel.
        random_gray_scale: Probability of conversion to grayscale.
        hf_prob, vf_prob: Probabilities of horizontal and vertical flips.
        normalize: Dict with 'mean' and 'std' for the normalization.

    Example:
        >>> MSNViewTransform(crop_size=32)(torch.rand(3, 40, 50)).shape
        torch.Size([3, 32, 32])
    """

    def __init__(
        self,
        crop_size: int = 224,
        crop_scale: Tuple[float, float] = (0.3, 1.0),
        cj_prob: float = 0.8,
        cj_strength: float = 1.0,
        cj_bright: float = 0.8,
        cj_contrast: float = 0.8,
        cj_sat: float = 0.8,
        cj_hue: float = 0.2,
        gaussian_blur: float = 0.5,
        sigmas: Tuple[float, float] = (0.1, 2),
        random_gray_scale: float = 0.2,
        hf_prob: float = 0.5,
        vf_prob: float = 0.0,
        normalize: Dict[str, List[float]] = IMAGENET_NORMALIZE,
    ):
        ops = (
            HorizontalFlipSpec(prob=hf_prob),
            VerticalFlipSpec(prob=vf_prob),
            color_jitter(cj_prob, cj_strength, cj_bright, cj_contrast, cj_sat, cj_hue),
            GrayscaleSpec(prob=random_gray_scale),
            GaussianBlurSpec(prob=gaussian_blur, sigmas=sigmas),
        )
        super().__init__(
            ViewSpec(
                crop=RandomResizedCropSpec(size=crop_size, scale=crop_scale),
                ops=ops,
                normalize=NormalizeSpec.from_dict(normalize),
            )
        )
