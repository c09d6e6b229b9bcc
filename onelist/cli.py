"""The `onelist` command: one entry point, sub-commands contributed by each package.

Each module in COMMAND_MODULES exposes ``register(subparsers)``; it adds its sub-commands and
sets ``func`` on them. A handler returns the process exit code. Errors that derive from
``onelist.errors.OnelistError`` are printed as one line and exit non-zero, never as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from onelist.errors import OnelistError

COMMAND_MODULES = (
    "onelist.chain.commands",
    "onelist.chain.consortium_commands",
    "listing.commands",
    "listing.account_commands",
    "node.commands",
    "node.staff_commands",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="onelist",
        description="onelist: list once, recognised at every member exchange (一地挂牌、全网互认)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # not written yet; its commands are simply absent
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args) or 0)
    except OnelistError as exc:
        print(f"onelist: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("onelist: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
