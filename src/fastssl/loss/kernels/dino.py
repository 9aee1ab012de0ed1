"""DINO loss value (Lightly's DINOLoss.forward without the center update): fused on the GPU, eager elsewhere.

    loss = -sum_{t != s} sum_b sum_d softmax((T_tb - c) / tau_t)_d log_softmax(S_sb / tau_s)_d / (n_terms * B)

with n_terms the number of (t, s) view pairs with t != s. The fused path runs
``dino_cross_entropy`` in chunks of the prototype dimension (65,536 in DINO):
no softmax or log-softmax of the (views x B x D) logits is ever stored.
"""

from __future__ import annotations

from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from fastssl.loss.kernels._dispatch import use_fused


def dino_loss(
    teacher_out: Sequence[Tensor],
    student_out: Sequence[Tensor],
    center: Tensor,
    teacher_temp: float = 0.04,
    student_temp: float = 0.1,
    fused: Optional[bool] = None,
) -> Tensor:
    """The DINO cross-entropy, equal to the value of Lightly's ``DINOLoss.forward``.

    The caller (the loss module) picks the teacher temperature and updates the
    center afterwards, as Lightly does.

    Args:
        teacher_out: One (B, D) tensor of teacher logits per teacher view.
        student_out: One (B, D) tensor of student logits per student view.
        center: The center subtracted from the teacher logits, D values (Lightly keeps (1, 1, D)).
        teacher_temp: Teacher temperature.
        student_temp: Student temperature.
        fused: None runs the Triton kernel on CUDA tensors (eager elsewhere),
            True forces it, False forces the eager reference.

    Returns:
        The scalar loss (float32 for half-precision inputs on the fused path).

    Raises:
        ValueError: If no pair of a teacher and a student view with different indices exists.

    >>> teacher = [torch.randn(8, 4096) for _ in range(2)]
    >>> student = [torch.randn(8, 4096) for _ in range(4)]
    >>> loss = dino_loss(teacher, student, center=torch.zeros(1, 1, 4096))
    """
    n_teacher, n_student = len(teacher_out), len(student_out)
    n_terms = n_teacher * n_student - min(n_teacher, n_student)
    if n_terms == 0:
        raise ValueError(
            "DINOLoss requires at least two views in total (the diagonal matching the same view index "
            f"is excluded), but got {n_teacher} teacher view(s) and {n_student} student view(s)"
        )
    teacher = torch.stack(list(teacher_out))
    student = torch.stack(list(student_out))
    if not use_fused(fused, teacher, student, center):
        return dino_reference(teacher, student, center, teacher_temp, student_temp)
    from fastssl.loss.kernels.dino_cross_entropy import DINOCrossEntropyFunction

    row = DINOCrossEntropyFunction.apply(teacher, student, center, float(teacher_temp), float(student_temp))
    return row.sum() / (n_terms * teacher.shape[1])


def dino_reference(
    teacher: Tensor, student: Tensor, center: Tensor, teacher_temp: float, student_temp: float
) -> Tensor:
    """The eager computation on stacked (views, B, D) logits, as in Lightly: the CPU path and the test oracle."""
    t_out = F.softmax((teacher - center.reshape(1, 1, -1)) / torch.tensor(teacher_temp), dim=-1)
    s_out = F.log_softmax(student / student_temp, dim=-1)
    loss = -torch.einsum("tbd,sbd->ts", t_out, s_out)
    loss.fill_diagonal_(0)
    n_terms = loss.numel() - loss.diagonal().numel()
    return loss.sum() / (n_terms * teacher.shape[1])
