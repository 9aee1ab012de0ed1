"""FastLoader: DataLoader-compatible batches from the engine, epochs, shards, fallbacks, errors."""

import gc
import os
import threading
import warnings

import numpy as np
import pytest
import torch
import torchvision.transforms as T
from torch.utils.data import DataLoader

from fastssl import _ext
from fastssl.data import FastLoader, LightlyDataset, MultiViewCollate, SimCLRCollateFunction
from fastssl.errors import ImageDecodeError
from fastssl.transforms import DINOTransform, SimCLRTransform, SimCLRViewTransform

pytestmark = pytest.mark.skipif(not _ext.cpp_extension().available, reason="fastssl._C not built")


@pytest.fixture
def folder(tmp_path, write_image):
    """Three classes of JPEGs with a PNG and a grayscale JPEG among them."""
    for label in range(3):
        for i in range(5):
            write_image(tmp_path / f"class_{label}" / f"img_{i}.jpg", size=(40 + i, 30 + label), seed=10 * label + i)
    write_image(tmp_path / "class_1" / "extra.png", size=(33, 27), seed=99)
    write_image(tmp_path / "class_2" / "gray.jpg", size=(36, 28), mode="L", seed=98)
    return tmp_path


def collect(loader):
    return list(loader)


def test_batches_have_the_dataloader_structure(folder):
    dataset = LightlyDataset(str(folder), transform=SimCLRTransform(input_size=24))
    reference = next(iter(DataLoader(dataset, batch_size=4)))
    loader = FastLoader(dataset, batch_size=4, num_threads=2)
    assert loader.backend == "cpp"
    views, targets, filenames = next(iter(loader))
    ref_views, ref_targets, ref_filenames = reference
    assert isinstance(views, list) and len(views) == len(ref_views) == 2
    for view, ref_view in zip(views, ref_views):
        assert view.shape == ref_view.shape and view.dtype == ref_view.dtype
    assert torch.equal(targets, ref_targets) and list(filenames) == list(ref_filenames)


def test_every_sample_once_in_dataloader_order(folder):
    dataset = LightlyDataset(str(folder), transform=SimCLRTransform(input_size=16))
    loader = FastLoader(dataset, batch_size=4, num_threads=2)
    names, targets = [], []
    for _, batch_targets, batch_names in loader:
        names += batch_names
        targets += batch_targets.tolist()
    assert names == dataset.get_filenames()
    assert targets == [dataset.dataset.samples[i][1] for i in range(len(dataset))]
    assert len(loader) == 5  # 17 samples in batches of 4


def test_single_view_transform_yields_a_tensor_and_dino_many_views(folder):
    single = FastLoader(LightlyDataset(str(folder), transform=SimCLRViewTransform(input_size=20)), batch_size=3)
    views, _, _ = next(iter(single))
    assert isinstance(views, torch.Tensor) and views.shape == (3, 3, 20, 20)
    dino = FastLoader(LightlyDataset(str(folder), transform=DINOTransform(global_crop_size=24, local_crop_size=12)),
                      batch_size=5)
    views, _, _ = next(iter(dino))
    assert [tuple(v.shape) for v in views] == [(5, 3, 24, 24)] * 2 + [(5, 3, 12, 12)] * 6


def test_collate_function_api_runs_on_the_engine(folder):
    dataset = LightlyDataset(str(folder))
    collate = SimCLRCollateFunction(input_size=20)
    reference = next(iter(DataLoader(dataset, batch_size=4, collate_fn=collate)))
    loader = FastLoader(dataset, batch_size=4, collate_fn=collate)
    assert loader.backend == "cpp"
    (x0, x1), targets, filenames = next(iter(loader))
    (r0, r1), ref_targets, ref_filenames = reference
    assert x0.shape == r0.shape and x1.shape == r1.shape
    assert torch.equal(targets, ref_targets) and list(filenames) == list(ref_filenames)
    with_views = FastLoader(LightlyDataset(str(folder), transform=SimCLRTransform(input_size=16)), batch_size=4,
                            collate_fn=MultiViewCollate())
    assert with_views.backend == "cpp" and len(next(iter(with_views))[0]) == 2


def test_epochs_change_augmentations_and_set_epoch_replays(folder):
    dataset = LightlyDataset(str(folder), transform=SimCLRTransform(input_size=16))
    loader = FastLoader(dataset, batch_size=17, seed=3)
    first = next(iter(loader))[0][0]
    second = next(iter(loader))[0][0]
    assert not torch.equal(first, second)
    loader.set_epoch(0)
    assert torch.equal(next(iter(loader))[0][0], first)
    same_seed = FastLoader(dataset, batch_size=17, seed=3, num_threads=1)
    assert torch.equal(next(iter(same_seed))[0][0], first)  # thread count does not matter


