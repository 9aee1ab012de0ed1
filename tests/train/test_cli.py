"""The fastssl command line: train -> embed -> knn / similar / select -> export, and every --help."""

from __future__ import annotations

import argparse

import pytest
import torch
import torchvision

from fastssl.cli import build_parser, main


def run(*argv: str) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(list(argv))
    assert exit_info.value.code == 0


def test_train_embed_and_use_the_embeddings(class_folder, tmp_path, capsys):
    data, run_dir, emb = class_folder(per_class=3), tmp_path / "run", tmp_path / "emb"
    run("train", "--method", "simclr", "--data", str(data), "--backbone", "resnet18", "--epochs", "2",
        "--batch-size", "4", "--input-size", "32", "--out", str(run_dir), "--device", "cpu", "--no-progress",
        "--method-arg", "hidden_dim=32", "--method-arg", "output_dim=16", "--checkpoint-every", "2")
    assert "checkpoint: " in capsys.readouterr().out
    assert {"checkpoint.pt", "log.csv", "log.png"} <= {p.name for p in run_dir.iterdir()}

    run("embed", "--checkpoint", str(run_dir / "checkpoint.pt"), "--data", str(data), "--out", str(emb),
        "--device", "cpu")
    assert "12 embeddings of size 512" in capsys.readouterr().out

    run("knn", "--embeddings", str(emb), "--val-fraction", "0.25", "--k", "3")
    assert "kNN top-1 accuracy:" in capsys.readouterr().out

    run("similar", "--embeddings", str(emb), "--query", "class_1/img_00.jpg", "--k", "3")
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and lines[0].split("\t")[2] == "class_1/img_00.jpg"

    query = data / "class_2" / "img_01.jpg"  # a path: embedded on the fly with the checkpoint
    run("similar", "--embeddings", str(emb), "--query", str(query), "--checkpoint", str(run_dir / "checkpoint.pt"))
    assert capsys.readouterr().out.splitlines()[0].split("\t")[2] == "class_2/img_01.jpg"

    run("select", "--embeddings", str(emb), "--n", "4", "--out", str(tmp_path / "subset.txt"))
    chosen = (tmp_path / "subset.txt").read_text().splitlines()
    assert len(chosen) == len(set(chosen)) == 4 and all(name.endswith(".jpg") for name in chosen)

    run("export", "--checkpoint", str(run_dir / "checkpoint.pt"), "--out", str(tmp_path / "backbone.pt"))
    model = torchvision.models.resnet18()
    missing = model.load_state_dict(torch.load(tmp_path / "backbone.pt"), strict=False).missing_keys
    assert sorted(missing) == ["fc.bias", "fc.weight"]


def test_resume_takes_the_checkpoint_settings_and_refuses_other_ones(class_folder, tmp_path, capsys):
    data, out = class_folder(), tmp_path / "run"
    run("train", "--data", str(data), "--epochs", "1", "--batch-size", "8", "--input-size", "32", "--out", str(out),
        "--device", "cpu", "--no-progress", "--method-arg", "hidden_dim=32", "--method-arg", "output_dim=16")
    log = (out / "log.csv").read_text()
    run("train", "--data", str(data), "--out", str(out), "--device", "cpu", "--no-progress", "--resume")
    assert (out / "log.csv").read_text() == log  # batch size, input size, heads... from the checkpoint: done
    with pytest.raises(SystemExit, match="cannot resume '.*checkpoint.pt' with batch_size=4: its run has "
                                         "batch_size=8"):
        main(["train", "--data", str(data), "--out", str(out), "--device", "cpu", "--batch-size", "4", "--resume"])


@pytest.mark.parametrize("argv, message", [
    (["train", "--data", "/nonexistent", "--device", "cpu"], "fastssl train: error: "),
    (["embed", "--checkpoint", "/nonexistent.pt", "--data", ".", "--out", "x"], "no checkpoint at '/nonexistent.pt'"),
    (["select", "--embeddings", "/nonexistent", "--n", "2", "--out", "x"], "no embeddings.csv in '/nonexistent'"),
    (["train", "--data", ".", "--method-arg", "oops"], "--method-arg must be KEY=VALUE, got 'oops'"),
])
def test_errors_are_messages_not_tracebacks(argv, message):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert message in str(exit_info.value.code)


def _subcommands() -> dict:
    action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return action.choices


@pytest.mark.parametrize("name", ["train", "embed", "knn", "similar", "select", "export", "info"])
def test_help_explains_every_option_with_its_default(name, capsys):
    with pytest.raises(SystemExit):
        main([name, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for action in _subcommands()[name]._actions:
        if action.dest == "help":
            continue
        assert action.help, f"{name} {action.option_strings} has no help"
        assert action.option_strings[0] in text
        shows_default = not action.required and action.default not in (None, [], True, False)
        if shows_default:
            assert f"(default: {action.default})" in text, (name, action.dest)
        elif not action.required and action.default is None:
            assert "default" in action.help.lower() or action.dest in ("val_embeddings", "checkpoint"), action.dest


def test_train_options_are_the_config_fields():
    from fastssl.train import TrainConfig

    train_dests = {a.dest for a in _subcommands()["train"]._actions} - {"help", "resume", "method_arg"}
    fields = set(TrainConfig.__dataclass_fields__) - {"method_kwargs"}
    assert train_dests == fields
