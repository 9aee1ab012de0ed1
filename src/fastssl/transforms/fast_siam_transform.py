"""FastSiam views: ``num_views`` SimSiam views of each image."""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple, Union

from fastssl.transforms.multi_view_transform import MultiViewTransform
from fastssl.transforms.simsiam_transform import SimSiamViewTransform
from fastssl.transforms.utils import IMAGENET_NORMALIZE


class FastSiamTransform(MultiViewTransform):
    """Implements the transformations for FastSiam: ``num_views`` views (K + 1 targets).

    Args:
        num_views: Number of views (K + 1 where K is the number of target views).
        Other arguments: see :class:`fastssl.transforms.SimSiamViewTransform`.

    Example:
        >>> views = FastSiamTransform(num_views=3, input_size=32)(PIL.Image.new("RGB", (64, 48)))
        >>> len(views)
        3
    """

    def __init__(
        self,
        num_views: int = 4,
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
        if isinstance(num_views, bool) or not isinstance(num_views, int) or num_views < 1:
            raise ValueError(f"num_views must be a positive int, got {num_views!r}")
        view_transform = SimSiamViewTransform(
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
        super().__init__(transforms=[view_transform] * num_views)
