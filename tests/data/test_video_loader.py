"""Video folders through FastLoader: frames read in groups, augmented by the C++ engine."""

from __future__ import annotations

import os
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from fastssl import _ext
from fastssl.data import FastLoader, LightlyDataset, _video
from fastssl.data.loader import _Skipped, _SkipBadFiles
from fastssl.data.sampler import shard_indices
from fastssl.data.video_readers import DecordWithPyAVBackend, PyAVBackend, VideoError
from fastssl.transforms import SimCLRTransform
from fastssl.transforms.reference import ViewTransform
from fastssl.transforms.spec import RandomResizedCropSpec, ViewSpec

pytest.importorskip("av")
pytestmark = pytest.mark.skipif(not _ext.cpp_extension().available, reason="fastssl._C not built")


@pytest.fixture
def video_dir(tmp_path, write_video):
    """An H.264 video (decord), an MPEG-4 one with B-frames (PyAV) and a lossless one."""
    root = tmp_path / "videos"
    write_video(root / "a.mp4", 26, codec="libx264", gop=8, seed=1)
    write_video(root / "b.avi", 17, codec="mpeg4", gop=5, b_frames=2, seed=2)
    write_video(root / "sub" / "c.avi", 9, codec="ffv1", seed=3)
    return root


@pytest.fixture(params=["pyav", "decord_with_pyav"])
def backend(request, monkeypatch):
    if request.param == "decord_with_pyav" and not _ext.decord().available:
        pytest.skip("decord not installed")
    monkeypatch.setattr(_video, "select_backend", PyAVBackend if request.param == "pyav" else DecordWithPyAVBackend)


def _decode_all(path) -> list:
    """Every frame of a video, decoded in sequence with PyAV (the reference)."""
    import av

    with av.open(str(path)) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]


def test_grouped_reading_returns_the_sequentially_decoded_frames(video_dir, backend):
    dataset = LightlyDataset(str(video_dir)).dataset
    indices = [40, 3, 7, 4, 45, 27, 20, 3, 51, 0, 39]  # out of order, repeated, across videos
    reference = [frame for video in dataset.videos for frame in _decode_all(video)]
    for frame, index in zip(dataset.read_frames(indices), indices):
        assert np.array_equal(frame, reference[index]), index
    with ThreadPoolExecutor(2) as pool:  # the videos of a batch decoded in parallel
        for frame, index in zip(dataset.read_frames(indices, pool=pool), indices):
            assert np.array_equal(frame, reference[index]), index
    single = LightlyDataset(str(video_dir)).dataset  # and per-frame reading agrees
    for index in indices:
        assert np.array_equal(np.asarray(single[index][0]), reference[index]), index


def test_chunked_shards_keep_runs_whole_on_one_rank():
    shards = [shard_indices(100, shuffle=True, seed=3, epoch=0, rank=r, world_size=3, chunk=10) for r in range(3)]
    assert [len(s) for s in shards] == [34, 33, 33] and sorted(np.concatenate(shards).tolist()) == list(range(100))
    runs = [set(s.tolist()) for s in shards]
    for start in range(0, 100, 10):  # a run is split at most once, where one rank's share ends
        assert sum(bool(r & set(range(start, start + 10))) for r in runs) <= 2


def test_chunked_shuffle_moves_runs_of_frames_and_covers_each_once():
    orders = [shard_indices(103, shuffle=True, seed=1, epoch=2, rank=r, world_size=2, chunk=8) for r in range(2)]
    assert sorted(np.concatenate(orders).tolist()) == list(range(103))
    merged = shard_indices(104, shuffle=True, seed=1, epoch=2, rank=0, world_size=1, chunk=8)
    starts = merged[::8]
    assert all(start % 8 == 0 for start in starts)  # each run starts a chunk...
    assert sorted(starts.tolist()) != starts.tolist()  # ...and the chunks are shuffled
    assert all(np.array_equal(merged[i:i + 8], np.arange(merged[i], merged[i] + 8)) for i in range(0, 104, 8))


def test_fast_loader_renders_video_frames_on_the_engine(video_dir, backend):
    dataset = LightlyDataset(str(video_dir), transform=SimCLRTransform(input_size=16))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback warning
        loader = FastLoader(dataset, batch_size=8, shuffle=True, num_threads=2, frames_per_chunk=4)
    assert loader.backend == "cpp"
    names, targets = [], []
    for views, batch_targets, batch_names in loader:
        assert [v.shape[1:] for v in views] == [(3, 16, 16)] * 2 and len(views[0]) == len(batch_names)
        names += batch_names
        targets += batch_targets.tolist()
    expected = dataset.get_filenames()
    assert sorted(names) == sorted(expected) and len(names) == len(expected) == 52
    video_of = dict(zip(expected, dataset.dataset.frame_targets()))
    assert targets == [video_of[name] for name in names]


