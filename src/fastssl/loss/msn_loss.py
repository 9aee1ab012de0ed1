"""Masked Siamese Networks (MSN) loss and its helpers."""

from __future__ import annotations

import math

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from fastssl.loss._validation import check_batch, check_distributed_available
from fastssl.utils.dist import world_size


def prototype_probabilities(
    queries: Tensor, prototypes: Tensor, temperature: float
) -> Tensor:
    """Returns the probability of each query to belong to each prototype.

    Args:
        queries: Tensor with shape (batch_size, dim).
        prototypes: Tensor with shape (num_prototypes, dim).
        temperature: Inverse scaling factor of the similarities.

    Returns:
        Tensor with shape (batch_size, num_prototypes) whose rows sum to 1.

    Examples:
        >>> probs = prototype_probabilities(torch.randn(8, 16), torch.randn(4, 16), 0.1)
    """
    return F.softmax(torch.matmul(queries, prototypes.T) / temperature, dim=1)


def sharpen(probabilities: Tensor, temperature: float) -> Tensor:
    """Sharpens probabilities: ``p ** (1 / temperature)``, renormalized per row.

    Args:
        probabilities: Tensor with shape (batch_size, dim).
        temperature: In (0, 1]; lower values give less uniform probabilities.

    Examples:
        >>> sharp = sharpen(torch.softmax(torch.randn(8, 4), dim=1), temperature=0.25)
    """
    probabilities = probabilities ** (1.0 / temperature)
    probabilities /= torch.sum(probabilities, dim=1, keepdim=True)
    return probabilities


@torch.no_grad()
def sinkhorn(
    probabilities: Tensor, iterations: int = 3, gather_distributed: bool = False
) -> Tensor:
    """Sinkhorn normalization of MSN [0] (code inspired by [1]).

    - [0]: Masked Siamese Networks, 2022, https://arxiv.org/abs/2204.07141
    - [1]: https://github.com/facebookresearch/msn

    Args:
        probabilities: Tensor with shape (batch_size, num_prototypes).
        iterations: Number of iterations; 0 returns the input unchanged.
        gather_distributed: If True, the row sums run over all processes.

    Returns:
        The normalized probabilities, shape (batch_size, num_prototypes).

    Examples:
        >>> q = sinkhorn(torch.softmax(torch.randn(8, 4), dim=1))
    """
    if iterations <= 0:
        return probabilities
    reduce = gather_distributed and world_size() > 1
    num_targets, num_prototypes = probabilities.shape
    probabilities = probabilities.T
    total = torch.sum(probabilities)
    if reduce:
        dist.all_reduce(total)
    probabilities = probabilities / total
    for _ in range(iterations):
        row_sum = torch.sum(probabilities, dim=1, keepdim=True)
        if reduce:
            dist.all_reduce(row_sum)
        probabilities /= row_sum
        probabilities /= num_prototypes
        probabilities /= torch.sum(probabilities, dim=0, keepdim=True)
        probabilities /= num_targets
    probabilities *= num_targets
    return probabilities.T


