"""What every SSL method provides to the trainer.

A method is an ``nn.Module`` holding the backbone, its heads, any EMA teacher and
the loss; ``forward(views, epoch)`` returns the loss of one batch of views, so
that DistributedDataParallel can wrap the whole method. The trainer calls two
hooks around the optimizer step and builds the optimizer from ``recipe``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, ClassVar, List, Optional, Sequence, Tuple

from torch import Tensor, nn

from fastssl.models.utils import deactivate_requires_grad, update_momentum
from fastssl.train.backbones import Backbone
from fastssl.utils.scheduler import cosine_schedule

OPTIMIZERS = ("lars", "sgd", "adamw")


@dataclass(frozen=True)
class OptimizerRecipe:
    """A method's optimizer as its paper trains it.

    Attributes:
        name: "lars", "sgd" or "adamw".
        base_lr: Learning rate for a batch of 256; scaled linearly with the batch size.
        weight_decay: Weight decay (biases and norm layers get none).
        warmup_epochs: Linear warmup before the cosine decay.
        momentum: SGD/LARS momentum.
        weight_decay_end: Final weight decay of a cosine weight-decay schedule (DINO), or None.
        clip_grad_norm: Clip the gradient norm to this value before each step (DINO), or None.
        no_decay_lr_scale: Learning rate of biases and norm layers relative to the others
            (Barlow Twins: 0.0048 / 0.2).
    """

    name: str
    base_lr: float
    weight_decay: float
    warmup_epochs: int = 0
    momentum: float = 0.9
    weight_decay_end: Optional[float] = None
    clip_grad_norm: Optional[float] = None
    no_decay_lr_scale: float = 1.0


def local_crop_size(input_size: int) -> int:
    """Multi-crop's small crops: 96 pixels for 224 (DINO, SwaV), a multiple of 16 so ViTs take them."""
    return max(16, round(input_size * 96 / 224 / 16) * 16)


class SSLMethod(nn.Module):
    """Base class of the methods; subclasses set ``name`` and ``recipe`` and define forward.

    Attributes:
        backbone: The feature extractor that training produces (what ``export`` saves).
        gather_distributed: Gather the loss inputs over all ranks (set when world size > 1).
    """

    name: ClassVar[str]
    recipe: ClassVar[OptimizerRecipe]
    # Batch norm synchronized across GPUs (SimCLR, BYOL...); MoCo shuffles batches instead.
    uses_sync_batchnorm: ClassVar[bool] = True
    ema: Optional["EMASchedule"] = None  # set by add_teacher

    def __init__(self, backbone: Backbone, gather_distributed: bool = False):
        super().__init__()
        self.backbone = backbone.module
        self.feature_dim = backbone.feature_dim
        self.gather_distributed = gather_distributed

    @staticmethod
    def transform(input_size: int) -> Any:
        """The method's training transform (a fastssl preset) for ``input_size`` pixels."""
        raise NotImplementedError

    def optimizer_recipe(self) -> OptimizerRecipe:
        return self.recipe

    def forward(self, views: Sequence[Tensor], epoch: int) -> Tensor:  # type: ignore[override]
        raise NotImplementedError

    def on_after_backward(self, epoch: int) -> None:
        """Called after the gradients of a step are complete, before the optimizer step."""

    def on_after_step(self, step: int, total_steps: int) -> None:
        """Called after each optimizer step; ``step`` is its index (0 for the first). Moves the
        EMA teacher, for methods that have one (see add_teacher)."""
        if self.ema is not None:
            self.update_teacher(step, total_steps)

    def features(self, images: Tensor) -> Tensor:
        """Backbone features (B, D), as used for embeddings."""
        return self.backbone(images).flatten(1)

    def add_teacher(self, momentum: float, constant: bool = False) -> None:
        """An EMA teacher of the backbone and projection head (``backbone_momentum``,
        ``projection_head_momentum``), moved after every step by ``self.ema``."""
        self.ema = EMASchedule(momentum, constant=constant)
        self.backbone_momentum = self.ema.copy(self.backbone)
        self.projection_head_momentum = self.ema.copy(self.projection_head)

    def momentum_projection(self, images: Tensor) -> Tensor:
        """The EMA teacher's projection, for methods with ``backbone_momentum`` and ``projection_head_momentum``."""
        return self.projection_head_momentum(self.backbone_momentum(images).flatten(1))

    def update_teacher(self, step: int, total_steps: int) -> None:
        """Moves the EMA backbone and projection head towards the student's (``self.ema`` schedule)."""
        self.ema.update([(self.backbone, self.backbone_momentum),
                         (self.projection_head, self.projection_head_momentum)], step, total_steps)


class EMASchedule:
    """The momentum of EMA teachers over training, and the update that applies it.

    The momentum rises from ``start`` to 1 with a half cosine, as in BYOL and DINO,
    or stays at ``start`` with ``constant=True`` (MoCo).
    """

    def __init__(self, start: float, constant: bool = False):
        self.start = start
        self.constant = constant

    @staticmethod
    def copy(module: nn.Module) -> nn.Module:
        teacher = copy.deepcopy(module)
        deactivate_requires_grad(teacher)
        return teacher

    def momentum(self, step: int, total_steps: int) -> float:
        return self.start if self.constant else cosine_schedule(step, total_steps, self.start, 1.0)

    def update(self, pairs: List[Tuple[nn.Module, nn.Module]], step: int, total_steps: int) -> None:
        """Moves each (student, teacher) teacher towards its student."""
        m = self.momentum(step, total_steps)
        for student, teacher in pairs:
            update_momentum(student, teacher, m)
