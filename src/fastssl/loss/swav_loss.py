"""SwaV loss: swapped prediction of Sinkhorn codes between crops."""

from __future__ import annotations

from typing import List, Optional, Sequence

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from fastssl.loss._validation import (
    check_batch,
    check_distributed_available,
    check_views,
)
from fastssl.loss.kernels import sinkhorn_knopp
from fastssl.utils.dist import world_size


@torch.no_grad()
def sinkhorn(
    out: Tensor,
    iterations: int = 3,
    epsilon: float = 0.05,
    gather_distributed: bool = False,
) -> Tensor:
    """Distributed Sinkhorn-Knopp algorithm of SwaV [0], as implemented in [1].

    - [0]: SwaV, 2020, https://arxiv.org/abs/2006.09882
    - [1]: https://github.com/facebookresearch/swav/

    Args:
        out: Similarities of the features and the prototypes, (batch_size, num_prototypes).
        iterations: Number of Sinkhorn iterations.
        epsilon: Temperature of the exponential.
        gather_distributed: If True, the normalization runs over the features of
            all processes.

    Returns:
        Soft codes Q of shape (batch_size, num_prototypes).

    Examples:
        >>> q = sinkhorn(torch.randn(8, 16))
    """
    reduce = gather_distributed and world_size() > 1
    q = torch.exp(out / epsilon).t()
    total = torch.sum(q)
    if reduce:
        dist.all_reduce(total)
    q /= total
    batch_size = q.shape[1] * (world_size() if reduce else 1)
    for _ in range(iterations):
        row_sum = torch.sum(q, dim=1, keepdim=True)
        if reduce:
            dist.all_reduce(row_sum)
        q /= row_sum
        q /= torch.sum(q, dim=0, keepdim=True)
        q /= batch_size
    q *= batch_size
    return q.t()


class SwaVLoss(nn.Module):
    """SwaV loss [0], as in ``lightly.loss.SwaVLoss``.

    Each high resolution crop's codes (Sinkhorn) are predicted from every other
    crop. The log-softmax of each crop is computed once and its targets (the
    codes of all other high resolution crops) are summed first, instead of one
    cross-entropy per pair of crops.

    - [0]: SwaV, 2020, https://arxiv.org/abs/2006.09882

    Args:
        temperature: Temperature of the cross-entropy.
        sinkhorn_iterations: Number of Sinkhorn iterations.
        sinkhorn_epsilon: Temperature of the Sinkhorn algorithm.
        sinkhorn_gather_distributed: If True, the Sinkhorn normalization runs
            over the features of all processes.

    Raises:
        ValueError: If ``sinkhorn_gather_distributed`` is True but
            torch.distributed is not available.

    Examples:
        >>> loss_fn = SwaVLoss()
        >>> high = [torch.randn(8, 32) for _ in range(2)]
        >>> low = [torch.randn(8, 32) for _ in range(4)]
        >>> loss = loss_fn(high, low)
    """

    def __init__(
        self,
        temperature: float = 0.1,
        sinkhorn_iterations: int = 3,
        sinkhorn_epsilon: float = 0.05,
        sinkhorn_gather_distributed: bool = False,
    ):
        super().__init__()
        check_distributed_available(
            "sinkhorn_gather_distributed", sinkhorn_gather_distributed
        )
        self.temperature = temperature
        self.sinkhorn_iterations = sinkhorn_iterations
        self.sinkhorn_epsilon = sinkhorn_epsilon
        self.sinkhorn_gather_distributed = sinkhorn_gather_distributed

    def subloss(self, z: Tensor, q: Tensor) -> Tensor:
        """Returns the cross-entropy of the predictions ``z`` and the codes ``q``.

        Args:
            z: Similarities of the features and the prototypes.
            q: Codes from the Sinkhorn algorithm.
        """
        return -torch.mean(
            torch.sum(q * F.log_softmax(z / self.temperature, dim=1), dim=1)
        )

    def forward(
        self,
        high_resolution_outputs: List[Tensor],
        low_resolution_outputs: List[Tensor],
        queue_outputs: Optional[List[Tensor]] = None,
    ) -> Tensor:
        """Returns the SwaV loss of the crops, with shape (1,) as in Lightly.

        Args:
            high_resolution_outputs: Prototype similarities of the high resolution
                crops, each (batch_size, num_prototypes).
            low_resolution_outputs: Prototype similarities of the low resolution
                crops, each (batch_size, num_prototypes).
            queue_outputs: Prototype similarities of the queued high resolution
                crops of earlier batches, one (queue_length, num_prototypes)
                tensor per high resolution crop.

        Raises:
            ValueError: If the crops are not float tensors of one common shape,
                the queue does not match, or there are fewer than two crops.
        """
        high = check_views("high_resolution_outputs", high_resolution_outputs)
        low = check_views("low_resolution_outputs", low_resolution_outputs, min_views=0)
        if low and low[0].shape != high[0].shape:
            raise ValueError(
                "low_resolution_outputs must have the shape of high_resolution_outputs, "
                f"{tuple(high[0].shape)}, got {tuple(low[0].shape)}"
            )
        n_crops = len(high) + len(low)
        if n_crops < 2:
            raise ValueError(
                "SwaVLoss needs at least two crops in total, got 1 high resolution "
                "crop and no low resolution crops"
            )
        if queue_outputs is not None:
            _check_queue(queue_outputs, high)
        codes = [
            self._codes(crop, None if queue_outputs is None else queue_outputs[index])
            for index, crop in enumerate(high)
        ]

        # Crop v predicts the codes of every high resolution crop other than itself.
        loss = high[0].new_zeros(())
        for index, crop in enumerate(high):
            others = [q for other, q in enumerate(codes) if other != index]
            if others:
                loss = loss + self.subloss(crop, sum(others))
        if low:
            all_codes = sum(codes)
            for crop in low:
                loss = loss + self.subloss(crop, all_codes)
        # Lightly returns a tensor of shape (1,), not a scalar.
        return (loss / ((n_crops - 1) * len(high))).reshape(1)

    @torch.no_grad()
    def _codes(self, crop: Tensor, queue: Optional[Tensor]) -> Tensor:
        """Returns the Sinkhorn codes of ``crop``; a queue joins the normalization only."""
        outputs = crop.detach()
        if queue is not None:
            outputs = torch.cat((outputs, queue.detach()))
        if self.sinkhorn_gather_distributed and world_size() > 1:
            q = sinkhorn(outputs, self.sinkhorn_iterations, self.sinkhorn_epsilon, gather_distributed=True)
        else:  # fused on the GPU (two passes over the scores per iteration), eager elsewhere
            q = sinkhorn_knopp(outputs, self.sinkhorn_iterations, self.sinkhorn_epsilon)
        return q[: crop.shape[0]]


def _check_queue(queue_outputs: Sequence[Tensor], high: Sequence[Tensor]) -> None:
    """Raises ValueError unless there is one (length, num_prototypes) queue per high crop."""
    if isinstance(queue_outputs, Tensor) or len(queue_outputs) < len(high):
        raise ValueError(
            "queue_outputs must be a list with one tensor per high resolution crop "
            f"({len(high)})"
        )
    for index in range(len(high)):
        queue = check_batch(f"queue_outputs[{index}]", queue_outputs[index])
        if queue.shape[1] != high[0].shape[1]:
            raise ValueError(
                f"queue_outputs[{index}] must have {high[0].shape[1]} prototypes, "
                f"got shape {tuple(queue.shape)}"
            )
