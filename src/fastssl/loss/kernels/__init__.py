"""Fused Triton loss kernels with their eager PyTorch references.

Each functional loss runs its Triton kernel on CUDA tensors when Triton is
installed and the eager path otherwise (``fused=`` forces either); the
``*_reference`` functions are the test oracles. Triton is imported only when a
fused path runs.

>>> from fastssl.loss.kernels import ntxent_loss
>>> loss = ntxent_loss(torch.randn(256, 128), torch.randn(256, 128))
"""

from fastssl.loss.kernels._dispatch import fused_available
from fastssl.loss.kernels.barlow_twins import barlow_twins_loss, barlow_twins_reference
from fastssl.loss.kernels.dcl import dcl_loss, dcl_reference
from fastssl.loss.kernels.dino import dino_loss, dino_reference
from fastssl.loss.kernels.ntxent import ntxent_loss, ntxent_reference
from fastssl.loss.kernels.swav import sinkhorn_knopp, sinkhorn_knopp_reference
from fastssl.loss.kernels.vicreg import vicreg_covariance_loss, vicreg_covariance_reference

__all__ = [
    "barlow_twins_loss",
    "barlow_twins_reference",
    "dcl_loss",
    "dcl_reference",
    "dino_loss",
    "dino_reference",
    "fused_available",
    "ntxent_loss",
    "ntxent_reference",
    "sinkhorn_knopp",
    "sinkhorn_knopp_reference",
    "vicreg_covariance_loss",
    "vicreg_covariance_reference",
]
