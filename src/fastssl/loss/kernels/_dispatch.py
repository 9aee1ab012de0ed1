"""Chooses between a fused Triton kernel and its eager PyTorch reference.

This module does not import Triton, so that the eager path works where Triton
is not installed.
"""

from __future__ import annotations

from typing import Optional

import torch

from fastssl._ext import triton as triton_probe


def fused_available(*tensors: torch.Tensor) -> bool:
    """True if Triton is installed and every tensor lives on a CUDA device."""
    return triton_probe().available and all(t.device.type == "cuda" for t in tensors)


def use_fused(fused: Optional[bool], *tensors: torch.Tensor) -> bool:
    """Resolves the ``fused`` argument of a functional loss.

    Args:
        fused: None picks the fused kernel where it can run (CUDA tensors and
            Triton installed); True forces it (on CPU tensors it runs in Triton's
            interpreter, slowly: meant for tests); False forces the eager reference.
        tensors: The inputs of the loss.

    Raises:
        ImportError: If ``fused`` is True but Triton is not installed.
    """
    if fused is None:
        return fused_available(*tensors)
    if fused and not triton_probe().available:
        raise ImportError(f"fused=True needs Triton, which is unavailable: {triton_probe().detail}")
    return bool(fused)
