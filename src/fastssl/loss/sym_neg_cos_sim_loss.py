"""Symmetrized negative cosine similarity loss of SimSiam (from Lightly < 1.5)."""

from __future__ import annotations

from typing import Tuple

import torch
from torch import Tensor
from torch.nn.functional import cosine_similarity

from fastssl.loss._validation import check_float


class SymNegCosineSimilarityLoss(torch.nn.Module):
    """Symmetrized negative cosine similarity of SimSiam [0].

    Kept from earlier Lightly releases (``lightly.loss.SymNegCosineSimilarityLoss``,
    removed in Lightly 1.6.0 in favour of :class:`NegativeCosineSimilarity`):
    ``-(cos(p0, stopgrad(z1)) + cos(p1, stopgrad(z0))) / 2``, each cosine averaged
    over the batch.

    - [0] SimSiam, 2020, https://arxiv.org/abs/2011.10566

    Examples:
        >>> loss_fn = SymNegCosineSimilarityLoss()
        >>> z0, p0, z1, p1 = (torch.randn(8, 128) for _ in range(4))
        >>> loss = loss_fn((z0, p0), (z1, p1))
    """

    def forward(
        self, out0: Tuple[Tensor, Tensor], out1: Tuple[Tensor, Tensor]
    ) -> Tensor:
        """Returns the symmetrized loss.

        Args:
            out0: ``(z0, p0)``: projection and prediction of the first views.
            out1: ``(z1, p1)``: projection and prediction of the second views.

        Raises:
            ValueError: If an output is not a pair of float tensors.
        """
        z0, p0 = _pair("out0", out0)
        z1, p1 = _pair("out1", out1)
        return _neg_cosine_similarity(p0, z1) / 2 + _neg_cosine_similarity(p1, z0) / 2


def _pair(name: str, value: object) -> Tuple[Tensor, Tensor]:
    """Returns ``value`` as a (projection, prediction) pair of float tensors."""
    try:
        projection, prediction = value  # type: ignore[misc]
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a (projection, prediction) pair of tensors"
        ) from None
    return check_float(f"{name}[0]", projection), check_float(f"{name}[1]", prediction)


def _neg_cosine_similarity(prediction: Tensor, projection: Tensor) -> Tensor:
    """Mean negative cosine similarity; no gradient flows into ``projection``."""
    return -cosine_similarity(prediction, projection.detach(), dim=-1).mean()
