"""The collate-function API of Lightly <= 1.5 (removed in 1.6), built on specs.

A collate function turns a batch of (PIL image, label, filename) samples into
augmented views: ``((x0, x1), labels, fnames)`` for the two-view functions and
``(list of views, labels, fnames)`` for the multi-view ones. The augmentations
are the reference implementation of a spec (``collate_fn.spec``), with the same
operations, order and random draws as Lightly 1.5. The deprecated
``kernel_size`` / ``kernel_scale`` arguments are ignored with a
DeprecationWarning, as they were in Lightly 1.5.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from torch import Tensor

from fastssl.transforms._views import color_jitter
from fastssl.transforms.multi_crop_transform import MultiCropTranform
from fastssl.transforms.multi_view_transform import spec_of_views
from fastssl.transforms.reference import ViewTransform
from fastssl.transforms.spec import (
    ColorJitterSpec,
    GaussianBlurSpec,
    GrayscaleSpec,
    HorizontalFlipSpec,
    MultiViewSpec,
    NormalizeSpec,
    RandomResizedCropSpec,
    RotationSpec,
    SolarizeSpec,
    VerticalFlipSpec,
    ViewSpec,
)
from fastssl.transforms.utils import IMAGENET_NORMALIZE

imagenet_normalize = IMAGENET_NORMALIZE

Batch = Sequence[Tuple[Any, int, str]]
Degrees = Optional[Union[float, Tuple[float, float]]]


def _warn_kernel_arguments(kernel_size: Optional[float], kernel_scale: Optional[float] = None) -> None:
    if kernel_size is not None or kernel_scale is not None:
        warnings.warn(
            "The 'kernel_size' and 'scale' arguments of the GaussianBlur augmentation are "
            "deprecated and ignored. Please use the 'sigmas' parameter instead.",
            DeprecationWarning,
            stacklevel=3,
        )


def _labels_and_fnames(batch: Batch) -> Tuple[Tensor, List[str]]:
    return torch.LongTensor([label for _, label, _ in batch]), [fname for _, _, fname in batch]


class BaseCollateFunction(nn.Module):
    """Transforms each image of a batch twice with the same random ``transform``.

    Args:
        transform: The random transform applied to each image (twice).

    Example:
        >>> collate_fn = BaseCollateFunction(T.Compose([T.RandomResizedCrop(8), T.ToTensor()]))
        >>> (x0, x1), labels, fnames = collate_fn([(PIL.Image.new("RGB", (16, 16)), 0, "a.png")])
        >>> x0.shape
        torch.Size([1, 3, 8, 8])
    """

    def __init__(self, transform: Callable[[Any], Tensor]):
        super().__init__()
        self.transform = transform
        self.spec: Optional[MultiViewSpec] = spec_of_views([transform, transform])

    def forward(self, batch: Batch) -> Tuple[Tuple[Tensor, Tensor], Tensor, List[str]]:
        """Returns ((views_0, views_1), labels, fnames); all first views are drawn first."""
        batch_size = len(batch)
        views = [self.transform(batch[i % batch_size][0]).unsqueeze_(0) for i in range(2 * batch_size)]
        labels, fnames = _labels_and_fnames(batch)
        return (torch.cat(views[:batch_size], 0), torch.cat(views[batch_size:], 0)), labels, fnames


class ImageCollateFunction(BaseCollateFunction):
    """Two SimCLR-like views per image (Lightly 1.5's ImageCollateFunction).

    Random resized crop, rotation, horizontal and vertical flip, color jitter,
    random grayscale, Gaussian blur, normalization (in this order).

    Args:
        input_size: Size of the output views in pixels.
        cj_prob: Probability that color jitter is applied.
        cj_bright, cj_contrast, cj_sat, cj_hue: How much to jitter each property.
        min_scale: Minimum area of the random crop relative to the input image.
        random_gray_scale: Probability of conversion to grayscale.
        gaussian_blur: Probability of Gaussian blur.
        kernel_size: Deprecated and ignored (use ``sigmas``).
        sigmas: (min, max) standard deviation of the Gaussian kernel.
        vf_prob, hf_prob: Probabilities of vertical and horizontal flips.
        rr_prob: Probability that random rotation is applied.
        rr_degrees: None rotates by 90 degrees; (min, max) or d rotates randomly.
        normalize: Dict with 'mean' and 'std' for the normalization, or None.

    Example:
        >>> collate_fn = ImageCollateFunction(input_size=32)
        >>> (x0, x1), labels, fnames = collate_fn([(PIL.Image.new("RGB", (64, 48)), 3, "a.png")])
        >>> x0.shape, labels.tolist()
        (torch.Size([1, 3, 32, 32]), [3])
    """

    def __init__(
        self,
        input_size: int = 64,
        cj_prob: float = 0.8,
        cj_bright: float = 0.7,
        cj_contrast: float = 0.7,
        cj_sat: float = 0.7,
        cj_hue: float = 0.2,
        min_scale: float = 0.15,
        random_gray_scale: float = 0.2,
        gaussian_blur: float = 0.5,
        kernel_size: Optional[float] = None,
        sigmas: Tuple[float, float] = (0.2, 2),
        vf_prob: float = 0.0,
        hf_prob: float = 0.5,
        rr_prob: float = 0.0,
        rr_degrees: Degrees = None,
        normalize: Optional[dict] = imagenet_normalize,
    ):
        _warn_kernel_arguments(kernel_size)
        ops = (
            RotationSpec(prob=rr_prob, degrees=rr_degrees),
            HorizontalFlipSpec(prob=hf_prob),
            VerticalFlipSpec(prob=vf_prob),
            color_jitter(cj_prob, 1.0, cj_bright, cj_contrast, cj_sat, cj_hue),
            GrayscaleSpec(prob=random_gray_scale),
            GaussianBlurSpec(prob=gaussian_blur, sigmas=sigmas),
        )
        view = ViewSpec(
            crop=RandomResizedCropSpec(size=input_size, scale=(min_scale, 1.0)),
            ops=ops,
            normalize=NormalizeSpec.from_dict(normalize),
        )
        super().__init__(ViewTransform(view))


class SimCLRCollateFunction(ImageCollateFunction):
    """SimCLR's views: jitter (0.8, 0.8, 0.8, 0.2) x ``cj_strength``.

    Args: as :class:`ImageCollateFunction`, with ``cj_strength`` for the jitter.

    Example:
        >>> collate_fn = SimCLRCollateFunction(input_size=32, gaussian_blur=0.0)
        >>> (x0, x1), _, _ = collate_fn([(PIL.Image.new("RGB", (64, 48)), 0, "a.png")])
        >>> x1.shape
        torch.Size([1, 3, 32, 32])
    """

    def __init__(
        self,
        input_size: int = 224,
        cj_prob: float = 0.8,
        cj_strength: float = 0.5,
        min_scale: float = 0.08,
        random_gray_scale: float = 0.2,
        gaussian_blur: float = 0.5,
        kernel_size: Optional[float] = None,
        sigmas: Tuple[float, float] = (0.2, 2),
        vf_prob: float = 0.0,
        hf_prob: float = 0.5,
        rr_prob: float = 0.0,
        rr_degrees: Degrees = None,
        normalize: Optional[dict] = imagenet_normalize,
    ):
        super().__init__(
            input_size=input_size,
            cj_prob=cj_prob,
            cj_bright=cj_strength * 0.8,
            cj_contrast=cj_strength * 0.8,
            cj_sat=cj_strength * 0.8,
            cj_hue=cj_strength * 0.2,
            min_scale=min_scale,
            random_gray_scale=random_gray_scale,
            gaussian_blur=gaussian_blur,
            kernel_size=kernel_size,
            sigmas=sigmas,
            vf_prob=vf_prob,
            hf_prob=hf_prob,
            rr_prob=rr_prob,
            rr_degrees=rr_degrees,
            normalize=normalize,
        )


class MoCoCollateFunction(ImageCollateFunction):
    """MoCo v1's views: all four jitter factors equal ``cj_strength``, no blur.

    Args: as :class:`ImageCollateFunction`, with ``cj_strength`` for the jitter.

    Example:
        >>> collate_fn = MoCoCollateFunction(input_size=32)
        >>> (x0, x1), _, _ = collate_fn([(PIL.Image.new("RGB", (64, 48)), 0, "a.png")])
        >>> x0.shape
        torch.Size([1, 3, 32, 32])
    """

    def __init__(
        self,
        input_size: int = 224,
        cj_prob: float = 0.8,
        cj_strength: float = 0.4,
        min_scale: float = 0.2,
        random_gray_scale: float = 0.2,
        gaussian_blur: float = 0.0,
        kernel_size: Optional[float] = None,
        sigmas: Tuple[float, float] = (0.2, 2),
        vf_prob: float = 0.0,
        hf_prob: float = 0.5,
        rr_prob: float = 0.0,
        rr_degrees: Degrees = None,
        normalize: Optional[dict] = imagenet_normalize,
    ):
        super().__init__(
            input_size=input_size,
            cj_prob=cj_prob,
            cj_bright=cj_strength,
            cj_contrast=cj_strength,
            cj_sat=cj_strength,
            cj_hue=cj_strength,
            min_scale=min_scale,
            random_gray_scale=random_gray_scale,
            gaussian_blur=gaussian_blur,
            kernel_size=kernel_size,
            sigmas=sigmas,
            vf_prob=vf_prob,
            hf_prob=hf_prob,
            rr_prob=rr_prob,
            rr_degrees=rr_degrees,
            normalize=normalize,
        )


class MultiViewCollateFunction(nn.Module):
    """One view per transform; returns (list of views, labels, fnames).

    Args:
        transforms: One transform per view.

    Example:
        >>> collate_fn = MultiViewCollateFunction([T.ToTensor(), T.ToTensor()])
        >>> views, labels, fnames = collate_fn([(PIL.Image.new("RGB", (4, 4)), 0, "a.png")])
        >>> len(views), views[0].shape
        (2, torch.Size([1, 3, 4, 4]))
    """

    def __init__(self, transforms: Sequence[Callable[[Any], Tensor]]):
        super().__init__()
        self.transforms = transforms
        self.spec: Optional[MultiViewSpec] = spec_of_views(transforms)

    def forward(self, batch: Batch) -> Tuple[List[Tensor], Tensor, List[str]]:
        """Returns ([views of transform 0, ...], labels, fnames); view by view."""
        views = [torch.stack([transform(img) for img, _, _ in batch]) for transform in self.transforms]
        labels, fnames = _labels_and_fnames(batch)
        return views, labels, fnames


class MultiCropCollateFunction(MultiViewCollateFunction):
    """Multi-crop views (SwaV): ``crop_counts[i]`` crops of size ``crop_sizes[i]``.

    Args:
        crop_sizes: Size of the crops in pixels for each crop category.
        crop_counts: Number of crops for each crop category.
        crop_min_scales: Min scales for each crop category.
        crop_max_scales: Max scales for each crop category.
        transforms: Transforms applied to all crops.

    Example:
        >>> collate_fn = MultiCropCollateFunction([16, 8], [1, 2], [0.5, 0.1], [1.0, 0.5], T.ToTensor())
        >>> views, _, _ = collate_fn([(PIL.Image.new("RGB", (32, 32)), 0, "a.png")])
        >>> [v.shape[-1] for v in views]
        [16, 8, 8]
    """

    def __init__(
        self,
        crop_sizes: List[int],
        crop_counts: List[int],
        crop_min_scales: List[float],
        crop_max_scales: List[float],
        transforms: Callable[[Any], Tensor],
    ):
        multi_crop = MultiCropTranform(
            crop_sizes=crop_sizes,
            crop_counts=crop_counts,
            crop_min_scales=crop_min_scales,
            crop_max_scales=crop_max_scales,
            transforms=transforms,
        )
        super().__init__(multi_crop.transforms)


class SwaVCollateFunction(MultiCropCollateFunction):
    """SwaV's multi-crop views (Lightly 1.5's SwaVCollateFunction).

    Jitter factors are (s, s, s, s / 4) with s = ``cj_strength``; as in Lightly a
    zero-strength color jitter runs first (it only draws from the torch RNG).

    Args:
        crop_sizes, crop_counts, crop_min_scales, crop_max_scales: The crop categories.
        hf_prob, vf_prob: Probabilities of horizontal and vertical flips.
        rr_prob: Probability that random rotation is applied.
        rr_degrees: None rotates by 90 degrees; (min, max) or d rotates randomly.
        cj_prob: Probability that color jitter is applied.
        cj_strength: Strength of the color jitter.
        random_gray_scale: Probability of conversion to grayscale.
        gaussian_blur: Probability of Gaussian blur.
        kernel_size: Deprecated and ignored (use ``sigmas``).
        sigmas: (min, max) standard deviation of the Gaussian kernel.
        normalize: Dict with 'mean' and 'std' for the normalization.

    Example:
        >>> collate_fn = SwaVCollateFunction(crop_sizes=[32, 16], crop_counts=[2, 2])
        >>> views, _, _ = collate_fn([(PIL.Image.new("RGB", (64, 48)), 0, "a.png")])
        >>> [v.shape[-1] for v in views]
        [32, 32, 16, 16]
    """

    def __init__(
        self,
        crop_sizes: List[int] = [224, 96],
        crop_counts: List[int] = [2, 6],
        crop_min_scales: List[float] = [0.14, 0.05],
        crop_max_scales: List[float] = [1.0, 0.14],
        hf_prob: float = 0.5,
        vf_prob: float = 0.0,
        rr_prob: float = 0.0,
        rr_degrees: Degrees = None,
        cj_prob: float = 0.8,
        cj_strength: float = 0.8,
        random_gray_scale: float = 0.2,
        gaussian_blur: float = 0.5,
        kernel_size: Optional[float] = None,
        sigmas: Tuple[float, float] = (0.2, 2),
        normalize: dict = imagenet_normalize,
    ):
        _warn_kernel_arguments(kernel_size)
        ops = (
            HorizontalFlipSpec(prob=hf_prob),
            VerticalFlipSpec(prob=vf_prob),
            RotationSpec(prob=rr_prob, degrees=rr_degrees),
            ColorJitterSpec(prob=None),
            color_jitter(cj_prob, 1.0, cj_strength, cj_strength, cj_strength, cj_strength / 4.0),
            GrayscaleSpec(prob=random_gray_scale),
            GaussianBlurSpec(prob=gaussian_blur, sigmas=sigmas),
        )
        view = ViewTransform(ViewSpec(ops=ops, normalize=NormalizeSpec.from_dict(normalize)))
        super().__init__(
            crop_sizes=crop_sizes,
            crop_counts=crop_counts,
            crop_min_scales=crop_min_scales,
            crop_max_scales=crop_max_scales,
            transforms=view,
        )


class DINOCollateFunction(MultiViewCollateFunction):
    """DINO's two global and ``n_local_views`` local views (Lightly 1.5) [0].

    Only the second global view is solarized; unlike DINOTransform, the other
    views have no solarization step at all.

    - [0]: DINO, 2021, https://arxiv.org/abs/2104.14294

    Args:
        global_crop_size, global_crop_scale: Size and area scale of the global crops.
        local_crop_size, local_crop_scale: Size and area scale of the local crops.
        n_local_views: Number of local views.
        hf_prob, vf_prob: Probabilities of horizontal and vertical flips.
        rr_prob: Probability that random rotation is applied.
        rr_degrees: None rotates by 90 degrees; (min, max) or d rotates randomly.
        cj_prob: Probability that color jitter is applied.
        cj_bright, cj_contrast, cj_sat, cj_hue: How much to jitter each property.
        random_gray_scale: Probability of conversion to grayscale.
        gaussian_blur: Blur probabilities (global_view_0, global_view_1, local_views).
        kernel_size, kernel_scale: Deprecated and ignored (use ``sigmas``).
        sigmas: (min, max) standard deviation of the Gaussian kernel.
        solarization_prob: Probability to solarize the second global view.
        normalize: Dict with 'mean' and 'std' for the normalization.

    Example:
        >>> collate_fn = DINOCollateFunction(global_crop_size=32, local_crop_size=16, n_local_views=2)
        >>> views, _, _ = collate_fn([(PIL.Image.new("RGB", (64, 48)), 0, "a.png")])
        >>> [v.shape[-1] for v in views]
        [32, 32, 16, 16]
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
        rr_degrees: Degrees = None,
        cj_prob: float = 0.8,
        cj_bright: float = 0.4,
        cj_contrast: float = 0.4,
        cj_sat: float = 0.2,
        cj_hue: float = 0.1,
        random_gray_scale: float = 0.2,
        gaussian_blur: Tuple[float, float, float] = (1.0, 0.1, 0.5),
        kernel_size: Optional[float] = None,
        kernel_scale: Optional[float] = None,
        sigmas: Tuple[float, float] = (0.1, 2),
        solarization_prob: float = 0.2,
        normalize: dict = imagenet_normalize,
    ):
        _warn_kernel_arguments(kernel_size, kernel_scale)
        if isinstance(n_local_views, bool) or not isinstance(n_local_views, int) or n_local_views < 0:
            raise ValueError(f"n_local_views must be an int >= 0, got {n_local_views!r}")
        if len(gaussian_blur) != 3:
            raise ValueError(
                f"gaussian_blur must hold 3 probabilities (global 0, global 1, local), got {gaussian_blur!r}"
            )
        flip_and_color_jitter = (
            HorizontalFlipSpec(prob=hf_prob),
            VerticalFlipSpec(prob=vf_prob),
            RotationSpec(prob=rr_prob, degrees=rr_degrees),
            color_jitter(cj_prob, 1.0, cj_bright, cj_contrast, cj_sat, cj_hue),
            GrayscaleSpec(prob=random_gray_scale),
        )
        norm = NormalizeSpec.from_dict(normalize)
        global_crop = RandomResizedCropSpec(
            size=global_crop_size, scale=global_crop_scale, interpolation="bicubic"
        )
        local_crop = RandomResizedCropSpec(
            size=local_crop_size, scale=local_crop_scale, interpolation="bicubic"
        )

        def blur(prob: float) -> GaussianBlurSpec:
            return GaussianBlurSpec(prob=prob, sigmas=sigmas)

        global_0 = ViewSpec(global_crop, flip_and_color_jitter + (blur(gaussian_blur[0]),), norm)
        global_1 = ViewSpec(
            global_crop,
            flip_and_color_jitter + (blur(gaussian_blur[1]), SolarizeSpec(prob=solarization_prob)),
            norm,
        )
        local = ViewTransform(ViewSpec(local_crop, flip_and_color_jitter + (blur(gaussian_blur[2]),), norm))
        super().__init__([ViewTransform(global_0), ViewTransform(global_1)] + [local] * n_local_views)
