"""Maximum Manifold Capacity Representations (MMCR) loss."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from fastssl.loss._validation import check_batch, check_same_shape

# torch.linalg has no half precision singular value decomposition.
_SVD_DTYPES = (torch.float32, torch.float64)


class MMCRLoss(nn.Module):
    """MMCR loss [0], as in ``lightly.loss.MMCRLoss``.

    Uses ``torch.linalg.svdvals``: the singular vectors are never formed. Half
    precision inputs are decomposed in float32 and the loss is cast back.

    - [0] Efficient Coding of Natural Images using Maximum Manifold Capacity
      Representations, 2023, https://arxiv.org/abs/2303.03307

    Args:
        lmda: Weight of the (local) nuclear norm of the views.

    Raises:
        ValueError: If ``lmda`` is negative.

    Examples:
        >>> loss_fn = MMCRLoss()
        >>> online, momentum = torch.randn(8, 2, 128), torch.randn(8, 2, 128)
        >>> loss = loss_fn(online, momentum)
    """

    def __init__(self, lmda: float = 5e-3):
        super().__init__()
        if lmda < 0:
            raise ValueError(f"lmda must be greater than or equal to 0, got {lmda}")
        self.lmda = lmda

    def forward(self, online: Tensor, momentum: Tensor) -> Tensor:
        """Returns the MMCR loss.

        Args:
            online: Online network outputs, shape (batch_size, k, dim) for k views.
            momentum: Momentum network outputs, same shape as ``online``.

        Raises:
            ValueError: If the inputs are not float 3-dimensional tensors of the
                same shape.
        """
        check_batch("online", online, ndim=3)
        check_batch("momentum", momentum, ndim=3)
        check_same_shape("online", online, "momentum", momentum)

        z = torch.cat([online, momentum], dim=1)
        if z.dtype not in _SVD_DTYPES:
            z = z.float()
        centroids = torch.mean(z, dim=1)
        loss = (
            -torch.linalg.svdvals(centroids).sum()
            + self.lmda * torch.linalg.svdvals(z).sum() / online.shape[0]
        )
        return loss.to(online.dtype)
