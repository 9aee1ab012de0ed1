"""The CUDA backend: the kernels' per-pixel code (run on the CPU here) equals the
C++ engine byte for byte, and CudaRenderer's decoding, routing and error handling
work; the kernels themselves are checked on a GPU by the tests marked cuda."""

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from test_engine import (BAD_FILES, FILE_KINDS, NORMALIZE, check_bad_file, check_missing_file_and_absurd_size,
                         every_op_view, photo, write_files)

from fastssl import _ext
from fastssl.data import FastLoader, LightlyDataset
from fastssl.data.backends import cuda as cuda_backend
from fastssl.data.backends.cpp import CppRenderer, engine_views
from fastssl.data.backends.cuda import CudaRenderer
from fastssl.transforms import BYOLTransform, DINOTransform, SimCLRTransform
from fastssl.transforms.spec import (ColorJitterSpec, GaussianBlurSpec, MultiViewSpec, RandomResizedCropSpec,
                                     SolarizeSpec, ViewSpec)

native = pytest.importorskip("fastssl._C")

ON_GPU = _ext.gpu().available and _ext.cuda_extension().available
needs_gpu = pytest.mark.skipif(not ON_GPU, reason="needs a CUDA GPU and the fastssl._C_cuda extension")

# Stage boundaries the presets never hit: a contrast first, a contrast right after
# a blur, two blurs in a row.
STAGES_VIEW = ViewSpec(
    crop=RandomResizedCropSpec(size=(23, 31), scale=(0.3, 1.0)),
    ops=(ColorJitterSpec(prob=None, contrast=0.9), GaussianBlurSpec(1.0, (0.5, 3.0)),
         ColorJitterSpec(prob=None, contrast=0.7, hue=0.4), GaussianBlurSpec(1.0, (0.1, 1.0)),
         GaussianBlurSpec(0.7, (1.0, 2.0)), SolarizeSpec(0.5, 100)),
    normalize=NORMALIZE,
)
SPECS = {
    "every-op": MultiViewSpec(views=(every_op_view((40, 33)), every_op_view(24, "bicubic"),
                                     every_op_view(17, "nearest"))),
    "stages": MultiViewSpec(views=(STAGES_VIEW,)),
    "simclr": SimCLRTransform(input_size=64).spec,
    "byol": BYOLTransform(view_1_transform=None, view_2_transform=None).spec,
    "dino": DINOTransform(global_crop_size=48, local_crop_size=24).spec,
}


def sample_images():
    """Odd sizes, a 1-pixel image, a single row, a gray one, and one larger than the views."""
    images = [np.asarray(photo(97 + 13 * i, 71 + 7 * i, seed=i)) for i in range(3)]
    rng = np.random.default_rng(0)
    images.append(np.full((1, 1, 3), 77, np.uint8))
    images.append(rng.integers(0, 256, (1, 300, 3), dtype=np.uint8))
    images.append(np.repeat(rng.integers(0, 256, (45, 61, 1), dtype=np.uint8), 3, axis=2))
    images.append(np.asarray(photo(640, 480, seed=9)))
    return images


def engine_and_plan(spec, output, order, images, epoch, seed=3):
    """The engine's views of ``images`` and the GPU plan's, run on the CPU."""
    views = engine_views(spec)
    engine = native.Engine(views, [], seed=seed, num_threads=2, output=output, dct_scaling=False,
                           max_pixels=10**9, resample_order=order)
    n = len(images)
    dtype = np.float32 if output == "float32" else np.uint8
    expected = [np.zeros((n, 3, v["height"], v["width"]), dtype) for v in views]
    assert engine.run(np.arange(n), np.arange(n), epoch, expected, images) == []
    planar = [np.ascontiguousarray(image.transpose(2, 0, 1)) for image in images]
    got = [np.full_like(e, 7) for e in expected]
    rows = np.arange(n)[::-1].copy()  # any row order
    plan = engine.plan_gpu(np.arange(n), rows, [i.shape[0] for i in images], [i.shape[1] for i in images],
                           np.array([p.ctypes.data for p in planar], np.uint64), epoch, [g.ctypes.data for g in got])
    plan.run_on_cpu()
    return expected, [g[rows] for g in got], plan


