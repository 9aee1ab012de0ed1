"""SimCLR views: crop, flips, rotation, color jitter, grayscale, blur, normalize."""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple, Union

from fastssl.transforms._views import augmented_view, color_jitter
from fastssl.transforms.multi_view_transform import MultiViewTransform
from fastssl.transforms.reference import ViewTransform
from fastssl.transforms.spec import GaussianBlurSpec, RandomResizedCropSpec
from fastssl.transforms.utils import IMAGENET_NORMALIZE


class SimCLRTransform(MultiViewTransform):
    """Implements the transformations for SimCLR [0, 1]: two views of each image.

    Input: PIL image or tensor. Output: list of 2 tensors. Augmentations: random
    resized crop, horizontal (and optional vertical) flip, optional rotation,
    color jitter, random grayscale, Gaussian blur, ImageNet normalization.
    SimCLR v1 and v2 use the same augmentations.

    - [0]: SimCLR v1, 2020, https://arxiv.org/abs/2002.05709
    - [1]: SimCLR v2, 2020, https://arxiv.org/abs/2006.10029

    Args: see :class:`SimCLRViewTransform`.

    Example:
        >>> transform = SimCLRTransform(input_size=32)
        >>> view_0, view_1 = transform(PIL.Image.new("RGB", (64, 48)))
        >>> view_0.shape, transform.spec.num_views
        (torch.Size([3, 32, 32]), 2)
    """

    def __init__(
        self,
        input_size: int = 224,
        cj_prob: float = 0.8,
        cj_strength: float = 1.0,
        cj_bright: float = 0.8,
        cj_contrast: float = 0.8,
        cj_sat: float = 0.8,
        cj_hue: float = 0.2,
        min_scale: float = 0.08,
        random_gray_scale: float = 0.2,
        gaussian_blur: float = 0.5,
        sigmas: Tuple[float, float] = (0.1, 2),
        vf_prob: float = 0.0,
        hf_prob: float = 0.5,
        rr_prob: float = 0.0,
        rr_degrees: Optional[Union[float, Tuple[float, float]]] = None,
        normalize: Union[None, Dict[str, List[float]]] = IMAGENET_NORMALIZE,
    ):
        view_transform = SimCLRViewTransform(
            input_size=input_size,
            cj_prob=cj_prob,
            cj_strength=cj_strength,
            cj_bright=cj_bright,
            cj_contrast=cj_contrast,
            cj_sat=cj_sat,
            cj_hue=cj_hue,
            min_scale=min_scale,
            random_gray_scale=random_gray_scale,
            gaussian_blur=gaussian_blur,
            sigmas=sigmas,
            vf_prob=vf_prob,
            hf_prob=hf_prob,
            rr_prob=rr_prob,
            rr_degrees=rr_degrees,
            normalize=normalize,
        )
        super().__init__(transforms=[view_transform, view_transform])


class SimCLRViewTransform(ViewTransform):
    """Transforms an image into a single SimCLR view.

    Args:
        input_size: Size of the output view in pixels.
        cj_prob: Probability that color jitter is applied.
        cj_strength: Strength of the color jitter; `cj_bright`, `cj_contrast`,
            `cj_sat` and `cj_hue` are multiplied by it (0.5 is advised for CIFAR).
        cj_bright: How much to jitter brightness.
        cj_contrast: How much to jitter contrast.
        cj_sat: How much to jitter saturation.
        cj_hue: How much to jitter hue.
        min_scale: Minimum area of the random crop relative to the input image.
        random_gray_scale: Probability of conversion to grayscale.
        gaussian_blur: Probability of Gaussian blur.
        sigmas: (min, max) standard deviation of the Gaussian kernel.
        vf_prob: Probability that vertical flip is applied.
        hf_prob: Probability that horizontal flip is applied.
        rr_prob: Probability that random rotation is applied.
        rr_degrees: None rotates by 90 degrees; (min, max) or d (for (-d, d))
            rotates by a random angle. All rotations are counter-clockwise.
        normalize: Dict with 'mean' and 'std' for the normalization, or None.

    Example:
        >>> view = SimCLRViewTransform(input_size=32, normalize=None)
        >>> view(torch.rand(3, 40, 50)).shape
        torch.Size([3, 32, 32])
    """

    def __init__(
        self,
        input_size: int = 224,
        cj_prob: float = 0.8,
        cj_strength: float = 1.0,
        cj_bright: float = 0.8,
        cj_contrast: float = 0.8,
        cj_sat: float = 0.8,
        cj_hue: float = 0.2,
        min_scale: float = 0.08,
        random_gray_scale: float = 0.2,
        gaussian_blur: float = 0.5,
        sigmas: Tuple[float, float] = (0.1, 2),
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
                tail=(GaussianBlurSpec(prob=gaussian_blur, sigmas=sigmas),),
                normalize=normalize,
            )
        )
