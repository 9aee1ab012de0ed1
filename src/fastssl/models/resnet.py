"""CIFAR-style ResNets of ``lightly.models.resnet`` (3x3 stem, no max-pool), same state_dict keys.

Includes the resnet-9 variant for very small models and SplitBatchNorm, which
simulates the per-GPU batch statistics of a multi-GPU run on one device (MoCo).
"""

from __future__ import annotations

from typing import Any, Dict, List, Sequence, Type, Union

import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from fastssl.models.batchnorm import get_norm_layer


def _shortcut(in_planes: int, out_planes: int, stride: int, num_splits: int) -> nn.Sequential:
    """Identity (an empty Sequential) or a strided 1x1 convolution + norm."""
    if stride == 1 and in_planes == out_planes:
        return nn.Sequential()
    return nn.Sequential(
        nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False),
        get_norm_layer(out_planes, num_splits),
    )


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with a residual connection.

    Examples:
        >>> block = BasicBlock(64, 128, stride=2)
    """

    expansion = 1

    def __init__(self, in_planes: int, planes: int, stride: int = 1, num_splits: int = 0) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(
            in_planes, planes, kernel_size=3, stride=stride, padding=1, bias=False
        )
        self.bn1 = get_norm_layer(planes, num_splits)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = get_norm_layer(planes, num_splits)
        self.shortcut = _shortcut(in_planes, self.expansion * planes, stride, num_splits)

    def forward(self, x: Tensor) -> Tensor:
        """Residual block on (B, C, H, W)."""
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += self.shortcut(x)
        return F.relu(out)


class Bottleneck(nn.Module):
    """1x1 -> 3x3 -> 1x1 (x4 channels) convolutions with a residual connection.

    Examples:
        >>> block = Bottleneck(256, 64)
    """

    expansion = 4

    def __init__(self, in_planes: int, planes: int, stride: int = 1, num_splits: int = 0) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=1, bias=False)
        self.bn1 = get_norm_layer(planes, num_splits)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn2 = get_norm_layer(planes, num_splits)
        self.conv3 = nn.Conv2d(planes, self.expansion * planes, kernel_size=1, bias=False)
        self.bn3 = get_norm_layer(self.expansion * planes, num_splits)
        self.shortcut = _shortcut(in_planes, self.expansion * planes, stride, num_splits)

    def forward(self, x: Tensor) -> Tensor:
        """Residual bottleneck block on (B, C, H, W)."""
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        out += self.shortcut(x)
        return F.relu(out)


Block = Union[Type[BasicBlock], Type[Bottleneck]]


class ResNet(nn.Module):
    """ResNet with a 3x3 stem for small images; 4x4 average pooling before the classifier.

    - [1] He et al., Deep Residual Learning for Image Recognition, https://arxiv.org/abs/1512.03385

    Args:
        block: BasicBlock or Bottleneck.
        layers: Number of blocks in each of the four stages.
        num_classes: Outputs of the final linear layer.
        width: Channel multiplier.
        num_splits: SplitBatchNorm splits (0: plain BatchNorm).

    Examples:
        >>> model = ResNet(BasicBlock, [2, 2, 2, 2], num_classes=10)
        >>> model(torch.randn(2, 3, 32, 32)).shape
        torch.Size([2, 10])
    """

    def __init__(
        self,
        block: Block = BasicBlock,
        layers: Sequence[int] = (2, 2, 2, 2),
        num_classes: int = 10,
        width: float = 1.0,
        num_splits: int = 0,
    ) -> None:
        super().__init__()
        self.in_planes = int(64 * width)
        self.base = int(64 * width)
        self.conv1 = nn.Conv2d(3, self.base, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = get_norm_layer(self.base, num_splits)
        self.layer1 = self._make_layer(block, self.base, layers[0], 1, num_splits)
        self.layer2 = self._make_layer(block, self.base * 2, layers[1], 2, num_splits)
        self.layer3 = self._make_layer(block, self.base * 4, layers[2], 2, num_splits)
        self.layer4 = self._make_layer(block, self.base * 8, layers[3], 2, num_splits)
        self.linear = nn.Linear(self.base * 8 * block.expansion, num_classes)

    def _make_layer(
        self, block: Block, planes: int, num_layers: int, stride: int, num_splits: int
    ) -> nn.Sequential:
        blocks: List[nn.Module] = []
        for block_stride in [stride] + [1] * (num_layers - 1):
            blocks.append(block(self.in_planes, planes, block_stride, num_splits))
            self.in_planes = planes * block.expansion
        return nn.Sequential(*blocks)

    def forward(self, x: Tensor) -> Tensor:
        """Logits (B, num_classes) for images (B, 3, H, W); H = W = 32 gives 1x1 pooling."""
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer4(self.layer3(self.layer2(self.layer1(out))))
        out = F.avg_pool2d(out, 4)
        out = out.view(out.size(0), -1)
        logits: Tensor = self.linear(out)
        return logits


_MODEL_PARAMS: Dict[str, Dict[str, Any]] = {
    "resnet-9": {"block": BasicBlock, "layers": [1, 1, 1, 1]},
    "resnet-18": {"block": BasicBlock, "layers": [2, 2, 2, 2]},
    "resnet-34": {"block": BasicBlock, "layers": [3, 4, 6, 3]},
    "resnet-50": {"block": Bottleneck, "layers": [3, 4, 6, 3]},
    "resnet-101": {"block": Bottleneck, "layers": [3, 4, 23, 3]},
    "resnet-152": {"block": Bottleneck, "layers": [3, 8, 36, 3]},
}


def ResNetGenerator(
    name: str = "resnet-18",
    width: float = 1,
    num_classes: int = 10,
    num_splits: int = 0,
) -> ResNet:
    """Builds one of Lightly's ResNets by name.

    Args:
        name: One of resnet-9, resnet-18, resnet-34, resnet-50, resnet-101, resnet-152.
        width: Channel multiplier, > 0.
        num_classes: Outputs of the last layer, >= 1.
        num_splits: SplitBatchNorm splits to simulate multi-GPU batch norm
            (e.g. 8 for 8 GPUs); 0 uses BatchNorm2d.

    Raises:
        ValueError: If ``name`` is unknown or another argument is out of range.

    Examples:
        >>> resnet = ResNetGenerator("resnet-34", num_classes=2)
    """
    if name not in _MODEL_PARAMS:
        raise ValueError(f"Illegal name: {{{name}}}. Try {', '.join(_MODEL_PARAMS)}.")
    if not width > 0 or int(64 * width) < 1:
        raise ValueError(f"width must be > 0 (at least 1/64), got {width}")
    if num_classes < 1:
        raise ValueError(f"num_classes must be >= 1, got {num_classes}")
    if num_splits < 0:
        raise ValueError(f"num_splits must be >= 0, got {num_splits}")
    return ResNet(
        **_MODEL_PARAMS[name], width=width, num_classes=num_classes, num_splits=num_splits
    )
