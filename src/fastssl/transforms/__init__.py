"""Augmentations with Lightly's names (lightly.transforms), built on specs.

Every preset is described by a :class:`~fastssl.transforms.spec.MultiViewSpec`
(``transform.spec``) that all backends execute; here it runs on the reference
backend (:mod:`fastssl.transforms.reference`), which reproduces Lightly 1.6.0
bit for bit under the same torch / numpy seeds.
"""

from fastssl.transforms.byol_transform import (
    BYOLTransform,
    BYOLView1Transform,
    BYOLView2Transform,
)
from fastssl.transforms.dino_transform import DINOTransform, DINOViewTransform
from fastssl.transforms.fast_siam_transform import FastSiamTransform
from fastssl.transforms.gaussian_blur import GaussianBlur
from fastssl.transforms.mae_transform import MAETransform
from fastssl.transforms.moco_transform import MoCoV1Transform, MoCoV2Transform
from fastssl.transforms.msn_transform import MSNTransform, MSNViewTransform
from fastssl.transforms.multi_crop_transform import MultiCropTranform
from fastssl.transforms.multi_view_transform import MultiViewTransform
from fastssl.transforms.reference import ViewTransform
from fastssl.transforms.rotation import (
    RandomRotate,
    RandomRotateDegrees,
    random_rotation_transform,
)
from fastssl.transforms.simclr_transform import SimCLRTransform, SimCLRViewTransform
from fastssl.transforms.simsiam_transform import SimSiamTransform, SimSiamViewTransform
from fastssl.transforms.solarize import RandomSolarization
from fastssl.transforms.spec import MultiViewSpec, ViewSpec
from fastssl.transforms.swav_transform import SwaVTransform, SwaVViewTransform
from fastssl.transforms.torchvision_v2_compatibility import (
    ToTensor,
    functional,
    torchvision_transforms,
)
from fastssl.transforms.vicreg_transform import VICRegTransform, VICRegViewTransform

__all__ = [
    "BYOLTransform",
    "BYOLView1Transform",
    "BYOLView2Transform",
    "DINOTransform",
    "DINOViewTransform",
    "FastSiamTransform",
    "GaussianBlur",
    "MAETransform",
    "MSNTransform",
    "MSNViewTransform",
    "MoCoV1Transform",
    "MoCoV2Transform",
    "MultiCropTranform",
    "MultiViewSpec",
    "MultiViewTransform",
    "RandomRotate",
    "RandomRotateDegrees",
    "RandomSolarization",
    "SimCLRTransform",
    "SimCLRViewTransform",
    "SimSiamTransform",
    "SimSiamViewTransform",
    "SwaVTransform",
    "SwaVViewTransform",
    "ToTensor",
    "VICRegTransform",
    "VICRegViewTransform",
    "ViewSpec",
    "ViewTransform",
    "functional",
    "random_rotation_transform",
    "torchvision_transforms",
]
