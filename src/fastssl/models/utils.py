"""Helpers for SSL models, with the names and behaviour of ``lightly.models.utils``.

Momentum (EMA) updates, MoCo's batch shuffling (local and across processes),
freezing, weight-decay parameter groups, nearest-neighbour lookups and the
token helpers used by masked vision transformers.
"""

from __future__ import annotations

import math
from typing import Dict, Iterable, List, Optional, Tuple, Type, Union

import torch
import torch.distributed as dist
from torch import Tensor
from torch.nn import CrossMapLRN2d, GroupNorm, LayerNorm, LocalResponseNorm, Module
from torch.nn import functional
from torch.nn.modules.batchnorm import _NormBase
from torch.nn.parameter import Parameter

_NORM_LAYERS = (_NormBase, LayerNorm, CrossMapLRN2d, LocalResponseNorm, GroupNorm)


# --- batch shuffling (MoCo) ---------------------------------------------------


@torch.no_grad()
def batch_shuffle(batch: Tensor, distributed: bool = False) -> Tuple[Tensor, Tensor]:
    """Randomly permutes the batch along its first dimension.

    Args:
        batch: The batch to shuffle.
        distributed: If True, shuffle across all processes
            (see :func:`batch_shuffle_distributed`).

    Returns:
        ``(shuffled_batch, shuffle)``; pass ``shuffle`` to :func:`batch_unshuffle`.

    Examples:
        >>> x1_shuffled, shuffle = batch_shuffle(x1)
        >>> f1 = batch_unshuffle(momentum_backbone(x1_shuffled), shuffle)
    """
    if distributed:
        return batch_shuffle_distributed(batch)
    _check_batch(batch)
    shuffle = torch.randperm(batch.shape[0], device=batch.device)
    return batch[shuffle], shuffle


@torch.no_grad()
def batch_unshuffle(batch: Tensor, shuffle: Tensor, distributed: bool = False) -> Tensor:
    """Restores the order that :func:`batch_shuffle` permuted.

    Args:
        batch: The shuffled batch (or a tensor computed from it, row by row).
        shuffle: The index returned by :func:`batch_shuffle`.
        distributed: If True, unshuffle across all processes.

    Returns:
        The batch in its original order.

    Examples:
        >>> x_shuffled, shuffle = batch_shuffle(x)
        >>> torch.equal(batch_unshuffle(x_shuffled, shuffle), x)
        True
    """
    if distributed:
        return batch_unshuffle_distributed(batch, shuffle)
    _check_batch(batch)
    if shuffle.shape != (batch.shape[0],):
        raise ValueError(
            f"shuffle must have shape ({batch.shape[0]},) to match the batch, "
            f"got {tuple(shuffle.shape)}"
        )
    return batch[torch.argsort(shuffle)]


@torch.no_grad()
def concat_all_gather(x: Tensor) -> Tensor:
    """Concatenates ``x`` from all processes along dim 0 (no gradient)."""
    output = [torch.empty_like(x) for _ in range(dist.get_world_size())]
    dist.all_gather(output, x, async_op=False)
    return torch.cat(output, dim=0)


@torch.no_grad()
def batch_shuffle_distributed(batch: Tensor) -> Tuple[Tensor, Tensor]:
    """Shuffles the global batch across processes (MoCo's shuffling BN).

    Every process must pass a batch of the same size. Rank 0's random
    permutation is broadcast, so all ranks agree on it.

    Args:
        batch: This process's part of the batch.

    Returns:
        ``(shuffled_batch, shuffle)``: this rank's slice of the shuffled global
        batch and the global index that restores the order.
    """
    _check_batch(batch)
    batch_gather = concat_all_gather(batch)
    num_devices = batch_gather.shape[0] // batch.shape[0]
    idx_shuffle = torch.randperm(batch_gather.shape[0], device=batch.device)
    dist.broadcast(idx_shuffle, src=0)
    shuffle = torch.argsort(idx_shuffle)
    idx_this = idx_shuffle.view(num_devices, -1)[dist.get_rank()]
    return batch_gather[idx_this], shuffle


