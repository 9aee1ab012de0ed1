"""The settings of a training run, validated once, stored in every checkpoint."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Dict, Optional

from fastssl.train.methods.base import OPTIMIZERS

PRECISIONS = ("32", "bf16", "fp16")


@dataclass
class TrainConfig:
    """What to train, on what, and how.

    Attributes:
        method: One of ``fastssl.train.METHODS`` (simclr, moco, byol, simsiam,
            barlowtwins, vicreg, dino, swav, nnclr).
        data: Folder of images (flat, or sub-folders as labels).
        out: Folder of the checkpoint, the CSV log and the PNG plot.
        backbone: A name from ``fastssl.train.backbones`` (resnet18/34/50, vit_*,
            timm/<name>); ``train()`` also takes an ``nn.Module``.
        epochs: Passes over the data.
        batch_size: Images per batch on each process.
        input_size: Side of the training crops, in pixels.
        optimizer: "lars", "sgd" or "adamw"; None: the method's paper choice.
        lr: Learning rate for a batch of 256 (scaled by the global batch / 256);
            None: the method's paper value.
        weight_decay: None: the method's paper value.
        warmup_epochs: Linear warmup before the cosine decay; None: the method's.
        accumulate: Batches per optimizer step (gradient accumulation).
        precision: "32", "bf16" or "fp16" (autocast; fp16 uses a GradScaler, CUDA only).
        channels_last: Run convolutions in channels-last memory format.
        compile: ``torch.compile`` the backbone.
        device: "auto" (CUDA when available), "cpu", "cuda" or "cuda:N".
        num_threads: Loader threads; None: all cores.
        backend: FastLoader backend ("auto", "cpp", "python").
        on_error: "raise" or "skip" bad image files.
        seed: Seed of initialization, shuffling and augmentations.
        checkpoint_every: Also save a checkpoint every N optimizer steps (0: only at epoch ends).
        progress: Show progress bars.
        method_kwargs: Overrides of the method's head sizes and loss settings,
            e.g. ``{"hidden_dim": 512, "output_dim": 128}``.
    """

    method: str = "simclr"
    data: str = ""
    out: str = "fastssl-run"
    backbone: str = "resnet18"
    epochs: int = 100
    batch_size: int = 256
    input_size: int = 224
    optimizer: Optional[str] = None
    lr: Optional[float] = None
    weight_decay: Optional[float] = None
    warmup_epochs: Optional[int] = None
    accumulate: int = 1
    precision: str = "32"
    channels_last: bool = False
    compile: bool = False
    device: str = "auto"
    num_threads: Optional[int] = None
    backend: str = "auto"
    on_error: str = "raise"
    seed: int = 0
    checkpoint_every: int = 0
    progress: bool = True
    method_kwargs: Dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "input_size", "accumulate"):
            _check_int(name, getattr(self, name), minimum=1)
        _check_int("checkpoint_every", self.checkpoint_every, minimum=0)
        if self.warmup_epochs is not None:
            _check_int("warmup_epochs", self.warmup_epochs, minimum=0)
        if self.optimizer is not None and self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS} or None, got {self.optimizer!r}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")
        for name in ("lr", "weight_decay"):
            value = getattr(self, name)
            if value is not None and not value >= 0:
                raise ValueError(f"{name} must be >= 0 or None, got {value!r}")
        if not self.data:
            raise ValueError("data must name a folder of images")

    def to_dict(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)


def _check_int(name: str, value: Any, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
