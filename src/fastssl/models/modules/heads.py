"""Projection and prediction heads, with Lightly SSL 1.6.0's names, defaults and state_dict keys.

Every head builds the same modules in the same order as ``lightly.models.modules.heads``,
so checkpoints load both ways with ``strict=True`` and, under the same seed, the
initial weights are equal too.
"""

from __future__ import annotations

from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from torch import Tensor

from fastssl.models import utils

Block = Union[
    Tuple[int, int, Optional[nn.Module], Optional[nn.Module]],
    Tuple[int, int, Optional[nn.Module], Optional[nn.Module], bool],
]


def _check_positive(**values: int) -> None:
    """Raises ValueError naming the first argument that is not a positive integer."""
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def _batch_norm(dim: int, enabled: bool) -> Optional[nn.Module]:
    return nn.BatchNorm1d(dim) if enabled else None


class ProjectionHead(nn.Module):
    """Base class of all projection and prediction heads: an MLP built from blocks.

    Each block is ``(in_features, out_features, batch_norm, non_linearity[, use_bias])``
    and becomes ``Linear`` (+ ``batch_norm``) (+ ``non_linearity``) inside
    ``self.layers``. ``use_bias`` defaults to True exactly when the block has no
    batch norm.

    Args:
        blocks: The blocks of the MLP, in order.

    Raises:
        ValueError: If a block does not have 4 or 5 entries or a size is not a
            positive integer.

    Examples:
        >>> head = ProjectionHead([
        ...     (256, 256, nn.BatchNorm1d(256), nn.ReLU()),
        ...     (256, 128, None, None),
        ... ])
        >>> head(torch.randn(8, 256)).shape
        torch.Size([8, 128])
    """

    def __init__(self, blocks: Sequence[Block]) -> None:
        super().__init__()
        layers: List[nn.Module] = []
        for index, block in enumerate(blocks):
            if len(block) not in (4, 5):
                raise ValueError(
                    f"block {index} must be (in_features, out_features, batch_norm, "
                    f"non_linearity[, use_bias]), got {block!r}"
                )
            input_dim, output_dim, batch_norm, non_linearity, *bias = block
            _check_positive(in_features=input_dim, out_features=output_dim)
            use_bias = bias[0] if bias else not bool(batch_norm)
            layers.append(nn.Linear(input_dim, output_dim, bias=use_bias))
            if batch_norm:
                layers.append(batch_norm)
            if non_linearity:
                layers.append(non_linearity)
        self.layers = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        """Projects ``x`` of shape (batch_size, in_features)."""
        projection: Tensor = self.layers(x)
        return projection


def _mlp_blocks(
    input_dim: int,
    hidden_dim: int,
    output_dim: int,
    num_layers: int,
    hidden_norm: bool,
    output_norm: bool,
) -> List[Block]:
    """``num_layers`` linear layers with ReLU after all but the last, optional BatchNorm."""
    _check_positive(input_dim=input_dim, hidden_dim=hidden_dim, output_dim=output_dim)
    if num_layers < 2:
        raise ValueError(f"num_layers must be >= 2, got {num_layers}")
    blocks: List[Block] = [(input_dim, hidden_dim, _batch_norm(hidden_dim, hidden_norm), nn.ReLU())]
    blocks += [
        (hidden_dim, hidden_dim, _batch_norm(hidden_dim, hidden_norm), nn.ReLU())
        for _ in range(num_layers - 2)
    ]
    blocks.append((hidden_dim, output_dim, _batch_norm(output_dim, output_norm), None))
    return blocks


class _TwoLayerHead(ProjectionHead):
    """Linear -> BatchNorm -> ReLU -> Linear, the head shared by many methods."""

    def __init__(self, input_dim: int, hidden_dim: int, output_dim: int) -> None:
        super().__init__(_mlp_blocks(input_dim, hidden_dim, output_dim, 2, True, False))


