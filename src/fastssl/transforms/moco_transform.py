"""MoCo v1 and v2 views: SimCLR's recipe with MoCo's defaults."""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple, Union

from fastssl.transforms.simclr_transform import SimCLRTransform
from fastssl.transforms.utils import IMAGENET_NORMALIZE


class MoCoV1Transform(SimCLRTransform):
    """Implements the transformations for MoCo v1: two views, no blur by default.

    Same arguments as :class:`fastssl.transforms.SimCLRTransform`, with weaker
    color jitter (0.4 each), min_scale 0.2 and gaussian_blur 0.

    Example:
        >>> views = MoCoV1Transform(input_size=32)(PIL.Image.new("RGB", (64, 48)))
        >>> len(views)
        2
    """

    def __init__(
        self,
        input_size: int = 224,
        cj_prob: float = 0.8,
        cj_strength: float = 1.0,
        cj_bright: float = 0.4,
        cj_contrast: float = 0.4,
        cj_sat: float = 0.4,
        cj_hue: float = 0.4,
        min_scale: float = 0.2,
        random_gray_scale: float = 0.2,
        gaussian_blur: float = 0.0,
        sigmas: Tuple[float, float] = (0.1, 2),
        vf_prob: float = 0.0,
        hf_prob: float = 0.5,
        rr_prob: float = 0.0,
        rr_degrees: Optional[Union[float, Tuple[float, float]]] = None,
        normalize: Union[None, Dict[str, List[float]]] = IMAGENET_NORMALIZE,
    ):
        super().__init__(
            input_size=input_size,
            cj_prob=cj_prob,
            cj_strength=cj_strength,
            cj_bright=cj_bright,
            cj_contrast=cj_contrast,
            cj_sat=cj_sat,
            cj_hue=cj_hue,
            min_scale=min_scale,
            random_gray_scale=random_gray_scale,
            gaussian_blur=gaussian_blur,
            sigmas=sigmas,
            vf_prob=vf_prob,
            hf_prob=hf_prob,
            rr_prob=rr_prob,
            rr_degrees=rr_degrees,
            normalize=normalize,
        )


class MoCoV2Transform(SimCLRTransform):
    """Implements the transformations for MoCo v2 [0]: two views.

    Same arguments as :class:`fastssl.transforms.SimCLRTransform`, with color
    jitter (0.4, 0.4, 0.4, 0.1) and min_scale 0.2.

    - [0]: MoCo v2, 2020, https://arxiv.org/abs/2003.04297

    Example:
        >>> views = MoCoV2Transform(input_size=32)(PIL.Image.new("RGB", (64, 48)))
        >>> len(views)
        2
    """

    def __init__(
        self,
        input_size: int = 224,
        cj_prob: float = 0.8,
        cj_strength: float = 1.0,
        cj_bright: float = 0.4,
        cj_contrast: float = 0.4,
        cj_sat: float = 0.4,
        cj_hue: float = 0.1,
        min_scale: float = 0.2,
        random_gray_scale: float = 0.2,
        gaussian_blur: float = 0.5,
        sigmas: Tuple[float, float] = (0.1, 2),
        vf_prob: float = 0.0,
        hf_prob: float = 0.5,
        rr_prob: float = 0.0,
        rr_degrees: Optional[Union[float, Tuple[float, float]]] = None,
        normalize: Union[None, Dict[str, List[float]]] = IMAGENET_NORMALIZE,
    ):
        super().__init__(
            input_size=input_size,
            cj_prob=cj_prob,
            cj_strength=cj_strength,
            cj_bright=cj_bright,
            cj_contrast=cj_contrast,
            cj_sat=cj_sat,
            cj_hue=cj_hue,
            min_scale=min_scale,
            random_gray_scale=random_gray_scale,
            gaussian_blur=gaussian_blur,
            sigmas=sigmas,
            vf_prob=vf_prob,
            hf_prob=hf_prob,
            rr_prob=rr_prob,
            rr_degrees=rr_degrees,
            normalize=normalize,
        )
