"""Training with 2 CPU processes on gloo, set up from torchrun's environment variables."""

from __future__ import annotations

import os
import socket

import torch
import torch.multiprocessing as mp

from fastssl.train import train
from fastssl.train.checkpoint import load_checkpoint

from .conftest import _write_class_folder, tiny_run

WORLD_SIZE = 2
METHODS = ("simclr", "moco")  # gathered NT-Xent; distributed batch shuffle and memory bank


def _free_ports(count: int) -> list:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def _worker(rank: int, data: str, out: str, ports: list) -> None:
    torch.set_num_threads(1)
    for method, port in zip(METHODS, ports):
        # As torchrun sets them; each train() creates and destroys its process group.
        os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), LOCAL_RANK=str(rank),
                          WORLD_SIZE=str(WORLD_SIZE))
        result = train(**tiny_run(method, data, f"{out}/{method}", epochs=1, batch_size=4, num_threads=1))
        assert result.method.gather_distributed
        torch.save({"params": dict(result.method.named_parameters()), "history": result.history},
                   f"{out}/{method}/rank{rank}.pt")


def test_two_processes_train_in_step(tmp_path):
    data = tmp_path / "images"
    _write_class_folder(data, per_class=4, size=40, seed=0)  # 16 images: 8 per rank, 2 batches of 4
    mp.spawn(_worker, args=(str(data), str(tmp_path), _free_ports(len(METHODS))), nprocs=WORLD_SIZE, join=True)

    for method in METHODS:
        ranks = [torch.load(tmp_path / method / f"rank{rank}.pt", weights_only=False) for rank in range(WORLD_SIZE)]
        assert ranks[0]["history"][0]["steps"] == ranks[1]["history"][0]["steps"] == 2
        for name, value in ranks[0]["params"].items():
            assert torch.equal(value, ranks[1]["params"][name]), (method, name)  # DDP kept them equal
        checkpoint = load_checkpoint(tmp_path / method / "checkpoint.pt")  # written by rank 0 only
        assert checkpoint["step"] == 2
        for name, value in checkpoint["method"].items():
            if name in ranks[0]["params"]:
                assert torch.equal(value, ranks[0]["params"][name])
