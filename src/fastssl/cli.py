"""The ``fastssl`` command line (``fastssl ...`` or ``python -m fastssl ...``).

    fastssl train   --method simclr --data DIR --out RUN    self-supervised training
    fastssl embed   --checkpoint RUN/checkpoint.pt --data DIR --out EMB
    fastssl knn     --embeddings EMB                        kNN accuracy on a labeled folder
    fastssl similar --embeddings EMB --query NAME           nearest images
    fastssl select  --embeddings EMB --n K --out FILE       a diverse subset
    fastssl export  --checkpoint RUN/checkpoint.pt --out backbone.pt
    fastssl info                                            version and backends
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional


def _info(_: argparse.Namespace) -> int:
    from fastssl._ext import info

    print(info())
    return 0


def _train(args: argparse.Namespace) -> int:
    from fastssl.train import TrainConfig, train

    fields = {f.name for f in dataclasses.fields(TrainConfig)}
    settings = {key: value for key, value in vars(args).items() if key in fields}
    settings["method_kwargs"] = _method_kwargs(args.method_arg)
    if args.resume:
        settings = _with_checkpoint_settings(settings)
    result = train(TrainConfig(**settings), resume=args.resume)
    if result.history:
        last = result.history[-1]
        print(f"epoch {last['epoch']}: loss {last['loss']:.4f}, {last['images_per_s']:.1f} images/s, "
              f"{100 * last['data_wait_share']:.1f}% waiting for data")
    print(f"checkpoint: {result.checkpoint}")
    return 0


def _with_checkpoint_settings(settings: Dict[str, Any]) -> Dict[str, Any]:
    """For --resume: the checkpoint's settings, except those given on the command line (not at their default)."""
    from fastssl.train import TrainConfig
    from fastssl.train.checkpoint import CHECKPOINT_NAME, load_checkpoint

    path = Path(settings["out"]) / CHECKPOINT_NAME
    if not path.is_file():
        return settings
    defaults = TrainConfig(data=".").to_dict()
    stored = load_checkpoint(path, mmap=True)["config"]  # the weights are read again when training resumes
    return {key: stored.get(key, value) if value == defaults.get(key) else value for key, value in settings.items()}


def _method_kwargs(pairs: List[str]) -> Dict[str, Any]:
    values: Dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"--method-arg must be KEY=VALUE, got {pair!r}")
        try:
            values[key] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            values[key] = text
    return values


def _embed(args: argparse.Namespace) -> int:
    from fastssl.train.embeddings import embed_folder, load_backbone

    backbone, input_size = load_backbone(args.checkpoint)
    embeddings = embed_folder(backbone, args.data, input_size, batch_size=args.batch_size,
                              num_threads=args.num_threads, device=args.device, on_error=args.on_error)
    out = embeddings.save(args.out)
    print(f"{len(embeddings.filenames)} embeddings of size {embeddings.vectors.shape[1]} written to {out}")
    return 0


def _knn(args: argparse.Namespace) -> int:
    from fastssl.train.embeddings import Embeddings
    from fastssl.train.neighbors import knn_accuracy, split_indices

    train_set = Embeddings.load(args.embeddings)
    if args.val_embeddings:
        val_set = Embeddings.load(args.val_embeddings)
        train_x, train_y, val_x, val_y = train_set.vectors, train_set.labels, val_set.vectors, val_set.labels
    else:
        train_idx, val_idx = split_indices(len(train_set.labels), args.val_fraction, args.seed)
        labels = train_set.labels
        train_x, val_x = train_set.vectors[train_idx], train_set.vectors[val_idx]
        train_y, val_y = [labels[i] for i in train_idx], [labels[i] for i in val_idx]
    accuracy = knn_accuracy(train_x, train_y, val_x, val_y, k=args.k, temperature=args.temperature)
    print(f"kNN top-1 accuracy: {100 * accuracy:.2f}% ({len(val_y)} validation, {len(train_y)} train images, "
          f"k={min(args.k, len(train_y))})")
    return 0