def test_video_views_equal_the_reference_for_a_fixed_crop(video_dir):
    # The whole 64x48 frame resized to 24x32: no random choice, so both paths compute the same pixels.
    spec = ViewSpec(crop=RandomResizedCropSpec(size=(24, 32), scale=(1.0, 1.0), ratio=(4 / 3, 4 / 3)))
    dataset = LightlyDataset(str(video_dir), transform=ViewTransform(spec))
    engine = torch.cat([views for views, _, _ in FastLoader(dataset, batch_size=16, num_threads=2)])
    reference = torch.cat([views for views, _, _ in DataLoader(dataset, batch_size=16)])
    assert torch.equal(engine, reference)


def test_a_failing_video_raises_or_loses_only_its_frames(video_dir, monkeypatch):
    dataset = LightlyDataset(str(video_dir), transform=SimCLRTransform(input_size=8))
    original = _video.VideoDataset._reader

    def reader(self, video_index):
        opened = original(self, video_index)
        if self.videos[video_index].endswith("b.avi"):
            def broken(numbers, allow_equal):
                raise VideoError("cannot decode video 'b.avi': corrupt data")
            monkeypatch.setattr(opened, "read_many", broken)
        return opened

    monkeypatch.setattr(_video.VideoDataset, "_reader", reader)
    with pytest.raises(VideoError, match="b.avi"):
        list(FastLoader(dataset, batch_size=8, num_threads=1))
    with pytest.warns(RuntimeWarning, match="skipping frames: cannot decode video 'b.avi'"):
        batches = list(FastLoader(dataset, batch_size=8, num_threads=1, on_error="skip"))
    names = [name for _, _, batch in batches for name in batch]
    assert names == [name for name in dataset.get_filenames() if not name.startswith("b-")]