@torch.no_grad()
def batch_unshuffle_distributed(batch: Tensor, shuffle: Tensor) -> Tensor:
    """Undoes :func:`batch_shuffle_distributed`.

    Args:
        batch: This process's slice of the shuffled global batch.
        shuffle: The global index returned by :func:`batch_shuffle_distributed`.

    Returns:
        This process's original part of the batch, in its original order.
    """
    _check_batch(batch)
    batch_gather = concat_all_gather(batch)
    if shuffle.shape != (batch_gather.shape[0],):
        raise ValueError(
            f"shuffle must have shape ({batch_gather.shape[0]},) to match the "
            f"global batch, got {tuple(shuffle.shape)}"
        )
    num_devices = batch_gather.shape[0] // batch.shape[0]
    idx_this = shuffle.view(num_devices, -1)[dist.get_rank()]
    return batch_gather[idx_this]


def _check_batch(batch: Tensor) -> None:
    if batch.dim() == 0:
        raise ValueError("batch must have a batch dimension, got a 0-dim tensor")


# --- parameters ----------------------------------------------------------------


def deactivate_requires_grad(model: Module) -> None:
    """Sets ``requires_grad=False`` on all parameters of ``model`` (freezes it).

    Examples:
        >>> deactivate_requires_grad(backbone_momentum)
    """
    for param in model.parameters():
        param.requires_grad = False


def activate_requires_grad(model: Module) -> None:
    """Sets ``requires_grad=True`` on all parameters of ``model``.

    Examples:
        >>> activate_requires_grad(backbone)
    """
    for param in model.parameters():
        param.requires_grad = True


@torch.no_grad()
def update_momentum(model: Module, model_ema: Module, m: float) -> None:
    """EMA update ``ema = m * ema + (1 - m) * param`` of all parameters, in place.

    One fused multi-tensor multiply and one fused multi-tensor add over all
    parameters (``torch._foreach_mul_`` / ``torch._foreach_add_``), instead of
    one kernel pair per parameter. Buffers (e.g. BatchNorm statistics) are not
    touched, as in Lightly.

    Args:
        model: The trained model.
        model_ema: The momentum model, with the same parameter structure.
        m: Momentum factor, usually close to 1.

    Raises:
        ValueError: If the two models' parameters differ in number or shape.

    Examples:
        >>> backbone_momentum = copy.deepcopy(backbone)
        >>> update_momentum(backbone, backbone_momentum, m=0.99)
    """
    params = list(model.parameters())
    ema_params = list(model_ema.parameters())
    if len(params) != len(ema_params):
        raise ValueError(f"model has {len(params)} parameters but model_ema has {len(ema_params)}")
    for index, (param, ema) in enumerate(zip(params, ema_params)):
        if param.shape != ema.shape:
            raise ValueError(
                f"parameter {index} has shape {tuple(param.shape)} in model but "
                f"{tuple(ema.shape)} in model_ema"
            )
    if not params:
        return
    torch._foreach_mul_(ema_params, m)
    torch._foreach_add_(ema_params, params, alpha=1.0 - m)


@torch.no_grad()
def normalize_weight(weight: Parameter, dim: int = 1, keepdim: bool = True) -> None:
    """Divides ``weight`` in place by its L2 norm along ``dim``."""
    weight.div_(torch.norm(weight, dim=dim, keepdim=keepdim))


@torch.no_grad()
def _no_grad_trunc_normal(tensor: Tensor, mean: float, std: float, a: float, b: float) -> Tensor:
    """Fills ``tensor`` in place with a normal(mean, std) truncated to [a, b].

    Inverse-CDF sampling, as Lightly's DINO head initialization uses (recent
    ``torch.nn.init.trunc_normal_`` samples differently, so the same seed would
    give other weights). ``a`` and ``b`` should lie within 2 std of ``mean``.
    """

    def norm_cdf(x: float) -> float:
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    low = norm_cdf((a - mean) / std)
    high = norm_cdf((b - mean) / std)
    tensor.uniform_(2 * low - 1, 2 * high - 1)
    tensor.erfinv_()
    tensor.mul_(std * math.sqrt(2.0))
    tensor.add_(mean)
    tensor.clamp_(min=a, max=b)
    return tensor


