"""Smoke tests of benchmarks/: the dataset generator, the harness and bench_loader.py.

Nothing here is timed: the harness is driven by a fake clock, and the loader
benchmark runs in --quick mode on a tiny generated set.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import lightly.data
import pytest
from PIL import Image, JpegImagePlugin

from fastssl._ext import optional_module

# The benchmark scripts import each other as top-level modules, as when run directly.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import _harness  # noqa: E402
import bench_gpu_augment  # noqa: E402
import bench_loader  # noqa: E402
import bench_memory  # noqa: E402
import bench_train  # noqa: E402
import bench_video  # noqa: E402
import bench_video_index  # noqa: E402
from make_dataset import MANIFEST, make_dataset  # noqa: E402
from make_dataset import main as make_dataset_main  # noqa: E402


def _images(root: Path):
    return sorted(p for p in root.rglob("*") if p.suffix in (".jpg", ".png"))


@pytest.fixture(scope="module")
def tiny_set(tmp_path_factory) -> Path:
    return make_dataset(tmp_path_factory.mktemp("tiny") / "set", n=12, classes=3)


@pytest.fixture
def photos(tmp_path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    for i, color in enumerate([(200, 30, 30), (30, 200, 90)]):
        Image.new("RGB", (900, 600), color).save(folder / f"photo_{i}.jpg")
    (folder / "notes.txt").write_text("not a photo")
    return folder


# --- make_dataset -------------------------------------------------------------


def test_make_dataset_writes_class_folders_lightly_can_read(tiny_set):
    dataset = lightly.data.LightlyDataset(input_dir=str(tiny_set))
    assert len(dataset) == 12
    assert sorted(p.name for p in tiny_set.iterdir() if p.is_dir()) == [
        "class_000",
        "class_001",
        "class_002",
    ]
    for path in _images(tiny_set):
        with Image.open(path) as img:
            assert img.format == "JPEG"
            assert 300 <= min(img.size) <= 500


def test_make_dataset_is_deterministic_per_seed(tmp_path, tiny_set):
    same = make_dataset(tmp_path / "same", n=12, classes=3, seed=0)
    other = make_dataset(tmp_path / "other", n=12, classes=3, seed=1)
    tiny_bytes = [p.read_bytes() for p in _images(tiny_set)]
    assert [p.read_bytes() for p in _images(same)] == tiny_bytes
    assert [p.read_bytes() for p in _images(other)] != tiny_bytes


def test_make_dataset_skips_a_finished_set_and_replaces_another(tmp_path):
    root = make_dataset(tmp_path / "set", n=6, classes=2)
    stamps = {p: p.stat().st_mtime_ns for p in _images(root)}
    make_dataset(root, n=6, classes=2)
    assert {p: p.stat().st_mtime_ns for p in _images(root)} == stamps

    make_dataset(root, n=3, classes=0)  # a different request: the old files go
    assert [p.relative_to(root).as_posix() for p in _images(root)] == [
        "img_000000.jpg",
        "img_000001.jpg",
        "img_000002.jpg",
    ]


def test_make_dataset_redoes_an_unfinished_set(tmp_path):
    root = make_dataset(tmp_path / "set", n=4, classes=0)
    manifest = json.loads((root / MANIFEST).read_text())
    (root / MANIFEST).write_text(json.dumps({**manifest, "complete": False}))
    (root / "img_000003.jpg").unlink()
    make_dataset(root, n=4, classes=0)
    assert len(_images(root)) == 4
    assert json.loads((root / MANIFEST).read_text())["complete"] is True


def test_make_dataset_mixes_jpeg_flavours(tmp_path):
    root = make_dataset(tmp_path / "set", n=60, classes=0)
    modes, progressive, subsampling = set(), set(), set()
    for path in _images(root):
        with Image.open(path) as img:
            modes.add(img.mode)
            progressive.add(bool(img.info.get("progressive")))
            if img.mode == "RGB":
                subsampling.add(JpegImagePlugin.get_sampling(img))
    assert modes == {"RGB", "L"}
    assert progressive == {True, False}
    assert subsampling == {0, 2}  # 4:4:4 and 4:2:0


def test_make_dataset_odd_adds_png_cmyk_tiny_and_huge(tmp_path):
    root = make_dataset(tmp_path / "set", n=40, classes=0, odd=True)
    kinds = {}
    for path in _images(root):
        with Image.open(path) as img:
            img.load()
            kinds[path.name] = (img.format, img.mode, min(img.size))
    assert kinds["img_000003.png"][0] == "PNG"
    assert kinds["img_000013.jpg"][1] == "CMYK"
    assert kinds["img_000023.jpg"][2] <= 40
    assert kinds["img_000033.jpg"][2] >= 1200
    assert len(lightly.data.LightlyDataset(input_dir=str(root))) == 40


def test_make_dataset_crops_photos(tmp_path, photos):
    root = make_dataset(tmp_path / "set", n=6, photos=photos, classes=0)
    colors = set()
    for path in _images(root):
        with Image.open(path) as img:
            assert 300 <= min(img.size) <= 500
            colors.add(max(range(3), key=lambda c: img.convert("RGB").getpixel((5, 5))[c]))
    assert colors == {0, 1}  # crops of both the red and the green photo
    manifest = json.loads((root / MANIFEST).read_text())
    assert manifest["request"]["photos"] == ["photo_0.jpg", "photo_1.jpg"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n": 0}, "n must be at least 1 but is 0"),
        ({"n": 2, "classes": -1}, "classes must be non-negative but is -1"),
    ],
    ids=["no-images", "negative-classes"],
)
def test_make_dataset_rejects_bad_arguments(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_dataset(tmp_path / "set", **kwargs)


def test_make_dataset_names_a_folder_without_photos(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no photo .* in '.*empty'"):
        make_dataset(tmp_path / "set", n=2, photos=tmp_path / "empty")


def test_make_dataset_command_line(tmp_path, photos, capsys):
    make_dataset_main(["--out", str(tmp_path / "set"), "--n", "5", "--photos", str(photos)])
    assert len(_images(tmp_path / "set")) == 5
    assert "5 images in" in capsys.readouterr().out


# --- harness ------------------------------------------------------------------


class FakeClock:
    """Stands in for time.perf_counter; providers advance it by their 'duration'."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(_harness.time, "perf_counter", fake)
    return fake


