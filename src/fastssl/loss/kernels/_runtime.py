"""Launch helpers shared by the Triton kernels: device-dependent kernel choice and dot precision.

CUDA tensors run the compiled kernel. CPU tensors run the same kernel in
Triton's interpreter (``triton.runtime.interpreter``), chosen per call rather
than through the process-wide ``TRITON_INTERPRET=1``, so that interpreted CPU
tests and compiled GPU runs can share one process.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from typing import Iterator

import numpy as np
import torch
from triton.runtime.interpreter import InterpretedFunction
from triton.runtime.jit import JITFunction

_interpreter_lock = threading.Lock()


@functools.lru_cache(maxsize=None)
def _interpreted_fn(fn) -> InterpretedFunction:
    return InterpretedFunction(fn)


def _interpreted(kernel: JITFunction) -> InterpretedFunction:
    return _interpreted_fn(kernel.fn)  # keyed by the Python function: hashing a JITFunction parses it


def _call_interpreted(self: JITFunction, *args, **kwargs):
    return _interpreted(self)(*args, **kwargs)


@contextlib.contextmanager
def _jit_calls_interpreted() -> Iterator[None]:
    """Makes ``@triton.jit`` helpers (``tl.zeros``, ``tl.sum``, ...) callable from an interpreted kernel.

    Triton builds them compiled unless ``TRITON_INTERPRET=1`` was set before it was
    imported; for the duration of one interpreted launch they run through the
    interpreter too.
    """
    # numpy warnings about exp(-inf) and log(0) in masked lanes are noise: the GPU ignores them too.
    with _interpreter_lock, np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        original = JITFunction.__call__
        JITFunction.__call__ = _call_interpreted
        try:
            yield
        finally:
            JITFunction.__call__ = original


def launch(kernel: JITFunction, grid, device: torch.device, *args, **kwargs) -> None:
    """Runs ``kernel[grid](*args, **kwargs)``: compiled on CUDA, in Triton's interpreter elsewhere."""
    if device.type == "cuda" or isinstance(kernel, InterpretedFunction):
        kernel[grid](*args, **kwargs)
        return
    with _jit_calls_interpreted():
        _interpreted(kernel)[grid](*args, **kwargs)


def dot_precision(dtype: torch.dtype) -> str:
    """``tl.dot`` input precision matching what torch.matmul would use for ``dtype``.

    float32 follows ``torch.backends.cuda.matmul.allow_tf32`` (False by default,
    hence exact "ieee" products); half types use tensor cores either way.
    """
    if dtype == torch.float32 and not torch.backends.cuda.matmul.allow_tf32:
        return "ieee"
    return "tf32"


def upcast_dot_operands(device: torch.device) -> bool:
    """Whether kernels convert dot operands to float32 first.

    Only in the interpreter, whose bfloat16 ``tl.dot`` returns wrong values
    (numpy has no bfloat16); on the GPU half-precision operands go to tensor cores.
    """
    return device.type != "cuda"