class BarlowTwinsProjectionHead(ProjectionHead):
    """Projection head of Barlow Twins: three linear layers, BN + ReLU after the first two.

    - [0]: Barlow Twins, 2021, https://arxiv.org/abs/2103.03230

    Examples:
        >>> head = BarlowTwinsProjectionHead(512, 2048, 2048)
    """

    def __init__(
        self, input_dim: int = 2048, hidden_dim: int = 8192, output_dim: int = 8192
    ) -> None:
        super().__init__(_mlp_blocks(input_dim, hidden_dim, output_dim, 3, True, False))


class BYOLProjectionHead(_TwoLayerHead):
    """Projection head of BYOL: Linear(4096) -> BN -> ReLU -> Linear(256).

    - [0]: BYOL, 2020, https://arxiv.org/abs/2006.07733

    Examples:
        >>> head = BYOLProjectionHead(512, 1024, 256)
    """

    def __init__(
        self, input_dim: int = 2048, hidden_dim: int = 4096, output_dim: int = 256
    ) -> None:
        super().__init__(input_dim, hidden_dim, output_dim)


class BYOLPredictionHead(_TwoLayerHead):
    """Prediction head of BYOL: Linear(4096) -> BN -> ReLU -> Linear(256).

    - [0]: BYOL, 2020, https://arxiv.org/abs/2006.07733

    Examples:
        >>> head = BYOLPredictionHead(256, 1024, 256)
    """

    def __init__(self, input_dim: int = 256, hidden_dim: int = 4096, output_dim: int = 256) -> None:
        super().__init__(input_dim, hidden_dim, output_dim)


class MoCoProjectionHead(ProjectionHead):
    """Projection head of MoCo v2 (2 layers, no BN) and v3 (3 layers, BN everywhere).

    - [0]: MoCo v1, 2020, https://arxiv.org/abs/1911.05722
    - [1]: MoCo v2, 2020, https://arxiv.org/abs/2003.04297
    - [2]: MoCo v3, 2021, https://arxiv.org/abs/2104.02057

    Args:
        input_dim: Number of input dimensions.
        hidden_dim: Hidden dimensions (2048 for v2, 4096 for v3).
        output_dim: Output dimensions (128 for v2, 256 for v3).
        num_layers: Number of linear layers, >= 2 (2 for v2, 3 for v3).
        batch_norm: Whether every layer has BatchNorm (False for v2, True for v3).

    Examples:
        >>> head_v3 = MoCoProjectionHead(2048, 4096, 256, num_layers=3, batch_norm=True)
    """

    def __init__(
        self,
        input_dim: int = 2048,
        hidden_dim: int = 2048,
        output_dim: int = 128,
        num_layers: int = 2,
        batch_norm: bool = False,
    ) -> None:
        super().__init__(
            _mlp_blocks(input_dim, hidden_dim, output_dim, num_layers, batch_norm, batch_norm)
        )


class NNCLRProjectionHead(ProjectionHead):
    """Projection head of NNCLR: three linear layers, each followed by BN, ReLU on the first two.

    - [0]: NNCLR, 2021, https://arxiv.org/abs/2104.14548

    Examples:
        >>> head = NNCLRProjectionHead(512, 512, 128)
    """

    def __init__(
        self, input_dim: int = 2048, hidden_dim: int = 2048, output_dim: int = 256
    ) -> None:
        super().__init__(_mlp_blocks(input_dim, hidden_dim, output_dim, 3, True, True))


class NNCLRPredictionHead(_TwoLayerHead):
    """Prediction head of NNCLR: Linear(4096) -> BN -> ReLU -> Linear(d).

    - [0]: NNCLR, 2021, https://arxiv.org/abs/2104.14548

    Examples:
        >>> head = NNCLRPredictionHead(128, 1024, 128)
    """

    def __init__(self, input_dim: int = 256, hidden_dim: int = 4096, output_dim: int = 256) -> None:
        super().__init__(input_dim, hidden_dim, output_dim)


