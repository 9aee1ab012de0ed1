"""SplitBatchNorm: multi-GPU batch norm statistics simulated on one GPU (Lightly's path)."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor


class SplitBatchNorm(nn.BatchNorm2d):
    """BatchNorm2d whose training statistics come from ``num_splits`` sub-batches.

    Running statistics are kept per split and averaged when switching to eval.

    Args:
        num_features: Number of channels.
        num_splits: Number of sub-batches (simulated GPUs); must divide the batch size.

    Examples:
        >>> bn = SplitBatchNorm(64, num_splits=8)
    """

    def __init__(self, num_features: int, num_splits: int, **kw: Any) -> None:
        super().__init__(num_features, **kw)
        self.num_splits = num_splits
        self.register_buffer("running_mean", torch.zeros(num_features * num_splits))
        self.register_buffer("running_var", torch.ones(num_features * num_splits))

    def train(self, mode: bool = True) -> "SplitBatchNorm":
        if self.training and not mode:
            # Collate the per-split statistics once, when switching to eval.
            self.running_mean = self._mean_over_splits(self.running_mean)
            self.running_var = self._mean_over_splits(self.running_var)
        return super().train(mode)

    def _mean_over_splits(self, stat: Tensor) -> Tensor:
        return stat.view(self.num_splits, self.num_features).mean(dim=0).repeat(self.num_splits)

    def forward(self, input: Tensor) -> Tensor:
        """Batch norm per split in training, with the first split's statistics in eval."""
        n, c, h, w = input.shape
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training or not self.track_running_stats:
            return F.batch_norm(
                input.view(-1, c * self.num_splits, h, w),
                self.running_mean,
                self.running_var,
                weight=self.weight.repeat(self.num_splits),
                bias=self.bias.repeat(self.num_splits),
                training=True,
                momentum=momentum,
                eps=self.eps,
            ).view(n, c, h, w)
        return F.batch_norm(
            input,
            self.running_mean[: self.num_features],
            self.running_var[: self.num_features],
            weight=self.weight,
            bias=self.bias,
            training=False,
            momentum=momentum,
            eps=self.eps,
        )


def get_norm_layer(num_features: int, num_splits: int, **kw: Any) -> nn.Module:
    """SplitBatchNorm if ``num_splits > 0``, else BatchNorm2d."""
    if num_splits > 0:
        return SplitBatchNorm(num_features, num_splits)
    return nn.BatchNorm2d(num_features)