def _provider(clock, calls, name, seconds, items=100):
    def provide():
        calls.append(name)
        clock.now += seconds
        return items

    return provide


def test_harness_interleaves_warmup_and_runs(clock):
    calls = []
    providers = {n: _provider(clock, calls, n, 1.0) for n in "abc"}
    _harness.run_benchmark("t", providers, "a", runs=4, warmup=1, results_dir=None)
    assert "".join(calls) == "abc" + "abc" + "bca" + "cab" + "abc"  # warm-up, then rotated rounds


def test_harness_reports_medians_and_ratios(clock, tmp_path, capsys):
    durations = {"slow": iter([1.0, 4.0, 2.0, 2.0]), "fast": iter([0.5, 0.5, 0.25, 1.0])}

    def provider(name):
        def provide():
            clock.now += next(durations[name])
            return 100

        return provide

    providers = {"slow": provider("slow"), "fast": provider("fast")}
    results = _harness.run_benchmark(
        "pair", providers, "slow", runs=3, warmup=1, unit="img/s", results_dir=tmp_path
    )
    slow, fast = results
    assert slow.rates == [25.0, 50.0, 50.0] and slow.median == 50.0 and slow.ratio == 1.0
    assert fast.rates == [200.0, 400.0, 100.0] and fast.median == 200.0 and fast.ratio == 4.0

    out = capsys.readouterr().out
    assert "| fast | 200.0 | 100.0 | 400.0 | 4.00x | slow |" in out
    with open(tmp_path / "pair.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["provider"] for r in rows] == ["slow", "fast"]
    assert rows[1]["median img/s"] == "200.000" and rows[1]["ratio"] == "4.0000"
    assert rows[1]["runs"] == "200.000 400.000 100.000"
    assert (tmp_path / "pair.png").exists() == (optional_module("matplotlib") is not None)


def test_harness_takes_a_baseline_per_provider(clock):
    calls = []
    providers = {
        "x w0": _provider(clock, calls, "x w0", 1.0),
        "y w0": _provider(clock, calls, "y w0", 0.5),
        "x w1": _provider(clock, calls, "x w1", 1.0),
        "y w1": _provider(clock, calls, "y w1", 2.0),
    }
    baselines = {"x w0": "x w0", "y w0": "x w0", "x w1": "x w1", "y w1": "x w1"}
    results = _harness.run_benchmark("t", providers, baselines, runs=1, warmup=0, results_dir=None)
    assert [r.ratio for r in results] == [1.0, 2.0, 1.0, 0.5]


def test_harness_reports_groups_measured_apart(clock):
    calls = []
    rates = _harness.measure({"a": _provider(clock, calls, "a", 1.0)}, runs=2, warmup=1)
    rates.update(_harness.measure({"b": _provider(clock, calls, "b", 0.5)}, runs=2, warmup=0))
    results = _harness.report("t", rates, {"a": "a", "b": "a"}, results_dir=None)
    assert calls == ["a", "a", "a", "b", "b"]  # one group after the other
    assert [(r.name, r.ratio) for r in results] == [("a", 1.0), ("b", 2.0)]
    with pytest.raises(ValueError, match="baseline of 'b' must be a provider but is 'c'"):
        _harness.report("t", rates, {"a": "a", "b": "c"}, results_dir=None)


@pytest.mark.parametrize(
    "providers, baseline, runs, warmup, message",
    [
        ({}, "a", 1, 0, "providers must not be empty"),
        ({"a": lambda: 1}, "b", 1, 0, "baseline of 'a' must be a provider but is 'b'"),
        ({"a": lambda: 1}, {}, 1, 0, "baseline of 'a' must be a provider but is None"),
        ({"a": lambda: 1}, "a", 0, 0, "runs must be at least 1 but is 0"),
        ({"a": lambda: 1}, "a", 1, -1, "warmup must be non-negative but is -1"),
    ],
    ids=["no-providers", "unknown-baseline", "missing-baseline", "no-runs", "negative-warmup"],
)
def test_harness_rejects_bad_arguments(providers, baseline, runs, warmup, message):
    with pytest.raises(ValueError, match=message):
        _harness.run_benchmark("t", providers, baseline, runs, warmup, results_dir=None)


# --- bench_loader -------------------------------------------------------------


@pytest.mark.parametrize("loader", sorted(bench_loader.LOADERS))
@pytest.mark.parametrize("preset", sorted(bench_loader.PRESETS))
def test_loader_provider_counts_every_image(tiny_set, loader, preset):
    if not bench_loader.LOADERS[loader][0]():
        pytest.skip(f"{loader} is not available here")
    case = bench_loader.Case(tiny_set, preset, 32, workers=0, images=5, batch_size=2)
    provider = bench_loader.LOADERS[loader][1](case)
    assert provider() == 5
    assert provider() == 5  # the same work again on the next call


def test_bench_loader_quick_run(tiny_set, tmp_path, capsys):
    results = bench_loader.main(
        ["--quick", "--data", str(tiny_set), "--results", str(tmp_path), "--workers", "0,1"]
    )
    names = [r.name for r in results]
    available = [name for name, (is_available, _) in bench_loader.LOADERS.items() if is_available()]
    assert {"fastssl", "lightly", "engine", "decode-only"} <= set(available)
    assert names == [f"{loader} {preset} w{w}" for preset in ["simclr", "dino"] for w in [0, 1] for loader in available]
    baselines = {r.name: r.baseline for r in results}
    assert baselines["fastssl dino w1"] == baselines["engine dino w1"] == "lightly dino w1"
    assert all(r.median > 0 for r in results)
    assert "| fastssl simclr w0 |" in capsys.readouterr().out
    with open(tmp_path / "loader.csv") as f:
        assert [row["provider"] for row in csv.DictReader(f)] == names


def test_bench_gpu_augment_quick_run(tiny_set, tmp_path, capsys):
    results = bench_gpu_augment.main(["--quick", "--data", str(tiny_set), "--results", str(tmp_path)])
    on_gpu = bench_gpu_augment.cuda_unavailable() is None
    rows = [f"{backend} {preset}" for preset in ("simclr", "dino") for backend in ("engine", "cuda")[:1 + on_gpu]]
    assert [r.name for r in results] == rows
    assert all(r.median > 0 and r.baseline == "engine " + r.name.split()[1] for r in results)
    if not on_gpu:
        assert "cuda rows left out: " in capsys.readouterr().out


def test_bench_train_quick_run(tiny_set, tmp_path, capsys):
    results = bench_train.main(["--quick", "--data", str(tiny_set), "--results", str(tmp_path), "--workers", "0,1",
                                "--device", "cpu"])
    assert [(r.name, r.baseline) for r in results] == [
        ("fastssl", "reference w1"), ("reference w0", "reference w1"), ("reference w1", "reference w1")]
    assert all(r.median > 0 for r in results)
    out = capsys.readouterr().out
    assert "share of step time waiting for data" in out and "| fastssl |" in out
    assert (tmp_path / "train.csv").is_file()


def test_bench_video_quick_run(tmp_path, monkeypatch):
    pytest.importorskip("decord")
    monkeypatch.setattr(bench_video, "DATA_DIR", tmp_path)
    results = bench_video.main(["--quick", "--results", str(tmp_path)])
    assert [(r.name, r.baseline) for r in results] == [
        ("pyav per-frame", "pyav per-frame"), ("decord per-frame", "pyav per-frame"), ("grouped", "pyav per-frame"),
        ("grouped pyav", "pyav per-frame"), ("pyav per-frame + reference", "pyav per-frame + reference"),
        ("grouped + engine", "pyav per-frame + reference")]
    assert all(r.median > 0 for r in results) and (tmp_path / "video.csv").is_file()


def test_bench_video_index_quick_run(tmp_path, monkeypatch):
    monkeypatch.setattr(bench_video_index, "DATA_DIR", tmp_path)
    monkeypatch.setenv("FASTSSL_CACHE_DIR", str(tmp_path / "cache"))
    results = bench_video_index.main(["--quick", "--results", str(tmp_path)])
    assert [r.name for r in results] == ["decode timestamps", "fastssl cold", "fastssl cached"]
    assert all(r.median > 0 for r in results)


def test_bench_loader_without_lightly_compares_to_fastssl_w0(tiny_set, tmp_path, monkeypatch):
    monkeypatch.setitem(bench_loader.LOADERS, "lightly", (lambda: False, None))
    results = bench_loader.main(
        ["--quick", "--data", str(tiny_set), "--results", str(tmp_path), "--transforms", "simclr",
         "--loaders", "fastssl,lightly"]
    )
    assert [(r.name, r.baseline) for r in results] == [
        ("fastssl simclr w0", "fastssl simclr w0"),
        ("fastssl simclr w1", "fastssl simclr w0"),
        ("fastssl simclr w2", "fastssl simclr w0"),
    ]


def test_bench_loader_rejects_an_unknown_preset(tiny_set):
    with pytest.raises(SystemExit, match="unknown transform 'moco': choose from simclr, dino"):
        bench_loader.main(["--quick", "--data", str(tiny_set), "--transforms", "moco"])


# --- bench_memory -------------------------------------------------------------


def test_bench_memory_reports_a_peak_per_loader(tiny_set, tmp_path, capsys):
    peaks = bench_memory.main(["--data", str(tiny_set), "--batch-size", "2", "--batches", "2", "--workers", "1",
                               "--loaders", "fastssl,engine", "--results", str(tmp_path)])
    assert set(peaks) == {"fastssl", "engine"} and all(mib > 50 for mib in peaks.values())  # torch alone is more
    assert "| engine |" in capsys.readouterr().out
    with open(tmp_path / "memory.csv") as f:
        assert [row["loader"] for row in csv.DictReader(f)] == ["fastssl", "engine"]