def test_shuffle_is_per_epoch_and_shards_partition_the_dataset(folder):
    dataset = LightlyDataset(str(folder), transform=SimCLRTransform(input_size=8))
    epochs = []
    for epoch in range(2):
        seen = []
        for rank in range(3):
            loader = FastLoader(dataset, batch_size=2, shuffle=True, seed=7, rank=rank, world_size=3)
            loader.set_epoch(epoch)
            names = [name for _, _, batch in loader for name in batch]
            assert len(names) == len(range(rank, len(dataset), 3))
            seen += names
        assert sorted(seen) == sorted(dataset.get_filenames())  # each sample exactly once across ranks
        epochs.append(seen)
    assert epochs[0] != epochs[1]
    dropped = FastLoader(dataset, batch_size=4, drop_last=True, rank=1, world_size=2)
    assert len(dropped) == 2 and len(collect(dropped)) == 2


def test_early_break_and_reiteration_leave_no_threads(folder):
    dataset = LightlyDataset(str(folder), transform=SimCLRTransform(input_size=16))
    loader = FastLoader(dataset, batch_size=2, prefetch=1)
    collect(loader)  # the loader's own thread pools start here and live as long as it does
    before = threading.active_count()
    for _ in range(3):
        for i, _batch in enumerate(loader):
            if i == 1:
                break
    assert len(collect(loader)) == len(loader)
    assert threading.active_count() == before


def test_other_transforms_fall_back_to_the_reference_path_with_one_warning(folder):
    compose = T.Compose([T.RandomResizedCrop(16), T.ToTensor()])
    dataset = LightlyDataset(str(folder), transform=compose)
    with pytest.warns(UserWarning, match="the transform Compose is not a fastssl preset or spec; using the reference"):
        loader = FastLoader(dataset, batch_size=4, num_threads=1)
    assert loader.backend == "python"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        views, targets, names = next(iter(loader))
    assert views.shape == (4, 3, 16, 16) and list(names) == dataset.get_filenames()[:4]
    with pytest.raises(ValueError, match="backend='cpp' cannot load this dataset: the transform Compose"):
        FastLoader(dataset, batch_size=4, backend="cpp")


def test_bad_arguments_are_named(folder):
    dataset = LightlyDataset(str(folder), transform=SimCLRTransform(input_size=8))
    for kwargs, message in [({"batch_size": 0}, "batch_size must be a positive int, got 0"),
                            ({"batch_size": 2, "backend": "gpu"}, "backend must be one of"),
                            ({"batch_size": 2, "on_error": "ignore"}, "on_error must be one of"),
                            ({"batch_size": 2, "rank": 2, "world_size": 2}, r"rank must be an int in \[0, 2\), got 2"),
                            ({"batch_size": 2, "prefetch": 0}, "prefetch must be a positive int, got 0")]:
        with pytest.raises(ValueError, match=message):
            FastLoader(dataset, **kwargs)