class SimCLRProjectionHead(ProjectionHead):
    """Projection head of SimCLR v1 (2 layers) and v2 (3+ layers), BN by default.

    - [0] SimCLR v1, 2020, https://arxiv.org/abs/2002.05709
    - [1] SimCLR v2, 2020, https://arxiv.org/abs/2006.10029

    Args:
        input_dim: Number of input dimensions.
        hidden_dim: Number of hidden dimensions.
        output_dim: Number of output dimensions.
        num_layers: Number of linear layers, >= 2 (2 for v1, 3+ for v2).
        batch_norm: Whether every layer has BatchNorm.

    Examples:
        >>> head = SimCLRProjectionHead(512, 512, 128)
        >>> head(torch.randn(4, 512)).shape
        torch.Size([4, 128])
    """

    def __init__(
        self,
        input_dim: int = 2048,
        hidden_dim: int = 2048,
        output_dim: int = 128,
        num_layers: int = 2,
        batch_norm: bool = True,
    ) -> None:
        super().__init__(
            _mlp_blocks(input_dim, hidden_dim, output_dim, num_layers, batch_norm, batch_norm)
        )


class SimSiamProjectionHead(ProjectionHead):
    """Projection head of SimSiam: three layers with BN (the last one non-affine), ReLU on two.

    - [0]: SimSiam, 2020, https://arxiv.org/abs/2011.10566

    Examples:
        >>> head = SimSiamProjectionHead(512, 512, 512)
    """

    def __init__(
        self, input_dim: int = 2048, hidden_dim: int = 2048, output_dim: int = 2048
    ) -> None:
        _check_positive(input_dim=input_dim, hidden_dim=hidden_dim, output_dim=output_dim)
        super().__init__(
            [
                (input_dim, hidden_dim, nn.BatchNorm1d(hidden_dim), nn.ReLU()),
                (hidden_dim, hidden_dim, nn.BatchNorm1d(hidden_dim), nn.ReLU()),
                (hidden_dim, output_dim, nn.BatchNorm1d(output_dim, affine=False), None),
            ]
        )


class SimSiamPredictionHead(_TwoLayerHead):
    """Prediction head of SimSiam: Linear(512) -> BN -> ReLU -> Linear.

    - [0]: SimSiam, 2020, https://arxiv.org/abs/2011.10566

    Examples:
        >>> head = SimSiamPredictionHead(512, 128, 512)
    """

    def __init__(
        self, input_dim: int = 2048, hidden_dim: int = 512, output_dim: int = 2048
    ) -> None:
        super().__init__(input_dim, hidden_dim, output_dim)


class SMoGPrototypes(nn.Module):
    """Group features of SMoG with their synchronous momentum update.

    - [0]: SMoG, 2022, https://arxiv.org/abs/2207.06167

    Args:
        group_features: Initial group features, shape (n_groups, dim).
        beta: Momentum of the group feature update.

    Examples:
        >>> prototypes = SMoGPrototypes(torch.randn(300, 128), beta=0.99)
        >>> logits = prototypes(features, prototypes.group_features)
    """

    def __init__(self, group_features: Tensor, beta: float) -> None:
        super().__init__()
        self.group_features = nn.Parameter(group_features, requires_grad=False)
        self.beta = beta

    def forward(self, x: Tensor, group_features: Tensor, temperature: float = 0.1) -> Tensor:
        """Cosine similarities of ``x`` (B, dim) to ``group_features`` over ``temperature``."""
        x = nn.functional.normalize(x, dim=1)
        group_features = nn.functional.normalize(group_features, dim=1)
        return torch.mm(x, group_features.t()) / temperature

    def get_updated_group_features(self, x: Tensor) -> Tensor:
        """Returns the group features after a momentum step towards the mean of ``x`` per group."""
        assignments = self.assign_groups(x)
        group_features = torch.clone(self.group_features.data)
        for assigned_class in torch.unique(assignments):
            mask = assignments == assigned_class
            group_features[assigned_class] = self.beta * self.group_features[assigned_class] + (
                1 - self.beta
            ) * x[mask].mean(dim=0)
        return group_features

    def set_group_features(self, x: Tensor) -> None:
        """Replaces the group features by ``x``."""
        self.group_features.data = x.to(self.group_features.device)

    @torch.no_grad()
    def assign_groups(self, x: Tensor) -> Tensor:
        """Index (B,) of the most similar group for each row of ``x``."""
        return torch.argmax(self.forward(x, self.group_features), dim=-1)


