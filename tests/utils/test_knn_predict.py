"""knn_predict: the same predictions as lightly.utils.benchmarking.knn_predict."""

from __future__ import annotations

from typing import Any, Dict

import pytest
import torch
import torch.nn.functional as F
from lightly.utils.benchmarking import knn_predict as lightly_knn_predict

from fastssl.utils.benchmarking import knn_predict


@pytest.mark.parametrize(
    "batch, dim, bank, classes, knn_k, knn_t",
    [
        (8, 16, 50, 5, 10, 0.1),
        (3, 4, 7, 3, 7, 0.5),
        (1, 32, 200, 10, 200, 0.07),
        (5, 8, 30, 2, 1, 1.0),
    ],
    ids=["typical", "k-equals-bank", "default-k", "k-1"],
)
def test_knn_predict_equals_lightly(
    batch: int, dim: int, bank: int, classes: int, knn_k: int, knn_t: float
) -> None:
    generator = torch.Generator().manual_seed(0)
    feature = F.normalize(torch.randn(batch, dim, generator=generator), dim=1)
    feature_bank = F.normalize(torch.randn(dim, bank, generator=generator), dim=0)
    labels = torch.randint(classes, (bank,), generator=generator)
    ours = knn_predict(feature, feature_bank, labels, classes, knn_k, knn_t)
    theirs = lightly_knn_predict(feature, feature_bank, labels, classes, knn_k, knn_t)
    assert ours.shape == (batch, classes)
    assert torch.equal(ours, theirs)


def test_knn_predict_finds_the_labelled_cluster() -> None:
    centers = F.normalize(torch.randn(3, 16), dim=1)
    labels = torch.arange(3).repeat_interleave(10)
    feature_bank = F.normalize(centers[labels] + 0.05 * torch.randn(30, 16), dim=1).t()
    queries = F.normalize(centers + 0.05 * torch.randn(3, 16), dim=1)
    pred = knn_predict(queries, feature_bank, labels, num_classes=3, knn_k=5)
    assert torch.equal(pred[:, 0], torch.arange(3))
    # Labels of shape (1, N) work too, as in Lightly.
    assert torch.equal(knn_predict(queries, feature_bank, labels[None], 3, 5), pred)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(feature=torch.randn(4)), r"feature must have shape \(B, D\), got \(4,\)"),
        (
            dict(feature_bank=torch.randn(5, 10)),
            r"feature_bank must have shape \(D, N\) with D=8, got \(5, 10\)",
        ),
        (
            dict(feature_labels=torch.zeros(9, dtype=torch.long)),
            r"feature_labels must have shape \(10,\), got \(9,\)",
        ),
        (dict(num_classes=0), "num_classes must be >= 1, got 0"),
        (dict(knn_k=11), r"knn_k must be in \[1, 10\] \(the bank size\), got 11"),
        (dict(knn_t=0.0), "knn_t must be > 0, got 0.0"),
    ],
    ids=[
        "feature-1d",
        "bank-dim",
        "labels-length",
        "num-classes",
        "k-too-large",
        "zero-temperature",
    ],
)
def test_bad_arguments(kwargs: Dict[str, Any], match: str) -> None:
    args: Dict[str, Any] = dict(
        feature=torch.randn(4, 8),
        feature_bank=torch.randn(8, 10),
        feature_labels=torch.zeros(10, dtype=torch.long),
        num_classes=3,
        knn_k=5,
        knn_t=0.1,
    )
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        knn_predict(**args)