@pytest.mark.parametrize("name", sorted(SPECS))
@pytest.mark.parametrize("output", ["float32", "uint8"])
@pytest.mark.parametrize("order", ["horizontal_first", "pillow13"])
def test_gpu_plan_equals_the_engine_byte_for_byte(name, output, order):
    images = sample_images()
    for epoch in range(3):
        expected, got, _ = engine_and_plan(SPECS[name], output, order, images, epoch)
        for e, g in zip(expected, got):
            np.testing.assert_array_equal(g, e)


def test_plan_schedules_the_stages_it_needs():
    _, _, plan = engine_and_plan(MultiViewSpec(views=(STAGES_VIEW,)), "float32", "pillow13", sample_images()[:3], 0)
    schedule = plan.schedule
    assert schedule["num_jobs"] == 3
    assert schedule["max_pixels"] == 23 * 31
    assert plan.work_bytes == 3 * 23 * 31 * 3
    # contrast | blur | contrast, hue | blur | blur? | solarize?
    assert schedule["num_stages"] >= 4 and schedule["blur_stages"] & 0b1010 == 0b1010
    assert schedule["pointwise_stages"] & 0b0101 == 0b0101
    assert len(plan.jobs) == 3 * native.GPU_JOB_BYTES


def test_plan_rejects_bad_arguments():
    engine = native.Engine(engine_views(SPECS["simclr"]), [], seed=0, num_threads=1, output="float32",
                           dct_scaling=False, max_pixels=10**9)
    out = [1, 2]
    with pytest.raises(ValueError, match="equal length"):
        engine.plan_gpu([0, 1], [0], [5, 5], [5, 5], np.array([1, 1], np.uint64), 0, out)
    with pytest.raises(ValueError, match="null source address for item 0"):
        engine.plan_gpu([0], [0], [5], [5], np.array([0], np.uint64), 0, out)
    with pytest.raises(ValueError, match="image 0 has an impossible size"):
        engine.plan_gpu([0], [0], [0], [5], np.array([1], np.uint64), 0, out)
    with pytest.raises(ValueError, match="one output buffer per view"):
        engine.plan_gpu([0], [0], [5], [5], np.array([1], np.uint64), 0, [1])
    with pytest.raises(ValueError, match="null output address"):
        engine.plan_gpu([0], [0], [5], [5], np.array([1], np.uint64), 0, [1, 0])
    huge = native.Engine(engine_views(MultiViewSpec(views=(ViewSpec(crop=RandomResizedCropSpec(size=50000)),))), [],
                         seed=0, num_threads=1, output="uint8", dct_scaling=False, max_pixels=10**9)
    with pytest.raises(ValueError, match="a view of item 0 is too large for the GPU renderer"):
        huge.plan_gpu([0], [0], [5], [5], np.array([1], np.uint64), 0, [1])


def test_cuda_extension_agrees_with_the_engine_on_the_job_layout():
    if not _ext.cuda_extension().available:
        pytest.skip(_ext.cuda_extension().detail)
    import fastssl._C_cuda as kernels

    assert kernels.GPU_JOB_BYTES == native.GPU_JOB_BYTES


class CpuCudaRenderer(CudaRenderer):
    """CudaRenderer with the device work on the CPU: torchvision's CPU JPEG decoder
    stands in for nvJPEG and the plan runs with the kernels' code in CPU loops."""

    def _execute(self, plan):
        plan.run_on_cpu()


@pytest.fixture
def cpu_renderer(monkeypatch):
    monkeypatch.setattr(cuda_backend, "cuda_unavailable", lambda: None)
    if not _ext.cuda_extension().available:
        pytest.skip(_ext.cuda_extension().detail)

    def make(spec, paths, root, **kwargs):
        return CpuCudaRenderer(spec, paths, root, device=torch.device("cpu"), **kwargs)

    return make