class SMoGProjectionHead(ProjectionHead):
    """Projection head of SMoG: Linear -> BN -> ReLU -> Linear -> non-affine BN.

    - [0]: SMoG, 2022, https://arxiv.org/abs/2207.06167

    Examples:
        >>> head = SMoGProjectionHead(512, 512, 128)
    """

    def __init__(
        self, input_dim: int = 2048, hidden_dim: int = 2048, output_dim: int = 128
    ) -> None:
        _check_positive(input_dim=input_dim, hidden_dim=hidden_dim, output_dim=output_dim)
        super().__init__(
            [
                (input_dim, hidden_dim, nn.BatchNorm1d(hidden_dim), nn.ReLU()),
                (hidden_dim, output_dim, nn.BatchNorm1d(output_dim, affine=False), None),
            ]
        )


class SMoGPredictionHead(_TwoLayerHead):
    """Prediction head of SMoG: Linear -> BN -> ReLU -> Linear.

    - [0]: SMoG, 2022, https://arxiv.org/abs/2207.06167

    Examples:
        >>> head = SMoGPredictionHead(128, 512, 128)
    """

    def __init__(self, input_dim: int = 128, hidden_dim: int = 2048, output_dim: int = 128) -> None:
        super().__init__(input_dim, hidden_dim, output_dim)


class SwaVProjectionHead(_TwoLayerHead):
    """Projection head of SwaV: Linear -> BN -> ReLU -> Linear.

    - [0]: SwAV, 2020, https://arxiv.org/abs/2006.09882

    Examples:
        >>> head = SwaVProjectionHead(512, 512, 128)
    """

    def __init__(
        self, input_dim: int = 2048, hidden_dim: int = 2048, output_dim: int = 128
    ) -> None:
        super().__init__(input_dim, hidden_dim, output_dim)


class SwaVPrototypes(nn.Module):
    """(Multi-head) prototypes of SwaV: one linear layer per prototype count.

    - [0]: SwAV, 2020, https://arxiv.org/abs/2006.09882

    Args:
        input_dim: Dimension of the (normalized) features.
        n_prototypes: Number of prototypes, or a list for several heads.
        n_steps_frozen_prototypes: Number of steps during which the prototypes
            get no gradient; :meth:`forward` then needs ``step``.

    Examples:
        >>> prototypes = SwaVPrototypes(128, 512)
        >>> logits = prototypes(nn.functional.normalize(torch.randn(4, 128), dim=1))
        >>> logits.shape
        torch.Size([4, 512])
    """

    def __init__(
        self,
        input_dim: int = 128,
        n_prototypes: Union[List[int], int] = 3000,
        n_steps_frozen_prototypes: int = 0,
    ) -> None:
        super().__init__()
        self.n_prototypes = n_prototypes if isinstance(n_prototypes, list) else [n_prototypes]
        _check_positive(input_dim=input_dim)
        for count in self.n_prototypes:
            _check_positive(n_prototypes=count)
        self._is_single_prototype = isinstance(n_prototypes, int)
        self.heads = nn.ModuleList(
            [nn.Linear(input_dim, prototypes) for prototypes in self.n_prototypes]
        )
        self.n_steps_frozen_prototypes = n_steps_frozen_prototypes

    def forward(self, x: Tensor, step: Optional[int] = None) -> Union[Tensor, List[Tensor]]:
        """Prototype logits: one tensor for a single head, else a list, one per head.

        Raises:
            ValueError: If prototypes are frozen for some steps and ``step`` is None.
        """
        self._freeze_prototypes_if_required(step)
        out = [layer(x) for layer in self.heads]
        return out[0] if self._is_single_prototype else out

    def normalize(self) -> None:
        """Normalizes every prototype onto the unit sphere, in place."""
        for layer in self.heads:
            utils.normalize_weight(layer.weight)

    def _freeze_prototypes_if_required(self, step: Optional[int] = None) -> None:
        if self.n_steps_frozen_prototypes > 0:
            if step is None:
                raise ValueError(
                    "`n_steps_frozen_prototypes` is greater than 0, please"
                    " provide the `step` argument to the `forward()` method."
                )
            self.requires_grad_(step >= self.n_steps_frozen_prototypes)