def get_weight_decay_parameters(
    modules: Iterable[Module],
    decay_norm: bool = False,
    decay_bias: bool = False,
    norm_layers: Tuple[Type[Module], ...] = _NORM_LAYERS,
) -> Tuple[List[Parameter], List[Parameter]]:
    """Splits parameters into those with and those without weight decay.

    Args:
        modules: Modules whose parameters are split.
        decay_norm: If True, parameters of normalization layers are decayed.
        decay_bias: If True, parameters whose name ends in ``bias`` are decayed.
        norm_layers: Classes counted as normalization layers.

    Returns:
        ``(params, params_no_weight_decay)``.

    Examples:
        >>> params, no_decay = get_weight_decay_parameters([backbone, head])
        >>> optimizer = torch.optim.AdamW([
        ...     {"params": params}, {"params": no_decay, "weight_decay": 0.0}])
    """
    params: List[Parameter] = []
    params_no_weight_decay: List[Parameter] = []
    for module in modules:
        for mod in module.modules():
            if isinstance(mod, norm_layers):
                target = params if decay_norm else params_no_weight_decay
                target.extend(mod.parameters(recurse=False))
                continue
            for name, param in mod.named_parameters(recurse=False):
                if not decay_bias and name.endswith("bias"):
                    params_no_weight_decay.append(param)
                else:
                    params.append(param)
    return params, params_no_weight_decay


def get_named_leaf_modules(module: Module) -> Dict[str, Module]:
    """Returns the modules without children, keyed by their qualified name."""
    return {name: mod for name, mod in module.named_modules() if not any(mod.children())}


# --- nearest neighbours ----------------------------------------------------------


def nearest_neighbors(
    input_maps: Tensor,
    candidate_maps: Tensor,
    distances: Tensor,
    num_matches: Optional[int],
) -> Tuple[Tensor, Tensor]:
    """Pairs each input map with its nearest candidate and keeps the closest pairs.

    Args:
        input_maps: Shape (B, N, D).
        candidate_maps: Shape (B, M, D).
        distances: Distances between them, shape (B, N, M).
        num_matches: Number of pairs to keep; None, -1 or more than N keeps N.

    Returns:
        ``(inputs, candidates)``, each of shape (B, num_matches, D).
    """
    if num_matches is None or num_matches == -1 or num_matches > input_maps.size(1):
        num_matches = input_maps.size(1)
    topk_values, topk_indices = distances.topk(k=1, dim=2, largest=False)
    _, min_indices = topk_values.squeeze(-1).topk(k=num_matches, dim=1, largest=False)
    feature_dim = input_maps.shape[2]
    keep = min_indices.unsqueeze(-1).expand(-1, -1, feature_dim)
    filtered_inputs = torch.gather(input_maps, 1, keep)
    nearest = torch.gather(candidate_maps, 1, topk_indices.expand(-1, -1, feature_dim))
    return filtered_inputs, torch.gather(nearest, 1, keep)


def most_similar_index(x: Tensor, y: Tensor) -> Tensor:
    """For x, y of shape (B, N, C): index (B, N) of the most cosine-similar y[i] entry."""
    x = functional.normalize(x, dim=-1)
    y = functional.normalize(y, dim=-1)
    return torch.einsum("bnc,bmc->bnm", x, y).argmax(dim=2)


def select_most_similar(x: Tensor, y: Tensor, y_values: Tensor) -> Tensor:
    """Gathers from ``y_values`` (B, N, D) the entry of the y most similar to each x."""
    index = most_similar_index(x, y).unsqueeze(-1).expand(y_values.shape)
    return torch.gather(y_values, dim=1, index=index)


def normalize_mean_var(x: Tensor, dim: int = -1, eps: float = 1.0e-6) -> Tensor:
    """Normalizes ``x`` to zero mean and unit (unbiased) variance along ``dim``."""
    mean = x.mean(dim=dim, keepdim=True)
    var = x.var(dim=dim, keepdim=True)
    return (x - mean) / (var + eps).sqrt()


# --- tokens (masked vision transformers) -------------------------------------------


def repeat_token(token: Tensor, size: Tuple[int, int]) -> Tensor:
    """Repeats a (1, 1, dim) token to shape (batch_size, sequence_length, dim)."""
    batch_size, sequence_length = size
    return token.repeat(batch_size, sequence_length, 1)


def expand_index_like(index: Tensor, tokens: Tensor) -> Tensor:
    """Expands a (B, L) index to (B, L, dim) for gathering from (B, S, dim) tokens."""
    return index.unsqueeze(-1).expand(-1, -1, tokens.shape[-1])