def test_frame_counts_are_cached_until_a_video_changes(video_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("FASTSSL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(_video, "select_backend", PyAVBackend)
    first = LightlyDataset(str(video_dir))
    counted = []
    original = PyAVBackend.count_frames
    monkeypatch.setattr(PyAVBackend, "count_frames", lambda self, path, name: counted.append(name) or
                        original(self, path, name))
    again = LightlyDataset(str(video_dir))
    assert counted == [] and again.get_filenames() == first.get_filenames()

    video = video_dir / "b.avi"
    os.utime(video, ns=(video.stat().st_atime_ns, video.stat().st_mtime_ns + 10**9))  # touched: count it again
    LightlyDataset(str(video_dir))
    assert counted == ["b.avi"]
    LightlyDataset(str(video_dir))  # and remembered again
    assert counted == ["b.avi"]


def test_unwritable_cache_warns_and_counts(video_dir, monkeypatch, tmp_path):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("")
    monkeypatch.setenv("FASTSSL_CACHE_DIR", str(blocker))
    with pytest.warns(RuntimeWarning, match="cannot write the video index cache"):
        dataset = LightlyDataset(str(video_dir))
    assert len(dataset) == 52


def test_clips_share_their_random_parameters(tmp_path):
    """A still video (every frame the same): the T frames of a clip render identically, clips differ."""
    av = pytest.importorskip("av")
    root = tmp_path / "still"
    root.mkdir()
    frame = np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    with av.open(str(root / "still.avi"), "w") as container:
        stream = container.add_stream("ffv1", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for _ in range(20):
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    dataset = LightlyDataset(str(root), transform=SimCLRTransform(input_size=16))
    loader = FastLoader(dataset, batch_size=8, num_threads=2, clip_length=3, clip_stride=2)
    (views, targets, names), = list(loader)
    assert len(loader) == 1 and [v.shape for v in views] == [(3, 3, 3, 16, 16)] * 2  # clips at 0, 6, 12
    assert names == ["still-00-avi.png", "still-06-avi.png", "still-12-avi.png"] and targets.tolist() == [0, 0, 0]
    for view in views:
        for clip in view:
            assert torch.equal(clip[0], clip[1]) and torch.equal(clip[0], clip[2])
        assert not torch.equal(view[0, 0], view[1, 0])


def test_clip_windows_per_video(video_dir, tmp_path, write_image):
    dataset = LightlyDataset(str(video_dir), transform=SimCLRTransform(input_size=8))
    loader = FastLoader(dataset, batch_size=4, num_threads=2, clip_length=4, clip_stride=2, shuffle=True)
    names = sorted(name for _, _, batch in loader for name in batch)
    # a.mp4: 26 frames -> clips at 0, 8, 16; b.avi: 17 -> 0, 8; sub/c.avi: 9 -> 0 (windows of 4 x 2 frames)
    assert names == ["a-00-mp4.png", "a-08-mp4.png", "a-16-mp4.png", "b-00-avi.png", "b-08-avi.png",
                     "sub/c-0-avi.png"]
    with pytest.raises(ValueError, match="clip_length > 1 needs a LightlyDataset of a video folder"):
        write_image(tmp_path / "images" / "x.jpg")
        FastLoader(LightlyDataset(str(tmp_path / "images"), transform=SimCLRTransform(input_size=8)), batch_size=2,
                   clip_length=2)


def test_truncated_video_and_mixed_resolutions(tmp_path, write_video):
    """Videos of several sizes load together; a truncated one is counted by what it holds, not its header."""
    root = tmp_path / "videos"
    write_video(root / "small.avi", 12, codec="ffv1", size=(32, 24), seed=1)
    write_video(root / "large.avi", 12, codec="ffv1", size=(96, 64), seed=2)
    write_video(root / "cut.avi", 40, codec="mpeg4", gop=10, b_frames=2, seed=3)  # read with PyAV
    data = (root / "cut.avi").read_bytes()
    (root / "cut.avi").write_bytes(data[: len(data) // 2])  # the AVI header still promises 40 frames
    dataset = LightlyDataset(str(root), transform=SimCLRTransform(input_size=16))
    held = len(_decode_all(root / "cut.avi"))
    assert 0 < held < 40 and sum(name.startswith("cut-") for name in dataset.get_filenames()) == held
    batches = list(FastLoader(dataset, batch_size=64, num_threads=2, backend="cpp"))
    assert sorted(name for _, _, batch in batches for name in batch) == sorted(dataset.get_filenames())
    assert all(v.shape[1:] == (3, 16, 16) for views, _, _ in batches for v in views)


def test_a_frame_the_index_promised_but_the_file_lacks_is_a_video_error(video_dir, monkeypatch):
    dataset = LightlyDataset(str(video_dir)).dataset
    last_of_b = dataset.offsets[1] + 16
    monkeypatch.setattr(dataset, "_video_frame_count", lambda video_index: 99)  # an index that over-counts
    reader = dataset._reader(1)
    monkeypatch.setattr(reader, "read_many", lambda numbers, allow_equal: (_ for _ in ()).throw(
        IndexError("Frame 17 is out of range for video 'b.avi' with 17 frames.")))
    with pytest.raises(VideoError, match="with 17 frames. Its container promised 99: the file is truncated"):
        dataset.read_frames([last_of_b + 1])


def test_video_that_cannot_be_indexed_raises_or_is_skipped(tmp_path, write_video):
    root = tmp_path / "videos"
    write_video(root / "good.avi", 6, codec="ffv1", seed=1)
    (root / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 not really a video")
    with pytest.raises(VideoError, match="broken.mp4"):
        LightlyDataset(str(root))
    with pytest.warns(RuntimeWarning, match="skipping video: .*broken.mp4"):
        dataset = LightlyDataset(str(root), transform=SimCLRTransform(input_size=8), on_error="skip")
    assert dataset.get_filenames() == [f"good-{i}-avi.png" for i in range(6)]
    batches = list(FastLoader(dataset, batch_size=4, num_threads=1))
    assert sum(len(names) for _, _, names in batches) == 6


def test_empty_video_raises_or_is_skipped(tmp_path, write_video):
    import av

    root = tmp_path / "videos"
    write_video(root / "good.avi", 5, codec="ffv1", seed=1)
    with av.open(str(root / "empty.avi"), "w") as container:  # a stream, no frames
        stream = container.add_stream("ffv1", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        container.start_encoding()
    with pytest.raises(VideoError, match="video 'empty.avi' has no frames"):
        LightlyDataset(str(root))
    with pytest.warns(RuntimeWarning, match="skipping video: video 'empty.avi' has no frames"):
        dataset = LightlyDataset(str(root), on_error="skip")
    assert len(dataset) == 5


def test_reference_path_skips_bad_videos_too(video_dir, monkeypatch):
    """The reference path's skip policy turns a VideoError into a skipped sample, like a bad image.

    Checked on the wrapper the DataLoader workers run, in this process: forking workers from a
    test process whose other threads decoded video can crash them, which is not what is tested."""
    original = _video.VideoDataset._read

    def read(self, video_index, read_frame):
        if self.videos[video_index].endswith("b.avi"):
            raise VideoError("cannot decode video 'b.avi': corrupt data")
        return original(self, video_index, read_frame)

    monkeypatch.setattr(_video.VideoDataset, "_read", read)
    dataset = LightlyDataset(str(video_dir), transform=SimCLRTransform(input_size=8))
    samples = [_SkipBadFiles(dataset)[index] for index in range(len(dataset))]
    skipped = [name for name, sample in zip(dataset.get_filenames(), samples) if isinstance(sample, _Skipped)]
    assert skipped == [name for name in dataset.get_filenames() if name.startswith("b-")]
    assert all("cannot decode video 'b.avi'" in sample.message for sample in samples if isinstance(sample, _Skipped))
