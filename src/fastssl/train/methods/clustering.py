"""Clustering methods: SwaV (swapped prediction of online cluster assignments)."""

from __future__ import annotations

from typing import Any, Sequence

import torch
from torch import Tensor
from torch.nn import functional as F

from fastssl.loss import SwaVLoss
from fastssl.models.modules.heads import SwaVProjectionHead, SwaVPrototypes
from fastssl.train.backbones import Backbone
from fastssl.train.methods.base import local_crop_size, OptimizerRecipe, SSLMethod
from fastssl.transforms import SwaVTransform


class SwaV(SSLMethod):
    """SwaV: Caron et al., 2020, https://arxiv.org/abs/2006.09882.

    Multi-crop views are assigned to prototypes with Sinkhorn-Knopp; each high
    resolution view's assignment is predicted from every other view. The
    prototypes get no gradient during the first epoch, as in the paper.
    """

    name = "swav"
    recipe = OptimizerRecipe("lars", base_lr=0.3, weight_decay=1e-6, warmup_epochs=10)

    def __init__(self, backbone: Backbone, gather_distributed: bool = False, hidden_dim: int = 2048,
                 output_dim: int = 128, num_prototypes: int = 3000, frozen_prototype_epochs: int = 1):
        super().__init__(backbone, gather_distributed)
        self.projection_head = SwaVProjectionHead(self.feature_dim, hidden_dim, output_dim)
        # Frozen by dropping gradients after backward (not requires_grad), which DDP allows.
        self.prototypes = SwaVPrototypes(output_dim, num_prototypes)
        self.frozen_prototype_epochs = frozen_prototype_epochs
        self.criterion = SwaVLoss(sinkhorn_gather_distributed=gather_distributed)

    @staticmethod
    def transform(input_size: int) -> Any:
        return SwaVTransform(crop_sizes=(input_size, local_crop_size(input_size)))

    def forward(self, views: Sequence[Tensor], epoch: int) -> Tensor:  # type: ignore[override]
        with torch.no_grad():
            self.prototypes.normalize()
        outputs = [self.prototypes(F.normalize(self.projection_head(self.features(view)), dim=1, p=2))
                   for view in views]
        return self.criterion(outputs[:2], outputs[2:])

    def on_after_backward(self, epoch: int) -> None:
        if epoch < self.frozen_prototype_epochs:
            for param in self.prototypes.parameters():
                param.grad = None
