"""Round trips through Pillow for the operations that Lightly runs on PIL images."""

from __future__ import annotations

from typing import Callable, Union

from PIL.Image import Image
from torch import Tensor
from torchvision.transforms import functional as F_v1


def apply_on_pil(
    sample: Union[Tensor, Image], op: Callable[[Image], Image]
) -> Union[Tensor, Image]:
    """Applies a PIL operation; a tensor goes to PIL and comes back as float in [0, 1].

    This is Lightly's GaussianBlur conversion (``to_pil_image`` / ``to_tensor``);
    torchvision's v1 ``to_tensor`` is the function that v2's deprecated alias calls.
    """
    if isinstance(sample, Tensor):
        return F_v1.to_tensor(op(F_v1.to_pil_image(sample)))
    return op(sample)
