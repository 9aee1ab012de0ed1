"""MAE view: a bicubic random resized crop and a horizontal flip."""

from __future__ import annotations

from typing import Dict, List, Tuple, Union

from PIL.Image import Image
from torch import Tensor

from fastssl.transforms.reference import ViewTransform
from fastssl.transforms.spec import (
    HorizontalFlipSpec,
    MultiViewSpec,
    NormalizeSpec,
    RandomResizedCropSpec,
    ViewSpec,
)
from fastssl.transforms.utils import IMAGENET_NORMALIZE


class MAETransform:
    """Implements the view augmentation for MAE [0]: a list with one view.

    - [0]: Masked Autoencoder, 2021, https://arxiv.org/abs/2111.06377

    Args:
        input_size: Size of the output view in pixels, an int or (height, width).
        min_scale: Minimum area of the random crop relative to the input image.
        normalize: Dict with 'mean' and 'std' for the normalization, or None.

    Example:
        >>> transform = MAETransform(input_size=(32, 48))
        >>> [view.shape for view in transform(PIL.Image.new("RGB", (64, 48)))]
        [torch.Size([3, 32, 48])]
    """

    def __init__(
        self,
        input_size: Union[int, Tuple[int, int]] = 224,
        min_scale: float = 0.2,
        normalize: Dict[str, List[float]] = IMAGENET_NORMALIZE,
    ):
        view = ViewTransform(
            ViewSpec(
                crop=RandomResizedCropSpec(
                    size=tuple(input_size) if isinstance(input_size, list) else input_size,
                    scale=(min_scale, 1.0),
                    interpolation="bicubic",
                ),
                ops=(HorizontalFlipSpec(prob=0.5),),
                normalize=NormalizeSpec.from_dict(normalize),
            )
        )
        self.spec = MultiViewSpec(views=(view.spec,))
        self.transform = view.transform

    def __call__(self, image: Union[Tensor, Image]) -> List[Tensor]:
        """Returns a list with the single transformed view."""
        return [self.transform(image)]
