"""Contrastive methods: SimCLR, MoCo v2 and NNCLR (NT-Xent / InfoNCE losses)."""

from __future__ import annotations

from typing import Any, Sequence

import torch
from torch import Tensor

from fastssl.loss import NTXentLoss
from fastssl.models.modules.heads import (MoCoProjectionHead, NNCLRPredictionHead, NNCLRProjectionHead,
                                          SimCLRProjectionHead)
from fastssl.models.modules.nn_memory_bank import NNMemoryBankModule
from fastssl.models.utils import batch_shuffle, batch_unshuffle
from fastssl.train.backbones import Backbone
from fastssl.train.methods.base import OptimizerRecipe, SSLMethod
from fastssl.transforms import MoCoV2Transform, SimCLRTransform


class SimCLR(SSLMethod):
    """SimCLR: Chen et al., 2020, https://arxiv.org/abs/2002.05709.

    Two views through backbone + projection head; NT-Xent between them.
    """

    name = "simclr"
    recipe = OptimizerRecipe("lars", base_lr=0.3, weight_decay=1e-6, warmup_epochs=10)

    def __init__(self, backbone: Backbone, gather_distributed: bool = False, hidden_dim: int = 2048,
                 output_dim: int = 128, temperature: float = 0.1):
        super().__init__(backbone, gather_distributed)
        self.projection_head = SimCLRProjectionHead(self.feature_dim, hidden_dim, output_dim)
        self.criterion = NTXentLoss(temperature=temperature, gather_distributed=gather_distributed)

    @staticmethod
    def transform(input_size: int) -> Any:
        return SimCLRTransform(input_size=input_size)

    def forward(self, views: Sequence[Tensor], epoch: int) -> Tensor:  # type: ignore[override]
        z0, z1 = (self.projection_head(self.features(view)) for view in views[:2])
        return self.criterion(z0, z1)


class MoCo(SSLMethod):
    """MoCo v2: Chen et al., 2020, https://arxiv.org/abs/2003.04297.

    The query encoder learns against keys from its EMA copy (momentum 0.999) and a
    memory bank of past keys; keys are encoded with shuffled batch norm statistics.
    """

    name = "moco"
    recipe = OptimizerRecipe("sgd", base_lr=0.03, weight_decay=1e-4)
    uses_sync_batchnorm = False

    def __init__(self, backbone: Backbone, gather_distributed: bool = False, hidden_dim: int = 2048,
                 output_dim: int = 128, temperature: float = 0.2, memory_bank_size: int = 65536,
                 momentum: float = 0.999):
        super().__init__(backbone, gather_distributed)
        self.projection_head = MoCoProjectionHead(self.feature_dim, hidden_dim, output_dim)
        self.add_teacher(momentum, constant=True)
        self.criterion = NTXentLoss(temperature=temperature, memory_bank_size=(memory_bank_size, output_dim),
                                    gather_distributed=gather_distributed)

    @staticmethod
    def transform(input_size: int) -> Any:
        return MoCoV2Transform(input_size=input_size)

    def forward(self, views: Sequence[Tensor], epoch: int) -> Tensor:  # type: ignore[override]
        query = self.projection_head(self.features(views[0]))
        with torch.no_grad():
            shuffled, order = batch_shuffle(views[1], distributed=self.gather_distributed)
            key = self.momentum_projection(shuffled)
            key = batch_unshuffle(key, order, distributed=self.gather_distributed)
        return self.criterion(query, key)


class NNCLR(SSLMethod):
    """NNCLR: Dwibedi et al., 2021, https://arxiv.org/abs/2104.14548.

    Each projection is replaced by its nearest neighbour in a support set of past
    projections before the contrastive loss against the other view's prediction.
    """

    name = "nnclr"
    recipe = OptimizerRecipe("lars", base_lr=0.3, weight_decay=1e-6, warmup_epochs=10)

    def __init__(self, backbone: Backbone, gather_distributed: bool = False, hidden_dim: int = 2048,
                 output_dim: int = 256, prediction_hidden_dim: int = 4096, temperature: float = 0.1,
                 memory_bank_size: int = 65536):
        super().__init__(backbone, gather_distributed)
        self.projection_head = NNCLRProjectionHead(self.feature_dim, hidden_dim, output_dim)
        self.prediction_head = NNCLRPredictionHead(output_dim, prediction_hidden_dim, output_dim)
        self.memory_bank = NNMemoryBankModule(size=(memory_bank_size, output_dim))
        self.criterion = NTXentLoss(temperature=temperature, gather_distributed=gather_distributed)

    @staticmethod
    def transform(input_size: int) -> Any:
        return SimCLRTransform(input_size=input_size)

    def forward(self, views: Sequence[Tensor], epoch: int) -> Tensor:  # type: ignore[override]
        z0, z1 = (self.projection_head(self.features(view)) for view in views[:2])
        p0, p1 = self.prediction_head(z0), self.prediction_head(z1)
        z0 = self.memory_bank(z0.detach(), update=False)
        z1 = self.memory_bank(z1.detach(), update=True)
        return 0.5 * (self.criterion(z0, p1) + self.criterion(z1, p0))