def _similar(args: argparse.Namespace) -> int:
    from fastssl.train.embeddings import Embeddings, embed_file, load_backbone
    from fastssl.train.neighbors import most_similar

    embeddings = Embeddings.load(args.embeddings)
    query_path = Path(args.query)
    if args.query in embeddings.filenames:
        query = embeddings.vectors[embeddings.index_of(args.query)]
    elif query_path.is_file():
        if not args.checkpoint:
            raise SystemExit(f"'{args.query}' is not an embedded file name; embedding it needs --checkpoint")
        backbone, input_size = load_backbone(args.checkpoint)
        query = embed_file(backbone, query_path, input_size)
    else:
        raise SystemExit(f"'{args.query}' is neither an embedded file name nor an image file")
    indices, similarities = most_similar(embeddings.vectors, query, args.k)
    for rank, (index, similarity) in enumerate(zip(indices, similarities), 1):
        print(f"{rank}\t{similarity:.4f}\t{embeddings.filenames[index]}")
    return 0


def _select(args: argparse.Namespace) -> int:
    from fastssl.train.embeddings import Embeddings
    from fastssl.train.neighbors import k_center_greedy

    embeddings = Embeddings.load(args.embeddings)
    chosen = k_center_greedy(embeddings.vectors, args.n, seed=args.seed)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("".join(f"{embeddings.filenames[i]}\n" for i in chosen))
    print(f"{len(chosen)} of {len(embeddings.filenames)} images selected, written to {args.out}")
    return 0


def _export(args: argparse.Namespace) -> int:
    import torch

    from fastssl.train.checkpoint import backbone_state_dict, load_checkpoint

    state = load_checkpoint(args.checkpoint)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    torch.save(backbone_state_dict(state), args.out)
    print(f"{state['config']['backbone']} backbone weights written to {args.out} "
          f"(load with torchvision: model.load_state_dict(state, strict=False); only the classifier is missing)")
    return 0


def _add_train(commands: Any) -> None:
    from fastssl.data.loader import BACKENDS
    from fastssl.train.backbones import backbone_names
    from fastssl.train.config import PRECISIONS, TrainConfig
    from fastssl.train.methods import METHODS
    from fastssl.data.backends.cpp import ON_ERROR
    from fastssl.train.methods.base import OPTIMIZERS

    d = TrainConfig.__dataclass_fields__
    p = _command(commands, "train", _train, "self-supervised training on a folder of images")
    p.add_argument("--method", choices=list(METHODS), default=d["method"].default, help="the SSL method")
    p.add_argument("--data", required=True, help="folder of images (flat, or sub-folders as labels)")
    p.add_argument("--out", default=d["out"].default, help="folder of checkpoint.pt, log.csv and log.png")
    p.add_argument("--backbone", default=d["backbone"].default, help=f"one of: {backbone_names()}")
    p.add_argument("--epochs", type=int, default=d["epochs"].default, help="passes over the data")
    p.add_argument("--batch-size", type=int, default=d["batch_size"].default, help="images per batch per process")
    p.add_argument("--input-size", type=int, default=d["input_size"].default, help="side of the training crops")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=None, help="default: the method's paper choice")
    p.add_argument("--lr", type=float, default=None,
                   help="learning rate per 256 images (scaled to the global batch); default: the method's")
    p.add_argument("--weight-decay", type=float, default=None, help="default: the method's")
    p.add_argument("--warmup-epochs", type=int, default=None,
                   help="linear warmup; default: the method's, at most a tenth of the epochs")
    p.add_argument("--accumulate", type=int, default=d["accumulate"].default, help="batches per optimizer step")
    p.add_argument("--precision", choices=PRECISIONS, default=d["precision"].default, help="autocast dtype (fp16: CUDA only)")
    p.add_argument("--channels-last", action="store_true", help="channels-last memory format")
    p.add_argument("--compile", action="store_true", help="torch.compile the backbone")
    p.add_argument("--device", default=d["device"].default, help="auto, cpu, cuda or cuda:N")
    p.add_argument("--num-threads", type=int, default=None, help="loader threads; default: all cores")
    p.add_argument("--backend", default=d["backend"].default, choices=BACKENDS, help="FastLoader backend")
    p.add_argument("--on-error", default=d["on_error"].default, choices=ON_ERROR, help="what to do with a bad image")
    p.add_argument("--seed", type=int, default=d["seed"].default, help="seed of weights, shuffling and augmentations")
    p.add_argument("--checkpoint-every", type=int, default=d["checkpoint_every"].default,
                   help="also checkpoint every N optimizer steps (0: at epoch ends only)")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt if it exists")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bars")
    p.add_argument("--method-arg", action="append", default=[], metavar="KEY=VALUE",
                   help="override a method setting, e.g. hidden_dim=512 (repeatable)")


