"""Generate H.264 videos for the video benchmark: pan-and-zoom over photographs.

Each video moves a window smoothly across one photograph (or a synthetic scene
without ``--photos``) while zooming, so that consecutive frames differ like
real footage and the encoder's groups of pictures (GOP) behave as in real
videos. Deterministic for a given seed; existing files are kept.

    python benchmarks/make_videos.py --out benchmarks/data/videos --n 8 --frames 300 \
        --size 640x360 --gop 30,250 --photos ../shared/data/photos
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Optional, Sequence, Tuple, Union

import av
import numpy as np
from PIL import Image

from make_dataset import PHOTO_SUFFIXES


def _source(photos: Optional[Path], index: int, rng: np.random.Generator) -> Image.Image:
    if photos is not None:
        files = sorted(p for p in photos.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES)
        if not files:
            raise ValueError(f"no photographs in '{photos}'")
        return Image.open(files[index % len(files)]).convert("RGB")
    grid = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
    return Image.fromarray(grid).resize((1600, 1200), Image.BICUBIC)


def write_video(path: Path, source: Image.Image, frames: int, size: Tuple[int, int], gop: int,
                rng: np.random.Generator) -> None:
    """``frames`` frames of ``size`` (w, h): a window panning and zooming over ``source``."""
    width, height = size
    start, end = rng.uniform(0.1, 0.9, 2), rng.uniform(0.1, 0.9, 2)
    zoom_start, zoom_end = rng.uniform(0.5, 1.0, 2)
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.gop_size = gop
        stream.codec_context.options = {"preset": "veryfast", "crf": "23", "keyint_min": str(gop), "sc_threshold": "0"}
        for i in range(frames):
            t = i / max(frames - 1, 1)
            zoom = zoom_start + (zoom_end - zoom_start) * t
            box_w, box_h = source.width * zoom, source.width * zoom * height / width
            box_h = min(box_h, source.height)
            cx, cy = start + (end - start) * t
            x0 = (source.width - box_w) * cx
            y0 = (source.height - box_h) * cy
            frame = source.resize((width, height), Image.BILINEAR, box=(x0, y0, x0 + box_w, y0 + box_h))
            for packet in stream.encode(av.VideoFrame.from_image(frame)):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def make_videos(out: Union[str, Path], n: int, frames: int, size: Tuple[int, int], gops: Sequence[int],
                photos: Optional[Union[str, Path]] = None, seed: int = 0) -> Path:
    """Writes ``n`` videos into ``out`` (GOP sizes cycling through ``gops``) and returns ``out``."""
    out = Path(out)
    rng = np.random.default_rng(seed)
    for i in range(n):
        path = out / f"video_{i:03d}_gop{gops[i % len(gops)]}.mp4"
        source = _source(Path(photos) if photos else None, i, rng)
        if not path.exists():
            write_video(path, source, frames, size, gops[i % len(gops)], rng)
    return out


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--n", type=int, default=8, help="number of videos")
    parser.add_argument("--frames", type=int, default=300, help="frames per video")
    parser.add_argument("--size", default="640x360", help="WIDTHxHEIGHT")
    parser.add_argument("--gop", default="30,250", help="GOP sizes, cycled over the videos")
    parser.add_argument("--photos", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.split("x"))
    make_videos(args.out, args.n, args.frames, (width, height), [int(g) for g in args.gop.split(",")],
                args.photos, args.seed)


if __name__ == "__main__":
    main()
