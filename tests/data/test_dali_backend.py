"""FastLoader(backend="dali") in DALI's CPU-only mode: structure, order, sharding, statistics, bad files."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from torch.utils.data import DataLoader

from fastssl import _ext
from fastssl.data import FastLoader, LightlyDataset
from fastssl.errors import ImageDecodeError
from fastssl.transforms import DINOTransform, SimCLRTransform
from fastssl.transforms.reference import ViewTransform
from fastssl.transforms.spec import (GaussianBlurSpec, GrayscaleSpec, HorizontalFlipSpec, RandomResizedCropSpec,
                                     SolarizeSpec, ViewSpec)

pytestmark = [pytest.mark.dali, pytest.mark.skipif(not _ext.dali().available, reason="NVIDIA DALI not installed")]


@pytest.fixture
def folder(tmp_path, write_image):
    """Two classes of JPEGs of varied sizes, a PNG and a grayscale JPEG."""
    for label in range(2):
        for i in range(6):
            write_image(tmp_path / f"class_{label}" / f"img_{i}.jpg", size=(40 + 3 * i, 30 + label), seed=10 * label + i)
    write_image(tmp_path / "class_1" / "extra.png", size=(33, 27), seed=99)
    write_image(tmp_path / "class_0" / "gray.jpg", size=(36, 28), mode="L", seed=98)
    return tmp_path


def test_batches_have_the_reference_structure_order_and_filenames(folder):
    for transform in (SimCLRTransform(input_size=24), DINOTransform(global_crop_size=32, local_crop_size=16)):
        dataset = LightlyDataset(str(folder), transform=transform)
        loader = FastLoader(dataset, batch_size=5, backend="dali", num_threads=2)
        assert loader.backend == "dali"
        reference = list(DataLoader(dataset, batch_size=5))
        batches = list(loader)
        assert len(batches) == len(reference) == len(loader)
        for (views, targets, names), (ref_views, ref_targets, ref_names) in zip(batches, reference):
            assert [v.shape for v in views] == [v.shape for v in ref_views]
            assert all(v.dtype == torch.float32 for v in views)
            assert torch.equal(targets, ref_targets) and list(names) == list(ref_names)


def test_shards_are_those_of_the_engine(folder):
    dataset = LightlyDataset(str(folder), transform=SimCLRTransform(input_size=16))
    for rank in range(3):
        names = {}
        for backend in ("dali", "cpp"):
            loader = FastLoader(dataset, batch_size=2, shuffle=True, seed=5, backend=backend, rank=rank,
                                world_size=3, num_threads=1)
            loader.set_epoch(1)
            names[backend] = [name for _, _, batch in loader for name in batch]
        assert names["dali"] == names["cpp"]


def test_same_seed_same_views(folder):
    dataset = LightlyDataset(str(folder), transform=SimCLRTransform(input_size=16))
    runs = [next(iter(FastLoader(dataset, batch_size=4, backend="dali", seed=3)))[0] for _ in range(2)]
    assert all(torch.equal(a, b) for a, b in zip(*runs))


def _rate(dataset_root, spec: ViewSpec, draws: int, detect) -> float:
    dataset = LightlyDataset(str(dataset_root), transform=ViewTransform(spec))
    loader = FastLoader(dataset, batch_size=len(dataset), backend="dali", seed=0, num_threads=2)
    hits = total = 0
    for _ in range(draws):
        views, _, _ = next(iter(loader))
        hits += int(detect(views).sum())
        total += len(views)
    return hits / total


def test_random_choices_have_the_spec_rates(tmp_path):
    """Flip, grayscale and solarize rates within 4 standard errors of the spec's probabilities."""
    width = 32
    ramp = np.repeat(np.linspace(30, 220, width, dtype=np.uint8)[None, :], 24, axis=0)
    for i in range(10):  # a horizontal ramp in colour: left dark, right bright
        pixels = np.stack([ramp, np.roll(ramp, i, axis=0) // 2, ramp // 3], axis=-1)
        Image.fromarray(pixels).save(tmp_path / f"img_{i}.png")
    full = RandomResizedCropSpec(size=(24, 32), scale=(1.0, 1.0), ratio=(4 / 3, 4 / 3))
    cases = [
        (HorizontalFlipSpec(prob=0.3), 0.3, lambda v: v[:, 0, :, :4].mean((1, 2)) > v[:, 0, :, -4:].mean((1, 2))),
        (GrayscaleSpec(prob=0.4), 0.4, lambda v: (v[:, 0] - v[:, 2]).abs().amax((1, 2)) < 0.02),
        (SolarizeSpec(prob=0.6, threshold=128), 0.6, lambda v: v[:, 0, :, -4:].mean((1, 2)) < 0.5),
    ]
    for op, prob, detect in cases:
        rate = _rate(tmp_path, ViewSpec(crop=full, ops=(op,)), draws=30, detect=detect)
        assert abs(rate - prob) < 4 * np.sqrt(prob * (1 - prob) / 300), (op, rate)


def test_channel_means_match_the_reference_path(folder):
    """SimCLR views: per-channel means of DALI and the reference agree within sampling noise."""
    dataset = LightlyDataset(str(folder), transform=SimCLRTransform(input_size=16))

    def means(loader):
        views = torch.cat([v for _ in range(12) for v in next(iter(loader))[0]])
        return views.mean((0, 2, 3)), views.mean((2, 3)).std(0) / np.sqrt(len(views))

    dali_mean, dali_err = means(FastLoader(dataset, batch_size=len(dataset), backend="dali", seed=1))
    ref_mean, ref_err = means(DataLoader(dataset, batch_size=len(dataset)))
    assert torch.all((dali_mean - ref_mean).abs() < 5 * torch.sqrt(dali_err ** 2 + ref_err ** 2)), (dali_mean, ref_mean)


def test_bad_files_raise_or_are_skipped_and_the_rest_loads(folder):
    (folder / "class_0" / "img_2.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    (folder / "class_1" / "img_4.jpg").write_bytes(b"")
    dataset = LightlyDataset(str(folder), transform=SimCLRTransform(input_size=8))
    with pytest.raises(ImageDecodeError, match=r"cannot decode 'class_0/img_2\.jpg': "):
        list(FastLoader(dataset, batch_size=4, backend="dali"))
    with pytest.warns(RuntimeWarning, match=r"skipping cannot decode '.*class_1/img_4\.jpg': the file is empty"):
        batches = list(FastLoader(dataset, batch_size=4, backend="dali", on_error="skip"))
    names = [name for _, _, batch in batches for name in batch]
    assert names == [n for n in dataset.get_filenames() if n not in ("class_0/img_2.jpg", "class_1/img_4.jpg")]
    assert all(len(views[0]) == len(batch) for views, _, batch in batches)


def test_dali_backend_refuses_what_it_cannot_run(folder):
    dataset = LightlyDataset(str(folder), transform=lambda image: image)
    with pytest.raises(ValueError, match="backend='dali' cannot load this dataset: the transform function"):
        FastLoader(dataset, batch_size=2, backend="dali")


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_gpu_pipeline_writes_cuda_tensors(folder):
    dataset = LightlyDataset(str(folder), transform=SimCLRTransform(input_size=16))
    loader = FastLoader(dataset, batch_size=4, device="cuda")
    assert loader.backend == "dali"
    views, targets, names = next(iter(loader))
    assert all(v.is_cuda and v.shape == (4, 3, 16, 16) for v in views) and len(names) == 4


def test_ranks_and_epochs_draw_different_augmentations(tmp_path, write_image):
    for i in range(4):
        write_image(tmp_path / f"img_{i}.jpg", size=(40, 30), seed=7)  # identical images
    dataset = LightlyDataset(str(tmp_path), transform=SimCLRTransform(input_size=16))
    views = {}
    for rank in range(2):
        loader = FastLoader(dataset, batch_size=2, backend="dali", rank=rank, world_size=2)
        views[rank, 0] = next(iter(loader))[0][0]
        views[rank, 1] = next(iter(loader))[0][0]  # the next epoch
    assert not torch.equal(views[0, 0], views[1, 0])
    assert not torch.equal(views[0, 0], views[0, 1])
    loader = FastLoader(dataset, batch_size=2, backend="dali", rank=0, world_size=2)
    assert torch.equal(next(iter(loader))[0][0], views[0, 0])  # an epoch repeats for one seed


def test_two_iterators_share_the_pipeline_without_deadlock(folder):
    dataset = LightlyDataset(str(folder), transform=SimCLRTransform(input_size=8))
    loader = FastLoader(dataset, batch_size=4, backend="dali")
    first, second = iter(loader), iter(loader)
    assert len(next(first)[2]) == len(next(second)[2]) == 4


def test_fixed_ranges_and_exif_orientation(tmp_path):
    pixels = np.random.default_rng(0).integers(0, 256, (20, 40, 3), dtype=np.uint8)
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees when displayed: the reference path ignores it
    Image.fromarray(pixels).save(tmp_path / "rotated.jpg", exif=exif)
    spec = ViewSpec(crop=RandomResizedCropSpec(size=(20, 40), scale=(1.0, 1.0), ratio=(2.0, 2.0)),
                    ops=(GaussianBlurSpec(prob=1.0, sigmas=(2.0, 2.0)),))
    dataset = LightlyDataset(str(tmp_path), transform=ViewTransform(spec))
    views, _, _ = next(iter(FastLoader(dataset, batch_size=1, backend="dali")))
    assert views.shape == (1, 3, 20, 40)


@pytest.fixture
def dali_videos(tmp_path):
    """Videos DALI's CPU mode decodes: VP9 in WebM and MJPEG in AVI."""
    av = pytest.importorskip("av")
    root = tmp_path / "videos"
    root.mkdir()
    rng = np.random.default_rng(0)
    for name, codec, pix_fmt, count in (("a.webm", "libvpx-vp9", "yuv420p", 10), ("b.avi", "mjpeg", "yuvj420p", 7)):
        with av.open(str(root / name), "w") as container:
            stream = container.add_stream(codec, rate=25)
            stream.width, stream.height, stream.pix_fmt = 64, 48, pix_fmt
            for _ in range(count):
                image = np.repeat(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8), 8, axis=0).repeat(8, axis=1)
                for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
    return root


def test_video_folder_through_dalis_video_reader(dali_videos):
    dataset = LightlyDataset(str(dali_videos), transform=SimCLRTransform(input_size=16))
    loader = FastLoader(dataset, batch_size=4, backend="dali", shuffle=True)
    assert loader.backend == "dali" and len(loader) == 5  # 17 frames
    for _ in range(2):  # two epochs: each frame once per epoch
        batches = list(loader)
        names = [name for _, _, batch in batches for name in batch]
        assert sorted(names) == sorted(dataset.get_filenames())
        video_of = dict(zip(dataset.get_filenames(), dataset.dataset.frame_targets()))
        for views, targets, batch in batches:
            assert [v.shape[1:] for v in views] == [(3, 16, 16)] * 2 and len(views[0]) == len(batch)
            assert targets.tolist() == [video_of[name] for name in batch]
    shards = [[n for _, _, b in FastLoader(dataset, batch_size=4, backend="dali", rank=r, world_size=2) for n in b]
              for r in range(2)]
    # Shards of 8 and 9 frames: DALI pads the first, whose last batch repeats its last frame once.
    assert set(shards[0]) | set(shards[1]) == set(dataset.get_filenames()) and not set(shards[0]) & set(shards[1])
    assert [len(shard) for shard in shards] == [9, 9]


def test_dali_video_frames_match_the_reference_path(dali_videos):
    spec = ViewSpec(crop=RandomResizedCropSpec(size=(24, 32), scale=(1.0, 1.0), ratio=(4 / 3, 4 / 3)))
    dataset = LightlyDataset(str(dali_videos), transform=ViewTransform(spec))
    dali = {name: view for views, _, batch in FastLoader(dataset, batch_size=8, backend="dali")
            for name, view in zip(batch, views)}
    for index, name in enumerate(dataset.get_filenames()):
        reference, _, _ = dataset[index]
        assert (dali[name] - reference).abs().mean() < 5 / 255, name  # two decoders' YUV->RGB conversions


def test_dali_video_ranks_get_equal_batches_and_an_early_break_keeps_epochs_whole(dali_videos):
    dataset = LightlyDataset(str(dali_videos), transform=SimCLRTransform(input_size=8))
    loaders = [FastLoader(dataset, batch_size=4, backend="dali", rank=r, world_size=2) for r in range(2)]
    assert len(loaders[0]) == len(loaders[1])  # 9 and 8 frames: DALI pads the short shard
    loader = FastLoader(dataset, batch_size=4, backend="dali", shuffle=True)
    for _ in loader:
        break  # leaves DALI's reader mid-epoch
    for _ in range(2):
        names = [name for _, _, batch in loader for name in batch]
        assert sorted(names) == sorted(dataset.get_filenames())
