"""How many images/s (each giving all its views) does each data loading path deliver?

Compares fastssl's reference path (a torch DataLoader over
``fastssl.data.LightlyDataset`` with a ``fastssl.transforms`` preset) with
Lightly itself (same DataLoader over ``lightly.data.LightlyDataset`` and
``lightly.transforms``), FastLoader on the C++ engine, on DALI (CPU-only mode,
and the GPU when there is one), on the CUDA backend (GPU only) and a
decode-only bound, for each preset and each number of DataLoader workers
(threads for the engine and DALI); the loaders of one preset and worker count
run interleaved, one such case after another. Loaders that are not installed
here are left out.
Ratios are relative to Lightly with the same workers (or to fastssl with 0
workers when Lightly is not installed).

    python benchmarks/bench_loader.py --data benchmarks/data/photos2000 \
        --transforms simclr,dino --workers 0,1,2 --images 256 --runs 3 --torch-threads 1

A new loading path is one entry in ``LOADERS``.
"""

from __future__ import annotations

import argparse
import gc
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
from torch.utils.data import DataLoader, Subset

from _harness import Provider, Result, add_run_arguments, measure, report
from fastssl._ext import cpp_extension, dali, gpu, optional_module, pillow
from fastssl.data.backends.cuda import cuda_unavailable
from make_dataset import make_dataset

DATA_DIR = Path(__file__).resolve().parent / "data"

# Preset name on the command line -> (class name, name of its input size argument).
PRESETS: Dict[str, Tuple[str, str]] = {
    "simclr": ("SimCLRTransform", "input_size"),
    "dino": ("DINOTransform", "global_crop_size"),
}


@dataclass(frozen=True)
class Case:
    """What one provider loads: a folder, a preset, and DataLoader settings."""

    data: Path
    preset: str
    input_size: int
    workers: int
    images: int
    batch_size: int


Factory = Callable[[Case], Provider]


def dataloader_provider(package: str) -> Factory:
    """A factory of providers iterating a torch DataLoader over ``<package>.data.LightlyDataset``.

    ``package`` is ``"fastssl"`` or ``"lightly"``: the two share names and signatures.
    """

    def make(case: Case) -> Provider:
        data = importlib.import_module(f"{package}.data")
        dataset = data.LightlyDataset(input_dir=str(case.data), transform=_transform(package, case))
        loader = DataLoader(
            _spread_subset(dataset, case.images),
            batch_size=case.batch_size,
            num_workers=case.workers,
            persistent_workers=case.workers > 0,  # worker start-up is not what we measure
        )
        return lambda: _count_images(loader)

    return make


def _transform(package: str, case: Case):
    """The case's preset from ``package`` ("fastssl" or "lightly": same names and arguments)."""
    class_name, size_arg = PRESETS[case.preset]
    return getattr(importlib.import_module(f"{package}.transforms"), class_name)(**{size_arg: case.input_size})


def _subset_dataset(case: Case, transform=None) -> Subset:
    """The images _spread_subset picks, of a fastssl LightlyDataset."""
    from fastssl.data import LightlyDataset

    return _spread_subset(LightlyDataset(input_dir=str(case.data), transform=transform), case.images)


def fastloader_provider(backend: str, device: Optional[str] = None) -> Factory:
    """fastssl.data.FastLoader on ``backend`` with max(1, workers) threads; ``device="cuda"``
    leaves batches on the GPU (the cuda and dali backends render there)."""

    def make(case: Case) -> Provider:
        from fastssl.data import FastLoader

        dataset = _subset_dataset(case, _transform("fastssl", case))
        loader = FastLoader(dataset, batch_size=case.batch_size, num_threads=max(1, case.workers), backend=backend,
                            device=device)
        return lambda: _count_images(loader)

    return make


def decode_only_provider(case: Case) -> Provider:
    """The physical bound: libjpeg-turbo full decodes of the same JPEGs on max(1, workers) threads."""
    from concurrent.futures import ThreadPoolExecutor

    from fastssl.jpeg import decode_jpeg

    subset = _subset_dataset(case)
    names = subset.dataset.get_filenames()
    paths = [str(case.data / names[i]) for i in subset.indices if names[i].lower().endswith((".jpg", ".jpeg"))]

    pool = ThreadPoolExecutor(max(1, case.workers))  # started once, like the engine's threads

    def decode_all() -> int:
        return sum(1 for _ in pool.map(decode_jpeg, paths))

    return decode_all


