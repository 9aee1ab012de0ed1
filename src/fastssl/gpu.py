"""GPU-side helpers that run fastssl._C_cuda kernels on torch tensors.

Batches travel as uint8 and are normalized as late as possible, on the GPU:

>>> views = normalize_on_gpu(batch_uint8_nhwc.cuda(), mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225))
"""

from __future__ import annotations

from typing import Sequence

import torch

from fastssl._ext import cuda_extension, require


def with_device_index(device: torch.device) -> torch.device:
    """``cuda`` as ``cuda:<current device>`` (where torch allocates it); other devices as they are."""
    if device.type == "cuda" and device.index is None:
        return torch.device("cuda", torch.cuda.current_device())
    return device


def normalize_on_gpu(images: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """(images / 255 - mean) / std for a CUDA uint8 (N, H, W, 3) batch -> float32 (N, 3, H, W).

    Runs on the current CUDA stream of the images' device.
    """
    kernels = require("fastssl._C_cuda", cuda_extension)
    if images.device.type != "cuda" or images.dtype != torch.uint8 or images.dim() != 4 or images.shape[-1] != 3:
        raise ValueError(
            f"expected a CUDA uint8 tensor of shape (N, H, W, 3), got {images.dtype} {tuple(images.shape)} "
            f"on {images.device}"
        )
    if len(mean) != 3 or len(std) != 3:
        raise ValueError(f"mean and std need 3 values each, got {list(mean)} and {list(std)}")
    images = images.contiguous()
    n, h, w, _ = images.shape
    out = torch.empty((n, 3, h, w), dtype=torch.float32, device=images.device)
    with torch.cuda.device(images.device):
        stream = torch.cuda.current_stream().cuda_stream
        kernels.normalize_hwc_u8_to_chw_f32(
            images.data_ptr(), out.data_ptr(), n, h, w, tuple(mean), tuple(std), stream
        )
    return out