class MSNLoss(nn.Module):
    """MSN loss [0], as in ``lightly.loss.MSNLoss`` (code inspired by [1]).

    The cross-entropy is computed from ``log_softmax`` directly, which equals
    ``log(p ** -t)`` of the reference without its underflow to infinity.

    - [0]: Masked Siamese Networks, 2022, https://arxiv.org/abs/2204.07141
    - [1]: https://github.com/facebookresearch/msn

    Args:
        temperature: Similarities are scaled by the inverse temperature; > 0.
        sinkhorn_iterations: Number of Sinkhorn iterations on the targets.
        regularization_weight: Weight of the mean entropy regularization;
            0 disables it.
        gather_distributed: If True, the Sinkhorn normalization of the target
            probabilities runs over all processes.

    Raises:
        ValueError: If ``temperature`` <= 0, ``sinkhorn_iterations`` < 0, or
            ``gather_distributed`` is True without torch.distributed.

    Examples:
        >>> loss_fn = MSNLoss()
        >>> anchors, targets = torch.randn(16, 64), torch.randn(8, 64)
        >>> prototypes = torch.randn(32, 64)
        >>> loss = loss_fn(anchors, targets, prototypes=prototypes)
    """

    def __init__(
        self,
        temperature: float = 0.1,
        sinkhorn_iterations: int = 3,
        regularization_weight: float = 1.0,
        gather_distributed: bool = False,
    ):
        super().__init__()
        if temperature <= 0:
            raise ValueError(f"temperature must be in (0, inf) but is {temperature}.")
        if sinkhorn_iterations < 0:
            raise ValueError(
                f"sinkhorn_iterations must be >= 0 but is {sinkhorn_iterations}."
            )
        check_distributed_available("gather_distributed", gather_distributed)
        self.temperature = temperature
        self.sinkhorn_iterations = sinkhorn_iterations
        self.regularization_weight = regularization_weight
        self.gather_distributed = gather_distributed

    def forward(
        self,
        anchors: Tensor,
        targets: Tensor,
        prototypes: Tensor,
        target_sharpen_temperature: float = 0.25,
    ) -> Tensor:
        """Returns the MSN loss, averaged over all anchors.

        Args:
            anchors: Tensor with shape (batch_size * anchor_views, dim).
            targets: Tensor with shape (batch_size, dim).
            prototypes: Tensor with shape (num_prototypes, dim).
            target_sharpen_temperature: Temperature that sharpens the targets.

        Raises:
            ValueError: If the inputs are not float 2-dimensional tensors with a
                common dim, or the number of anchors is not a multiple of the
                number of targets.
        """
        check_batch("anchors", anchors)
        check_batch("targets", targets)
        check_batch("prototypes", prototypes)
        if not anchors.shape[1] == targets.shape[1] == prototypes.shape[1]:
            raise ValueError(
                "anchors, targets and prototypes must have the same dim, got shapes "
                f"{tuple(anchors.shape)}, {tuple(targets.shape)} and "
                f"{tuple(prototypes.shape)}"
            )
        if anchors.shape[0] % targets.shape[0] != 0:
            raise ValueError(
                f"anchors must hold a whole number of views of the {targets.shape[0]} "
                f"targets, got {anchors.shape[0]} anchors"
            )
        num_views = anchors.shape[0] // targets.shape[0]
        anchors = F.normalize(anchors, dim=1)
        targets = F.normalize(targets, dim=1)
        prototypes = F.normalize(prototypes, dim=1)

        anchor_log_probs = F.log_softmax(
            torch.matmul(anchors, prototypes.T) / self.temperature, dim=1
        )
        with torch.no_grad():
            target_probs = prototype_probabilities(
                targets, prototypes, temperature=self.temperature
            )
            target_probs = sharpen(target_probs, temperature=target_sharpen_temperature)
            target_probs = sinkhorn(
                probabilities=target_probs,
                iterations=self.sinkhorn_iterations,
                gather_distributed=self.gather_distributed,
            )
            target_probs = target_probs.repeat((num_views, 1))

        loss = -torch.mean(torch.sum(target_probs * anchor_log_probs, dim=1))
        if self.regularization_weight > 0:
            mean_anchor_probs = torch.mean(anchor_log_probs.exp(), dim=0)
            reg_loss = self.regularization_loss(mean_anchor_probs=mean_anchor_probs)
            loss += self.regularization_weight * reg_loss  # keeps the dtype of loss
        return loss

    def regularization_loss(self, mean_anchor_probs: Tensor) -> Tensor:
        """Returns the mean entropy regularization: ``log(K) - H(mean_anchor_probs)``.

        Args:
            mean_anchor_probs: The mean anchor probabilities, shape (num_prototypes,).
        """
        entropy = -torch.sum(torch.special.xlogy(mean_anchor_probs, mean_anchor_probs))
        return math.log(float(len(mean_anchor_probs))) - entropy