def get_at_index(tokens: Tensor, index: Tensor) -> Tensor:
    """Selects ``tokens[b, index[b, i]]``: (B, S, dim) tokens, (B, L) index -> (B, L, dim)."""
    return torch.gather(tokens, 1, expand_index_like(index, tokens))


def set_at_index(tokens: Tensor, index: Tensor, value: Union[Tensor, float]) -> Tensor:
    """Returns a copy of ``tokens`` with ``value`` (B, L, dim) written at ``index`` (B, L)."""
    return torch.scatter(tokens, 1, expand_index_like(index, tokens), value)


def mask_at_index(tokens: Tensor, index: Tensor, mask_token: Tensor) -> Tensor:
    """Replaces the tokens at ``index`` (B, L) with ``mask_token`` (1, 1, dim)."""
    mask = set_at_index(tokens.new_zeros(tokens.shape), index, 1)
    return (1 - mask) * tokens + mask * mask_token


def mask_bool(tokens: Tensor, mask: Tensor, mask_token: Tensor) -> Tensor:
    """Replaces the tokens where the (B, S) boolean ``mask`` is True with ``mask_token``."""
    mask = mask.unsqueeze(-1).to(torch.bool).to(torch.int)
    return (1 - mask) * tokens + mask * mask_token


def prepend_class_token(tokens: Tensor, class_token: Tensor) -> Tensor:
    """Prepends a (1, 1, dim) class token to (B, S, dim) tokens -> (B, S + 1, dim)."""
    return torch.cat([class_token.expand(tokens.shape[0], -1, -1), tokens], dim=1)


def patchify(images: Tensor, patch_size: int) -> Tensor:
    """Splits square images (N, C, H, W) into (N, num_patches, patch_size**2 * C) patches.

    Raises:
        ValueError: If the images are not square or H is not a multiple of ``patch_size``.
    """
    n, c, h, w = images.shape
    if h != w or h % patch_size != 0:
        raise ValueError(
            f"images must be square with a side divisible by patch_size={patch_size}, "
            f"got {h}x{w}"
        )
    grid = h // patch_size
    patches = images.reshape(n, c, grid, patch_size, grid, patch_size)
    patches = torch.einsum("nchpwq->nhwpqc", patches)
    return patches.reshape(n, grid * grid, patch_size**2 * c)


def unpatchify(patches: Tensor, patch_size: int, channels: int = 3) -> Tensor:
    """Inverse of :func:`patchify`: (N, num_patches, patch_size**2 * C) -> (N, C, H, W).

    Raises:
        ValueError: If the number of patches is not a square.
    """
    n = patches.shape[0]
    grid = int(patches.shape[1] ** 0.5)
    if grid * grid != patches.shape[1]:
        raise ValueError(f"number of patches must be a square, got {patches.shape[1]}")
    images = patches.reshape(n, grid, grid, patch_size, patch_size, channels)
    images = torch.einsum("nhwpqc->nchpwq", images)
    return images.reshape(n, channels, grid * patch_size, grid * patch_size)


def random_token_mask(
    size: Tuple[int, int],
    mask_ratio: float = 0.6,
    mask_class_token: bool = False,
    device: Optional[Union[torch.device, str]] = None,
) -> Tuple[Tensor, Tensor]:
    """Random per-sample token masks, as index tensors.

    Args:
        size: ``(batch_size, sequence_length)``.
        mask_ratio: Fraction of tokens to mask.
        mask_class_token: If False, token 0 (the class token) is always kept.
        device: Device of the returned indices.

    Returns:
        ``(idx_keep, idx_mask)`` of shapes (B, num_keep) and (B, S - num_keep).
    """
    batch_size, sequence_length = size
    # The class token, if protected, does not count towards the masked fraction.
    num_keep = int((sequence_length - int(not mask_class_token)) * (1 - mask_ratio))
    noise = torch.rand(batch_size, sequence_length, device=device)
    if not mask_class_token and sequence_length > 0:
        noise[:, 0] = -1
        num_keep = max(1, num_keep + 1)
    indices = torch.argsort(noise, dim=1)
    return indices[:, :num_keep], indices[:, num_keep:]
