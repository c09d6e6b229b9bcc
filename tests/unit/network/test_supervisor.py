"""What ``onelist down`` stops after an ``up`` that was killed: the recorded children that still
run as ``up`` started them."""

from __future__ import annotations

import pytest

from onelist.network.supervisor import children_text, leftovers, parse_children

DATA = "/srv/onelist"
ENTRIES = [(4100, "chain anvil"), (4200, "node SH"), (4300, "node regulator")]


def test_the_children_file_reads_back_what_was_written() -> None:
    assert parse_children(children_text(ENTRIES)) == ENTRIES


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4100 chain anvil\n42", [(4100, "chain anvil"), (42, "")]),
        ("4100 chain anvil\nnot a pid\n\n", [(4100, "chain anvil")]),
        ("1 init\n0 nobody\n", []),
    ],
    ids=[
        "a line cut short keeps its pid",
        "lines without a pid are skipped",
        "pids 0 and 1 are never anyone's child",
    ],
)
def test_parse_children(text: str, expected: list[tuple[int, str]]) -> None:
    assert parse_children(text) == expected


@pytest.mark.parametrize(
    ("command_lines", "expected"),
    [
        (
            {
                4100: f"anvil --port 8545 --state {DATA}/chain-anvil/anvil-state.json",
                4200: f"python -m onelist.cli node run --config {DATA}/nodes/sh/node.toml",
                4300: f"python -m onelist.cli node run --config {DATA}/nodes/regulator/node.toml",
            },
            ENTRIES,
        ),
        ({4100: None, 4200: None, 4300: None}, []),
        (
            {4100: "vim notes.txt", 4200: f"python -m onelist.cli node run --config {DATA}/x"},
            [(4200, "node SH")],
        ),
    ],
    ids=[
        "every child still runs: all are stopped",
        "all gone: nothing to stop",
        "a pid now another program's is left alone",
    ],
)
def test_leftovers(command_lines: dict[int, str | None], expected: list[tuple[int, str]]) -> None:
    assert leftovers(ENTRIES, command_lines, [DATA]) == expected