@pytest.mark.parametrize("kind", sorted(FILE_KINDS))
def test_renderer_equals_the_engine_for_every_file_kind(tmp_path, cpu_renderer, kind):
    paths = write_files(tmp_path, kind)
    spec = SPECS["every-op"]
    renderer = cpu_renderer(spec, paths, str(tmp_path), seed=5, num_threads=2)
    engine = CppRenderer(spec, paths, str(tmp_path), seed=5, num_threads=2, dct_scaling=False)
    for epoch in range(2):
        got, expected = renderer.render([3, 1, 2, 0], epoch), engine.render([3, 1, 2, 0], epoch)
        assert got.kept == [0, 1, 2, 3]
        for g, e in zip(got.views, expected.views):
            assert g.dtype == torch.float32
            assert torch.equal(g, e)  # torchvision's CPU decoder is libjpeg-turbo too


def test_decoded_frames_render_like_files(tmp_path, cpu_renderer):
    paths = write_files(tmp_path, "png", count=3)
    frames = [np.asarray(photo(50, 40, seed=i)) for i in range(3)]
    spec = SPECS["simclr"]
    got = cpu_renderer(spec, paths, str(tmp_path)).render([0, 1, 2], 4, decoded=[frames[0], None, frames[2]])
    expected = CppRenderer(spec, paths, str(tmp_path), dct_scaling=False).render(
        [0, 1, 2], 4, decoded=[frames[0], None, frames[2]])
    for g, e in zip(got.views, expected.views):
        assert torch.equal(g, e)


def test_decoded_frames_must_be_rgb(tmp_path, cpu_renderer):
    paths = write_files(tmp_path, "png", count=1)
    renderer = cpu_renderer(SPECS["simclr"], paths, str(tmp_path))
    with pytest.raises(ValueError, match=r"decoded images must be \(H, W, 3\) uint8 arrays, got uint8 \(5, 6, 1\)"):
        renderer.render([0], 0, decoded=[np.zeros((5, 6, 1), np.uint8)])


@pytest.mark.parametrize("bad", sorted(BAD_FILES))
def test_bad_files_raise_naming_the_file_or_are_skipped(tmp_path, cpu_renderer, bad):
    check_bad_file(cpu_renderer, tmp_path, bad)


def test_missing_file_and_absurd_size(tmp_path, cpu_renderer):
    check_missing_file_and_absurd_size(cpu_renderer, tmp_path)


def test_loader_says_why_it_cannot_use_the_cuda_backend(tmp_path, monkeypatch):
    write_files(tmp_path, "baseline", count=2)
    dataset = LightlyDataset(str(tmp_path), transform=SimCLRTransform(input_size=16))
    with pytest.raises(ValueError, match="backend='cuda' cannot load this dataset: it renders on a CUDA device"):
        FastLoader(dataset, batch_size=2, backend="cuda")
    if not ON_GPU:
        with pytest.raises(ValueError, match="backend='cuda' cannot load this dataset: (fastssl._C_cuda|no CUDA GPU)"):
            FastLoader(dataset, batch_size=2, backend="cuda", device="cuda")
    monkeypatch.setattr("fastssl.data.loader.cuda_unavailable", lambda: None)
    lambda_dataset = LightlyDataset(str(tmp_path), transform=lambda image: image)
    with pytest.raises(ValueError, match="the transform function is not a fastssl preset or spec"):
        FastLoader(lambda_dataset, batch_size=2, backend="cuda", device="cuda")
    assert FastLoader(dataset, batch_size=2, backend="cuda", device="cuda").backend == "cuda"


# -- on a GPU ---------------------------------------------------------------------------


def run_plan_on_gpu(spec, images, epoch, seed=3):
    """The kernels' views of ``images`` (uploaded), and the same plan run on the CPU."""
    views = engine_views(spec)
    engine = native.Engine(views, [], seed=seed, num_threads=1, output="float32", dct_scaling=False,
                           max_pixels=10**9)
    planar = [np.ascontiguousarray(image.transpose(2, 0, 1)) for image in images]
    on_gpu = [torch.from_numpy(p).cuda() for p in planar]
    n = len(images)
    outputs = [torch.full((n, 3, v["height"], v["width"]), 7.0, device="cuda") for v in views]
    sizes = ([i.shape[0] for i in images], [i.shape[1] for i in images])
    plan = engine.plan_gpu(np.arange(n), np.arange(n), *sizes, np.array([t.data_ptr() for t in on_gpu], np.uint64),
                           epoch, [o.data_ptr() for o in outputs])
    cuda_backend.run_plan(plan, torch.device("cuda"))
    torch.cuda.synchronize()
    on_cpu = [np.zeros((n, 3, v["height"], v["width"]), np.float32) for v in views]
    cpu_plan = engine.plan_gpu(np.arange(n), np.arange(n), *sizes, np.array([p.ctypes.data for p in planar], np.uint64),
                               epoch, [o.ctypes.data for o in on_cpu])
    cpu_plan.run_on_cpu()
    return [o.cpu().numpy() for o in outputs], on_cpu


