"""The command line `onelist up --detach` starts in the background."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from onelist.chain.consortium_commands import up_argv
from onelist.cli import build_parser


@pytest.mark.parametrize(
    ("argv", "expected_extra"),
    [
        pytest.param(["up", "--detach"], [], id="the defaults, without --detach"),
        pytest.param(["up", "--detach", "--demo"], ["--demo"], id="--demo is passed on"),
        pytest.param(
            ["up", "--detach", "--fresh", "--show-passwords"],
            [],
            id="--fresh is done before; passwords are never printed to a log",
        ),
    ],
)
def test_up_argv_runs_the_same_up_in_the_foreground(
    argv: list[str], expected_extra: list[str]
) -> None:
    args: argparse.Namespace = build_parser().parse_args(argv)
    got = up_argv(args)
    assert got[0] == "up" and "--detach" not in got and "--fresh" not in got
    assert "--show-passwords" not in got
    assert got[got.index("--data-dir") + 1] == str(Path(".onelist").absolute())
    assert got[got.index("--node-port") + 1] == "8601"
    assert got[got.index("--port") + 1] == "8545"
    assert got[got.index("--chain") + 1] == "ganache"
    assert [a for a in got if a == "--demo"] == expected_extra
    reparsed = build_parser().parse_args(got)
    assert not reparsed.detach and reparsed.demo == args.demo
