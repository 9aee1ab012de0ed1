"""DINO views: two global crops and ``n_local_views`` small local crops."""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple, Union

from fastssl.transforms._views import augmented_view, color_jitter
from fastssl.transforms.multi_view_transform import MultiViewTransform
from fastssl.transforms.reference import ViewTransform
from fastssl.transforms.spec import GaussianBlurSpec, RandomResizedCropSpec, SolarizeSpec
from fastssl.transforms.utils import IMAGENET_NORMALIZE


class DINOTransform(MultiViewTransform):
    """Implements the global and local view augmentations for DINO [0].

    Output: list of 2 global views then ``n_local_views`` local views. As in
    Lightly 1.6.0, the second global view ignores ``cj_strength`` (it keeps the
    default 0.5) and only the second global view is solarized.

    - [0]: DINO, 2021, https://arxiv.org/abs/2104.14294

    Args:
        global_crop_size: Crop size of the global views.
        global_crop_scale: (min, max) area scale of the global crops.
        local_crop_size: Crop size of the local views.
        local_crop_scale: (min, max) area scale of the local crops.
        n_local_views: Number of local views.
        gaussian_blur: Blur probabilities (global_view_0, global_view_1, local_views).
        solarization_prob: Probability to solarize the second global view.
        Other arguments: see :class:`DINOViewTransform`.

    Example:
        >>> transform = DINOTransform(global_crop_size=32, local_crop_size=16, n_local_views=2)
        >>> [tuple(v.shape[1:]) for v in transform(PIL.Image.new("RGB", (64, 48)))]
        [(32, 32), (32, 32), (16, 16), (16, 16)]
    """

    def __init__(
        self,
        global_crop_size: int = 224,
        global_crop_scale: Tuple[float, float] = (0.4, 1.0),
        local_crop_size: int = 96,
        local_crop_scale: Tuple[float, float] = (0.05, 0.4),
        n_local_views: int = 6,
        hf_prob: float = 0.5,
        vf_prob: float = 0,
        rr_prob: float = 0,
        rr_degrees: Optional[Union[float, Tuple[float, float]]] = None,
        cj_prob: float = 0.8,
        cj_strength: float = 0.5,
        cj_bright: float = 0.8,
        cj_contrast: float = 0.8,
        cj_sat: float = 0.4,
        cj_hue: float = 0.2,
        random_gray_scale: float = 0.2,
        gaussian_blur: Tuple[float, float, float] = (1.0, 0.1, 0.5),
        sigmas: Tuple[float, float] = (0.1, 2),
        solarization_prob: float = 0.2,
        normalize: Union[None, Dict[str, List[float]]] = IMAGENET_NORMALIZE,
    ):
        if isinstance(n_local_views, bool) or not isinstance(n_local_views, int) or n_local_views < 0:
            raise ValueError(f"n_local_views must be an int >= 0, got {n_local_views!r}")
        if len(gaussian_blur) != 3:
            raise ValueError(
                f"gaussian_blur must hold 3 probabilities (global 0, global 1, local), got {gaussian_blur!r}"
            )
        shared = dict(
            hf_prob=hf_prob,
            vf_prob=vf_prob,
            rr_prob=rr_prob,
            rr_degrees=rr_degrees,
            cj_prob=cj_prob,
            cj_bright=cj_bright,
            cj_contrast=cj_contrast,
            cj_sat=cj_sat,
            cj_hue=cj_hue,
            random_gray_scale=random_gray_scale,
            sigmas=sigmas,
            normalize=normalize,
        )
        global_transform_0 = DINOViewTransform(
            crop_size=global_crop_size,
            crop_scale=global_crop_scale,
            cj_strength=cj_strength,
            gaussian_blur=gaussian_blur[0],
            solarization_prob=0,
            **shared,
        )
        global_transform_1 = DINOViewTransform(  # Lightly does not pass cj_strength here
            crop_size=global_crop_size,
            crop_scale=global_crop_scale,
            gaussian_blur=gaussian_blur[1],
            solarization_prob=solarization_prob,
            **shared,
        )
        local_transform = DINOViewTransform(
            crop_size=local_crop_size,
            crop_scale=local_crop_scale,
            cj_strength=cj_strength,
            gaussian_blur=gaussian_blur[2],
            solarization_prob=0,
            **shared,
        )
        transforms = [global_transform_0, global_transform_1]
        transforms.extend([local_transform] * n_local_views)
        super().__init__(transforms)


class DINOViewTransform(ViewTransform):
    """Transforms an image into a single DINO view [0].

    Bicubic random resized crop, flips, rotation, color jitter, grayscale,
    Gaussian blur, solarization, normalization.

    - [0]: DINO, 2021, https://arxiv.org/abs/2104.14294

    Args:
        crop_size: Size of the cropped image in pixels.
        crop_scale: (min, max) area scale of the crop.
        hf_prob, vf_prob: Probabilities of horizontal and vertical flips.
        rr_prob: Probability that random rotation is applied.
        rr_degrees: None rotates by 90 degrees; (min, max) or d rotates randomly.
        cj_prob: Probability that color jitter is applied.
        cj_strength: Multiplies `cj_bright`, `cj_contrast`, `cj_sat`, `cj_hue`.
        cj_bright, cj_contrast, cj_sat, cj_hue: How much to jitter each property.
        random_gray_scale: Probability of conversion to grayscale.
        gaussian_blur: Probability of Gaussian blur.
        sigmas: (min, max) standard deviation of the Gaussian kernel.
        solarization_prob: Probability to apply solarization.
        normalize: Dict with 'mean' and 'std' for the normalization, or None.

    Example:
        >>> DINOViewTransform(crop_size=32)(torch.rand(3, 40, 50)).shape
        torch.Size([3, 32, 32])
    """

    def __init__(
        self,
        crop_size: int = 224,
        crop_scale: Tuple[float, float] = (0.4, 1.0),
        hf_prob: float = 0.5,
        vf_prob: float = 0,
        rr_prob: float = 0,
        rr_degrees: Optional[Union[float, Tuple[float, float]]] = None,
        cj_prob: float = 0.8,
        cj_strength: float = 0.5,
        cj_bright: float = 0.8,
        cj_contrast: float = 0.8,
        cj_sat: float = 0.4,
        cj_hue: float = 0.2,
        random_gray_scale: float = 0.2,
        gaussian_blur: float = 1.0,
        sigmas: Tuple[float, float] = (0.1, 2),
        solarization_prob: float = 0.2,
        normalize: Union[None, Dict[str, List[float]]] = IMAGENET_NORMALIZE,
    ):
        super().__init__(
            augmented_view(
                crop=RandomResizedCropSpec(size=crop_size, scale=crop_scale, interpolation="bicubic"),
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
        )
