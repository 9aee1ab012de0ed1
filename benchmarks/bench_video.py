"""How many video frames/s does a training read order get, per reader?

One interleaved run over generated H.264 videos (pan-and-zoom over photographs,
``make_videos.py``), each provider reading ``--frames`` frames of one epoch:
- ``pyav per-frame``: frames in a fully shuffled order, each read on its own with
  PyAV (a seek to the keyframe before it, then decoding forward), as Lightly reads;
- ``decord per-frame``: the same order, each frame read on its own with decord;
- ``grouped``: runs of ``--chunk`` consecutive frames in shuffled order, read a batch
  at a time by ``VideoDataset.read_frames`` (each group of pictures decoded once)
  with the default readers (decord, or PyAV for videos with B-frames), and
  ``grouped pyav`` with PyAV only, the videos of a batch decoded on ``--threads`` threads;
and with the SimCLR augmentation: ``pyav per-frame + reference`` (torchvision on
each frame, the reference path) and ``grouped + engine`` (FastLoader on the C++ engine).

    python benchmarks/bench_video.py --photos ../shared/data/photos --size 640x360 --gop 30,250
"""

from __future__ import annotations

import argparse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np
from torch.utils.data import Subset

from _harness import Provider, Result, add_run_arguments, run_benchmark
from fastssl.data import FastLoader, LightlyDataset, _video
from fastssl.data.sampler import shard_indices
from fastssl.data.video_readers import DecordBackend, PyAVBackend, select_backend
from fastssl.transforms import SimCLRTransform
from make_videos import make_videos

DATA_DIR = Path(__file__).resolve().parent / "data"


def _dataset(root: Path, backend_class, transform=None) -> LightlyDataset:
    """A LightlyDataset of the video folder read with one backend."""
    original = _video.select_backend
    _video.select_backend = backend_class
    try:
        return LightlyDataset(str(root), transform=transform)
    finally:
        _video.select_backend = original


def per_frame(dataset: LightlyDataset, order: np.ndarray) -> Provider:
    def read() -> int:
        for index in order:
            dataset[int(index)]
        return len(order)
    return read


def grouped(dataset: LightlyDataset, order: np.ndarray, batch_size: int, threads: int) -> Provider:
    pool = ThreadPoolExecutor(threads)

    def read() -> int:
        for start in range(0, len(order), batch_size):
            dataset.dataset.read_frames(order[start:start + batch_size], pool=pool)
        return len(order)
    return read


def grouped_engine(dataset: LightlyDataset, order: np.ndarray, batch_size: int, threads: int) -> Provider:
    loader = FastLoader(Subset(dataset, order.tolist()), batch_size=batch_size, num_threads=threads, backend="cpp",
                        frames_per_chunk=1)  # the subset is already in chunked order

    def read() -> int:
        return sum(len(names) for _, _, names in loader)
    return read


def main(argv: Optional[Sequence[str]] = None) -> List[Result]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--videos", type=Path, default=None, help="folder of videos (default: generate them)")
    parser.add_argument("--photos", type=Path, default=None, help="photographs to pan over when generating")
    parser.add_argument("--n", type=int, default=8, help="videos to generate")
    parser.add_argument("--video-frames", type=int, default=300, help="frames per generated video")
    parser.add_argument("--size", default="640x360", help="WIDTHxHEIGHT of generated videos")
    parser.add_argument("--gop", default="30,250", help="GOP sizes of generated videos")
    parser.add_argument("--frames", type=int, default=128, help="frames read per timed run")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--chunk", type=int, default=32, help="consecutive frames per shuffled run")
    parser.add_argument("--threads", type=int, default=2, help="decoding and FastLoader threads")
    parser.add_argument("--input-size", type=int, default=224)
    add_run_arguments(parser, "video", runs=3, quick_help="smoke run: tiny videos, 1 run")
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.video_frames, args.size, args.frames, args.batch_size = 2, 24, "64x48", 16, 8
        args.chunk, args.runs, args.warmup, args.input_size, args.gop = 4, 1, 0, 16, "8,12"
    width, height = (int(v) for v in args.size.split("x"))
    gops = [int(g) for g in args.gop.split(",")]
    root = args.videos or make_videos(DATA_DIR / f"videos_{args.size}_{args.gop.replace(',', '-')}_{args.n}",
                                      args.n, args.video_frames, (width, height), gops, args.photos)

    pyav, decord = _dataset(root, PyAVBackend), _dataset(root, DecordBackend)
    n_frames = len(pyav)
    shuffled = shard_indices(n_frames, shuffle=True, seed=0, epoch=0, rank=0, world_size=1)[:args.frames]
    chunked = shard_indices(n_frames, shuffle=True, seed=0, epoch=0, rank=0, world_size=1,
                            chunk=args.chunk)[:args.frames]
    simclr = SimCLRTransform(input_size=args.input_size)
    providers: Dict[str, Provider] = {
        "pyav per-frame": per_frame(pyav, shuffled),
        "decord per-frame": per_frame(decord, shuffled),
        "grouped": grouped(_dataset(root, select_backend), chunked, args.batch_size, args.threads),
        "grouped pyav": grouped(pyav, chunked, args.batch_size, args.threads),
        "pyav per-frame + reference": per_frame(_dataset(root, PyAVBackend, simclr), shuffled),
        "grouped + engine": grouped_engine(_dataset(root, select_backend, simclr), chunked, args.batch_size,
                                           args.threads),
    }
    baselines = {name: "pyav per-frame + reference" if "+" in name else "pyav per-frame" for name in providers}
    print(f"{n_frames} frames in {len(pyav.dataset.videos)} videos at {args.size}, GOP {args.gop}; "
          f"{args.frames} frames/run, chunks of {args.chunk}, batch {args.batch_size}, {args.runs} runs")
    return run_benchmark(args.name, providers, baselines, args.runs, args.warmup, "frames/s", args.results)


if __name__ == "__main__":
    main()
