"""How fast do the augmentation kernels alone turn decoded images into views?

Decoded uint8 images already in memory -> every view of a preset, normalized
float32, compared in one interleaved run:

- ``engine``: the C++ engine (``fastssl._C.Engine.run`` on decoded arrays) on N threads;
- ``cuda``: the engine's plan on the host (its counter-based draws) and
  ``fastssl._C_cuda.render_jobs``, with the images already in GPU memory.

Ratios are relative to the engine. Without a GPU (or without fastssl._C_cuda)
only the engine rows run, and the script says why. On a GPU machine:

    python benchmarks/bench_gpu_augment.py --data benchmarks/data/photos2000 \\
        --transforms simclr,dino --batch-size 256 --images 4096 --threads 16
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import torch

from _harness import Provider, Result, add_run_arguments, run_benchmark
from bench_loader import DATA_DIR, PRESETS, _choices, _spread_subset
from fastssl._ext import pillow_resize_pass_order
from fastssl.data import LightlyDataset
from fastssl.data.backends.cpp import engine_views
from fastssl.data.backends.cuda import cuda_unavailable, planning_engine, run_plan
from fastssl.jpeg import DEFAULT_MAX_PIXELS
from fastssl.transforms import DINOTransform, SimCLRTransform
from make_dataset import make_dataset

PRESET_SPECS: Dict[str, Callable[[int], object]] = {
    "simclr": lambda size: SimCLRTransform(input_size=size).spec,
    "dino": lambda size: DINOTransform(global_crop_size=size).spec,
}


def load_images(folder: Path, count: int) -> List[np.ndarray]:
    """The first ``count`` images of the folder (evenly spread), decoded to (H, W, 3) uint8."""
    subset = _spread_subset(LightlyDataset(input_dir=str(folder)), count)
    return [np.asarray(image) for image, _, _ in subset]


def engine_provider(spec, images: List[np.ndarray], batch: int, threads: int) -> Provider:
    import fastssl._C as native

    engine = native.Engine(engine_views(spec), [], seed=0, num_threads=threads, output="float32", dct_scaling=False,
                           max_pixels=DEFAULT_MAX_PIXELS, resample_order=pillow_resize_pass_order())
    outputs = [np.empty((batch, 3, v["height"], v["width"]), np.float32) for v in engine_views(spec)]
    epoch = iter(range(1 << 30))

    def run() -> int:
        e = next(epoch)
        for start in range(0, len(images), batch):
            chunk = images[start:start + batch]
            n = len(chunk)
            engine.run(np.arange(start, start + n), np.arange(n), e, outputs, chunk)
        return len(images)

    return run


def cuda_provider(spec, images: List[np.ndarray], batch: int) -> Provider:
    device = torch.device("cuda")
    engine = planning_engine(spec, [], seed=0)
    planar = [torch.from_numpy(image).to(device).permute(2, 0, 1).contiguous() for image in images]
    heights = [image.shape[1] for image in planar]
    widths = [image.shape[2] for image in planar]
    sources = np.array([image.data_ptr() for image in planar], np.uint64)
    outputs = [torch.empty((batch, 3, v["height"], v["width"]), dtype=torch.float32, device=device)
               for v in engine_views(spec)]
    addresses = [o.data_ptr() for o in outputs]
    epoch = iter(range(1 << 30))

    def run() -> int:
        e = next(epoch)
        for start in range(0, len(images), batch):
            end = min(start + batch, len(images))
            plan = engine.plan_gpu(np.arange(start, end), np.arange(end - start), heights[start:end],
                                   widths[start:end], sources[start:end], e, addresses)
            run_plan(plan, device)
        torch.cuda.synchronize()
        return len(images)

    return run


def main(argv: Optional[Sequence[str]] = None) -> List[Result]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help=f"image folder (default: generate {DATA_DIR}/synthetic<n>)")
    parser.add_argument("--transforms", default="simclr,dino", help="presets: " + ",".join(PRESET_SPECS))
    parser.add_argument("--input-size", type=int, default=224)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--images", type=int, default=1024, help="decoded images held in memory, per run")
    parser.add_argument("--threads", type=int, default=None, help="engine threads (default: all cores)")
    add_run_arguments(parser, "gpu_augment", runs=4, quick_help="smoke run: few small images, 1 run")
    args = parser.parse_args(argv)
    presets = _choices(args.transforms, PRESETS, "transform")
    if args.quick:
        args.images, args.batch_size, args.runs, args.warmup, args.input_size = 8, 4, 1, 0, 32
    n = 64 if args.quick else 2000
    data = args.data or make_dataset(DATA_DIR / f"synthetic{n}", n=n)
    threads = args.threads or len(os.sched_getaffinity(0))
    images = load_images(data, args.images)
    why_not = cuda_unavailable()
    if why_not:
        print(f"cuda rows left out: {why_not}")
    providers: Dict[str, Provider] = {}
    baselines: Dict[str, str] = {}
    for preset in presets:
        spec = PRESET_SPECS[preset](args.input_size)
        providers[f"engine {preset}"] = engine_provider(spec, images, args.batch_size, threads)
        baselines[f"engine {preset}"] = f"engine {preset}"
        if not why_not:
            providers[f"cuda {preset}"] = cuda_provider(spec, images, args.batch_size)
            baselines[f"cuda {preset}"] = f"engine {preset}"
    print(f"{len(images)} decoded images/run, batch {args.batch_size}, size {args.input_size}, "
          f"engine threads {threads}, {args.runs} runs, data {data}")
    return run_benchmark(args.name, providers, baselines, args.runs, args.warmup, "images/s", args.results)


if __name__ == "__main__":
    main()
