"""Random Gaussian blur with Pillow, drawing its coins from numpy like Lightly."""

from __future__ import annotations

from typing import Tuple, Union

import numpy as np
from PIL import ImageFilter
from PIL.Image import Image
from torch import Tensor

from fastssl.transforms._pil import apply_on_pil
from fastssl.transforms.spec import GaussianBlurSpec


class GaussianBlur:
    """Blurs with probability ``prob``, with a sigma drawn uniformly from ``sigmas``.

    Same random draws as Lightly (``np.random.random_sample`` then
    ``np.random.uniform``). A tensor input is always converted to PIL and back to
    a float tensor in [0, 1], as in Lightly.

    Args:
        prob: Probability with which the blur is applied.
        sigmas: (min, max) of the standard deviation of the Gaussian kernel.

    Example:
        >>> blur = GaussianBlur(prob=1.0, sigmas=(0.5, 1.0))
        >>> blurred = blur(PIL.Image.new("RGB", (8, 8)))
    """

    def __init__(self, *, prob: float = 0.5, sigmas: Tuple[float, float] = (0.2, 2)):
        self.spec = GaussianBlurSpec(prob=prob, sigmas=sigmas)
        self.prob = prob
        self.sigmas = sigmas

    def __call__(self, sample: Union[Tensor, Image]) -> Union[Tensor, Image]:
        """Returns the blurred image, or the image unchanged (tensors become float)."""
        if np.random.random_sample() < self.prob:
            sigma = np.random.uniform(self.sigmas[0], self.sigmas[1])
            return apply_on_pil(sample, lambda im: im.filter(ImageFilter.GaussianBlur(radius=sigma)))
        return apply_on_pil(sample, lambda im: im)
