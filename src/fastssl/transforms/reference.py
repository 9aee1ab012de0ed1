"""The reference backend: a spec becomes the torchvision pipeline Lightly builds.

Same torchvision operations, same order, same random draws (torch RNG for the
torchvision operations, numpy's global RNG for blur, solarization and the
90-degree rotation), so that under the same seeds a view is bit-identical to
the one Lightly 1.6.0 produces. PIL images and tensors are both accepted.
"""

from __future__ import annotations

from functools import singledispatch
from typing import Any, Callable, List, Union

from PIL.Image import Image
from torch import Tensor

from fastssl.transforms.gaussian_blur import GaussianBlur
from fastssl.transforms.rotation import random_rotation_transform
from fastssl.transforms.solarize import RandomSolarization
from fastssl.transforms.spec import (
    ColorJitterSpec,
    GaussianBlurSpec,
    GrayscaleSpec,
    HorizontalFlipSpec,
    MultiViewSpec,
    RandomResizedCropSpec,
    RotationSpec,
    SolarizeSpec,
    VerticalFlipSpec,
    ViewSpec,
)
from fastssl.transforms.torchvision_v2_compatibility import torchvision_transforms as T


@singledispatch
def build_op(spec: Any) -> Callable[[Any], Any]:
    """The torchvision (or Lightly-style) callable for one operation spec."""
    raise ValueError(f"the reference backend cannot run {spec!r}")


@build_op.register
def _(spec: RandomResizedCropSpec) -> Callable[[Any], Any]:
    return T.RandomResizedCrop(
        size=spec.size,
        scale=spec.scale,
        ratio=spec.ratio,
        interpolation=T.InterpolationMode(spec.interpolation),
    )


@build_op.register
def _(spec: HorizontalFlipSpec) -> Callable[[Any], Any]:
    return T.RandomHorizontalFlip(p=spec.prob)


@build_op.register
def _(spec: VerticalFlipSpec) -> Callable[[Any], Any]:
    return T.RandomVerticalFlip(p=spec.prob)


@build_op.register
def _(spec: RotationSpec) -> Callable[[Any], Any]:
    return random_rotation_transform(rr_prob=spec.prob, rr_degrees=spec.degrees)


@build_op.register
def _(spec: ColorJitterSpec) -> Callable[[Any], Any]:
    jitter = T.ColorJitter(
        brightness=spec.brightness,
        contrast=spec.contrast,
        saturation=spec.saturation,
        hue=spec.hue,
    )
    return jitter if spec.prob is None else T.RandomApply([jitter], p=spec.prob)


@build_op.register
def _(spec: GrayscaleSpec) -> Callable[[Any], Any]:
    return T.RandomGrayscale(p=spec.prob)


@build_op.register
def _(spec: GaussianBlurSpec) -> Callable[[Any], Any]:
    return GaussianBlur(prob=spec.prob, sigmas=spec.sigmas)


@build_op.register
def _(spec: SolarizeSpec) -> Callable[[Any], Any]:
    return RandomSolarization(prob=spec.prob, threshold=spec.threshold)


def build_view_transform(spec: ViewSpec) -> Any:
    """The ``T.Compose`` that executes one view spec.

    Example:
        >>> compose = build_view_transform(ViewSpec(crop=RandomResizedCropSpec(size=8)))
        >>> compose(torch.rand(3, 20, 30)).shape
        torch.Size([3, 8, 8])
    """
    steps: List[Callable[[Any], Any]] = []
    if spec.crop is not None:
        steps.append(build_op(spec.crop))
    steps.extend(build_op(op) for op in spec.ops)
    steps.append(T.ToTensor())
    if spec.normalize is not None:
        steps.append(T.Normalize(mean=list(spec.normalize.mean), std=list(spec.normalize.std)))
    return T.Compose(steps)


class ViewTransform:
    """Transforms an image into one view, as described by a :class:`ViewSpec`.

    Attributes:
        spec: The view spec.
        transform: The torchvision ``Compose`` built from it.

    Example:
        >>> view = ViewTransform(ViewSpec(crop=RandomResizedCropSpec(size=16)))
        >>> view(PIL.Image.new("RGB", (40, 30))).shape
        torch.Size([3, 16, 16])
    """

    def __init__(self, spec: ViewSpec):
        if not isinstance(spec, ViewSpec):
            raise ValueError(f"spec must be a ViewSpec, got {spec!r}")
        self.spec = spec
        self.transform = build_view_transform(spec)

    def __call__(self, image: Union[Tensor, Image]) -> Tensor:
        """Applies the view's transforms to the image."""
        transformed: Tensor = self.transform(image)
        return transformed


def build_view_transforms(spec: MultiViewSpec) -> List[ViewTransform]:
    """One :class:`ViewTransform` per view of a multi-view spec."""
    return [ViewTransform(view) for view in spec.views]
