"""Redundancy-reduction methods: Barlow Twins and VICReg (no negatives, no teacher)."""

from __future__ import annotations

from typing import Any, Sequence

from torch import Tensor

from fastssl.loss import BarlowTwinsLoss, VICRegLoss
from fastssl.models.modules.heads import BarlowTwinsProjectionHead, VICRegProjectionHead
from fastssl.train.backbones import Backbone
from fastssl.train.methods.base import OptimizerRecipe, SSLMethod
from fastssl.train.methods.self_distillation import byol_transform
from fastssl.transforms import VICRegTransform


class BarlowTwins(SSLMethod):
    """Barlow Twins: Zbontar et al., 2021, https://arxiv.org/abs/2103.03230.

    Drives the cross-correlation of the two views' embeddings to the identity.
    """

    name = "barlowtwins"
    # The paper's learning rates: 0.2 for weights, 0.0048 for biases and batch norm parameters.
    recipe = OptimizerRecipe("lars", base_lr=0.2, weight_decay=1.5e-6, warmup_epochs=10,
                             no_decay_lr_scale=0.0048 / 0.2)

    def __init__(self, backbone: Backbone, gather_distributed: bool = False, hidden_dim: int = 8192,
                 output_dim: int = 8192, lambda_param: float = 5e-3):
        super().__init__(backbone, gather_distributed)
        self.projection_head = BarlowTwinsProjectionHead(self.feature_dim, hidden_dim, output_dim)
        self.criterion = BarlowTwinsLoss(lambda_param=lambda_param, gather_distributed=gather_distributed)

    @staticmethod
    def transform(input_size: int) -> Any:
        return byol_transform(input_size)  # the paper's augmentations are BYOL's

    def forward(self, views: Sequence[Tensor], epoch: int) -> Tensor:  # type: ignore[override]
        z0, z1 = (self.projection_head(self.features(view)) for view in views[:2])
        return self.criterion(z0, z1)


class VICReg(SSLMethod):
    """VICReg: Bardes et al., 2022, https://arxiv.org/abs/2105.04906.

    Invariance, variance and covariance terms on the two views' embeddings.
    """

    name = "vicreg"
    recipe = OptimizerRecipe("lars", base_lr=0.2, weight_decay=1e-6, warmup_epochs=10)

    def __init__(self, backbone: Backbone, gather_distributed: bool = False, hidden_dim: int = 8192,
                 output_dim: int = 8192):
        super().__init__(backbone, gather_distributed)
        self.projection_head = VICRegProjectionHead(self.feature_dim, hidden_dim, output_dim)
        self.criterion = VICRegLoss(gather_distributed=gather_distributed)

    @staticmethod
    def transform(input_size: int) -> Any:
        return VICRegTransform(input_size=input_size)

    def forward(self, views: Sequence[Tensor], epoch: int) -> Tensor:  # type: ignore[override]
        z0, z1 = (self.projection_head(self.features(view)) for view in views[:2])
        return self.criterion(z0, z1)
