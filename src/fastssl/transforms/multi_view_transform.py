"""MultiViewTransform: one view per transform (Lightly's base class for presets)."""

from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence, Union

from PIL.Image import Image
from torch import Tensor

from fastssl.transforms.reference import build_view_transforms
from fastssl.transforms.spec import MultiViewSpec, ViewSpec


def spec_of_views(transforms: Sequence[Any]) -> Optional[MultiViewSpec]:
    """The MultiViewSpec of ``transforms`` when each one carries a ViewSpec, else None."""
    specs = [getattr(transform, "spec", None) for transform in transforms]
    if specs and all(isinstance(spec, ViewSpec) for spec in specs):
        return MultiViewSpec(views=tuple(specs))
    return None


class MultiViewTransform:
    """Transforms an image into multiple views, one per transform.

    When every transform is a spec-backed view transform (the presets' view
    transforms, :class:`fastssl.transforms.reference.ViewTransform`), ``spec``
    is the :class:`MultiViewSpec` that fast backends execute; with arbitrary
    user transforms ``spec`` is None and the transforms are simply applied.

    Args:
        transforms: A sequence of transforms. Every transform creates a new view.

    Example:
        >>> transform = MultiViewTransform(transforms=[T.RandomHorizontalFlip()] * 2)
        >>> views = transform(torch.rand(3, 8, 8))
        >>> len(views), transform.spec
        (2, None)
    """

    def __init__(self, transforms: Sequence[Callable[[Any], Any]]):
        self.transforms = transforms
        self.spec: Optional[MultiViewSpec] = spec_of_views(transforms)

    @classmethod
    def from_spec(cls, spec: MultiViewSpec) -> "MultiViewTransform":
        """The reference implementation of ``spec`` as a plain MultiViewTransform."""
        if not isinstance(spec, MultiViewSpec):
            raise ValueError(f"spec must be a MultiViewSpec, got {spec!r}")
        return MultiViewTransform(transforms=build_view_transforms(spec))

    def __call__(self, image: Union[Tensor, Image]) -> Union[List[Tensor], List[Image]]:
        """Returns the list of views, one per transform."""
        return [transform(image) for transform in self.transforms]
