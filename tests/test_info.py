"""`python -m fastssl info` and the cached backend probes."""

import re
import subprocess
import sys

import pytest

import fastssl
from fastssl import _ext


def test_info_lists_version_and_every_backend():
    out = subprocess.run(
        [sys.executable, "-m", "fastssl", "info"], capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines()[0] == f"fastssl {fastssl.__version__}"
    for name in ["C++ extension", "CUDA extension", "GPU visible to torch", "NVIDIA DALI", "decord",
                 "PyAV", "Pillow", "Triton"]:
        assert re.search(rf"^\s+{re.escape(name)}.*\s(yes|no)\s", out, re.MULTILINE), name


def test_probes_are_cached_and_consistent():
    for probe in _ext.PROBES.values():
        assert probe() is probe()
    assert _ext.optional_module("fastssl_no_such_module") is None
    assert _ext.pyav().available == (_ext.optional_module("av") is not None)


def test_pillow_flavor_is_reported():
    probe = _ext.pillow()
    assert probe.available and re.match(r"Pillow(-SIMD)? \d", probe.detail)


def test_cpp_extension_is_built():
    # The package is installed by `pip install`, which always builds fastssl._C.
    assert _ext.cpp_extension().available, _ext.cpp_extension().detail


def test_cuda_extension_reports_its_runtime_when_built():
    probe = _ext.cuda_extension()
    if not probe.available:
        pytest.skip(probe.detail)
    assert re.fullmatch(r"built for CUDA \d+\.\d+", probe.detail)


@pytest.mark.cuda
@pytest.mark.skipif(not (_ext.gpu().available and _ext.cuda_extension().available),
                    reason="needs a CUDA GPU and the fastssl._C_cuda extension")
def test_normalize_on_gpu_matches_torch():
    import torch

    from fastssl.gpu import normalize_on_gpu

    images = torch.randint(0, 256, (3, 17, 29, 3), dtype=torch.uint8, device="cuda")
    mean, std = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
    expected = (images.permute(0, 3, 1, 2).float() / 255 - torch.tensor(mean, device="cuda")[:, None, None]) / (
        torch.tensor(std, device="cuda")[:, None, None]
    )
    torch.testing.assert_close(normalize_on_gpu(images, mean, std), expected, rtol=1e-5, atol=1e-5)