class WeightNormLinear(nn.Module):
    """Linear layer with weight normalization ``w = g * v / ||v||`` (norm over each output row).

    The same parameters (``weight_g`` of shape (out, 1), ``weight_v`` of shape
    (out, in)), state_dict keys and outputs as ``torch.nn.utils.weight_norm(nn.Linear(...))``,
    which Lightly uses and PyTorch deprecates. ``weight`` is recomputed on access.

    Args:
        in_features: Input size.
        out_features: Output size.
        bias: Whether the layer has a bias.

    Examples:
        >>> layer = WeightNormLinear(256, 1024)
        >>> sorted(layer.state_dict())
        ['weight_g', 'weight_v']
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = False) -> None:
        super().__init__()
        _check_positive(in_features=in_features, out_features=out_features)
        # nn.Linear's initialization (and random number use); parameters are
        # registered in the order weight_norm leaves them: bias, weight_g, weight_v.
        linear = nn.Linear(in_features, out_features, bias=bias)
        self.in_features = in_features
        self.out_features = out_features
        self.bias = linear.bias
        self.weight_g = nn.Parameter(torch.norm_except_dim(linear.weight, 2, 0).data)
        self.weight_v = nn.Parameter(linear.weight.data)

    @property
    def weight(self) -> Tensor:
        """The effective weight ``weight_g * weight_v / ||weight_v||``."""
        return torch._weight_norm(self.weight_v, self.weight_g, 0)

    def forward(self, x: Tensor) -> Tensor:
        """Applies the weight-normalized linear map to ``x``."""
        return nn.functional.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


def _dino_init(module: nn.Module) -> None:
    """DINO head init: truncated normal weights (std 0.02, cut at +-2), zero biases."""
    if isinstance(module, nn.Linear):
        utils._no_grad_trunc_normal(module.weight, mean=0.0, std=0.02, a=-2.0, b=2.0)
        if module.bias is not None:
            nn.init.constant_(module.bias, 0)


def _dinov2_init(module: nn.Module) -> None:
    """DINOv2 head init: ``nn.init.trunc_normal_`` (std 0.02) weights, zero biases."""
    if isinstance(module, nn.Linear):
        nn.init.trunc_normal_(module.weight, std=0.02)
        if module.bias is not None:
            nn.init.constant_(module.bias, 0)


def _dino_blocks(
    input_dim: int, hidden_dim: int, bottleneck_dim: int, batch_norm: bool
) -> List[Block]:
    _check_positive(input_dim=input_dim, hidden_dim=hidden_dim, bottleneck_dim=bottleneck_dim)
    return [
        (input_dim, hidden_dim, _batch_norm(hidden_dim, batch_norm), nn.GELU()),
        (hidden_dim, hidden_dim, _batch_norm(hidden_dim, batch_norm), nn.GELU()),
        (hidden_dim, bottleneck_dim, None, None),
    ]


def _unit_weight_norm_linear(in_features: int, out_features: int, bias: bool = False) -> WeightNormLinear:
    """A WeightNormLinear (bias-free by default) with all magnitudes ``weight_g`` set to 1."""
    layer = WeightNormLinear(in_features, out_features, bias=bias)
    with torch.no_grad():
        layer.weight_g.fill_(1)
    return layer


class DINOProjectionHead(ProjectionHead):
    """Projection head of DINO: 3-layer MLP, L2 normalization, weight-normed last layer.

    - [0]: DINO, 2021, https://arxiv.org/abs/2104.14294

    Args:
        input_dim: Input dimension.
        hidden_dim: Hidden dimension.
        bottleneck_dim: Dimension before the last layer.
        output_dim: Number of outputs (prototypes) of the last layer.
        batch_norm: Whether the hidden layers use BatchNorm (False for ViTs).
        freeze_last_layer: Number of epochs during which
            :meth:`cancel_last_layer_gradients` drops the last layer's gradients.
        norm_last_layer: If True, the magnitudes ``weight_g`` of the last layer
            stay fixed at 1 (no gradient).

    Examples:
        >>> head = DINOProjectionHead(384, 512, 128, 4096, freeze_last_layer=1)
        >>> head(torch.randn(4, 384)).shape
        torch.Size([4, 4096])
    """

    def __init__(
        self,
        input_dim: int = 2048,
        hidden_dim: int = 2048,
        bottleneck_dim: int = 256,
        output_dim: int = 65536,
        batch_norm: bool = False,
        freeze_last_layer: int = -1,
        norm_last_layer: bool = True,
    ) -> None:
        _check_positive(output_dim=output_dim)
        super().__init__(_dino_blocks(input_dim, hidden_dim, bottleneck_dim, batch_norm))
        self.apply(_dino_init)
        self.freeze_last_layer = freeze_last_layer
        self.last_layer = _unit_weight_norm_linear(bottleneck_dim, output_dim)
        if norm_last_layer:
            self.last_layer.weight_g.requires_grad = False

    def cancel_last_layer_gradients(self, current_epoch: int) -> None:
        """Drops the last layer's gradients while ``current_epoch < freeze_last_layer``."""
        if current_epoch >= self.freeze_last_layer:
            return
        for param in self.last_layer.parameters():
            param.grad = None

    def forward(self, x: Tensor) -> Tensor:
        """MLP, L2 normalization, then the weight-normed last layer."""
        x = self.layers(x)
        x = nn.functional.normalize(x, dim=-1, p=2)
        return self.last_layer(x)


