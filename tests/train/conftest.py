"""Small generated image folders whose structure is known (colour classes, near-duplicates)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, List

import numpy as np
import pytest
from PIL import Image

COLOURS = [(200, 40, 40), (40, 200, 40), (40, 40, 200), (220, 220, 60)]


def _write_class_folder(root: Path, per_class: int, size: int, seed: int, square: bool = True) -> List[str]:
    """``class_k/img_i.jpg``: a flat colour with mild noise and (``square``) a random bright square."""
    rng = np.random.default_rng(seed)
    names = []
    for label, colour in enumerate(COLOURS):
        for index in range(per_class):
            pixels = np.clip(np.array(colour) + rng.normal(0, 12, (size, size + 8, 3)), 0, 255)
            top, left = rng.integers(0, size // 2, 2)
            if square:
                pixels[top:top + size // 3, left:left + size // 3] = 255
            path = root / f"class_{label}" / f"img_{index:02d}.jpg"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(pixels.astype(np.uint8)).save(path, quality=95)
            names.append(f"class_{label}/img_{index:02d}.jpg")
    return names


@pytest.fixture
def class_folder(tmp_path: Path) -> Callable[..., Path]:
    """Returns ``make(per_class=4, size=40, seed=0, square=True)``: a folder of 4 colour classes."""

    def make(per_class: int = 4, size: int = 40, seed: int = 0, square: bool = True) -> Path:
        root = tmp_path / f"images_{per_class}_{size}_{seed}_{square}"
        _write_class_folder(root, per_class, size, seed, square)
        return root

    return make


TINY = {"hidden_dim": 32, "output_dim": 16}
# Head sizes that keep every method's test run small (the defaults are the papers').
TINY_KWARGS = {
    "simclr": TINY, "byol": TINY, "simsiam": dict(TINY, prediction_hidden_dim=8),
    "barlowtwins": TINY, "vicreg": TINY, "moco": dict(TINY, memory_bank_size=32),
    "nnclr": dict(TINY, prediction_hidden_dim=32, memory_bank_size=32),
    "swav": dict(TINY, num_prototypes=8), "dino": {"hidden_dim": 32, "bottleneck_dim": 16, "num_prototypes": 32},
}


def tiny_run(method: str, data: Path, out: Path, **overrides: object) -> dict:
    """TrainConfig settings of a seconds-long CPU run of ``method``."""
    settings = dict(method=method, data=str(data), out=str(out), backbone="resnet18", epochs=2, batch_size=8,
                    input_size=32, num_threads=2, device="cpu", progress=False,
                    method_kwargs=TINY_KWARGS[method])
    settings.update(overrides)
    return settings
