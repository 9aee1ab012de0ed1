"""Multi-crop: crop categories of different sizes and counts (SwaV)."""

from __future__ import annotations

from typing import Any, Callable, List, Tuple

from fastssl.transforms.multi_view_transform import MultiViewTransform
from fastssl.transforms.reference import ViewTransform, build_op
from fastssl.transforms.spec import RandomResizedCropSpec, ViewSpec
from fastssl.transforms.torchvision_v2_compatibility import torchvision_transforms as T


class MultiCropTranform(MultiViewTransform):
    """Implements the multi-crop transformations (Lightly's spelling). Used by SwaV.

    Each crop category i yields ``crop_counts[i]`` views: a random resized crop
    of size ``crop_sizes[i]`` and area scale (min, max), then ``transforms``.
    When ``transforms`` is a spec-backed view transform without a crop (such as
    :class:`fastssl.transforms.SwaVViewTransform`) the result has a ``spec``;
    with any other callable ``spec`` is None.

    Args:
        crop_sizes: Size of the crops in pixels for each crop category.
        crop_counts: Number of crops for each crop category.
        crop_min_scales: Min scales for each crop category.
        crop_max_scales: Max scales for each crop category.
        transforms: Transforms which are applied to all crops.

    Example:
        >>> transform = MultiCropTranform((32, 16), (2, 3), (0.3, 0.05), (1.0, 0.3), T.ToTensor())
        >>> len(transform(PIL.Image.new("RGB", (64, 48))))
        5
    """

    def __init__(
        self,
        crop_sizes: Tuple[int, ...],
        crop_counts: Tuple[int, ...],
        crop_min_scales: Tuple[float, ...],
        crop_max_scales: Tuple[float, ...],
        transforms: Callable[[Any], Any],
    ):
        for name, values in (
            ("crop_counts", crop_counts),
            ("crop_min_scales", crop_min_scales),
            ("crop_max_scales", crop_max_scales),
        ):
            if len(crop_sizes) != len(values):
                raise ValueError(
                    f"Length of crop_sizes and {name} must be equal but are"
                    f" {len(crop_sizes)} and {len(values)}."
                )
        view_spec = getattr(transforms, "spec", None)
        spec_backed = isinstance(view_spec, ViewSpec) and view_spec.crop is None
        crop_transforms: List[Callable[[Any], Any]] = []
        for size, count, min_scale, max_scale in zip(
            crop_sizes, crop_counts, crop_min_scales, crop_max_scales
        ):
            crop = RandomResizedCropSpec(size=size, scale=(min_scale, max_scale))
            if spec_backed:
                view: Callable[[Any], Any] = ViewTransform(view_spec.with_crop(crop))
            else:
                view = T.Compose([build_op(crop), transforms])
            crop_transforms.extend([view] * count)
        super().__init__(crop_transforms)
