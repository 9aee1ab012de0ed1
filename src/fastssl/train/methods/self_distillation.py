"""Self-distillation methods: BYOL, SimSiam and DINO (a student predicts a teacher)."""

from __future__ import annotations

from typing import Any, Sequence

import torch
from torch import Tensor, nn
from torchvision.models import VisionTransformer

from fastssl.loss import DINOLoss, NegativeCosineSimilarity
from fastssl.models.modules.heads import (BYOLPredictionHead, BYOLProjectionHead, DINOProjectionHead,
                                          SimSiamPredictionHead, SimSiamProjectionHead)
from fastssl.train.backbones import Backbone
from fastssl.train.methods.base import local_crop_size, OptimizerRecipe, SSLMethod
from fastssl.transforms import BYOLTransform, DINOTransform, SimSiamTransform
from fastssl.transforms.byol_transform import BYOLView1Transform, BYOLView2Transform


def byol_transform(input_size: int) -> BYOLTransform:
    """BYOL's two asymmetric views (also Barlow Twins' augmentations)."""
    return BYOLTransform(view_1_transform=BYOLView1Transform(input_size=input_size),
                         view_2_transform=BYOLView2Transform(input_size=input_size))


def _is_vit(module: nn.Module) -> bool:
    """torchvision's ViTs (ours included) and timm's."""
    return isinstance(module, VisionTransformer) or "VisionTransformer" in type(module).__name__


class BYOL(SSLMethod):
    """BYOL: Grill et al., 2020, https://arxiv.org/abs/2006.07733.

    The online network predicts the EMA target network's projection of the other
    view (momentum 0.996 -> 1, cosine); symmetric negative cosine similarity.
    """

    name = "byol"
    recipe = OptimizerRecipe("lars", base_lr=0.2, weight_decay=1.5e-6, warmup_epochs=10)

    def __init__(self, backbone: Backbone, gather_distributed: bool = False, hidden_dim: int = 4096,
                 output_dim: int = 256, momentum: float = 0.996):
        super().__init__(backbone, gather_distributed)
        self.projection_head = BYOLProjectionHead(self.feature_dim, hidden_dim, output_dim)
        self.prediction_head = BYOLPredictionHead(output_dim, hidden_dim, output_dim)
        self.add_teacher(momentum)
        self.criterion = NegativeCosineSimilarity()

    @staticmethod
    def transform(input_size: int) -> Any:
        return byol_transform(input_size)

    def forward(self, views: Sequence[Tensor], epoch: int) -> Tensor:  # type: ignore[override]
        p0, p1 = (self.prediction_head(self.projection_head(self.features(view))) for view in views[:2])
        with torch.no_grad():
            z0, z1 = (self.momentum_projection(view) for view in views[:2])
        return 0.5 * (self.criterion(p0, z1) + self.criterion(p1, z0))


class SimSiam(SSLMethod):
    """SimSiam: Chen and He, 2020, https://arxiv.org/abs/2011.10566.

    BYOL without the EMA: the stop-gradient on the projection prevents collapse.
    """

    name = "simsiam"
    recipe = OptimizerRecipe("sgd", base_lr=0.05, weight_decay=1e-4)

    def __init__(self, backbone: Backbone, gather_distributed: bool = False, hidden_dim: int = 2048,
                 output_dim: int = 2048, prediction_hidden_dim: int = 512):
        super().__init__(backbone, gather_distributed)
        self.projection_head = SimSiamProjectionHead(self.feature_dim, hidden_dim, output_dim)
        self.prediction_head = SimSiamPredictionHead(output_dim, prediction_hidden_dim, output_dim)
        self.criterion = NegativeCosineSimilarity()

    @staticmethod
    def transform(input_size: int) -> Any:
        return SimSiamTransform(input_size=input_size)

    def forward(self, views: Sequence[Tensor], epoch: int) -> Tensor:  # type: ignore[override]
        z0, z1 = (self.projection_head(self.features(view)) for view in views[:2])
        p0, p1 = self.prediction_head(z0), self.prediction_head(z1)
        return 0.5 * (self.criterion(p0, z1.detach()) + self.criterion(p1, z0.detach()))


class DINO(SSLMethod):
    """DINO: Caron et al., 2021, https://arxiv.org/abs/2104.14294.

    The student sees every crop, the EMA teacher (momentum 0.996 -> 1) only the two
    global ones; cross-entropy against the centered, sharpened teacher. The last
    layer of the student head is frozen during the first epoch.
    """

    name = "dino"
    # The paper's ViT recipe; ResNets use ``resnet_recipe`` (the paper's ResNet-50 run).
    recipe = OptimizerRecipe("adamw", base_lr=0.0005, weight_decay=0.04, warmup_epochs=10, weight_decay_end=0.4,
                             clip_grad_norm=3.0)
    resnet_recipe = OptimizerRecipe("sgd", base_lr=0.03, weight_decay=1e-4, warmup_epochs=10)

    def __init__(self, backbone: Backbone, gather_distributed: bool = False, hidden_dim: int = 2048,
                 bottleneck_dim: int = 256, num_prototypes: int = 65536, momentum: float = 0.996,
                 warmup_teacher_temp_epochs: int = 30, freeze_last_layer: int = 1):
        super().__init__(backbone, gather_distributed)
        batch_norm = not _is_vit(self.backbone)
        self.projection_head = DINOProjectionHead(self.feature_dim, hidden_dim, bottleneck_dim, num_prototypes,
                                                  batch_norm=batch_norm, freeze_last_layer=freeze_last_layer)
        self.add_teacher(momentum)
        self.criterion = DINOLoss(output_dim=num_prototypes, warmup_teacher_temp_epochs=warmup_teacher_temp_epochs)

    @staticmethod
    def transform(input_size: int) -> Any:
        return DINOTransform(global_crop_size=input_size, local_crop_size=local_crop_size(input_size))

    def optimizer_recipe(self) -> OptimizerRecipe:
        return self.recipe if _is_vit(self.backbone) else self.resnet_recipe

    def forward(self, views: Sequence[Tensor], epoch: int) -> Tensor:  # type: ignore[override]
        global_views = views[:2]
        with torch.no_grad():
            teacher_out = [self.momentum_projection(view) for view in global_views]
        student_out = [self.projection_head(self.features(view)) for view in views]
        return self.criterion(teacher_out, student_out, epoch=epoch)

    def on_after_backward(self, epoch: int) -> None:
        self.projection_head.cancel_last_layer_gradients(current_epoch=epoch)

