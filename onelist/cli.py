"""The `onelist` command: one entry point, sub-commands contributed by each package.

Each module in COMMAND_MODULES exposes ``register(subparsers)``; it adds its sub-commands and
sets ``func`` on them. A handler returns the process exit code. Errors that derive from
``onelist.errors.OnelistError`` are printed as one line and exit non-zero, never as a traceback.

Start-up is kept short: ``onelist node sync …`` imports only the modules that register ``node``
(COMMANDS says which), and those import their heavy libraries (web3, eth-account, SQLAlchemy,
aiohttp) inside the handlers, so a command that fails early (a held index, a missing file)
answers at once. Without a known command (``--help``, a typo) every module is imported.
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

#: The top-level commands each module of COMMAND_MODULES adds to (tests/unit/test_cli.py checks
#: it against what they register).
COMMANDS: dict[str, tuple[str, ...]] = {
    "build": ("onelist.chain.commands",),
    "chain": ("onelist.chain.commands",),
    "deploy": ("onelist.chain.consortium_commands",),
    "up": ("onelist.chain.consortium_commands",),
    "down": ("onelist.chain.consortium_commands",),
    "listing": ("listing.commands",),
    "account": ("listing.account_commands",),
    "node": ("node.commands", "node.staff_commands"),
}


def _modules_for(argv: Sequence[str]) -> Sequence[str]:
    """The command modules that ``argv`` needs: its command's, or all of them."""
    if argv and argv[0] in COMMANDS:
        return COMMANDS[argv[0]]
    return COMMAND_MODULES


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or (given ``argv``) of the command ``argv`` runs only."""
    parser = argparse.ArgumentParser(
        prog="onelist",
        description="onelist: list once, recognised at every member exchange (一地挂牌、全网互认)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = COMMAND_MODULES if argv is None else _modules_for(argv)
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # not written yet; its commands are simply absent
                continue
            raise
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv)
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
