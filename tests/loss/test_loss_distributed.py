"""gather_distributed: fastssl.loss equals lightly.loss in a real 2-process run.

Two CPU processes (gloo, torch.multiprocessing spawn) each feed their own
batch to both implementations; on every rank the losses, the gradients for a
random grad_output and the carried state (memory bank, TiCo covariance, DINO
center) must agree. Each gathered loss (or its state) must also differ from the same loss
without gathering, so the test fails if nothing was gathered.
"""

from __future__ import annotations

import os
import traceback
import warnings
from typing import Callable, List, Optional, Tuple

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import Tensor, nn

from fastssl.loss import _contrastive

WORLD_SIZE = 2
BATCH, DIM = 5, 7
RTOL = 1e-5

# name -> (build(package, gathered), inputs(gen), call(module, leaves), state(module))
Spec = Tuple[
    Callable[[object, bool], nn.Module],
    Callable[[torch.Generator], List[Tensor]],
    Callable[[nn.Module, List[Tensor]], Tensor],
    Callable[[nn.Module], Optional[Tensor]],
]


def _pair(gen: torch.Generator) -> List[Tensor]:
    return [torch.randn(BATCH, DIM, generator=gen) for _ in range(2)]


def _scores(gen: torch.Generator) -> List[Tensor]:
    return [torch.tanh(torch.randn(BATCH, DIM, generator=gen)) for _ in range(4)]


def _msn_inputs(gen: torch.Generator) -> List[Tensor]:
    return [
        torch.randn(2 * BATCH, DIM, generator=gen),
        torch.randn(BATCH, DIM, generator=gen),
        torch.randn(6, DIM, generator=gen),
    ]


def _plain(module: nn.Module, x: List[Tensor]) -> Tensor:
    return module(*x)


def _swav(module: nn.Module, x: List[Tensor]) -> Tensor:
    return module(x[:2], x[2:], [0.5 * v.detach().flip(0) for v in x[:2]])


def _dino(module: nn.Module, x: List[Tensor]) -> Tensor:
    return module([v.detach() for v in x[:2]], x[2:])


def _no_state(module: nn.Module) -> Optional[Tensor]:
    return None


def _bank_ntxent(package: object, gathered: bool) -> nn.Module:
    torch.manual_seed(99)  # same random start of the bank everywhere
    return package.NTXentLoss(memory_bank_size=(13, DIM), gather_distributed=gathered)


SPECS = {
    "ntxent": (
        lambda L, g: L.NTXentLoss(gather_distributed=g),
        _pair,
        _plain,
        _no_state,
    ),
    "ntxent_memory_bank": (_bank_ntxent, _pair, _plain, lambda m: m.memory_bank.bank),
    "dcl": (lambda L, g: L.DCLLoss(gather_distributed=g), _pair, _plain, _no_state),
    "dclw": (lambda L, g: L.DCLWLoss(gather_distributed=g), _pair, _plain, _no_state),
    "barlow_twins": (
        lambda L, g: L.BarlowTwinsLoss(gather_distributed=g),
        _pair,
        _plain,
        _no_state,
    ),
    "vicreg": (
        lambda L, g: L.VICRegLoss(gather_distributed=g),
        _pair,
        _plain,
        _no_state,
    ),
    "tico": (
        lambda L, g: L.TiCoLoss(gather_distributed=g),
        _pair,
        _plain,
        lambda m: m.C,
    ),
    "swav": (
        lambda L, g: L.SwaVLoss(sinkhorn_gather_distributed=g),
        _scores,
        _swav,
        _no_state,
    ),
    "msn": (
        lambda L, g: L.MSNLoss(gather_distributed=g),
        _msn_inputs,
        _plain,
        _no_state,
    ),
    "pmsn": (
        lambda L, g: L.PMSNLoss(gather_distributed=g),
        _msn_inputs,
        _plain,
        _no_state,
    ),
    # DINO has no switch: its center is averaged whenever torch.distributed runs.
    "dino": (
        lambda L, g: L.DINOLoss(output_dim=DIM),
        _scores,
        _dino,
        lambda m: m.center,
    ),
}
STEPS = 3


def _close(actual: Tensor, expected: Tensor, what: str) -> None:
    scale = max(expected.detach().abs().max().item(), 1e-3)
    torch.testing.assert_close(
        actual.detach(),
        expected.detach(),
        rtol=RTOL,
        atol=RTOL * scale,
        msg=lambda m: f"{what}: {m}",
    )


def _check_rank(rank: int, names: List[str]) -> None:
    """Runs the named specs on this rank, comparing fastssl with Lightly."""
    import lightly.loss as lightly_loss

    import fastssl.loss as fastssl_loss

    for name in names:
        build, inputs, call, state = SPECS[name]
        ours, theirs = build(fastssl_loss, True), build(lightly_loss, True)
        local = build(fastssl_loss, False)
        gen = torch.Generator().manual_seed(1000 * rank + len(name))
        for step in range(STEPS):
            data = inputs(gen)
            grad_output = torch.rand((), generator=gen) + 0.5
            results = []
            for module in (ours, theirs):
                leaves = [x.clone().requires_grad_() for x in data]
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    loss = call(module, leaves)
                grads = torch.autograd.grad(
                    loss.sum() * grad_output,
                    leaves,
                    allow_unused=True,
                    materialize_grads=True,
                )
                results.append((loss, grads))
            (loss_ours, grads_ours), (loss_ref, grads_ref) = results
            what = f"rank {rank} {name} step {step}"
            _close(loss_ours, loss_ref, f"{what} loss")
            for index, (g_ours, g_ref) in enumerate(zip(grads_ours, grads_ref)):
                _close(g_ours, g_ref, f"{what} grad {index}")
            if state(theirs) is not None:
                _close(state(ours), state(theirs), f"{what} state")
            if name != "dino":
                loss_local = call(local, [x.clone().requires_grad_() for x in data])
                same_state = state(ours) is None or torch.allclose(
                    state(local), state(ours)
                )
                gathered = not (torch.allclose(loss_local, loss_ours) and same_state)
                assert gathered, f"{what}: equals the loss without gathering"


def _worker(rank: int, init_file: str, error_dir: str) -> None:
    dist.init_process_group(
        "gloo", init_method=f"file://{init_file}", rank=rank, world_size=WORLD_SIZE
    )
    try:
        _check_rank(rank, list(SPECS))
        # 20 gathered views: log-sum-exp chunks of 3 rows.
        _contrastive.CHUNK_ELEMENTS = 60
        _check_rank(rank, ["ntxent", "dcl", "dclw"])
    except BaseException:
        with open(os.path.join(error_dir, f"rank{rank}.txt"), "w") as f:
            f.write(traceback.format_exc())
        raise
    finally:
        dist.destroy_process_group()


@pytest.mark.skipif(
    not dist.is_available(), reason="torch.distributed is not available"
)
def test_gather_distributed_matches_lightly(tmp_path) -> None:
    mp.spawn(
        _worker,
        args=(str(tmp_path / "init"), str(tmp_path)),
        nprocs=WORLD_SIZE,
        join=True,
    )
