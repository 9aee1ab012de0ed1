"""VICReg views: SimCLR's recipe plus solarization (before the blur)."""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple, Union

from fastssl.transforms._views import augmented_view, color_jitter
from fastssl.transforms.multi_view_transform import MultiViewTransform
from fastssl.transforms.reference import ViewTransform
from fastssl.transforms.spec import GaussianBlurSpec, RandomResizedCropSpec, SolarizeSpec
from fastssl.transforms.utils import IMAGENET_NORMALIZE


class VICRegTransform(MultiViewTransform):
    """Implements the transformations for VICReg: two views of each image.

    Note that, as in Lightly 1.6.0, the default ``sigmas`` is (0.1, 2) here but
    (0.2, 2) in :class:`VICRegViewTransform`.

    Args: see :class:`VICRegViewTransform`.

    Example:
        >>> views = VICRegTransform(input_size=32)(PIL.Image.new("RGB", (64, 48)))
        >>> len(views)
        2
    """

    def __init__(
        self,
        input_size: int = 224,
        cj_prob: float = 0.8,
        cj_strength: float = 0.5,
        cj_bright: float = 0.8,
        cj_contrast: float = 0.8,
        cj_sat: float = 0.4,
        cj_hue: float = 0.2,
        min_scale: float = 0.08,
        random_gray_scale: float = 0.2,
        solarize_prob: float = 0.1,
        gaussian_blur: float = 0.5,
        sigmas: Tuple[float, float] = (0.1, 2),
        vf_prob: float = 0.0,
        hf_prob: float = 0.5,
        rr_prob: float = 0.0,
        rr_degrees: Optional[Union[float, Tuple[float, float]]] = None,
        normalize: Union[None, Dict[str, List[float]]] = IMAGENET_NORMALIZE,
    ):
        view_transform = VICRegViewTransform(
            input_size=input_size,
            cj_prob=cj_prob,
            cj_strength=cj_strength,
            cj_bright=cj_bright,
            cj_contrast=cj_contrast,
            cj_sat=cj_sat,
            cj_hue=cj_hue,
            min_scale=min_scale,
            random_gray_scale=random_gray_scale,
            solarize_prob=solarize_prob,
            gaussian_blur=gaussian_blur,
            sigmas=sigmas,
            vf_prob=vf_prob,
            hf_prob=hf_prob,
            rr_prob=rr_prob,
            rr_degrees=rr_degrees,
            normalize=normalize,
        )
        super().__init__(transforms=[view_transform, view_transform])


class VICRegViewTransform(ViewTransform):
    """Transforms an image into a single VICReg view.

    Args:
        input_size: Size of the output view in pixels.
        cj_prob: Probability that color jitter is applied.
        cj_strength: Multiplies `cj_bright`, `cj_contrast`, `cj_sat`, `cj_hue`.
        cj_bright, cj_contrast, cj_sat, cj_hue: How much to jitter each property.
        min_scale: Minimum area of the random crop relative to the input image.
        random_gray_scale: Probability of conversion to grayscale.
        solarize_prob: Probability of solarization (applied before the blur).
        gaussian_blur: Probability of Gaussian blur.
        sigmas: (min, max) standard deviation of the Gaussian kernel.
        vf_prob, hf_prob: Probabilities of vertical and horizontal flips.
        rr_prob: Probability that random rotation is applied.
        rr_degrees: None rotates by 90 degrees; (min, max) or d rotates randomly.
        normalize: Dict with 'mean' and 'std' for the normalization, or None.

    Example:
        >>> VICRegViewTransform(input_size=32)(torch.rand(3, 40, 50)).shape
        torch.Size([3, 32, 32])
    """

    def __init__(
        self,
        input_size: int = 224,
        cj_prob: float = 0.8,
        cj_strength: float = 0.5,
        cj_bright: float = 0.8,
        cj_contrast: float = 0.8,
        cj_sat: float = 0.4,
        cj_hue: float = 0.2,
        min_scale: float = 0.08,
        random_gray_scale: float = 0.2,
        solarize_prob: float = 0.1,
        gaussian_blur: float = 0.5,
        sigmas: Tuple[float, float] = (0.2, 2),
        vf_prob: float = 0.0,
        hf_prob: float = 0.5,
        rr_prob: float = 0.0,
        rr_degrees: Optional[Union[float, Tuple[float, float]]] = None,
        normalize: Union[None, Dict[str, List[float]]] = IMAGENET_NORMALIZE,
    ):
        super().__init__(
            augmented_view(
                crop=RandomResizedCropSpec(size=input_size, scale=(min_scale, 1.0)),
                hf_prob=hf_prob,
                vf_prob=vf_prob,
                rr_prob=rr_prob,
                rr_degrees=rr_degrees,
                jitter=color_jitter(cj_prob, cj_strength, cj_bright, cj_contrast, cj_sat, cj_hue),
                random_gray_scale=random_gray_scale,
                tail=(
                    SolarizeSpec(prob=solarize_prob),
                    GaussianBlurSpec(prob=gaussian_blur, sigmas=sigmas),
                ),
                normalize=normalize,
            )
        )
