"""Embeddings of a folder of images with a trained backbone, saved as .npy + Lightly CSV.

The evaluation transform is deterministic: the largest centered square, resized
to the training input size, normalized with ImageNet statistics. It is a spec,
so FastLoader runs it on the C++ engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Tuple, Union

import numpy as np
import torch
from torch import nn

from fastssl.data import FastLoader, LightlyDataset
from fastssl.data._image_loaders import pil_loader
from fastssl.train.backbones import build_backbone
from fastssl.train.checkpoint import CUSTOM_BACKBONE, backbone_state_dict, load_checkpoint
from fastssl.train.distributed import resolve_device
from fastssl.transforms.reference import ViewTransform
from fastssl.transforms.spec import NormalizeSpec, RandomResizedCropSpec, ViewSpec
from fastssl.transforms.utils import IMAGENET_NORMALIZE
from fastssl.utils.io import load_embeddings, load_labels_and_filenames, save_embeddings

EMBEDDINGS_NPY = "embeddings.npy"
EMBEDDINGS_CSV = "embeddings.csv"


@dataclass
class Embeddings:
    """One embedding per image, with the image's label and file name (dataset order)."""

    vectors: np.ndarray  # (N, D) float32
    labels: List[int]
    filenames: List[str]

    def save(self, out: Union[str, Path]) -> Path:
        """Writes ``embeddings.npy`` and ``embeddings.csv`` (Lightly's format) into ``out``."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        np.save(out / EMBEDDINGS_NPY, self.vectors)
        save_embeddings(str(out / EMBEDDINGS_CSV), self.vectors, self.labels, self.filenames)
        return out

    @classmethod
    def load(cls, folder: Union[str, Path]) -> "Embeddings":
        """Reads a folder written by :meth:`save` (the exact .npy vectors when present)."""
        folder = Path(folder)
        csv_path = folder / EMBEDDINGS_CSV
        if not csv_path.is_file():
            raise ValueError(f"no {EMBEDDINGS_CSV} in '{folder}' (write one with `fastssl embed`)")
        if not (folder / EMBEDDINGS_NPY).is_file():
            vectors, labels, filenames = load_embeddings(str(csv_path))
        else:  # the exact vectors: the CSV's text is not parsed
            labels, filenames = load_labels_and_filenames(str(csv_path))
            vectors = np.load(folder / EMBEDDINGS_NPY)
            if len(vectors) != len(filenames):
                raise ValueError(f"'{folder / EMBEDDINGS_NPY}' has {len(vectors)} rows but "
                                 f"'{csv_path}' has {len(filenames)}")
        return cls(vectors.astype(np.float32), labels, filenames)

    def index_of(self, filename: str) -> int:
        try:
            return self.filenames.index(filename)
        except ValueError:
            raise ValueError(f"'{filename}' is not among the {len(self.filenames)} embedded files") from None


def eval_transform(input_size: int) -> ViewTransform:
    """Largest centered square -> ``input_size`` pixels -> ImageNet normalization.

    A random resized crop of scale 1 and aspect ratio 1 always falls back to the
    centered square (torchvision's rule), so the crop is deterministic.
    """
    return ViewTransform(ViewSpec(
        crop=RandomResizedCropSpec(size=input_size, scale=(1.0, 1.0), ratio=(1.0, 1.0)),
        normalize=NormalizeSpec.from_dict(IMAGENET_NORMALIZE)))


def load_backbone(checkpoint: Union[str, Path]) -> Tuple[nn.Module, int]:
    """The trained backbone of a ``fastssl train`` checkpoint and the run's input size."""
    state = load_checkpoint(checkpoint)
    config = state["config"]
    if config["backbone"].startswith(CUSTOM_BACKBONE):
        raise ValueError(f"'{checkpoint}' was trained on a user module ({config['backbone']}): build that module "
                         "and load fastssl.train.checkpoint.backbone_state_dict(state) into it")
    backbone = build_backbone(config["backbone"], config["input_size"]).module
    backbone.load_state_dict(backbone_state_dict(state))
    return backbone, config["input_size"]


@torch.no_grad()
def embed_file(backbone: nn.Module, path: Union[str, Path], input_size: int, device: str = "auto") -> np.ndarray:
    """The embedding (D,) of one image file, with the same transform as :func:`embed_folder`."""
    target = resolve_device(device)
    image = eval_transform(input_size)(pil_loader(str(path))).unsqueeze(0).to(target)
    return backbone.to(target).eval()(image).flatten(1)[0].float().cpu().numpy()


@torch.no_grad()
def embed_folder(backbone: nn.Module, data: Union[str, Path], input_size: int, batch_size: int = 128,
                 num_threads: Optional[int] = None, device: str = "auto", on_error: str = "raise") -> Embeddings:
    """Embeds every image of ``data`` (in LightlyDataset order) with ``backbone`` in eval mode."""
    target = resolve_device(device)
    backbone = backbone.to(target).eval()
    dataset = LightlyDataset(str(data), transform=eval_transform(input_size))
    loader = FastLoader(dataset, batch_size=batch_size, num_threads=num_threads, on_error=on_error,
                        device=target if target.type == "cuda" else None)
    vectors, labels, filenames = [], [], []
    for images, targets, names in loader:
        vectors.append(backbone(images.to(target)).flatten(1).float().cpu())
        labels.extend(int(t) for t in targets)
        filenames.extend(names)
    return Embeddings(torch.cat(vectors).numpy(), labels, filenames)
