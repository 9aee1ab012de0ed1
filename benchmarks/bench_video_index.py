"""How fast is a folder of many videos indexed (frame counts), vs decoding every frame's timestamp?

One interleaved run over ``--n`` short generated H.264 videos:
- ``decode timestamps``: decode every frame of every video with PyAV and collect its
  timestamp (what indexing costs when the frames must be decoded);
- ``fastssl cold``: ``VideoDataset`` indexing without cache (container counts, or
  demuxing without decoding), on ``--workers`` threads;
- ``fastssl cached``: the same with the frame-count cache warm (nothing opened).

    python benchmarks/bench_video_index.py --n 1000 --workers 2
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import av

from _harness import Provider, Result, add_run_arguments, run_benchmark
from fastssl.data._video import VideoDataset
from make_videos import make_videos

DATA_DIR = Path(__file__).resolve().parent / "data"


def decode_timestamps(videos: List[str]) -> Provider:
    def index() -> int:
        for path in videos:
            with av.open(path) as container:
                [frame.pts for frame in container.decode(video=0)]
        return len(videos)
    return index


def fastssl_index(root: Path, workers: int, cached: bool) -> Provider:
    def index() -> int:
        if not cached:  # a fresh, empty cache folder each time
            os.environ["FASTSSL_CACHE_DIR"] = tempfile.mkdtemp(prefix="fastssl-cold-")
        dataset = VideoDataset(str(root), extensions=(".mp4",), num_workers=workers,
                               tqdm_args={"disable": True}, index_cache=True)
        return len(dataset.videos)
    return index


def main(argv: Optional[Sequence[str]] = None) -> List[Result]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--videos", type=Path, default=None, help="folder of .mp4 videos (default: generate them)")
    parser.add_argument("--n", type=int, default=1000, help="videos to generate")
    parser.add_argument("--video-frames", type=int, default=60)
    parser.add_argument("--size", default="160x120")
    parser.add_argument("--workers", type=int, default=2, help="indexing threads")
    add_run_arguments(parser, "video_index", runs=3, quick_help="smoke run: 4 tiny videos, 1 run", warmup=False)
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.video_frames, args.size, args.runs = 4, 8, "64x48", 1
    width, height = (int(v) for v in args.size.split("x"))
    root = args.videos or make_videos(DATA_DIR / f"many_videos_{args.n}_{args.size}", args.n, args.video_frames,
                                      (width, height), [30])
    videos = sorted(str(p) for p in root.rglob("*.mp4"))
    warm_cache = tempfile.mkdtemp(prefix="fastssl-warm-")
    cold = fastssl_index(root, args.workers, cached=False)

    def cached() -> int:
        os.environ["FASTSSL_CACHE_DIR"] = warm_cache
        return fastssl_index(root, args.workers, cached=True)()

    cached()  # fills the warm cache
    providers: Dict[str, Provider] = {"decode timestamps": decode_timestamps(videos), "fastssl cold": cold,
                                      "fastssl cached": cached}
    print(f"{len(videos)} videos in {root}, {args.workers} indexing threads")
    return run_benchmark(args.name, providers, "decode timestamps", args.runs, 0, "videos/s", args.results)


if __name__ == "__main__":
    main()
