"""Generate an ImageNet-like image folder for benchmarks, without any download.

Images come either from random crops of a few real photographs (``--photos``)
or, without photos, from synthetic scenes (smooth gradients, shapes and noise,
so that JPEG files have realistic sizes). Each image has a short side of
300-500 px and is saved as JPEG at a random quality; a share is progressive,
grayscale or 4:4:4, and ``--odd`` adds PNG, CMYK, tiny and huge files.

The output is deterministic for a given ``--seed``. A ``manifest.json`` written
last records the request, so asking again for the same set does nothing.

    python benchmarks/make_dataset.py --out benchmarks/data/photos2000 --n 2000 \
        --photos /work/shared/data/photos
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import List, Optional, Sequence, Union

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

MANIFEST = "manifest.json"
PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png")
ASPECTS = (4 / 3, 3 / 4, 1.0, 16 / 9, 3 / 2, 2 / 3)
QUALITIES = (75, 85, 90, 95)
# With odd=True, image i whose i % ODD_PERIOD is a key becomes that odd kind.
ODD_PERIOD = 40
ODD_KINDS = {3: "png", 13: "cmyk", 23: "tiny", 33: "huge"}


def make_dataset(
    out: Union[str, Path],
    n: int,
    photos: Optional[Union[str, Path]] = None,
    classes: int = 10,
    seed: int = 0,
    odd: bool = False,
) -> Path:
    """Writes ``n`` images under ``out`` (skipped when already there) and returns ``out``.

    Args:
        out: Output root folder.
        n: Number of images.
        photos: Folder of source photographs (.jpg/.jpeg/.png); None for synthetic scenes.
        classes: Number of class sub-folders; 0 writes a flat folder.
        seed: Seed of the generator; the same arguments give the same files.
        odd: Also write PNG, CMYK, tiny and huge images (one of each per 40 images).

    Returns:
        The output folder.

    Raises:
        ValueError: If ``n`` or ``classes`` is out of range, or ``photos`` holds no photo.

    >>> root = make_dataset("/tmp/fastssl_doc_set", n=4, classes=2)
    >>> sorted(p.name for p in root.iterdir())
    ['class_000', 'class_001', 'manifest.json']
    """
    if n < 1:
        raise ValueError(f"n must be at least 1 but is {n}")
    if classes < 0:
        raise ValueError(f"classes must be non-negative but is {classes}")
    out = Path(out)
    photo_paths = _photo_paths(Path(photos)) if photos is not None else []
    request = {
        "n": n,
        "photos": [p.name for p in photo_paths] if photos is not None else None,
        "classes": classes,
        "seed": seed,
        "odd": odd,
    }
    previous = _read_manifest(out)
    if previous is not None and previous["request"] == request and previous["complete"]:
        return out
    if previous is not None:  # another (or an unfinished) set: remove its files first
        for name in previous["files"]:
            (out / name).unlink(missing_ok=True)

    names = [_relative_path(i, classes, odd) for i in range(n)]
    out.mkdir(parents=True, exist_ok=True)
    _write_manifest(out, request, names, complete=False)
    sources = [Image.open(p).convert("RGB") for p in photo_paths]
    for i, name in enumerate(names):
        _write_image(out / name, i, sources, seed, odd)
    _write_manifest(out, request, names, complete=True)
    return out


def _photo_paths(folder: Path) -> List[Path]:
    if not folder.is_dir():
        raise ValueError(f"photos must be a folder but '{folder}' is not one")
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES)
    if not paths:
        raise ValueError(f"no photo ({', '.join(PHOTO_SUFFIXES)}) in '{folder}'")
    return paths


def _relative_path(i: int, classes: int, odd: bool) -> str:
    folder = f"class_{i % classes:03d}/" if classes else ""
    suffix = ".png" if odd and ODD_KINDS.get(i % ODD_PERIOD) == "png" else ".jpg"
    return f"{folder}img_{i:06d}{suffix}"


def _write_manifest(out: Path, request: dict, names: List[str], complete: bool) -> None:
    manifest = {"request": request, "complete": complete, "files": names}
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1))


def _read_manifest(out: Path) -> Optional[dict]:
    try:
        return json.loads((out / MANIFEST).read_text())
    except (OSError, ValueError):
        return None


def _write_image(
    path: Path, i: int, sources: Sequence[Image.Image], seed: int, odd: bool
) -> None:
    rng = np.random.default_rng([seed, i])
    short = int(rng.integers(300, 501))
    aspect = float(rng.choice(ASPECTS))
    size = (round(short * aspect), short) if aspect >= 1 else (short, round(short / aspect))
    img = _photo_crop(sources, size, rng) if sources else _synthetic(size, rng)

    path.parent.mkdir(parents=True, exist_ok=True)
    kind = ODD_KINDS.get(i % ODD_PERIOD) if odd else None
    if kind == "png":
        img.save(path)
    elif kind == "cmyk":
        img.convert("CMYK").save(path, quality=90)
    elif kind == "tiny":
        img.resize(tuple(int(s) for s in rng.integers(8, 41, size=2))).save(path)
    elif kind == "huge":
        img.resize((img.width * 4, img.height * 4), Image.BILINEAR).save(path, quality=90)
    else:
        _save_jpeg(img, path, rng)


def _save_jpeg(img: Image.Image, path: Path, rng: np.random.Generator) -> None:
    """Random quality; 5% grayscale, 10% progressive, 10% 4:4:4, the rest 4:2:0."""
    quality = int(rng.choice(QUALITIES))
    r = rng.random()
    if r < 0.05:
        img.convert("L").save(path, quality=quality)
    elif r < 0.15:
        img.save(path, quality=quality, progressive=True)
    elif r < 0.25:
        img.save(path, quality=quality, subsampling=0)
    else:
        img.save(path, quality=quality)


def _photo_crop(sources: Sequence[Image.Image], size, rng: np.random.Generator) -> Image.Image:
    """A random crop of a random photo, with the aspect of ``size``, resized to ``size``."""
    src = sources[int(rng.integers(len(sources)))]
    aspect = size[0] / size[1]
    max_w = min(src.width, round(src.height * aspect))
    cw = int(rng.integers(max(16, max_w // 3), max_w + 1))
    ch = max(1, min(src.height, round(cw / aspect)))
    x0 = int(rng.integers(src.width - cw + 1))
    y0 = int(rng.integers(src.height - ch + 1))
    img = src.crop((x0, y0, x0 + cw, y0 + ch)).resize(size, Image.BILINEAR)
    return img.transpose(Image.FLIP_LEFT_RIGHT) if rng.random() < 0.5 else img


def _synthetic(size, rng: np.random.Generator) -> Image.Image:
    """A smooth two-colour gradient with a few soft shapes and sensor-like noise."""
    w, h = size
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    t = (x * np.cos(angle) + y * np.sin(angle)) / np.hypot(w, h) + 0.5
    c0, c1 = rng.uniform(0, 255, size=(2, 3)).astype(np.float32)
    base = c0 + t[..., None] * (c1 - c0)
    img = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))

    draw = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(3, 9))):
        x0, y0 = rng.uniform(-0.2, 1.0) * w, rng.uniform(-0.2, 1.0) * h
        x1, y1 = x0 + rng.uniform(0.1, 0.6) * w, y0 + rng.uniform(0.1, 0.6) * h
        color = tuple(int(c) for c in rng.integers(0, 256, size=3))
        shape = draw.ellipse if rng.random() < 0.5 else draw.rectangle
        shape((x0, y0, x1, y1), fill=color)
    img = img.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.5, 3.0))))

    noise = rng.normal(0.0, rng.uniform(3.0, 10.0), size=(h, w, 3))
    return Image.fromarray(np.clip(np.asarray(img) + noise, 0, 255).astype(np.uint8))


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, help="output root folder")
    parser.add_argument("--n", type=int, default=2000, help="number of images")
    parser.add_argument("--photos", help="folder of source photographs (default: synthetic)")
    parser.add_argument("--classes", type=int, default=10, help="class sub-folders (0: flat)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--odd", action="store_true", help="add PNG, CMYK, tiny and huge images")
    args = parser.parse_args(argv)
    out = make_dataset(args.out, args.n, args.photos, args.classes, args.seed, args.odd)
    print(f"{args.n} images in {out}")


if __name__ == "__main__":
    main()
