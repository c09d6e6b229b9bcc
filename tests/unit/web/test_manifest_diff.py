"""A submission's manifest beside the previous version's: every field by its JSON path."""

from __future__ import annotations

from typing import Any

import pytest

from node.web.manifest_diff import DiffRow, changed_rows, diff_manifests, path_join, shown
from tests.unit.listing.manifests import edited, valid_manifest


def _kinds(old: Any, new: Any) -> list[tuple[str, str]]:
    return [(r.path, r.kind) for r in diff_manifests(old, new)]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ({"a": 1}, {"a": 1}, [("a", "same")]),
        ({"a": 1}, {"a": 2}, [("a", "changed")]),
        ({}, {"a": 1}, [("a", "added")]),
        ({"a": 1}, {}, [("a", "removed")]),
        ({"a": {"b": 1, "c": 2}}, {"a": {"b": 1}}, [("a.b", "same"), ("a.c", "removed")]),
        ({"k": ["x"]}, {"k": ["x", "y"]}, [("k[0]", "same"), ("k[1]", "added")]),
        ({"k": ["x", "y"]}, {"k": ["y"]}, [("k[0]", "changed"), ("k[1]", "removed")]),
        ({"a": 1}, {"a": True}, [("a", "changed")]),
        ({"a": {"b": 1}}, {"a": [1]}, [("a", "changed")]),
        ({"a": {}}, {"a": {}}, [("a", "same")]),
        ({"a": []}, {"a": ["x"]}, [("a[0]", "added")]),
        ({"a": {"b": 1}}, {}, [("a.b", "removed")]),
        ({"a": 1, "z": 0}, {"b": 2, "a": 1}, [("b", "added"), ("a", "same"), ("z", "removed")]),
    ],
    ids=[
        "an equal field is the same",
        "a different value is changed",
        "a field only the new version has is added",
        "a field only the old version had is removed",
        "objects are compared member by member",
        "a list item appended is added",
        "a list item dropped shifts the rest and removes the last",
        "true is not 1",
        "an object that became a list is one change",
        "an empty object is a leaf",
        "an empty list gaining an item is an added item",
        "a removed object lists each of its fields",
        "the new order first, the old-only fields after",
    ],
)
def test_diff(old: Any, new: Any, expected: list[tuple[str, str]]) -> None:
    assert _kinds(old, new) == expected


def test_without_a_previous_version_every_field_is_added() -> None:
    rows = diff_manifests(None, {"a": {"b": "x"}, "c": [1]})
    assert rows == [DiffRow("a.b", "added", None, "x"), DiffRow("c[0]", "added", None, "1")]


def test_a_new_version_of_a_real_manifest() -> None:
    old = valid_manifest()
    new = edited(
        {
            "version": 2,
            "catalogue.keywords[1]": "出行",
            "usage.max_term_days": 730,
        }
    )
    changes = changed_rows(diff_manifests(old, new))
    assert [(r.path, r.old, r.new) for r in changes] == [
        ("version", "1", "2"),
        ("catalogue.keywords[1]", "交通", "出行"),
        ("usage.max_term_days", "365", "730"),
    ]


def test_values_are_shown_as_text() -> None:
    assert shown("交通") == "交通"
    assert shown({"b": 1, "a": [True, None]}) == '{"a":[true,null],"b":1}'
    assert path_join("", "a") == "a"
    assert path_join("a", 0) == "a[0]"
    assert path_join("a[0]", "b") == "a[0].b"
