"""Prior Matching for Siamese Networks (PMSN) losses."""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from fastssl.loss.msn_loss import MSNLoss


class PMSNLoss(MSNLoss):
    """PMSN loss [0] with a power law target distribution, as in ``lightly.loss.PMSNLoss``.

    MSN whose regularization is ``KL(power_law || mean_anchor_probs)`` where
    entry k of the power law is proportional to ``k ** -power_law_exponent``.

    - [0]: Prior Matching for Siamese Networks, 2022, https://arxiv.org/abs/2210.07277

    Args:
        temperature: Similarities are scaled by the inverse temperature; > 0.
        sinkhorn_iterations: Number of Sinkhorn iterations on the targets.
        regularization_weight: Weight of the regularization; 0 disables it.
        power_law_exponent: Exponent of the power law distribution.
        gather_distributed: If True, the Sinkhorn normalization of the target
            probabilities runs over all processes.

    Examples:
        >>> loss_fn = PMSNLoss()
        >>> anchors, targets = torch.randn(16, 64), torch.randn(8, 64)
        >>> loss = loss_fn(anchors, targets, prototypes=torch.randn(32, 64))
    """

    def __init__(
        self,
        temperature: float = 0.1,
        sinkhorn_iterations: int = 3,
        regularization_weight: float = 1,
        power_law_exponent: float = 0.25,
        gather_distributed: bool = False,
    ):
        super().__init__(
            temperature=temperature,
            sinkhorn_iterations=sinkhorn_iterations,
            regularization_weight=regularization_weight,
            gather_distributed=gather_distributed,
        )
        self.power_law_exponent = power_law_exponent

    def regularization_loss(self, mean_anchor_probs: Tensor) -> Tensor:
        """Returns ``KL(power_law || mean_anchor_probs)``.

        Args:
            mean_anchor_probs: The mean anchor probabilities, shape (num_prototypes,).
        """
        power_dist = _power_law_distribution(
            size=mean_anchor_probs.shape[0],
            exponent=self.power_law_exponent,
            device=mean_anchor_probs.device,
        )
        return F.kl_div(
            input=mean_anchor_probs.log(), target=power_dist, reduction="sum"
        )


class PMSNCustomLoss(MSNLoss):
    """PMSN loss [0] with a custom target distribution, as in ``lightly.loss.PMSNCustomLoss``.

    - [0]: Prior Matching for Siamese Networks, 2022, https://arxiv.org/abs/2210.07277

    Args:
        target_distribution: Maps the mean anchor probabilities (shape (dim,))
            to a target distribution of the same shape that sums to one. The
            regularization is ``KL(target || mean_anchor_probs)``.
        temperature: Similarities are scaled by the inverse temperature; > 0.
        sinkhorn_iterations: Number of Sinkhorn iterations on the targets.
        regularization_weight: Weight of the regularization; 0 disables it.
        gather_distributed: If True, the Sinkhorn normalization of the target
            probabilities runs over all processes.

    Examples:
        >>> def uniform(mean_anchor_probs: Tensor) -> Tensor:
        ...     dim = mean_anchor_probs.shape[0]
        ...     return mean_anchor_probs.new_ones(dim) / dim
        >>> loss_fn = PMSNCustomLoss(target_distribution=uniform)
    """

    def __init__(
        self,
        target_distribution: Callable[[Tensor], Tensor],
        temperature: float = 0.1,
        sinkhorn_iterations: int = 3,
        regularization_weight: float = 1,
        gather_distributed: bool = False,
    ):
        super().__init__(
            temperature=temperature,
            sinkhorn_iterations=sinkhorn_iterations,
            regularization_weight=regularization_weight,
            gather_distributed=gather_distributed,
        )
        self.target_distribution = target_distribution

    def regularization_loss(self, mean_anchor_probs: Tensor) -> Tensor:
        """Returns ``KL(target_distribution(mean_anchor_probs) || mean_anchor_probs)``.

        Args:
            mean_anchor_probs: The mean anchor probabilities, shape (num_prototypes,).
        """
        target_dist = self.target_distribution(mean_anchor_probs).to(
            mean_anchor_probs.device
        )
        return F.kl_div(
            input=mean_anchor_probs.log(), target=target_dist, reduction="sum"
        )


def _power_law_distribution(size: int, exponent: float, device: torch.device) -> Tensor:
    """Returns the float32 distribution ``k ** -exponent`` for k = 1..size, summing to 1."""
    power_dist = torch.arange(1, size + 1, device=device, dtype=torch.float32)
    power_dist = power_dist ** (-exponent)
    return power_dist / power_dist.sum()
