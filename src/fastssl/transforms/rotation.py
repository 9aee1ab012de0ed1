"""Random rotations as Lightly does them (SimCLR's rr_prob / rr_degrees)."""

from __future__ import annotations

from typing import Callable, Optional, Tuple, Union

import numpy as np
from PIL.Image import Image
from torch import Tensor

from fastssl.transforms.spec import RotationSpec
from fastssl.transforms.torchvision_v2_compatibility import functional as F
from fastssl.transforms.torchvision_v2_compatibility import torchvision_transforms as T


class RandomRotate:
    """Rotates by a fixed ``angle`` (counter-clockwise) with probability ``prob``.

    The coin is drawn with ``np.random.random_sample`` (as in Lightly).

    Args:
        prob: Probability with which the image is rotated.
        angle: Rotation angle in degrees; multiples of 90 add no artifacts.

    Example:
        >>> rotated = RandomRotate(prob=1.0, angle=90)(torch.zeros(3, 4, 6))
        >>> rotated.shape
        torch.Size([3, 6, 4])
    """

    def __init__(self, prob: float = 0.5, angle: int = 90):
        RotationSpec(prob=prob)  # validates prob
        self.prob = prob
        self.angle = angle

    def __call__(self, image: Union[Image, Tensor]) -> Union[Image, Tensor]:
        """Returns the rotated image or the input unchanged."""
        if np.random.random_sample() < self.prob:
            image = F.rotate(image, self.angle)
        return image


class RandomRotateDegrees:
    """Rotates by a uniform angle in ``degrees`` with probability ``prob`` (torch RNG).

    Args:
        prob: Probability with which the image is rotated.
        degrees: (min, max), or d for (-d, d); counter-clockwise.

    Example:
        >>> rotated = RandomRotateDegrees(prob=1.0, degrees=15)(torch.zeros(3, 4, 6))
        >>> rotated.shape
        torch.Size([3, 4, 6])
    """

    def __init__(self, prob: float, degrees: Union[float, Tuple[float, float]]):
        RotationSpec(prob=prob, degrees=degrees)  # validates both
        self.transform: Callable[[Union[Image, Tensor]], Union[Image, Tensor]] = (
            T.RandomApply([T.RandomRotation(degrees=degrees)], p=prob)
        )

    def __call__(self, image: Union[Image, Tensor]) -> Union[Image, Tensor]:
        """Returns the rotated image or the input unchanged."""
        return self.transform(image)


def random_rotation_transform(
    rr_prob: float,
    rr_degrees: Optional[Union[float, Tuple[float, float]]],
) -> Union[RandomRotate, RandomRotateDegrees]:
    """Lightly's rotation: by 90 degrees when ``rr_degrees`` is None, else random."""
    if rr_degrees is None:
        return RandomRotate(prob=rr_prob, angle=90)
    return RandomRotateDegrees(prob=rr_prob, degrees=rr_degrees)
