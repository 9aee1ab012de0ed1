"""DINO self-distillation loss with a centered teacher."""

from __future__ import annotations

from typing import Optional, Sequence

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import Tensor
from torch.nn import Module

from fastssl.loss._validation import check_views
from fastssl.loss.kernels import dino_loss, fused_available

_CENTER_MODES = ("mean",)


class DINOLoss(Module):
    """DINO loss [0], as in ``lightly.loss.DINOLoss``; follows the authors' code [1].

    Cross-entropy between the centered, sharpened teacher softmax and the student
    log-softmax over all pairs of different views. The center is a moving
    average of the teacher outputs (averaged over all processes when
    torch.distributed is initialized) and is a buffer in the state_dict, as in
    Lightly. A linear warmup of the teacher temperature over epochs is kept for
    backward compatibility.

    Half precision student outputs work too: the cross-entropy then runs in the
    promoted dtype of teacher and student probabilities (Lightly raises there).

    - [0]: DINO, 2021, https://arxiv.org/abs/2104.14294
    - [1]: https://github.com/facebookresearch/dino

    Args:
        output_dim: Dimension of the model output.
        warmup_teacher_temp: Teacher temperature at epoch 0 of the warmup.
        teacher_temp: Teacher temperature after the warmup.
        warmup_teacher_temp_epochs: Number of warmup epochs.
        student_temp: Student temperature.
        center_momentum: Momentum of the center's moving average.
        center_mode: How the batch center is computed; only "mean".

    Raises:
        ValueError: If ``center_mode`` is unknown.

    Examples:
        >>> loss_fn = DINOLoss(output_dim=128)
        >>> teacher_out = [torch.randn(8, 128) for _ in range(2)]
        >>> student_out = [torch.randn(8, 128) for _ in range(6)]
        >>> loss = loss_fn(teacher_out, student_out)
    """

    def __init__(
        self,
        output_dim: int = 65536,
        warmup_teacher_temp: float = 0.04,
        teacher_temp: float = 0.04,
        warmup_teacher_temp_epochs: int = 30,
        student_temp: float = 0.1,
        center_momentum: float = 0.9,
        center_mode: str = "mean",
    ) -> None:
        super().__init__()
        if center_mode not in _CENTER_MODES:
            raise ValueError(
                f"Unknown mode '{center_mode}'. Valid modes are {sorted(_CENTER_MODES)}."
            )
        self.teacher_temp = teacher_temp
        self.student_temp = student_temp
        self.center: Tensor
        self.register_buffer("center", torch.zeros(1, 1, output_dim))
        self.center_momentum = center_momentum
        self.warmup_teacher_temp_epochs = warmup_teacher_temp_epochs
        self.teacher_temp_schedule = torch.linspace(
            start=warmup_teacher_temp,
            end=teacher_temp,
            steps=warmup_teacher_temp_epochs,
        )

    def forward(
        self,
        teacher_out: Sequence[Tensor],
        student_out: Sequence[Tensor],
        teacher_temp: Optional[float] = None,
        epoch: Optional[int] = None,
    ) -> Tensor:
        """Returns the mean cross-entropy over all (teacher view, other student view) pairs.

        Updates the center with the teacher outputs afterwards.

        Args:
            teacher_out: One (batch_size, output_dim) tensor per teacher view.
            student_out: One (batch_size, output_dim) tensor per student view.
            teacher_temp: Teacher temperature; None uses the one of ``__init__``.
            epoch: Picks the warmup temperature when ``teacher_temp`` is None
                (backward compatibility).

        Raises:
            ValueError: If the views are not float tensors of one common shape
                (batch_size, output_dim), or there is a single view in total.
        """
        teacher_views = check_views("teacher_out", teacher_out)
        student_views = check_views("student_out", student_out)
        output_dim = self.center.shape[-1]
        if teacher_views[0].shape[1] != output_dim:
            raise ValueError(
                f"teacher_out must have output_dim {output_dim}, got shape "
                f"{tuple(teacher_views[0].shape)}"
            )
        if student_views[0].shape != teacher_views[0].shape:
            raise ValueError(
                "student_out must have the shape of teacher_out, "
                f"{tuple(teacher_views[0].shape)}, got {tuple(student_views[0].shape)}"
            )
        n_teacher, n_student = len(teacher_views), len(student_views)
        n_terms = n_teacher * n_student - min(n_teacher, n_student)
        if n_terms == 0:
            raise ValueError(
                "DINOLoss requires at least two views in total (the diagonal "
                "matching the same view index is excluded), but got "
                f"{n_teacher} teacher view(s) and {n_student} student view(s), "
                "which leaves no cross-view terms to compute the loss from."
            )

        temperature = self._teacher_temperature(teacher_temp, epoch)
        teacher_stacked = torch.stack(list(teacher_views))
        if fused_available(*teacher_views, *student_views):
            # Centering, both softmaxes and the cross-entropy fused and chunked on the GPU.
            loss = dino_loss(teacher_views, student_views, self.center, float(temperature), self.student_temp,
                             fused=True)
            self.update_center(teacher_stacked)
            return loss
        t_out = F.softmax((teacher_stacked - self.center) / temperature, dim=-1)
        s_out = F.log_softmax(
            torch.stack(list(student_views)) / self.student_temp, dim=-1
        )
        dtype = torch.promote_types(t_out.dtype, s_out.dtype)

        # t = teacher views, s = student views, b = batch, d = output_dim.
        loss = -torch.einsum("tbd,sbd->ts", t_out.to(dtype), s_out.to(dtype))
        loss.fill_diagonal_(0)
        loss = loss.sum() / (n_terms * teacher_stacked.shape[1])

        self.update_center(teacher_stacked)
        return loss

    def _teacher_temperature(
        self, teacher_temp: Optional[float], epoch: Optional[int]
    ) -> Tensor:
        """Returns the teacher temperature as a float32 tensor, as Lightly does."""
        if teacher_temp is not None:
            return torch.tensor(teacher_temp)
        if epoch is not None and epoch < self.warmup_teacher_temp_epochs:
            return self.teacher_temp_schedule[epoch]
        return torch.tensor(self.teacher_temp)

    @torch.no_grad()
    def update_center(self, teacher_out: Tensor) -> None:
        """Moving average update of the center with the teacher outputs.

        Args:
            teacher_out: Tensor with shape (num_views, batch_size, output_dim).
        """
        batch_center = torch.mean(teacher_out, dim=(0, 1), keepdim=True)
        if dist.is_available() and dist.is_initialized():
            dist.all_reduce(batch_center)
            batch_center = batch_center / dist.get_world_size()
        self.center.data = self.center * self.center_momentum + batch_center * (
            1 - self.center_momentum
        )