class DINOv2ProjectionHead(ProjectionHead):
    """Projection head of DINOv2: like DINO's, with an fp16-safe normalization epsilon.

    - [0]: DINOv2, 2023, https://arxiv.org/abs/2304.07193

    Examples:
        >>> head = DINOv2ProjectionHead(384, 512, 128, 4096)
    """

    def __init__(
        self,
        input_dim: int = 2048,
        hidden_dim: int = 2048,
        bottleneck_dim: int = 256,
        output_dim: int = 65536,
        batch_norm: bool = False,
    ) -> None:
        _check_positive(output_dim=output_dim)
        super().__init__(_dino_blocks(input_dim, hidden_dim, bottleneck_dim, batch_norm))
        self.apply(_dinov2_init)
        self.last_layer = _unit_weight_norm_linear(bottleneck_dim, output_dim)

    def forward(self, x: Tensor) -> Tensor:
        """MLP, L2 normalization, then the weight-normed last layer."""
        x = self.layers(x)
        eps = 1e-6 if x.dtype == torch.float16 else 1e-12
        x = nn.functional.normalize(x, dim=-1, p=2, eps=eps)
        return self.last_layer(x)


class LeJEPAProjectionHead(ProjectionHead):
    """Projection head of LeJEPA: ``num_layers`` linear layers, BN + ReLU on the hidden ones.

    - [0]: LeJEPA, 2025, https://arxiv.org/abs/2511.08544

    Examples:
        >>> head = LeJEPAProjectionHead(input_dim=512)
    """

    def __init__(
        self,
        input_dim: int,
        hidden_dim: int = 2048,
        output_dim: int = 64,
        num_layers: int = 3,
    ) -> None:
        if num_layers < 2:
            raise ValueError("num_layers must be greater than or equal to 2.")
        super().__init__(_mlp_blocks(input_dim, hidden_dim, output_dim, num_layers, True, False))