# Loader name -> (is it available here?, provider factory).
LOADERS: Dict[str, Tuple[Callable[[], bool], Factory]] = {
    "fastssl": (lambda: True, dataloader_provider("fastssl")),
    "lightly": (lambda: optional_module("lightly") is not None, dataloader_provider("lightly")),
    "engine": (lambda: cpp_extension().available, fastloader_provider("cpp")),
    "dali-cpu": (lambda: dali().available, fastloader_provider("dali")),
    "dali-gpu": (lambda: dali().available and gpu().available, fastloader_provider("dali", "cuda")),
    "cuda": (lambda: cuda_unavailable() is None, fastloader_provider("cuda", "cuda")),
    "decode-only": (lambda: cpp_extension().available, decode_only_provider),
}


def _spread_subset(dataset, images: int) -> Subset:
    """``images`` indices spread evenly over the dataset (so every class and size shows up)."""
    if images > len(dataset):
        raise ValueError(f"images must be at most the dataset size {len(dataset)} but is {images}")
    return Subset(dataset, [i * len(dataset) // images for i in range(images)])


def _count_images(loader: DataLoader) -> int:
    """Iterates one epoch; returns the number of images (each with all its views)."""
    count = 0
    for views, _targets, _filenames in loader:
        count += views[0].shape[0]
    if torch.cuda.is_available():
        torch.cuda.synchronize()  # GPU loaders: the work is done when the clock stops
    return count


def main(argv: Optional[Sequence[str]] = None) -> List[Result]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data", type=Path, help=f"image folder (default: generate {DATA_DIR}/synthetic<n>)"
    )
    parser.add_argument("--transforms", default="simclr,dino", help="presets: " + ",".join(PRESETS))
    parser.add_argument(
        "--loaders", default=",".join(LOADERS), help="loaders: " + ",".join(LOADERS)
    )
    parser.add_argument("--workers", default="0,1,2", help="DataLoader num_workers values")
    parser.add_argument("--input-size", type=int, default=224)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--images", type=int, default=128, help="images per run (best a multiple of workers x batch)"
    )
    parser.add_argument(
        "--torch-threads",
        type=int,
        help="torch threads of the main process (default: torch's choice; on a busy machine "
        "1 keeps num_workers=0 from losing its time to thread contention)",
    )
    add_run_arguments(parser, "loader", runs=4, quick_help="smoke run: few images, 1 run")
    args = parser.parse_args(argv)

    presets = _choices(args.transforms, PRESETS, "transform")
    loaders = [n for n in _choices(args.loaders, LOADERS, "loader") if LOADERS[n][0]()]
    if not loaders:
        raise SystemExit(f"none of the loaders '{args.loaders}' is available here")
    workers = [int(w) for w in args.workers.split(",")]
    if args.quick:
        args.images, args.batch_size, args.runs, args.warmup = 8, 4, 1, 0
    if args.torch_threads is not None:
        torch.set_num_threads(args.torch_threads)
    n = 64 if args.quick else 2000
    data = args.data or make_dataset(DATA_DIR / f"synthetic{n}", n=n)

    print(
        f"{args.images} images/run, batch {args.batch_size}, size {args.input_size}, "
        f"{args.runs} runs, torch threads {torch.get_num_threads()}, data {data}, "
        f"reference path on {pillow().detail}"
    )
    rates: Dict[str, List[float]] = {}
    baselines: Dict[str, str] = {}
    for preset in presets:
        for w in workers:
            # One case's loaders at a time, interleaved with each other: all of them at once
            # (their worker processes, prefetched batches, DALI pipelines) outgrew 24 GB.
            case = Case(data, preset, args.input_size, w, args.images, args.batch_size)
            providers: Dict[str, Provider] = {}
            for loader in loaders:
                name = f"{loader} {preset} w{w}"
                providers[name] = LOADERS[loader][1](case)
                baselines[name] = (
                    f"lightly {preset} w{w}"
                    if "lightly" in loaders
                    else f"{loaders[0]} {preset} w{workers[0]}"
                )
            rates.update(measure(providers, args.runs, args.warmup))
            del providers
            gc.collect()  # the loaders' workers and buffers go before the next case's start
    return report(args.name, rates, baselines, "images/s", args.results)


def _choices(text: str, allowed: Dict[str, object], what: str) -> List[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    for n in names:
        if n not in allowed:
            raise SystemExit(f"unknown {what} '{n}': choose from {', '.join(allowed)}")
    return names


if __name__ == "__main__":
    main()
