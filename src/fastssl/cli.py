"""The ``fastssl`` command line (``python -m fastssl ...``)."""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional


def _info(_: argparse.Namespace) -> int:
    from fastssl._ext import info

    print(info())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fastssl", description="fastssl command line")
    commands = parser.add_subparsers(dest="command", required=True)
    info_cmd = commands.add_parser("info", help="print the version and every optional backend")
    info_cmd.set_defaults(run=_info)
    return parser


def main(argv: Optional[List[str]] = None) -> None:
    args = build_parser().parse_args(argv)
    sys.exit(args.run(args))
