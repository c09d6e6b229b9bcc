"""The `onelist` entry point: each command builds its parser from its own modules only, and
building it imports none of the heavy libraries (they load in the handlers)."""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys

import pytest

from onelist.cli import COMMAND_MODULES, COMMANDS, build_parser


def _registered(module_names: tuple[str, ...] | list[str]) -> set[str]:
    parser = argparse.ArgumentParser()
    subparsers = parser.add_subparsers(dest="command")
    for name in module_names:
        importlib.import_module(name).register(subparsers)
    return set(subparsers.choices)


def test_commands_names_every_command_and_the_modules_it_needs() -> None:
    assert set(COMMANDS) == _registered(list(COMMAND_MODULES))
    assert {name for modules in COMMANDS.values() for name in modules} == set(COMMAND_MODULES)
    for command, modules in COMMANDS.items():
        assert command in _registered(list(modules)), command


def test_a_commands_parser_is_the_full_parsers_for_that_command() -> None:
    argv = ["node", "user", "add", "alice", "--role", "reviewer", "--role", "admin"]
    assert vars(build_parser(argv).parse_args(argv)) == vars(build_parser().parse_args(argv))


def test_the_role_choices_are_the_apis_roles() -> None:
    from node.api.staff_auth import ROLES
    from node.staff_commands import ROLE_CHOICES

    assert set(ROLE_CHOICES) == ROLES and list(ROLE_CHOICES) == sorted(ROLE_CHOICES)


@pytest.mark.parametrize(
    ("argv", "heavy"),
    [
        (["node", "sync"], ["sqlalchemy", "web3", "eth_account", "aiohttp", "jieba"]),
        (["node", "user", "list"], ["sqlalchemy", "web3", "eth_account", "aiohttp"]),
        (["build"], ["web3", "eth_account", "sqlalchemy"]),
        (["down"], ["web3", "eth_account", "sqlalchemy", "aiohttp"]),
        (["deploy", "--rpc", "x", "--dev-account", "0"], ["web3", "eth_account", "sqlalchemy"]),
        (["listing", "check", "m.json"], ["web3", "eth_account", "sqlalchemy", "aiohttp"]),
    ],
)
def test_building_a_commands_parser_imports_no_heavy_library(
    argv: list[str], heavy: list[str]
) -> None:
    """`onelist node sync` refuses a held index, `onelist down` finds nothing to stop and a bad
    flag is named at once: the libraries that take a second to import load only in the handler
    that needs them."""
    script = (
        "import sys\n"
        "from onelist.cli import build_parser\n"
        f"build_parser({argv!r}).parse_args({argv!r})\n"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "[]", done.stdout