class LeWMProjectionHead(ProjectionHead):
    """Projection head of LeWM: Linear -> (BN) -> GELU -> Linear.

    - [0]: LeWorldModel, 2026, https://arxiv.org/abs/2603.19312

    Examples:
        >>> head = LeWMProjectionHead(input_dim=384)
    """

    def __init__(
        self,
        input_dim: int,
        hidden_dim: int = 2048,
        output_dim: int = 192,
        batch_norm: bool = True,
    ) -> None:
        _check_positive(input_dim=input_dim, hidden_dim=hidden_dim, output_dim=output_dim)
        super().__init__(
            [
                (input_dim, hidden_dim, _batch_norm(hidden_dim, batch_norm), nn.GELU()),
                (hidden_dim, output_dim, None, None),
            ]
        )


class MMCRProjectionHead(ProjectionHead):
    """Projection head of MMCR: ``num_layers`` hidden layers (+ BN) + ReLU, then an output layer.

    - [0]: MMCR, 2023, https://arxiv.org/abs/2303.03307

    Args:
        input_dim: Number of input dimensions.
        hidden_dim: Number of hidden dimensions.
        output_dim: Number of output dimensions.
        num_layers: Number of hidden layers, >= 1.
        batch_norm: Whether the hidden layers use BatchNorm.
        use_bias: Whether the linear layers have a bias.

    Examples:
        >>> head = MMCRProjectionHead(512, 1024, 128)
    """

    def __init__(
        self,
        input_dim: int = 2048,
        hidden_dim: int = 8192,
        output_dim: int = 512,
        num_layers: int = 2,
        batch_norm: bool = True,
        use_bias: bool = False,
    ) -> None:
        _check_positive(
            input_dim=input_dim, hidden_dim=hidden_dim, output_dim=output_dim, num_layers=num_layers
        )
        blocks: List[Block] = [
            (input_dim, hidden_dim, _batch_norm(hidden_dim, batch_norm), nn.ReLU(), use_bias)
        ]
        blocks += [
            (hidden_dim, hidden_dim, _batch_norm(hidden_dim, batch_norm), nn.ReLU(), use_bias)
            for _ in range(num_layers - 1)
        ]
        blocks.append((hidden_dim, output_dim, None, None, use_bias))
        super().__init__(blocks)


class MSNProjectionHead(ProjectionHead):
    """Projection head of MSN: three linear layers, BN + GELU after the first two.

    - [0]: Masked Siamese Networks, 2022, https://arxiv.org/abs/2204.07141

    Args:
        input_dim: Input dimension (768 for ViT-B).
        hidden_dim: Hidden dimension.
        output_dim: Output dimension.

    Examples:
        >>> head = MSNProjectionHead(384, 1024, 256)
    """

    def __init__(self, input_dim: int = 768, hidden_dim: int = 2048, output_dim: int = 256) -> None:
        _check_positive(input_dim=input_dim, hidden_dim=hidden_dim, output_dim=output_dim)
        super().__init__(
            blocks=[
                (input_dim, hidden_dim, nn.BatchNorm1d(hidden_dim), nn.GELU()),
                (hidden_dim, hidden_dim, nn.BatchNorm1d(hidden_dim), nn.GELU()),
                (hidden_dim, output_dim, None, None),
            ]
        )


class TiCoProjectionHead(_TwoLayerHead):
    """Projection head of TiCo: Linear(4096) -> BN -> ReLU -> Linear(256).

    - [0]: TiCo, 2022, https://arxiv.org/abs/2206.10698

    Examples:
        >>> head = TiCoProjectionHead(512, 1024, 256)
    """

    def __init__(
        self, input_dim: int = 2048, hidden_dim: int = 4096, output_dim: int = 256
    ) -> None:
        super().__init__(input_dim, hidden_dim, output_dim)


