"""How fast, and how lean, is a loss step (forward + backward) with fastssl's fused kernels?

Compares, in one interleaved run, fastssl's fused Triton kernels (CUDA only),
fastssl's eager reference and Lightly 1.6.0's loss modules, for NT-Xent, DCL and
DINO over a grid of batch sizes and dimensions; on request also Barlow Twins,
VICReg's covariance term (of both views) and SwaV's Sinkhorn codes (forward
only: they carry no gradient). The rate is loss steps/s; ratios
are relative to Lightly on the same case (to the eager reference where Lightly
does not fit in memory). Peak extra memory of one step is measured with
torch.cuda.max_memory_allocated on the GPU; on the CPU it is not measured
(tracemalloc does not see torch's allocator and RSS only grows).

    python benchmarks/bench_losses.py                     # the full grid (meant for a GPU)
    python benchmarks/bench_losses.py --losses ntxent --batches 8192,65536 --dims 128
    python benchmarks/bench_losses.py --quick             # smoke run: tiny shapes, 1 run
    python benchmarks/bench_losses.py --losses barlow,vicreg,sinkhorn   # the D x D and Sinkhorn kernels
"""

from __future__ import annotations

import argparse
import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch

from _harness import Provider, Result, add_run_arguments, run_benchmark, write_csv, write_png
from fastssl.loss.kernels import (
    barlow_twins_loss,
    dcl_loss,
    dino_loss,
    fused_available,
    ntxent_loss,
    sinkhorn_knopp,
    vicreg_covariance_loss,
)
from fastssl._ext import optional_module

DINO_VIEWS = (2, 4)  # teacher views, student views
LOSSES = ("ntxent", "dcl", "dino", "barlow", "vicreg", "sinkhorn")
# Losses whose sizes are BATCHxDIM lists (--dino, --correlation, --sinkhorn) rather than --batches x --dims.
SIZED_BY = {"dino": "dino", "barlow": "correlation", "vicreg": "correlation", "sinkhorn": "sinkhorn"}
# Default sizes: the grid on a GPU, the small end of it on a CPU (the eager paths are O(batch^2)).
# Barlow Twins and VICReg cost O(batch * dim^2), so their grid pairs large dims with moderate batches;
# Sinkhorn runs on (batch x prototypes) scores, SwaV's 3,000 prototypes.
GPU_GRID = {
    "batches": "256,1024,8192,65536", "dims": "128,1024,8192", "dino": "64x65536,256x65536",
    "correlation": "256x2048,256x8192,2048x8192", "sinkhorn": "256x3000,4096x3000,65536x3000",
}
CPU_GRID = {
    "batches": "256,1024", "dims": "128,1024", "dino": "16x65536",
    "correlation": "256x1024,256x2048", "sinkhorn": "256x3000",
}
QUICK_GRID = {"batches": "64", "dims": "32", "dino": "8x512", "correlation": "64x32", "sinkhorn": "64x128"}


@dataclass(frozen=True)
class Case:
    """One loss at one size: ``batch`` rows of ``dim`` features per view."""

    loss: str
    batch: int
    dim: int
    device: str

    @property
    def label(self) -> str:
        return f"{self.loss} B{self.batch} d{self.dim}"


Step = Callable[[], None]


