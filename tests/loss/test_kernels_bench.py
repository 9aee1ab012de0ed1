"""Smoke test of benchmarks/bench_losses.py: a --quick run on this machine (nothing is timed)."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import bench_losses  # noqa: E402


def test_bench_losses_quick_run(tmp_path, capsys):
    results = bench_losses.main(["--quick", "--results", str(tmp_path), "--device", "cpu"])
    expected = [
        f"{provider} {case}"
        for case in ["ntxent B64 d32", "dcl B64 d32", "dino B8 d512", "barlow B64 d32", "vicreg B64 d32",
                     "sinkhorn B64 d128"]
        for provider in ["fastssl eager", "lightly"]  # no fused kernel on the CPU
    ]
    assert [r.name for r in results] == expected
    assert {r.name: r.baseline for r in results}["fastssl eager dcl B64 d32"] == "lightly dcl B64 d32"
    assert all(r.median > 0 for r in results)
    out = capsys.readouterr().out
    assert "| fastssl eager ntxent B64 d32 | unmeasured (CPU) |" in out
    with open(tmp_path / "losses.csv") as f:
        assert [row["provider"] for row in csv.DictReader(f)] == expected
    with open(tmp_path / "losses_memory.csv") as f:
        assert [row["provider"] for row in csv.DictReader(f)] == expected


def test_bench_losses_rejects_an_unknown_loss():
    with pytest.raises(SystemExit, match="unknown loss 'swav': choose from ntxent, dcl, dino, barlow"):
        bench_losses.main(["--quick", "--losses", "ntxent,swav", "--results", ""])

