"""What embeddings are for: kNN accuracy, nearest images, and diverse subsets.

Similarity is cosine similarity (embeddings are L2-normalized first).
"""

from __future__ import annotations

from typing import List, Tuple

import numpy as np
import torch
from torch.nn import functional as F

from fastssl.utils.benchmarking import knn_predict


def _unit(vectors: np.ndarray) -> torch.Tensor:
    return F.normalize(torch.as_tensor(np.asarray(vectors, dtype=np.float32)), dim=1)


def split_indices(n: int, val_fraction: float, seed: int) -> Tuple[np.ndarray, np.ndarray]:
    """A random (train, validation) split of ``range(n)``; both non-empty."""
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction!r}")
    if n < 2:
        raise ValueError(f"a train/validation split needs at least 2 embeddings, got {n}")
    order = np.random.default_rng(seed).permutation(n)
    n_val = min(max(1, round(n * val_fraction)), n - 1)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def knn_accuracy(train_vectors: np.ndarray, train_labels: List[int], val_vectors: np.ndarray,
                 val_labels: List[int], k: int = 200, temperature: float = 0.1) -> float:
    """Top-1 accuracy of Lightly's weighted kNN (``knn_predict``) on the validation vectors."""
    bank_labels = torch.as_tensor(train_labels, dtype=torch.long)
    num_classes = int(max(max(train_labels), max(val_labels))) + 1
    k = min(k, len(train_labels))
    predicted = knn_predict(_unit(val_vectors), _unit(train_vectors).T.contiguous(), bank_labels, num_classes,
                            knn_k=k, knn_t=temperature)[:, 0]
    return float((predicted == torch.as_tensor(val_labels)).float().mean())


def most_similar(vectors: np.ndarray, query: np.ndarray, k: int) -> Tuple[np.ndarray, np.ndarray]:
    """Indices and cosine similarities of the ``k`` vectors most similar to ``query``, best first."""
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    similarity = _unit(vectors) @ _unit(np.asarray(query).reshape(1, -1)).T
    values, indices = similarity[:, 0].topk(min(k, len(vectors)))
    return indices.numpy(), values.numpy()


def k_center_greedy(vectors: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """A diverse subset: ``n`` indices chosen by farthest-point (k-center greedy) selection.

    Starts from a random point, then repeatedly adds the point farthest (cosine
    distance) from everything selected so far (Sener and Savarese, 2018,
    https://arxiv.org/abs/1708.00489), which covers every cluster before
    sampling any cluster twice.
    """
    total = len(vectors)
    if not 1 <= n <= total:
        raise ValueError(f"n must be in [1, {total}] (the number of embeddings), got {n}")
    unit = _unit(vectors)
    selected = [int(np.random.default_rng(seed).integers(total))]
    distance = 1.0 - unit @ unit[selected[0]]
    for _ in range(n - 1):
        distance[selected[-1]] = -1.0  # numerically, a selected point may not be exactly at 0
        farthest = int(distance.argmax())
        selected.append(farthest)
        distance = torch.minimum(distance, 1.0 - unit @ unit[farthest])
    return np.asarray(selected)
