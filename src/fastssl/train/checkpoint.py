"""Checkpoints: written atomically, holding everything a run needs to continue exactly.

A checkpoint holds the config, the method (backbone, heads, teacher, and every
buffer, such as memory banks and DINO's center), optimizer and grad-scaler state, the step and epoch, the
loader position, every random generator's state and the log so far. It is
written to a temporary file in the same folder and renamed over the old one, so
a crash mid-write leaves the previous checkpoint intact. Everything is stored
as tensors and plain Python values, so it loads with ``weights_only=True``.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import Any, Dict, Union

import numpy as np
import torch

CHECKPOINT_NAME = "checkpoint.pt"
BACKBONE_PREFIX = "backbone."
CUSTOM_BACKBONE = "custom:"  # config.backbone of a run on a user module: "custom:<class name>"
# Settings a resumed run must share with its checkpoint: they fix shapes, batches and schedules.
RESUME_FIXED = ("method", "backbone", "input_size", "batch_size", "accumulate", "epochs", "optimizer", "lr",
                "weight_decay", "warmup_epochs", "seed", "precision", "method_kwargs")


def rank_state_path(checkpoint: Path, rank: int) -> Path:
    """Where rank ``rank`` > 0 keeps what differs per rank (memory banks, generators)."""
    return checkpoint.with_name(f"{checkpoint.stem}.rank{rank}{checkpoint.suffix}")


def check_resumable(state: Dict[str, Any], config: Dict[str, Any], world_size: int, path: Path) -> None:
    """ValueError naming the first setting that differs from the checkpoint's run."""
    for name in RESUME_FIXED:
        if state["config"].get(name) != config.get(name):
            raise ValueError(f"cannot resume '{path}' with {name}={config.get(name)!r}: its run has "
                             f"{name}={state['config'].get(name)!r}")
    if state["world_size"] != world_size:
        raise ValueError(f"cannot resume '{path}' on {world_size} processes: its run had {state['world_size']}")


def save_checkpoint(path: Union[str, Path], state: Dict[str, Any]) -> None:
    """Writes ``state`` to ``path`` atomically (temporary file, fsync, rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "wb") as file:
        torch.save(state, file)
        file.flush()
        os.fsync(file.fileno())
    os.replace(temporary, path)


def load_checkpoint(path: Union[str, Path], kind: str = "training", mmap: bool = False) -> Dict[str, Any]:
    """Reads a checkpoint (``kind="rank"``: a rank's own state); ValueError naming the file when it is not one.

    ``mmap=True`` maps the tensors instead of reading them: cheap when only the settings are wanted.
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no checkpoint at '{path}'")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True, mmap=mmap)
    except Exception as error:  # pickle, zip and torch errors all mean an unreadable file
        raise ValueError(f"cannot read checkpoint '{path}': {error}") from None
    required = ("config", "method") if kind == "training" else ("step", "buffers", "rng")
    if not isinstance(state, dict) or any(key not in state for key in required):
        raise ValueError(f"'{path}' is not a fastssl {kind} checkpoint")
    return state


def rng_state() -> Dict[str, Any]:
    """The state of Python's, NumPy's and torch's (CPU and CUDA) generators."""
    version, internal, gauss = random.getstate()
    name, keys, position, has_gauss, cached = np.random.get_state()
    return {
        "python": [version, list(internal), gauss],
        "numpy": [name, torch.from_numpy(keys.astype(np.int64)), position, has_gauss, cached],
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def set_rng_state(state: Dict[str, Any]) -> None:
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    name, keys, position, has_gauss, cached = state["numpy"]
    np.random.set_state((name, keys.numpy().astype(np.uint32), position, has_gauss, cached))
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def backbone_state_dict(checkpoint: Dict[str, Any]) -> Dict[str, torch.Tensor]:
    """The trained backbone's weights from a checkpoint, under the backbone library's own key names."""
    return {key[len(BACKBONE_PREFIX):]: value for key, value in checkpoint["method"].items()
            if key.startswith(BACKBONE_PREFIX)}