@pytest.mark.cuda
@needs_gpu
@pytest.mark.parametrize("name", sorted(SPECS))
def test_kernels_equal_the_engine_byte_for_byte(name):
    for epoch in range(2):
        got, expected = run_plan_on_gpu(SPECS[name], sample_images(), epoch)
        for g, e in zip(got, expected):
            np.testing.assert_array_equal(g, e)


@pytest.mark.cuda
@needs_gpu
def test_renderer_on_gpu_matches_the_engine(tmp_path):
    spec = SPECS["every-op"]
    for kind in ("baseline", "progressive", "grayscale", "cmyk", "png"):
        folder = tmp_path / kind
        folder.mkdir()
        paths = write_files(folder, kind, count=6, size=(300, 200))
        got = CudaRenderer(spec, paths, str(folder), device=torch.device("cuda"), seed=5).render(range(6), 1)
        expected = CppRenderer(spec, paths, str(folder), seed=5, dct_scaling=False).render(range(6), 1)
        for g, e in zip(got.views, expected.views):
            assert g.device.type == "cuda"
            diff = (g.cpu() - e).abs() * 0.225 * 255  # in 8-bit levels
            if kind in ("cmyk", "png"):  # decoded on the CPU, as the engine does
                assert diff.max().item() < 1e-3, kind
            else:  # nvJPEG's IDCT and chroma upsampling are not libjpeg-turbo's; a hue shift
                # can turn a tiny difference on a near-gray pixel into a large one, so only the mean is bounded
                assert diff.mean().item() < 2.0, kind


@pytest.mark.cuda
@needs_gpu
def test_loader_with_the_cuda_backend(tmp_path):
    write_files(tmp_path, "baseline", count=10)
    dataset = LightlyDataset(str(tmp_path), transform=SimCLRTransform(input_size=32))
    loader = FastLoader(dataset, batch_size=4, backend="cuda", device="cuda", shuffle=True, seed=1)
    reference = FastLoader(dataset, batch_size=4, backend="cpp", shuffle=True, seed=1)
    for (views, targets, names), (ref_views, ref_targets, ref_names) in zip(loader, reference):
        assert names == ref_names and torch.equal(targets, ref_targets)
        assert [v.shape for v in views] == [v.shape for v in ref_views]
        assert all(v.device.type == "cuda" and v.dtype == torch.float32 for v in views)


SANITIZED = """
import numpy as np, sys
sys.path.insert(0, {tests!r})
from test_cuda_backend import SPECS, run_plan_on_gpu, sample_images
for name in sorted(SPECS):
    run_plan_on_gpu(SPECS[name], sample_images(), epoch=0)
"""


def _compute_sanitizer():
    cuda_home = os.environ.get("CUDA_HOME", "/usr/local/cuda")
    found = shutil.which("compute-sanitizer") or os.path.join(cuda_home, "bin", "compute-sanitizer")
    return found if os.path.isfile(found) else None


@pytest.mark.cuda
@needs_gpu
@pytest.mark.skipif(_compute_sanitizer() is None, reason="compute-sanitizer not on PATH nor in $CUDA_HOME/bin")
def test_kernels_stay_in_bounds_under_compute_sanitizer():
    script = SANITIZED.format(tests=os.path.dirname(__file__))
    result = subprocess.run([_compute_sanitizer(), "--error-exitcode", "1", "--tool", "memcheck", sys.executable,
                             "-c", script], capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