@pytest.mark.parametrize("backend", ["cpp", "python"])
def test_bad_file_raises_or_is_skipped(folder, backend):
    (folder / "class_0" / "img_2.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    dataset = LightlyDataset(str(folder), transform=SimCLRTransform(input_size=8))
    with pytest.raises(ImageDecodeError, match=r"class_0/img_2\.jpg"):
        collect(FastLoader(dataset, batch_size=4, backend=backend, num_threads=1))
    with pytest.warns(RuntimeWarning, match=r"skipping cannot decode '.*class_0/img_2\.jpg'"):
        batches = collect(FastLoader(dataset, batch_size=4, backend=backend, num_threads=1, on_error="skip"))
    names = [name for _, _, batch in batches for name in batch]
    assert names == [n for n in dataset.get_filenames() if n != "class_0/img_2.jpg"]
    assert sum(len(b[1]) for b in batches) == len(dataset) - 1


def test_reference_workers_never_finalize_garbage_of_the_parent(folder, tmp_path):
    """A garbage cycle holding a native object (a DALI pipeline, a decord reader) that a forked
    worker collects tears down threads that exist only in the parent: the reference path
    collects before its workers fork, so finalizers of earlier garbage run here."""
    finalized_in = tmp_path / "finalized_in"

    class Finalized:
        def __del__(self):
            finalized_in.write_text(str(os.getpid()))

    def collect_then_convert(image):
        gc.collect()  # what any allocation in the worker may trigger
        return T.functional.to_tensor(image.resize((8, 8)))

    dataset = LightlyDataset(str(folder), transform=collect_then_convert)
    with pytest.warns(UserWarning, match="not a fastssl preset"):
        loader = FastLoader(dataset, batch_size=4, num_threads=1)
    gc.disable()  # the cycle must outlive this process's automatic collections
    try:
        garbage = Finalized()
        garbage.cycle = garbage
        del garbage
        next(iter(loader))
    finally:
        gc.enable()
    assert finalized_in.read_text() == str(os.getpid())


def test_engine_and_reference_paths_agree_statistically(folder):
    """Same structure, and per-channel means of normalized views within sampling noise."""
    dataset = LightlyDataset(str(folder), transform=SimCLRTransform(input_size=16))
    engine = torch.cat([v for _ in range(8) for v in next(iter(FastLoader(dataset, batch_size=17)))[0]])
    reference = torch.cat([v for _ in range(8) for v in
                           next(iter(FastLoader(dataset, batch_size=17, backend="python", num_threads=1)))[0]])
    assert engine.shape == reference.shape
    assert np.allclose(engine.mean(dim=(0, 2, 3)), reference.mean(dim=(0, 2, 3)), atol=0.15)


def test_subsets_load_their_samples_on_the_engine(folder):
    dataset = LightlyDataset(str(folder), transform=SimCLRTransform(input_size=8))
    train, val = torch.utils.data.random_split(dataset, [12, 5], generator=torch.Generator().manual_seed(0))
    inner = torch.utils.data.Subset(val, [4, 0, 2])
    for subset in (train, val, inner):
        loader = FastLoader(subset, batch_size=4)
        assert loader.backend == "cpp" and len(loader) == -(-len(subset) // 4)
        names = [name for _, _, batch in loader for name in batch]
        assert names == [subset[i][2] for i in range(len(subset))]


@pytest.mark.parametrize("drop_last", [False, True], ids=["keep-last", "drop-last"])
def test_every_rank_gets_as_many_batches_and_each_sample_once(drop_last):
    """DDP needs equal batch counts on every rank; no sample repeats."""
    from fastssl.data.sampler import batches, shard_indices

    for num_samples in range(4, 40):
        for world_size in (1, 2, 3, 4):
            for batch_size in (2, 3, 5):
                shards = [batches(shard_indices(num_samples, shuffle=True, seed=1, epoch=0, rank=rank,
                                                world_size=world_size), batch_size, drop_last, num_samples, world_size)
                          for rank in range(world_size)]
                case = (num_samples, world_size, batch_size)
                assert len({len(shard) for shard in shards}) == 1, case
                seen = np.concatenate([b for shard in shards for b in shard]) if shards[0] else np.array([])
                assert len(set(seen.tolist())) == len(seen), case
                assert all(len(b) > 0 and len(b) <= batch_size for shard in shards for b in shard), case
                if not drop_last:
                    assert sorted(seen.tolist()) == list(range(num_samples)), case


def test_plain_torchvision_datasets_use_the_reference_path(folder):
    import torchvision

    dataset = torchvision.datasets.ImageFolder(str(folder), transform=SimCLRTransform(input_size=8))
    with pytest.warns(UserWarning, match="ImageFolder is not a LightlyDataset"):
        loader = FastLoader(dataset, batch_size=4, num_threads=1)
    assert loader.backend == "python"
    views, targets = next(iter(loader))
    assert len(views) == 2 and views[0].shape == (4, 3, 8, 8)


@pytest.mark.parametrize("backend", ["cpp", "python"])
def test_state_dict_resumes_mid_epoch_with_the_same_batches(folder, backend):
    dataset = LightlyDataset(str(folder), transform=SimCLRTransform(input_size=8))
    make = lambda: FastLoader(dataset, batch_size=4, shuffle=True, seed=3, num_threads=1, backend=backend)  # noqa: E731
    loader = make()
    loader.set_epoch(2)
    uninterrupted = collect(loader)
    loader.set_epoch(2)
    for index, _ in enumerate(loader):
        if index == 1:
            break
    state = loader.state_dict()
    assert state == {"epoch": 2, "batch": 2}
    resumed = make()
    resumed.load_state_dict(state)
    rest = collect(resumed)
    assert len(rest) == len(uninterrupted) - 2
    for batch, expected in zip(rest, uninterrupted[2:]):
        assert batch[2] == expected[2] and torch.equal(batch[1], expected[1])
        if backend == "cpp":  # counter-based augmentations: the same pixels too
            assert all(torch.equal(a, b) for a, b in zip(batch[0], expected[0]))
    assert resumed.state_dict() == {"epoch": 3, "batch": 0}
    with pytest.raises(ValueError, match="state\\['batch'\\] must be a non-negative int"):
        resumed.load_state_dict({"epoch": 0, "batch": -1})