def _inputs(case: Case) -> List[torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    if case.loss == "sinkhorn":  # prototype scores are cosine similarities, in [-1, 1]
        return [(2 * torch.rand(case.batch, case.dim, generator=g) - 1).to(case.device)]
    views = sum(DINO_VIEWS) if case.loss == "dino" else 2
    return [
        torch.randn(case.batch, case.dim, generator=g).to(case.device).requires_grad_()
        for _ in range(views)
    ]


def _fastssl_step(case: Case, fused: bool) -> Step:
    x = _inputs(case)
    if case.loss == "ntxent":
        return lambda: ntxent_loss(x[0], x[1], 0.5, fused=fused).backward()
    if case.loss == "dcl":
        return lambda: dcl_loss(x[0], x[1], 0.1, fused=fused).backward()
    if case.loss == "barlow":
        return lambda: barlow_twins_loss(x[0], x[1], fused=fused).backward()
    if case.loss == "vicreg":
        return lambda: sum(vicreg_covariance_loss(z, fused=fused) for z in x).backward()
    if case.loss == "sinkhorn":
        return lambda: sinkhorn_knopp(x[0], fused=fused)
    center = torch.zeros(1, 1, case.dim, device=case.device)
    teacher = [t.detach() for t in x[: DINO_VIEWS[0]]]
    return lambda: dino_loss(teacher, x[DINO_VIEWS[0] :], center, 0.04, 0.1, fused=fused).backward()


def _lightly_step(case: Case) -> Step:
    import lightly.loss

    x = _inputs(case)
    if case.loss == "ntxent":
        loss_fn = lightly.loss.NTXentLoss(temperature=0.5)
        return lambda: loss_fn(x[0], x[1]).backward()
    if case.loss == "dcl":
        loss_fn = lightly.loss.DCLLoss(temperature=0.1)
        return lambda: loss_fn(x[0], x[1]).backward()
    if case.loss == "barlow":
        loss_fn = lightly.loss.BarlowTwinsLoss()
        return lambda: loss_fn(x[0], x[1]).backward()
    if case.loss == "vicreg":
        from lightly.loss.vicreg_loss import covariance_loss

        return lambda: sum(covariance_loss(z) for z in x).backward()
    if case.loss == "sinkhorn":
        from lightly.loss.swav_loss import sinkhorn

        return lambda: sinkhorn(x[0])
    loss_fn = lightly.loss.DINOLoss(case.dim).to(case.device)
    teacher = [t.detach() for t in x[: DINO_VIEWS[0]]]
    return lambda: loss_fn(teacher, x[DINO_VIEWS[0] :]).backward()


# Provider name -> (is it available for this case?, step factory).
PROVIDERS: Dict[str, Tuple[Callable[[Case], bool], Callable[[Case], Step]]] = {
    "fastssl fused": (
        lambda case: fused_available(torch.empty(0, device=case.device)),
        lambda case: _fastssl_step(case, fused=True),
    ),
    "fastssl eager": (lambda case: True, lambda case: _fastssl_step(case, fused=False)),
    "lightly": (lambda case: optional_module("lightly.loss") is not None, _lightly_step),
}


def _sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def _out_of_memory(error: BaseException) -> bool:
    return isinstance(error, torch.cuda.OutOfMemoryError) or "out of memory" in str(error).lower()


def measure_once(case: Case, step: Step) -> Optional[float]:
    """Runs one step; returns its peak extra memory in MiB (None on the CPU). Raises on failure."""
    if case.device != "cuda":
        step()
        return None
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    before = torch.cuda.memory_allocated()
    step()
    torch.cuda.synchronize()
    return (torch.cuda.max_memory_allocated() - before) / 2**20


def _provider(case: Case, step: Step, steps: int) -> Provider:
    def run() -> int:
        for _ in range(steps):
            step()
        _sync(case.device)
        return steps

    return run


def main(argv: Optional[Sequence[str]] = None) -> List[Result]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--losses", default=",".join(LOSSES), help=", ".join(LOSSES))
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--batches", help="NT-Xent / DCL batch sizes (default: per device)")
    parser.add_argument("--dims", help="NT-Xent / DCL dimensions (default: per device)")
    parser.add_argument("--dino", help="DINO BATCHxDIM cases (default: per device)")
    parser.add_argument("--correlation", help="Barlow Twins / VICReg BATCHxDIM cases (default: per device)")
    parser.add_argument("--sinkhorn", help="Sinkhorn BATCHxPROTOTYPES cases (default: per device)")
    parser.add_argument("--steps", type=int, default=3, help="loss steps per timed call")
    add_run_arguments(parser, "losses", runs=5, quick_help="smoke run: tiny shapes, 1 run")
    args = parser.parse_args(argv)

    grid = QUICK_GRID if args.quick else GPU_GRID if args.device == "cuda" else CPU_GRID
    args.batches = args.batches or grid["batches"]
    args.dims = args.dims or grid["dims"]
    args.dino = args.dino or grid["dino"]
    args.correlation = args.correlation or grid["correlation"]
    args.sinkhorn = args.sinkhorn or grid["sinkhorn"]
    if args.quick:
        args.steps, args.runs, args.warmup = 1, 1, 0
    print(f"device {args.device}, {args.steps} loss steps (forward + backward) per call, {args.runs} runs")
    results: List[Result] = []
    memory_rows: List[Tuple[str, str]] = []
    for case in _cases(args):
        providers: Dict[str, Provider] = {}
        for provider_name, (available, factory) in PROVIDERS.items():
            if not available(case):
                continue
            name = f"{provider_name} {case.label}"
            try:
                step = factory(case)
                peak = measure_once(case, step)
            except RuntimeError as error:
                if not _out_of_memory(error):
                    raise
                memory_rows.append((name, "out of memory"))
                torch.cuda.empty_cache()
                continue
            memory_rows.append((name, "unmeasured (CPU)" if peak is None else f"{peak:.1f}"))
            providers[name] = _provider(case, step, args.steps)
        if not providers:
            continue
        baseline = next((n for n in providers if n.startswith("lightly")), None) or next(
            n for n in providers if n.startswith("fastssl eager")
        )
        # One harness run per case, so that only one case's tensors are alive at a time.
        results += run_benchmark(
            args.name, providers, baseline, args.runs, args.warmup, "steps/s", results_dir=None
        )
        del providers
        if args.device == "cuda":
            torch.cuda.empty_cache()

    if args.results is not None:
        args.results.mkdir(parents=True, exist_ok=True)
        write_csv(results, args.results / f"{args.name}.csv", "steps/s")
        write_png(results, args.results / f"{args.name}.png", "steps/s", title=args.name)
    _report_memory(memory_rows, args.results, args.name)
    return results


def _cases(args: argparse.Namespace) -> List[Case]:
    losses = [x for x in args.losses.split(",") if x]
    unknown = sorted(set(losses) - set(LOSSES))
    if unknown:
        raise SystemExit(f"unknown loss '{unknown[0]}': choose from {', '.join(LOSSES)}")
    cases = []
    for loss in losses:
        if loss in SIZED_BY:
            for spec in getattr(args, SIZED_BY[loss]).split(","):
                batch, dim = (int(v) for v in spec.split("x"))
                cases.append(Case(loss, batch, dim, args.device))
            continue
        for batch in (int(b) for b in args.batches.split(",")):
            for dim in (int(d) for d in args.dims.split(",")):
                cases.append(Case(loss, batch, dim, args.device))
    return cases


def _report_memory(rows: List[Tuple[str, str]], results_dir: Optional[Path], name: str) -> None:
    print("\n| provider | peak extra memory of one step (MiB) |\n|---|---:|")
    for provider, peak in rows:
        print(f"| {provider} | {peak} |")
    if results_dir is not None:
        results_dir.mkdir(parents=True, exist_ok=True)
        with open(results_dir / f"{name}_memory.csv", "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["provider", "peak extra MiB"])
            writer.writerows(rows)


if __name__ == "__main__":
    main()
