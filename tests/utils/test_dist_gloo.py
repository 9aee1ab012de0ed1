"""fastssl.utils.dist and the distributed model helpers, in a real 2-process gloo run."""

from __future__ import annotations

import io
import os
from contextlib import redirect_stdout

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from lightly.models import utils as lightly_utils
from lightly.models.modules.memory_bank import MemoryBankModule as LightlyMemoryBank
from lightly.utils import dist as lightly_dist

from fastssl.models import utils
from fastssl.models.modules import MemoryBankModule
from fastssl.utils import dist as fastssl_dist

WORLD_SIZE = 2


def _check_gather(rank: int) -> None:
    weights = torch.arange(1.0, 7.0)  # the same loss weights on every rank
    grads = []
    for gather in (fastssl_dist.gather, lightly_dist.gather):
        x = (torch.arange(3.0) + 10 * rank).requires_grad_()
        out = torch.cat(gather(x))
        assert torch.equal(out, torch.tensor([0.0, 1.0, 2.0, 10.0, 11.0, 12.0]))
        (out * weights).sum().backward()
        grads.append(x.grad)
    # Each rank's input receives the summed gradient of its slice from both ranks.
    assert torch.equal(grads[0], WORLD_SIZE * weights[3 * rank : 3 * rank + 3])
    assert torch.equal(grads[0], grads[1])


def _check_batch_shuffle(rank: int) -> None:
    batch = torch.arange(5.0).unsqueeze(1).repeat(1, 2) + 5 * rank
    torch.manual_seed(100 + rank)  # ranks differ: rank 0's permutation must win
    shuffled, shuffle = utils.batch_shuffle(batch, distributed=True)
    torch.manual_seed(100 + rank)
    shuffled_lightly, shuffle_lightly = lightly_utils.batch_shuffle(batch, distributed=True)
    assert torch.equal(shuffle, shuffle_lightly)
    assert torch.equal(shuffled, shuffled_lightly)
    everything = utils.concat_all_gather(shuffled)
    assert torch.equal(everything[:, 0].sort().values, torch.arange(10.0))
    assert torch.equal(utils.batch_unshuffle(shuffled, shuffle, distributed=True), batch)
    assert torch.equal(
        utils.batch_unshuffle(shuffled, shuffle, distributed=True),
        lightly_utils.batch_unshuffle(shuffled, shuffle, distributed=True),
    )


def _check_memory_bank(rank: int) -> None:
    torch.manual_seed(0)
    ours = MemoryBankModule((7, 3), gather_distributed=True)
    torch.manual_seed(0)
    theirs = LightlyMemoryBank((7, 3), gather_distributed=True)
    for step in range(4):
        output = torch.full((2, 3), float(10 * step + rank))
        assert torch.equal(ours(output, update=True)[1], theirs(output, update=True)[1])
        assert torch.equal(ours.bank, theirs.bank)
    # Both ranks' rows went in: 4 gathered rows per step into 7 slots (a batch
    # running past the end is cut), so steps 2 and 3 fill the bank.
    assert ours.bank[:, 0].tolist() == [20.0, 20.0, 21.0, 21.0, 30.0, 30.0, 31.0]


def _worker(rank: int, init_file: str) -> None:
    dist.init_process_group(
        "gloo", init_method=f"file://{init_file}", rank=rank, world_size=WORLD_SIZE
    )
    try:
        assert fastssl_dist.rank() == rank
        assert fastssl_dist.world_size() == WORLD_SIZE
        assert torch.equal(fastssl_dist.eye_rank(3), lightly_dist.eye_rank(3))
        printed = io.StringIO()
        with redirect_stdout(printed):
            fastssl_dist.print_rank_zero("hello")
        assert printed.getvalue() == ("hello\n" if rank == 0 else "")
        _check_gather(rank)
        _check_batch_shuffle(rank)
        _check_memory_bank(rank)
    finally:
        dist.destroy_process_group()


def test_two_process_gloo(tmp_path) -> None:
    torch.set_num_threads(1)
    mp.spawn(_worker, args=(os.path.join(tmp_path, "store"),), nprocs=WORLD_SIZE, join=True)


def test_helpers_without_process_group() -> None:
    assert fastssl_dist.rank() == 0
    assert fastssl_dist.world_size() == 1
    assert torch.equal(fastssl_dist.eye_rank(4), torch.eye(4, dtype=torch.bool))
    assert fastssl_dist.rank_zero_only(lambda x: x + 1)(1) == 2
