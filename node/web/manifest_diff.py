"""A submission's manifest beside the previous version's, field by field (pure).

The reviewer of a new version must see what the provider changed: a widened usage envelope or a
dropped consent report matters more than the rest of the manifest. Both documents are walked
together; each leaf (a value that is neither an object nor a non-empty list) becomes a row
named by its JSON path in the notation the API's errors use (``catalogue.keywords[1]``), in the
new document's order, with the fields only the old one has after their siblings.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["DiffRow", "Kind", "changed_rows", "diff_manifests", "path_join", "shown"]

Kind = Literal["same", "changed", "added", "removed"]
_MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class DiffRow:
    """One field: its path, how it differs, and its old and new value as text (None where the
    document has no such field)."""

    path: str
    kind: Kind
    old: str | None
    new: str | None


def shown(value: object) -> str:
    """A value as the page shows it: strings as they are, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def path_join(parent: str, key: str | int) -> str:
    """``parent`` and one more step: ``.key`` for an object's member, ``[i]`` for an item."""
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


def _is_branch(value: object) -> bool:
    if isinstance(value, Mapping):
        return bool(value)
    return isinstance(value, list) and bool(value)


def _children(value: object) -> list[tuple[str | int, Any]]:
    if isinstance(value, Mapping):
        return list(value.items())
    if isinstance(value, list):
        return list(enumerate(value))
    return []


def _walk(path: str, old: Any, new: Any) -> Iterator[DiffRow]:
    if new is _MISSING and old is _MISSING:
        return
    # Two branches of the same shape are compared member by member; a branch against a leaf,
    # or an object against a list, is one changed field.
    same_shape = (isinstance(old, Mapping) and isinstance(new, Mapping)) or (
        isinstance(old, list) and isinstance(new, list)
    )
    if same_shape and (_is_branch(old) or _is_branch(new)):
        olds = dict(_children(old))
        news = dict(_children(new))
        keys: list[str | int] = list(news)
        keys += [key for key in olds if key not in news]
        for key in keys:
            yield from _walk(path_join(path, key), olds.get(key, _MISSING), news.get(key, _MISSING))
        return
    if new is _MISSING and _is_branch(old):
        for key, value in _children(old):
            yield from _walk(path_join(path, key), value, _MISSING)
        return
    if old is _MISSING and _is_branch(new):
        for key, value in _children(new):
            yield from _walk(path_join(path, key), _MISSING, value)
        return
    if new is _MISSING:
        yield DiffRow(path, "removed", shown(old), None)
    elif old is _MISSING:
        yield DiffRow(path, "added", None, shown(new))
    elif old == new and type(old) is type(new):
        yield DiffRow(path, "same", shown(old), shown(new))
    else:
        yield DiffRow(path, "changed", shown(old), shown(new))


def diff_manifests(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[DiffRow]:
    """Every field of ``new`` and ``old`` side by side. Without a previous version (``old``
    None) every field is ``added``."""
    return list(_walk("", _MISSING if old is None else old, new))


def changed_rows(rows: Sequence[DiffRow]) -> list[DiffRow]:
    """The rows that differ (what the page lists first)."""
    return [row for row in rows if row.kind != "same"]
