"""A run that crashes and resumes ends with exactly the weights of a run that did not crash."""

from __future__ import annotations

import pytest
import torch

from fastssl.train import train
from fastssl.train.checkpoint import load_checkpoint

from .conftest import tiny_run


class Crash(Exception):
    pass


def crash_at(step: int):
    def on_step_end(state):
        if state.step == step:
            raise Crash(f"simulated crash after step {step}")
    return on_step_end


# Crash mid-epoch 1 (step 3) or mid-epoch 2 (step 6, right after a checkpoint). simclr: plain;
# moco: memory bank and a random batch shuffle; dino: EMA teacher, center, frozen last layer;
# nnclr: support set.
@pytest.mark.parametrize("method, crash_step", [("simclr", 3), ("simclr", 6), ("moco", 3), ("dino", 6),
                                                ("nnclr", 6)])
def test_resume_reproduces_the_uninterrupted_run(method, crash_step, class_folder, tmp_path):
    data = class_folder()
    settings = dict(batch_size=4, checkpoint_every=2)  # 4 steps per epoch, 8 in all
    reference = train(**tiny_run(method, data, tmp_path / "reference", **settings))

    out = tmp_path / "crashed"
    with pytest.raises(Crash):
        train(**tiny_run(method, data, out, **settings), on_step_end=crash_at(crash_step))
    saved = load_checkpoint(out / "checkpoint.pt")
    assert saved["step"] == crash_step - crash_step % 2  # at most the steps since the last checkpoint are lost

    resumed = train(**tiny_run(method, data, out, **settings), resume=True)

    expected, actual = reference.method.state_dict(), resumed.method.state_dict()
    assert expected.keys() == actual.keys()
    for key in expected:
        assert torch.equal(expected[key], actual[key]), key
    assert [row["loss"] for row in resumed.history] == [row["loss"] for row in reference.history]
    assert [row["steps"] for row in resumed.history] == [4, 8]


def test_resume_without_checkpoint_starts_fresh(class_folder, tmp_path):
    result = train(**tiny_run("simclr", class_folder(), tmp_path / "run", epochs=1), resume=True)
    assert result.history[0]["steps"] == 2


@pytest.mark.parametrize("change, message", [
    (dict(method="byol"), "with method='byol': its run has method='simclr'"),
    (dict(batch_size=4), "with batch_size=4: its run has batch_size=8"),
    (dict(epochs=2), "with epochs=2: its run has epochs=1"),
])
def test_resume_refuses_other_settings(class_folder, tmp_path, change, message):
    data = class_folder()
    train(**tiny_run("simclr", data, tmp_path / "run", epochs=1))
    settings = tiny_run(change.get("method", "simclr"), data, tmp_path / "run", epochs=1)
    settings.update(change)
    with pytest.raises(ValueError, match=message):
        train(**settings, resume=True)


def test_finished_run_resumes_to_nothing_more(class_folder, tmp_path):
    data = class_folder()
    first = train(**tiny_run("simclr", data, tmp_path / "run", epochs=1))
    again = train(**tiny_run("simclr", data, tmp_path / "run", epochs=1), resume=True)
    assert again.history == first.history
    for key, value in first.method.state_dict().items():
        assert torch.equal(value, again.method.state_dict()[key])


def test_unreadable_checkpoint_is_named(tmp_path):
    bad = tmp_path / "checkpoint.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="cannot read checkpoint '.*checkpoint.pt'"):
        load_checkpoint(bad)
