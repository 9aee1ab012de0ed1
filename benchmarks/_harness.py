"""A small benchmark harness: interleaved runs, medians, ratios, table, CSV and PNG.

A benchmark is a dict of named *providers*: callables that process a fixed
amount of work and return how many items they processed. Runs are interleaved
(A B C, then B C A, C A B, ...) so that a noisy, shared machine slows every
provider alike and none always goes first; providers are compared by the ratio
of their median rate to a baseline's.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Union

from fastssl._ext import optional_module

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def add_run_arguments(parser: argparse.ArgumentParser, name: str, runs: int, quick_help: str,
                      warmup: bool = True) -> None:
    """The options every benchmark script shares: --runs, --warmup, --results, --name, --quick."""
    parser.add_argument("--runs", type=int, default=runs)
    if warmup:
        parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--results", type=Path, default=RESULTS_DIR, help="folder of CSV + PNG")
    parser.add_argument("--name", default=name, help="file stem of the results")
    parser.add_argument("--quick", action="store_true", help=quick_help)

Provider = Callable[[], int]


@dataclass(frozen=True)
class Result:
    """The rates (items/s) measured for one provider, and its baseline's median."""

    name: str
    rates: List[float]
    baseline: str
    baseline_median: float

    @property
    def median(self) -> float:
        return statistics.median(self.rates)

    @property
    def ratio(self) -> float:
        return self.median / self.baseline_median


def run_benchmark(
    name: str,
    providers: Mapping[str, Provider],
    baseline: Union[str, Mapping[str, str]],
    runs: int = 5,
    warmup: int = 1,
    unit: str = "items/s",
    results_dir: Optional[Path] = RESULTS_DIR,
) -> List[Result]:
    """Times every provider, prints a markdown table and writes ``<name>.csv`` / ``.png``.

    Args:
        name: File stem of the results.
        providers: Provider name -> callable returning the number of items it processed.
        baseline: The provider every ratio is relative to, or a mapping from each
            provider name to its own baseline provider.
        runs: Timed calls of each provider, one per round; each round starts one
            provider later than the previous one.
        warmup: Untimed rounds of calls first.
        unit: Label of the rate in the table, CSV header and plot.
        results_dir: Folder of the CSV and PNG; None writes nothing.

    Returns:
        One Result per provider, in the order of ``providers``.

    Raises:
        ValueError: If there is no provider, ``runs`` < 1, ``warmup`` < 0, or a
            baseline names no provider.

    >>> providers = {"list": lambda: len(list(range(10**6))), "range": lambda: 10**6}
    >>> results = run_benchmark("demo", providers, baseline="list", results_dir=None)
    | provider | median items/s | min | max | vs baseline | baseline |
    ...
    >>> results[1].ratio > 1.0  # counting is faster than listing
    True
    """
    if not providers:
        raise ValueError("providers must not be empty")
    baselines = {p: baseline for p in providers} if isinstance(baseline, str) else dict(baseline)
    _check_baselines(providers, baselines)  # before the runs: a typo should not cost a benchmark
    return report(name, measure(providers, runs, warmup), baselines, unit, results_dir)


def measure(providers: Mapping[str, Provider], runs: int = 5, warmup: int = 1) -> Dict[str, List[float]]:
    """The rates of every provider over ``runs`` interleaved rounds, after ``warmup`` untimed ones.

    Each round starts one provider later than the previous one. A benchmark too large to keep
    every provider alive at once (each with its own workers and buffers) measures them in
    groups, one call per group, and reports them together.

    Raises:
        ValueError: If ``runs`` < 1 or ``warmup`` < 0.
    """
    if runs < 1:
        raise ValueError(f"runs must be at least 1 but is {runs}")
    if warmup < 0:
        raise ValueError(f"warmup must be non-negative but is {warmup}")
    for _ in range(warmup):
        for provider in providers.values():
            provider()
    rates: Dict[str, List[float]] = {p: [] for p in providers}
    names = list(providers)
    for run in range(runs):
        shift = run % len(names)  # rotate the order so no provider always goes first
        for p in names[shift:] + names[:shift]:
            rates[p].append(_rate(providers[p]))
    return rates


def report(
    name: str,
    rates: Mapping[str, List[float]],
    baselines: Mapping[str, str],
    unit: str = "items/s",
    results_dir: Optional[Path] = RESULTS_DIR,
) -> List[Result]:
    """Prints the markdown table of ``rates`` (provider -> rates, as ``measure`` returns them)
    and writes ``<name>.csv`` / ``.png``; ratios are to each provider's baseline in ``baselines``.

    Raises:
        ValueError: If a baseline names no provider.
    """
    _check_baselines(rates, baselines)
    medians = {p: statistics.median(r) for p, r in rates.items()}
    results = [Result(p, rates[p], baselines[p], medians[baselines[p]]) for p in rates]
    print(format_table(results, unit))
    if results_dir is not None:
        results_dir.mkdir(parents=True, exist_ok=True)
        write_csv(results, results_dir / f"{name}.csv", unit)
        write_png(results, results_dir / f"{name}.png", unit, title=name)
    return results


def _check_baselines(providers: Mapping[str, object], baselines: Mapping[str, str]) -> None:
    for provider in providers:
        if baselines.get(provider) not in providers:
            raise ValueError(
                f"baseline of '{provider}' must be a provider but is {baselines.get(provider)!r}"
            )


def _rate(provider: Provider) -> float:
    start = time.perf_counter()
    items = provider()
    return items / (time.perf_counter() - start)


def format_table(results: List[Result], unit: str) -> str:
    """A markdown table: median, min and max rate, and the ratio to the baseline."""
    lines = [
        f"| provider | median {unit} | min | max | vs baseline | baseline |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.name} | {r.median:.1f} | {min(r.rates):.1f} | {max(r.rates):.1f} "
            f"| {r.ratio:.2f}x | {r.baseline} |"
        )
    return "\n".join(lines)


def write_csv(results: List[Result], path: Path, unit: str) -> None:
    """One row per provider; the raw rates of every run in the last column."""
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            ["provider", f"median {unit}", "min", "max", "ratio", "baseline", "runs"]
        )
        for r in results:
            writer.writerow(
                [
                    r.name,
                    f"{r.median:.3f}",
                    f"{min(r.rates):.3f}",
                    f"{max(r.rates):.3f}",
                    f"{r.ratio:.4f}",
                    r.baseline,
                    " ".join(f"{x:.3f}" for x in r.rates),
                ]
            )


def write_png(results: List[Result], path: Path, unit: str, title: str) -> None:
    """A horizontal bar per provider (median) with min-max whiskers; skipped without matplotlib."""
    if optional_module("matplotlib") is None:
        print(f"matplotlib is not installed: skipping {path.name}")
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [r.name for r in results][::-1]
    medians = [r.median for r in results][::-1]
    errors = [
        [r.median - min(r.rates) for r in results][::-1],
        [max(r.rates) - r.median for r in results][::-1],
    ]
    fig, ax = plt.subplots(figsize=(8, 0.8 + 0.4 * len(results)))
    ax.barh(names, medians, xerr=errors, capsize=3, color="tab:blue")
    ax.set_xlabel(f"{unit} (median, min-max)")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