class VICRegProjectionHead(ProjectionHead):
    """Projection head of VICReg: ``num_layers`` linear layers, BN + ReLU on all but the last.

    - [0]: VICReg, 2022, https://arxiv.org/abs/2105.04906

    Examples:
        >>> head = VICRegProjectionHead(512, 2048, 2048)
    """

    def __init__(
        self,
        input_dim: int = 2048,
        hidden_dim: int = 8192,
        output_dim: int = 8192,
        num_layers: int = 3,
    ) -> None:
        super().__init__(_mlp_blocks(input_dim, hidden_dim, output_dim, num_layers, True, False))


class VicRegLLocalProjectionHead(ProjectionHead):
    """Local projection head of VICRegL: three layers, LayerNorm + ReLU after the first two.

    - [0]: VICRegL, 2022, https://arxiv.org/abs/2210.01571

    Examples:
        >>> head = VicRegLLocalProjectionHead(512, 1024, 1024)
    """

    def __init__(
        self, input_dim: int = 2048, hidden_dim: int = 8192, output_dim: int = 8192
    ) -> None:
        _check_positive(input_dim=input_dim, hidden_dim=hidden_dim, output_dim=output_dim)
        super().__init__(
            [
                (input_dim, hidden_dim, nn.LayerNorm(hidden_dim), nn.ReLU()),
                (hidden_dim, hidden_dim, nn.LayerNorm(hidden_dim), nn.ReLU()),
                (hidden_dim, output_dim, None, None),
            ]
        )


class DenseCLProjectionHead(ProjectionHead):
    """Projection head of DenseCL: Linear -> ReLU -> Linear, for global and local features.

    - [0]: DenseCL, 2021, https://arxiv.org/abs/2011.09157

    Examples:
        >>> head = DenseCLProjectionHead(512, 512, 128)
    """

    def __init__(
        self, input_dim: int = 2048, hidden_dim: int = 2048, output_dim: int = 128
    ) -> None:
        _check_positive(input_dim=input_dim, hidden_dim=hidden_dim, output_dim=output_dim)
        super().__init__(
            [(input_dim, hidden_dim, None, nn.ReLU()), (hidden_dim, output_dim, None, None)]
        )


class CAPIProjectionHead(nn.Module):
    """Projection head of CAPI: L2 normalization, then one linear layer to cluster logits.

    - [0]: CAPI, 2025, https://arxiv.org/abs/2502.08769

    Args:
        input_dim: Input dimension.
        num_clusters: Number of clusters (output prototypes).
        bias: Whether the linear layer has a bias.
        weight_norm: If True, the prototypes are weight-normalized with a fixed
            unit magnitude (the student head of the reference).

    Examples:
        >>> head = CAPIProjectionHead(input_dim=384, num_clusters=1024)
        >>> head(torch.randn(2, 16, 384)).shape
        torch.Size([2, 16, 1024])
    """

    def __init__(
        self,
        input_dim: int = 384,
        num_clusters: int = 16384,
        bias: bool = False,
        weight_norm: bool = False,
    ) -> None:
        super().__init__()
        _check_positive(input_dim=input_dim, num_clusters=num_clusters)
        self.layer: nn.Module
        if weight_norm:
            self.layer = _unit_weight_norm_linear(input_dim, num_clusters, bias)
            self.layer.weight_g.requires_grad = False
        else:
            self.layer = nn.Linear(input_dim, num_clusters, bias=bias)

    def forward(self, x: Tensor) -> Tensor:
        """Cluster logits of shape (..., num_clusters) for ``x`` of shape (..., input_dim)."""
        x = nn.functional.normalize(x, dim=-1, p=2)
        logits: Tensor = self.layer(x)
        return logits