def _add_after_training(commands: Any) -> None:
    from fastssl.data.backends.cpp import ON_ERROR

    p = _command(commands, "embed", _embed, "embeddings of a folder (.npy + Lightly CSV)")
    p.add_argument("--checkpoint", required=True, help="checkpoint.pt written by `fastssl train`")
    p.add_argument("--data", required=True, help="folder of images")
    p.add_argument("--out", required=True, help="folder of embeddings.npy and embeddings.csv")
    p.add_argument("--batch-size", type=int, default=128, help="images per batch")
    p.add_argument("--num-threads", type=int, default=None, help="loader threads; default: all cores")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    p.add_argument("--on-error", default="raise", choices=ON_ERROR, help="what to do with a bad image")

    p = _command(commands, "knn", _knn, "kNN accuracy of embeddings of a labeled folder")
    p.add_argument("--embeddings", required=True, help="folder written by `fastssl embed`")
    p.add_argument("--val-embeddings", default=None, help="a separate validation set (default: split --embeddings)")
    p.add_argument("--val-fraction", type=float, default=0.2, help="share held out for validation")
    p.add_argument("--k", type=int, default=200, help="neighbours that vote")
    p.add_argument("--temperature", type=float, default=0.1, help="temperature of the vote weights")
    p.add_argument("--seed", type=int, default=0, help="seed of the split")

    p = _command(commands, "similar", _similar, "the images nearest to a query")
    p.add_argument("--embeddings", required=True, help="folder written by `fastssl embed`")
    p.add_argument("--query", required=True, help="an embedded file name, or the path of any image")
    p.add_argument("--k", type=int, default=5, help="how many neighbours to print")
    p.add_argument("--checkpoint", default=None, help="needed to embed a query image that was not embedded")

    p = _command(commands, "select", _select, "a diverse subset (k-center greedy)")
    p.add_argument("--embeddings", required=True, help="folder written by `fastssl embed`")
    p.add_argument("--n", type=int, required=True, help="how many images to select")
    p.add_argument("--out", required=True, help="text file, one file name per line")
    p.add_argument("--seed", type=int, default=0, help="seed of the first pick")

    p = _command(commands, "export", _export, "the trained backbone as a plain state_dict")
    p.add_argument("--checkpoint", required=True, help="checkpoint.pt written by `fastssl train`")
    p.add_argument("--out", required=True, help="output .pt file")


class _DefaultsFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default, except where there is none to show (required, or None)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        if action.required or action.default in (None, []) or isinstance(action.default, bool):
            return action.help or ""
        return super()._get_help_string(action)


def _command(commands: Any, name: str, run: Any, help_text: str) -> argparse.ArgumentParser:
    parser = commands.add_parser(name, help=help_text, description=help_text, formatter_class=_DefaultsFormatter)
    parser.set_defaults(run=run)
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fastssl", description="fastssl command line")
    commands = parser.add_subparsers(dest="command", required=True)
    _command(commands, "info", _info, "print the version and every optional backend")
    _add_train(commands)
    _add_after_training(commands)
    return parser


def main(argv: Optional[List[str]] = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        code = args.run(args)
    except (ValueError, RuntimeError, OSError) as error:  # bad settings or files: a message, not a traceback
        raise SystemExit(f"fastssl {args.command}: error: {error}") from None
    sys.exit(code)
