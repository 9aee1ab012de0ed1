"""Decoupled Contrastive Learning losses (DCL and weighted DCLW)."""

from __future__ import annotations

from functools import partial
from typing import Callable, Optional

import torch
from torch import Tensor, nn

from fastssl.loss._contrastive import dcl_batch_loss
from fastssl.loss.kernels import dcl_loss, fused_available
from fastssl.loss._validation import (
    check_batch,
    check_distributed_available,
    check_same_shape,
)
from fastssl.utils.dist import world_size


def negative_mises_fisher_weights(
    out0: Tensor, out1: Tensor, sigma: float = 0.5
) -> Tensor:
    """Negative von Mises-Fisher weights of Decoupled Contrastive Learning [0].

    - [0] Chun-Hsiao Y. et. al., 2021, Decoupled Contrastive Learning https://arxiv.org/abs/2110.06848

    Args:
        out0: First views, shape (batch_size, dim).
        out1: Second views, shape (batch_size, dim).
        sigma: Similarities are scaled by ``1 / sigma``.

    Returns:
        A detached tensor of shape (batch_size,) with one weight per sample:
        ``2 - batch_size * softmax(<out0_i, out1_i> / sigma)``.

    Examples:
        >>> weights = negative_mises_fisher_weights(torch.randn(8, 16), torch.randn(8, 16))
    """
    similarity = torch.einsum("nm,nm->n", out0.detach(), out1.detach()) / sigma
    return 2 - out0.shape[0] * nn.functional.softmax(similarity, dim=0)


class DCLLoss(nn.Module):
    """Decoupled Contrastive Learning loss [0], as in ``lightly.loss.DCLLoss``.

    Equation 6 of [0], summed over all images and both views and averaged over
    the mini-batch: unlike NT-Xent, the positive pair is removed from the
    denominator. The log-sum-exp over the negatives runs in chunks of rows and is
    recomputed in backward, so memory grows with batch_size * dim, not
    batch_size squared (see :mod:`fastssl.loss._contrastive`).

    - [0] Chun-Hsiao Y. et. al., 2021, Decoupled Contrastive Learning https://arxiv.org/abs/2110.06848

    Args:
        temperature: Similarities are scaled by the inverse temperature.
        weight_fn: Weighting function ``w`` of the paper, applied to the
            positive term. Takes the two normalized inputs of ``forward`` and
            returns one weight per sample. None for no weighting.
        gather_distributed: If True, negatives from all processes are gathered
            before the loss.

    Raises:
        ValueError: If ``gather_distributed`` is True but torch.distributed is
            not available.

    Examples:
        >>> loss_fn = DCLLoss(temperature=0.07)
        >>> loss = loss_fn(torch.randn(8, 128), torch.randn(8, 128))
        >>> # a custom weighting function
        >>> weight_fn = lambda out0, out1: torch.sum((out0 - out1) ** 2, dim=1)
        >>> loss_fn = DCLLoss(weight_fn=weight_fn)
    """

    def __init__(
        self,
        temperature: float = 0.1,
        weight_fn: Optional[Callable[[Tensor, Tensor], Tensor]] = None,
        gather_distributed: bool = False,
    ):
        super().__init__()
        check_distributed_available("gather_distributed", gather_distributed)
        self.temperature = temperature
        self.weight_fn = weight_fn
        self.gather_distributed = gather_distributed

    def forward(self, out0: Tensor, out1: Tensor) -> Tensor:
        """Returns the symmetric DCL loss of the two views.

        Args:
            out0: Projections of the first views, shape (batch_size, dim).
            out1: Projections of the second views, shape (batch_size, dim).

        Returns:
            The mean loss over both views of every sample.

        Raises:
            ValueError: If the inputs are not float (batch_size, dim) tensors of
                the same shape, or if there is a single sample in the whole
                (gathered) batch, which leaves no negatives.
        """
        check_batch("out0", out0)
        check_batch("out1", out1)
        check_same_shape("out0", out0, "out1", out1)
        distributed = self.gather_distributed and world_size() > 1
        if not distributed and out0.shape[0] < 2:
            raise ValueError(
                "out0 must have a batch size of at least 2, DCLLoss has no "
                f"negatives for a single sample, got shape {tuple(out0.shape)}"
            )
        if not distributed and fused_available(out0, out1):
            # The same maths, tiled on the GPU without the (2n x 2n) matrix.
            return dcl_loss(out0, out1, self.temperature, self.weight_fn, fused=True)
        out0 = nn.functional.normalize(out0, dim=1)
        out1 = nn.functional.normalize(out1, dim=1)
        return dcl_batch_loss(out0, out1, self.temperature, self.weight_fn, self.gather_distributed)


class DCLWLoss(DCLLoss):
    """Weighted Decoupled Contrastive Learning loss [0], as in ``lightly.loss.DCLWLoss``.

    DCL with the negative von Mises-Fisher weighting function
    :func:`negative_mises_fisher_weights`.

    - [0] Chun-Hsiao Y. et. al., 2021, Decoupled Contrastive Learning https://arxiv.org/abs/2110.06848

    Args:
        temperature: Similarities are scaled by the inverse temperature.
        sigma: Similar to temperature, but applied in the weighting function.
        gather_distributed: If True, negatives from all processes are gathered
            before the loss.

    Examples:
        >>> loss_fn = DCLWLoss(temperature=0.07)
        >>> loss = loss_fn(torch.randn(8, 128), torch.randn(8, 128))
    """

    def __init__(
        self,
        temperature: float = 0.1,
        sigma: float = 0.5,
        gather_distributed: bool = False,
    ):
        super().__init__(
            temperature=temperature,
            weight_fn=partial(negative_mises_fisher_weights, sigma=sigma),
            gather_distributed=gather_distributed,
        )
