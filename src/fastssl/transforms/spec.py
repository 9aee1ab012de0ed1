"""The declarative augmentation recipe ("spec") that every backend executes.

A :class:`MultiViewSpec` is an ordered tuple of :class:`ViewSpec`; a view is an
optional random resized crop, an ORDERED tuple of pixel operations, then the
conversion to a float tensor in [0, 1] and an optional normalization. The order
of the operations is part of the recipe (VICReg solarizes before blurring, BYOL
blurs before solarizing; the old collate functions rotate before flipping).

Specs are frozen, hashable and comparable, hold only plain numbers, strings and
tuples (no torch / torchvision objects), and validate themselves on creation:
a bad field raises ``ValueError`` naming the class, the field and the value.

Two fields record how Lightly draws its coins, so that the reference backend can
reproduce Lightly bit for bit; faster backends may treat them as plain values:

- ``ColorJitterSpec.prob = None``: the jitter is always applied and no coin is
  drawn (torchvision's bare ``ColorJitter``; SwaV has one with zero strength).
- ``RotationSpec.degrees = None``: rotate by exactly 90 degrees (Lightly's
  ``RandomRotate``), otherwise by a uniform angle in ``degrees``.

Example:
    >>> view = ViewSpec(
    ...     crop=RandomResizedCropSpec(size=32, scale=(0.2, 1.0)),
    ...     ops=(HorizontalFlipSpec(prob=0.5), GrayscaleSpec(prob=0.2)),
    ...     normalize=NormalizeSpec(mean=(0.5, 0.5, 0.5), std=(0.2, 0.2, 0.2)),
    ... )
    >>> MultiViewSpec(views=(view, view)).num_views
    2
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple, Union

INTERPOLATIONS = ("nearest", "bilinear", "bicubic")

Number = Union[int, float]


def _fail(owner: object, field: str, value: object, requirement: str) -> None:
    raise ValueError(
        f"{type(owner).__name__}.{field} {requirement}, got {value!r}"
    )


def _set(owner: object, field: str, value: object) -> None:
    object.__setattr__(owner, field, value)  # frozen dataclass: normalize once


def _check_prob(owner: object, field: str) -> None:
    value = getattr(owner, field)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _fail(owner, field, value, "must be a number in [0, 1]")
    if not 0.0 <= value <= 1.0:
        _fail(owner, field, value, "must be in [0, 1]")
    _set(owner, field, float(value))


def _check_range(
    owner: object, field: str, low: float = -math.inf, high: float = math.inf
) -> None:
    """Checks a (min, max) pair with low <= min <= max <= high; stores floats."""
    value = getattr(owner, field)
    try:
        pair = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        pair = ()
    if len(pair) != 2:
        _fail(owner, field, value, "must be a (min, max) pair of numbers")
    if not low <= pair[0] <= pair[1] <= high:
        _fail(owner, field, value, f"must satisfy {low} <= min <= max <= {high}")
    _set(owner, field, pair)


@dataclass(frozen=True)
class RandomResizedCropSpec:
    """Crop a random area and aspect ratio, then resize to ``size``.

    Attributes:
        size: Output (height, width); an int means a square.
        scale: (min, max) fraction of the input area that is cropped.
        ratio: (min, max) aspect ratio (width / height) of the crop.
        interpolation: "nearest", "bilinear" or "bicubic".

    Example:
        >>> RandomResizedCropSpec(size=96, scale=(0.05, 0.4)).size
        (96, 96)
    """

    size: Union[int, Tuple[int, int]]
    scale: Tuple[float, float] = (0.08, 1.0)
    ratio: Tuple[float, float] = (3.0 / 4.0, 4.0 / 3.0)
    interpolation: str = "bilinear"

    def __post_init__(self) -> None:
        size = (self.size, self.size) if isinstance(self.size, int) else self.size
        if (
            not isinstance(size, Sequence)
            or len(size) != 2
            or not all(isinstance(s, int) and not isinstance(s, bool) for s in size)
            or min(size) <= 0
        ):
            _fail(self, "size", self.size, "must be a positive int or (h, w) ints")
        _set(self, "size", tuple(size))
        _check_range(self, "scale", low=0.0)
        if self.scale[1] <= 0.0:
            _fail(self, "scale", self.scale, "must have max > 0")
        _check_range(self, "ratio", low=0.0)
        if self.ratio[0] <= 0.0:
            _fail(self, "ratio", self.ratio, "must have min > 0")
        if self.interpolation not in INTERPOLATIONS:
            _fail(self, "interpolation", self.interpolation, f"must be one of {INTERPOLATIONS}")


@dataclass(frozen=True)
class HorizontalFlipSpec:
    """Flip left-right with probability ``prob``."""

    prob: float = 0.5

    def __post_init__(self) -> None:
        _check_prob(self, "prob")


@dataclass(frozen=True)
class VerticalFlipSpec:
    """Flip top-bottom with probability ``prob``."""

    prob: float = 0.0

    def __post_init__(self) -> None:
        _check_prob(self, "prob")


@dataclass(frozen=True)
class RotationSpec:
    """Rotate counter-clockwise with probability ``prob`` (SimCLR's rr_prob/rr_degrees).

    Attributes:
        prob: Probability that the image is rotated.
        degrees: None rotates by exactly 90 degrees; a number d means (-d, d); a
            (min, max) pair draws the angle uniformly from it.
    """

    prob: float = 0.0
    degrees: Optional[Union[Number, Tuple[float, float]]] = None

    def __post_init__(self) -> None:
        _check_prob(self, "prob")
        if isinstance(self.degrees, (int, float)) and not isinstance(self.degrees, bool):
            if self.degrees < 0:
                _fail(self, "degrees", self.degrees, "must be >= 0 when a single number")
            _set(self, "degrees", (-float(self.degrees), float(self.degrees)))
        if self.degrees is not None:
            _check_range(self, "degrees")


@dataclass(frozen=True)
class ColorJitterSpec:
    """Jitter brightness, contrast, saturation and hue (in random order).

    Attributes:
        prob: Probability of applying the jitter; None applies it always without
            drawing a coin (a bare torchvision ``ColorJitter``).
        brightness, contrast, saturation: Factors drawn from [max(0, 1 - v), 1 + v].
        hue: Shift drawn from [-hue, hue], with hue in [0, 0.5].
    """

    prob: Optional[float] = 0.8
    brightness: float = 0.0
    contrast: float = 0.0
    saturation: float = 0.0
    hue: float = 0.0

    def __post_init__(self) -> None:
        if self.prob is not None:
            _check_prob(self, "prob")
        for field in ("brightness", "contrast", "saturation", "hue"):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                _fail(self, field, value, "must be a number >= 0")
            _set(self, field, float(value))
        if self.hue > 0.5:
            _fail(self, "hue", self.hue, "must be in [0, 0.5]")


@dataclass(frozen=True)
class GrayscaleSpec:
    """Convert to grayscale (keeping the channel count) with probability ``prob``."""

    prob: float = 0.2

    def __post_init__(self) -> None:
        _check_prob(self, "prob")


@dataclass(frozen=True)
class GaussianBlurSpec:
    """Gaussian blur with probability ``prob``; sigma uniform in ``sigmas``."""

    prob: float = 0.5
    sigmas: Tuple[float, float] = (0.1, 2.0)

    def __post_init__(self) -> None:
        _check_prob(self, "prob")
        _check_range(self, "sigmas", low=0.0)


@dataclass(frozen=True)
class SolarizeSpec:
    """Invert pixels >= ``threshold`` (0-255 scale) with probability ``prob``."""

    prob: float = 0.0
    threshold: float = 128.0

    def __post_init__(self) -> None:
        _check_prob(self, "prob")
        value = self.threshold
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 256:
            _fail(self, "threshold", value, "must be a number in [0, 256]")


@dataclass(frozen=True)
class NormalizeSpec:
    """Per-channel ``(x - mean) / std`` applied to the [0, 1] float tensor."""

    mean: Tuple[float, ...]
    std: Tuple[float, ...]

    def __post_init__(self) -> None:
        for field in ("mean", "std"):
            value = getattr(self, field)
            try:
                numbers = tuple(float(v) for v in value)
            except (TypeError, ValueError):
                numbers = ()
            if not numbers:
                _fail(self, field, value, "must be a non-empty sequence of numbers")
            _set(self, field, numbers)
        if len(self.mean) != len(self.std):
            _fail(self, "std", self.std, f"must have as many entries as mean {self.mean}")
        if any(s == 0.0 for s in self.std):
            _fail(self, "std", self.std, "must not contain 0")

    @classmethod
    def from_dict(cls, normalize: Optional[dict]) -> Optional["NormalizeSpec"]:
        """Lightly's ``normalize`` argument: a {"mean", "std"} dict, or falsy for none.

        >>> NormalizeSpec.from_dict({"mean": [0.5], "std": [0.25]})
        NormalizeSpec(mean=(0.5,), std=(0.25,))
        """
        if not normalize:
            return None
        if not isinstance(normalize, dict) or not {"mean", "std"} <= set(normalize):
            raise ValueError(
                f"normalize must be None or a dict with 'mean' and 'std', got {normalize!r}"
            )
        return cls(mean=normalize["mean"], std=normalize["std"])


PixelOpSpec = Union[
    HorizontalFlipSpec,
    VerticalFlipSpec,
    RotationSpec,
    ColorJitterSpec,
    GrayscaleSpec,
    GaussianBlurSpec,
    SolarizeSpec,
]
PIXEL_OPS = (
    HorizontalFlipSpec,
    VerticalFlipSpec,
    RotationSpec,
    ColorJitterSpec,
    GrayscaleSpec,
    GaussianBlurSpec,
    SolarizeSpec,
)


@dataclass(frozen=True)
class ViewSpec:
    """One view: crop, then the pixel operations in order, then tensor + normalize.

    Attributes:
        crop: The random resized crop, or None to keep the input size.
        ops: Pixel operations, applied in this order after the crop.
        normalize: Normalization of the [0, 1] float tensor, or None.

    Example:
        >>> ViewSpec(crop=RandomResizedCropSpec(size=(32, 48))).output_size
        (32, 48)
    """

    crop: Optional[RandomResizedCropSpec] = None
    ops: Tuple[PixelOpSpec, ...] = ()
    normalize: Optional[NormalizeSpec] = None

    def __post_init__(self) -> None:
        if self.crop is not None and not isinstance(self.crop, RandomResizedCropSpec):
            _fail(self, "crop", self.crop, "must be a RandomResizedCropSpec or None")
        ops = tuple(self.ops) if isinstance(self.ops, (list, tuple)) else None
        if ops is None or not all(isinstance(op, PIXEL_OPS) for op in ops):
            names = ", ".join(cls.__name__ for cls in PIXEL_OPS)
            _fail(self, "ops", self.ops, f"must be a sequence of {names}")
        _set(self, "ops", ops)
        if self.normalize is not None and not isinstance(self.normalize, NormalizeSpec):
            _fail(self, "normalize", self.normalize, "must be a NormalizeSpec or None")

    @property
    def output_size(self) -> Optional[Tuple[int, int]]:
        """(height, width) of the view, or None when it keeps the input size."""
        return None if self.crop is None else self.crop.size

    def with_crop(self, crop: RandomResizedCropSpec) -> "ViewSpec":
        """This view with ``crop`` in front (how multi-crop builds its views)."""
        return ViewSpec(crop=crop, ops=self.ops, normalize=self.normalize)


@dataclass(frozen=True)
class MultiViewSpec:
    """An ordered, non-empty tuple of views; a transform returns one tensor per view.

    Example:
        >>> spec = MultiViewSpec(views=[ViewSpec(crop=RandomResizedCropSpec(size=8))])
        >>> spec.num_views, spec.views[0].output_size
        (1, (8, 8))
    """

    views: Tuple[ViewSpec, ...]

    def __post_init__(self) -> None:
        views = tuple(self.views) if isinstance(self.views, (list, tuple)) else ()
        if not views or not all(isinstance(view, ViewSpec) for view in views):
            _fail(self, "views", self.views, "must be a non-empty sequence of ViewSpec")
        _set(self, "views", views)

    @property
    def num_views(self) -> int:
        return len(self.views)
