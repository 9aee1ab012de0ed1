"""kNN prediction for monitoring SSL training; equal to Lightly's ``knn_predict``."""

from __future__ import annotations

import torch
from torch import Tensor


def knn_predict(
    feature: Tensor,
    feature_bank: Tensor,
    feature_labels: Tensor,
    num_classes: int,
    knn_k: int = 200,
    knn_t: float = 0.1,
) -> Tensor:
    """Weighted kNN classification of ``feature`` against a feature bank.

    Each of the ``knn_k`` most similar bank entries votes for its label with
    weight ``exp(similarity / knn_t)`` (Wu et al., 2018,
    https://arxiv.org/abs/1805.01978). Normalize features and bank first to
    vote by cosine similarity.

    Args:
        feature: Queries of shape (B, D).
        feature_bank: Bank of shape (D, N).
        feature_labels: Labels of the bank, shape (N,), integers in [0, num_classes).
        num_classes: Number of classes.
        knn_k: Number of neighbours, 1 <= knn_k <= N.
        knn_t: Temperature of the vote weights, > 0.

    Returns:
        Class indices of shape (B, num_classes) sorted by descending score;
        ``[:, 0]`` is the top-1 prediction.

    Raises:
        ValueError: If the shapes do not fit together or ``knn_k``, ``knn_t`` or
            ``num_classes`` is out of range.

    Examples:
        >>> feature = torch.nn.functional.normalize(backbone(images).flatten(1), dim=1)
        >>> pred_labels = knn_predict(feature, feature_bank, targets_bank, num_classes=10)
        >>> top1 = pred_labels[:, 0]
    """
    _check_knn_arguments(feature, feature_bank, feature_labels, num_classes, knn_k, knn_t)
    batch_size = feature.size(0)
    sim_matrix = torch.mm(feature, feature_bank)  # (B, N)
    sim_weight, sim_indices = sim_matrix.topk(k=knn_k, dim=-1)  # (B, K)
    sim_labels = torch.gather(feature_labels.expand(batch_size, -1), dim=-1, index=sim_indices)
    sim_weight = (sim_weight / knn_t).exp()
    # Per-class vote: one-hot labels (B, K, C) weighted and summed over K, in the
    # same float32 arithmetic and order as Lightly so that ties break alike.
    one_hot_label = torch.zeros(batch_size, knn_k, num_classes, device=sim_labels.device)
    one_hot_label.scatter_(dim=-1, index=sim_labels.unsqueeze(-1), value=1.0)
    pred_scores = torch.sum(one_hot_label * sim_weight.unsqueeze(dim=-1), dim=1)
    return pred_scores.argsort(dim=-1, descending=True)


def _check_knn_arguments(
    feature: Tensor,
    feature_bank: Tensor,
    feature_labels: Tensor,
    num_classes: int,
    knn_k: int,
    knn_t: float,
) -> None:
    """Raises ValueError naming the first argument that does not fit."""
    if feature.dim() != 2:
        raise ValueError(f"feature must have shape (B, D), got {tuple(feature.shape)}")
    if feature_bank.dim() != 2 or feature_bank.shape[0] != feature.shape[1]:
        raise ValueError(
            f"feature_bank must have shape (D, N) with D={feature.shape[1]}, "
            f"got {tuple(feature_bank.shape)}"
        )
    num_bank = feature_bank.shape[1]
    if tuple(feature_labels.shape) not in ((num_bank,), (1, num_bank)):
        raise ValueError(
            f"feature_labels must have shape ({num_bank},), " f"got {tuple(feature_labels.shape)}"
        )
    if num_classes < 1:
        raise ValueError(f"num_classes must be >= 1, got {num_classes}")
    if not 1 <= knn_k <= num_bank:
        raise ValueError(f"knn_k must be in [1, {num_bank}] (the bank size), got {knn_k}")
    if not knn_t > 0:
        raise ValueError(f"knn_t must be > 0, got {knn_t}")
