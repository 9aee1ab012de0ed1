"""Batch renderers, one module per backend, all executing the same spec.

- ``python``: the reference (torchvision on PIL images, through a DataLoader);
- ``cpp``: the C++ engine in ``fastssl._C``;
- ``dali``: an NVIDIA DALI pipeline (GPU, or DALI's CPU-only mode);
- ``cuda``: nvJPEG decoding and the kernels in ``fastssl._C_cuda``, planned by the engine.
"""
