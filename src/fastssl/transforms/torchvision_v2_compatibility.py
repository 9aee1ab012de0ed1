"""torchvision transforms v1 / v2, chosen the way Lightly 1.6.0 chooses them.

torchvision >= 0.16 (which has ``tv_tensors``) gives ``torchvision.transforms.v2``
so that tensors and PIL images both work; older versions give the v1 API. The
deprecated v2 ``ToTensor`` is replaced by ``ToImage`` + ``ToDtype(float32, scale)``.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Union

import torch
from PIL.Image import Image
from torch import Tensor

from fastssl._ext import optional_module

_TRANSFORMS_V2 = optional_module("torchvision.tv_tensors") is not None

if _TRANSFORMS_V2:
    from torchvision.transforms import v2 as _torchvision_transforms
else:
    from torchvision import transforms as _torchvision_transforms


class ToTensor:
    """PIL image (H x W x C, uint8) to a float32 tensor (C x H x W) in [0, 1].

    Example:
        >>> ToTensor()(PIL.Image.new("RGB", (4, 2))).shape
        torch.Size([3, 2, 4])
    """

    def __init__(self) -> None:
        T = _torchvision_transforms
        if _TRANSFORMS_V2:
            self.transform: Callable[..., Tensor] = T.Compose(
                [T.ToImage(), T.ToDtype(dtype=torch.float32, scale=True)]
            )
        else:
            self.transform = T.ToTensor()

    def __call__(self, *args: Union[Tensor, Image], **kwargs: Dict[str, Any]) -> Tensor:
        return self.transform(*args, **kwargs)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.transform})"


class _TransformsShim:
    """The chosen torchvision transforms module, with ``ToTensor`` replaced."""

    def __init__(self, custom_transforms: Dict[str, Callable[..., Any]]):
        self._custom_transforms = custom_transforms

    def __getattr__(self, name: str) -> Any:
        if name in self._custom_transforms:
            return self._custom_transforms[name]
        return getattr(_torchvision_transforms, name)

    def __dir__(self) -> List[str]:
        return dir(_torchvision_transforms)


torchvision_transforms: Any = _TransformsShim(dict(ToTensor=ToTensor))
functional = torchvision_transforms.functional
