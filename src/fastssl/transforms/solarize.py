"""Random solarization with Pillow, drawing its coin from numpy like Lightly."""

from __future__ import annotations

from typing import Union

import numpy as np
from PIL import ImageOps
from PIL.Image import Image
from torch import Tensor

from fastssl.transforms._pil import apply_on_pil
from fastssl.transforms.spec import SolarizeSpec


class RandomSolarization:
    """Inverts all pixel values >= ``threshold`` with probability ``prob``.

    Same random draw as Lightly (``np.random.random_sample``). Lightly fails on a
    tensor input when the coin says solarize; here the tensor goes through PIL like
    in :class:`GaussianBlur` and comes back as a float tensor in [0, 1].

    Args:
        prob: Probability to apply the transformation.
        threshold: Threshold for solarization (0-255 scale).

    Example:
        >>> solarize = RandomSolarization(prob=1.0)
        >>> solarized = solarize(PIL.Image.new("RGB", (8, 8)))
    """

    def __init__(self, prob: float = 0.5, threshold: int = 128):
        self.spec = SolarizeSpec(prob=prob, threshold=threshold)
        self.prob = prob
        self.threshold = threshold

    def __call__(self, sample: Union[Tensor, Image]) -> Union[Tensor, Image]:
        """Returns the solarized image or the input unchanged."""
        if np.random.random_sample() < self.prob:
            return apply_on_pil(sample, lambda im: ImageOps.solarize(im, threshold=self.threshold))
        return sample
