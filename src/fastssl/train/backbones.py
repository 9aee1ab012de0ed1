"""Backbones by name: torchvision ResNets and ViTs, timm models, or a user module.

A backbone maps a batch of images (B, 3, H, W) to features (B, D). Its state_dict
keeps the library's own key names (the torchvision classifier is replaced by an
Identity), so an exported backbone loads back into the library's model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict

import torch
import torchvision
from torch import nn
from torch.nn import functional as F

from fastssl import _ext
from fastssl.models.utils import prepend_class_token

TIMM_PREFIX = "timm/"


@dataclass
class Backbone:
    """A feature extractor and the size of its features."""

    module: nn.Module
    feature_dim: int


def _resnet(factory: Callable[..., nn.Module]) -> Callable[[int], Backbone]:
    def build(input_size: int) -> Backbone:
        model = factory(weights=None)
        dim = model.fc.in_features
        model.fc = nn.Identity()
        return Backbone(model, dim)
    return build


class MultiCropViT(torchvision.models.VisionTransformer):
    """torchvision's ViT, also for images of other sizes than ``image_size`` (multi-crop).

    Position embeddings are interpolated bicubically to the patch grid of the
    input, as DINO does for its small crops. The state_dict keys are
    torchvision's, without the classifier (``heads``).
    """

    def __init__(self, **kwargs: int):
        super().__init__(**kwargs)
        self.heads = nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, _, height, width = x.shape
        if height % self.patch_size or width % self.patch_size:
            raise ValueError(f"ViT input of {height}x{width} pixels is not a multiple of its "
                             f"{self.patch_size}-pixel patches")
        tokens = self.conv_proj(x).flatten(2).transpose(1, 2)
        tokens = prepend_class_token(tokens, self.class_token)
        tokens = tokens + self._position_embedding(height // self.patch_size, width // self.patch_size)
        encoder = self.encoder
        return encoder.ln(encoder.layers(encoder.dropout(tokens)))[:, 0]

    def _position_embedding(self, rows: int, cols: int) -> torch.Tensor:
        embedding = self.encoder.pos_embedding
        side = self.image_size // self.patch_size
        if (rows, cols) == (side, side):
            return embedding
        grid = embedding[:, 1:].reshape(1, side, side, -1).permute(0, 3, 1, 2)
        grid = F.interpolate(grid, size=(rows, cols), mode="bicubic", align_corners=False)
        return torch.cat([embedding[:, :1], grid.permute(0, 2, 3, 1).reshape(1, rows * cols, -1)], dim=1)


def _vit(patch_size: int, num_layers: int, num_heads: int, hidden_dim: int, mlp_dim: int) -> Callable[[int], Backbone]:
    def build(input_size: int) -> Backbone:
        if input_size % patch_size:
            raise ValueError(f"a ViT with {patch_size}-pixel patches needs an input size divisible by "
                             f"{patch_size}, got {input_size}")
        model = MultiCropViT(image_size=input_size, patch_size=patch_size, num_layers=num_layers,
                             num_heads=num_heads, hidden_dim=hidden_dim, mlp_dim=mlp_dim)
        return Backbone(model, hidden_dim)
    return build


# Name -> builder taking the training input size (a ViT's position embeddings depend on it).
BACKBONES: Dict[str, Callable[[int], Backbone]] = {
    "resnet18": _resnet(torchvision.models.resnet18),
    "resnet34": _resnet(torchvision.models.resnet34),
    "resnet50": _resnet(torchvision.models.resnet50),
    "vit_tiny_16": _vit(16, num_layers=12, num_heads=3, hidden_dim=192, mlp_dim=768),
    "vit_small_16": _vit(16, num_layers=12, num_heads=6, hidden_dim=384, mlp_dim=1536),
    "vit_b_16": _vit(16, num_layers=12, num_heads=12, hidden_dim=768, mlp_dim=3072),
}


def backbone_names() -> str:
    return ", ".join(list(BACKBONES) + [f"{TIMM_PREFIX}<name> (with timm installed)"])


def build_backbone(name: str, input_size: int) -> Backbone:
    """The backbone called ``name`` for images of ``input_size`` pixels.

    Raises:
        ValueError: If the name is unknown, or names a timm model without timm installed.

    Example:
        >>> build_backbone("resnet18", 224).feature_dim
        512
    """
    if name.startswith(TIMM_PREFIX):
        return _timm_backbone(name[len(TIMM_PREFIX):], input_size)
    if name not in BACKBONES:
        raise ValueError(f"unknown backbone {name!r}; choose one of: {backbone_names()}")
    return BACKBONES[name](input_size)


def _timm_backbone(model_name: str, input_size: int) -> Backbone:
    """A timm model without classifier; ViT-like models get the input size and take other sizes too."""
    if not _ext.timm().available:
        raise ValueError(f"backbone {TIMM_PREFIX}{model_name!r} needs timm: pip install timm")
    timm = _ext.optional_module("timm")
    try:
        try:  # ViTs: position embeddings for this size, interpolated for multi-crop's small crops
            model = timm.create_model(model_name, pretrained=False, num_classes=0, img_size=input_size,
                                      dynamic_img_size=True)
        except TypeError:  # convolutional models take no image size
            model = timm.create_model(model_name, pretrained=False, num_classes=0)
    except RuntimeError as error:  # timm's "Unknown model"
        raise ValueError(f"timm cannot build {model_name!r}: {error}") from None
    return Backbone(model, int(model.num_features))


def wrap_backbone(module: nn.Module, input_size: int) -> Backbone:
    """A user module as a Backbone; its feature size is read from one forward pass."""
    was_training = module.training
    module.eval()
    device = next((p.device for p in module.parameters()), torch.device("cpu"))
    with torch.no_grad():
        features = module(torch.zeros(2, 3, input_size, input_size, device=device))
    module.train(was_training)
    return Backbone(module, int(features.flatten(1).shape[1]))
