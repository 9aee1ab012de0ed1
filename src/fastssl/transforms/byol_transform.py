"""BYOL views: asymmetric blur and solarization between the two views."""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple, Union

from fastssl.transforms._views import augmented_view, color_jitter
from fastssl.transforms.multi_view_transform import MultiViewTransform
from fastssl.transforms.reference import ViewTransform
from fastssl.transforms.spec import (
    GaussianBlurSpec,
    RandomResizedCropSpec,
    SolarizeSpec,
    ViewSpec,
)
from fastssl.transforms.utils import IMAGENET_NORMALIZE

_ARGS_DOC = """
    Args:
        input_size: Size of the output view in pixels.
        cj_prob: Probability that color jitter is applied.
        cj_strength: Strength of the color jitter; `cj_bright`, `cj_contrast`,
            `cj_sat` and `cj_hue` are multiplied by it.
        cj_bright, cj_contrast, cj_sat, cj_hue: How much to jitter each property.
        min_scale: Minimum area of the random crop relative to the input image.
        random_gray_scale: Probability of conversion to grayscale.
        gaussian_blur: Probability of Gaussian blur.
        solarization_prob: Probability of solarization.
        sigmas: (min, max) standard deviation of the Gaussian kernel.
        vf_prob, hf_prob: Probabilities of vertical and horizontal flips.
        rr_prob: Probability that random rotation is applied.
        rr_degrees: None rotates by 90 degrees; (min, max) or d rotates randomly.
        normalize: Dict with 'mean' and 'std' for the normalization, or None.
"""


def _byol_view(
    input_size: int,
    cj_prob: float,
    cj_strength: float,
    cj_bright: float,
    cj_contrast: float,
    cj_sat: float,
    cj_hue: float,
    min_scale: float,
    random_gray_scale: float,
    gaussian_blur: float,
    solarization_prob: float,
    sigmas: Tuple[float, float],
    vf_prob: float,
    hf_prob: float,
    rr_prob: float,
    rr_degrees: Optional[Union[float, Tuple[float, float]]],
    normalize: Union[None, Dict[str, List[float]]],
) -> ViewSpec:
    return augmented_view(
        crop=RandomResizedCropSpec(size=input_size, scale=(min_scale, 1.0)),
        hf_prob=hf_prob,
        vf_prob=vf_prob,
        rr_prob=rr_prob,
        rr_degrees=rr_degrees,
        jitter=color_jitter(cj_prob, cj_strength, cj_bright, cj_contrast, cj_sat, cj_hue),
        random_gray_scale=random_gray_scale,
        tail=(
            GaussianBlurSpec(prob=gaussian_blur, sigmas=sigmas),
            SolarizeSpec(prob=solarization_prob),
        ),
        normalize=normalize,
    )


class BYOLView1Transform(ViewTransform):
    __doc__ = (
        """Transforms an image into the first BYOL view [0] (always blurred, never solarized).

    - [0]: Bootstrap Your Own Latent, 2020, https://arxiv.org/pdf/2006.07733.pdf

    Example:
        >>> BYOLView1Transform(input_size=32)(torch.rand(3, 40, 50)).shape
        torch.Size([3, 32, 32])
"""
        + _ARGS_DOC
    )

    def __init__(
        self,
        input_size: int = 224,
        cj_prob: float = 0.8,
        cj_strength: float = 1.0,
        cj_bright: float = 0.4,
        cj_contrast: float = 0.4,
        cj_sat: float = 0.2,
        cj_hue: float = 0.1,
        min_scale: float = 0.08,
        random_gray_scale: float = 0.2,
        gaussian_blur: float = 1.0,
        solarization_prob: float = 0.0,
        sigmas: Tuple[float, float] = (0.1, 2),
        vf_prob: float = 0.0,
        hf_prob: float = 0.5,
        rr_prob: float = 0.0,
        rr_degrees: Optional[Union[float, Tuple[float, float]]] = None,
        normalize: Union[None, Dict[str, List[float]]] = IMAGENET_NORMALIZE,
    ):
        super().__init__(
            _byol_view(
                input_size, cj_prob, cj_strength, cj_bright, cj_contrast, cj_sat,
                cj_hue, min_scale, random_gray_scale, gaussian_blur,
                solarization_prob, sigmas, vf_prob, hf_prob, rr_prob, rr_degrees,
                normalize,
            )
        )


class BYOLView2Transform(ViewTransform):
    __doc__ = (
        """Transforms an image into the second BYOL view [0] (rarely blurred, sometimes solarized).

    - [0]: Bootstrap Your Own Latent, 2020, https://arxiv.org/pdf/2006.07733.pdf

    Example:
        >>> BYOLView2Transform(input_size=32)(torch.rand(3, 40, 50)).shape
        torch.Size([3, 32, 32])
"""
        + _ARGS_DOC
    )

    def __init__(
        self,
        input_size: int = 224,
        cj_prob: float = 0.8,
        cj_strength: float = 1.0,
        cj_bright: float = 0.4,
        cj_contrast: float = 0.4,
        cj_sat: float = 0.2,
        cj_hue: float = 0.1,
        min_scale: float = 0.08,
        random_gray_scale: float = 0.2,
        gaussian_blur: float = 0.1,
        solarization_prob: float = 0.2,
        sigmas: Tuple[float, float] = (0.1, 2),
        vf_prob: float = 0.0,
        hf_prob: float = 0.5,
        rr_prob: float = 0.0,
        rr_degrees: Optional[Union[float, Tuple[float, float]]] = None,
        normalize: Union[None, Dict[str, List[float]]] = IMAGENET_NORMALIZE,
    ):
        super().__init__(
            _byol_view(
                input_size, cj_prob, cj_strength, cj_bright, cj_contrast, cj_sat,
                cj_hue, min_scale, random_gray_scale, gaussian_blur,
                solarization_prob, sigmas, vf_prob, hf_prob, rr_prob, rr_degrees,
                normalize,
            )
        )


class BYOLTransform(MultiViewTransform):
    """Implements the transformations for BYOL [0]: two views of each image.

    Compared to SimCLR, BYOL has asymmetric Gaussian blur and solarization and
    weaker color jitter.

    - [0]: Bootstrap Your Own Latent, 2020, https://arxiv.org/pdf/2006.07733.pdf

    Args:
        view_1_transform: The transform for the first view (default BYOLView1Transform()).
        view_2_transform: The transform for the second view (default BYOLView2Transform()).

    Example:
        >>> transform = BYOLTransform(BYOLView1Transform(input_size=32), BYOLView2Transform(input_size=32))
        >>> [view.shape for view in transform(PIL.Image.new("RGB", (64, 48)))]
        [torch.Size([3, 32, 32]), torch.Size([3, 32, 32])]
    """

    def __init__(
        self,
        view_1_transform: Optional[BYOLView1Transform] = None,
        view_2_transform: Optional[BYOLView2Transform] = None,
    ):
        view_1_transform = view_1_transform or BYOLView1Transform()
        view_2_transform = view_2_transform or BYOLView2Transform()
        super().__init__(transforms=[view_1_transform, view_2_transform])
