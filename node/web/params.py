"""The catalogue page's query parameters: what the page's form sends, turned into what the
JSON API's :func:`node.api.catalogue.search_request` checks, and the links between pages.

Pure functions over the query (no request, no I/O), so that the page and the API validate
with one function and the page only adds what a form needs:

- a form sends every field, empty ones too: an empty field means "any" and is dropped;
- prices are typed in yuan (up to two decimals) and searched in fen;
- ``lang`` and ``back`` belong to the page. ``back`` holds the cursors of the pages before
  this one (the API's cursors only go forward), so "previous" works without JavaScript or a
  session; it keeps the last :data:`MAX_BACK`, beyond which "previous" leads to the first page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlencode

from multidict import MultiDict, MultiMapping

from node.api.errors import BadRequest

__all__ = ["MAX_BACK", "PAGE_ONLY", "Pagination", "api_query", "pagination", "with_param"]

#: Parameters the page reads itself and never hands to the API.
PAGE_ONLY = ("lang", "back")
PRICES = ("price_min", "price_max")
MAX_BACK = 10
_YUAN = re.compile(r"(\d{1,15})(?:\.(\d{1,2}))?")


def _fen(value: str, name: str) -> str:
    match = _YUAN.fullmatch(value.strip().replace(",", ""))
    if match is None:
        raise BadRequest(f"{name} must be an amount in yuan, such as 1200 or 99.50", field=name)
    return str(int(match[1]) * 100 + int((match[2] or "0").ljust(2, "0")))


def api_query(query: MultiMapping[str]) -> MultiDict[str]:
    """The page's parameters as the API's search takes them: empty fields and the page's own
    parameters dropped, prices in fen. Raises :class:`BadRequest` for a price that is not an
    amount; every other check is the API's."""
    out: MultiDict[str] = MultiDict()
    for name, value in query.items():
        if name in PAGE_ONLY or not value.strip():
            continue
        out.add(name, _fen(value, name) if name in PRICES else value)
    return out


def _pairs(query: MultiMapping[str], drop: Iterable[str]) -> list[tuple[str, str]]:
    dropped = set(drop)
    return [(k, v) for k, v in query.items() if k not in dropped and v.strip()]


def with_param(path: str, query: MultiMapping[str], name: str, value: str) -> str:
    """``path`` with ``query``, ``name`` set to ``value`` (e.g. the language switch)."""
    pairs = [*_pairs(query, (name,)), (name, value)]
    return f"{path}?{urlencode(pairs)}"


@dataclass(frozen=True)
class Pagination:
    """Links (path and query) to the first, previous and next pages; None where there is none."""

    first: str | None
    prev: str | None
    next: str | None


def pagination(path: str, query: MultiMapping[str], next_cursor: str | None) -> Pagination:
    """The links around the page ``query`` shows, whose next page starts at ``next_cursor``."""
    search = _pairs(query, ("cursor", "back", "lang"))
    cursor = query.get("cursor") or None
    back = [b for b in query.getall("back", []) if b][-MAX_BACK:]

    def link(at: str | None, trail: list[str]) -> str:
        pairs = search + ([("cursor", at)] if at else []) + [("back", b) for b in trail]
        return f"{path}?{urlencode(pairs)}" if pairs else path

    if cursor is None:
        first = prev = None
    elif back:
        first, prev = link(None, []), link(back[-1], back[:-1])
    else:
        first = prev = link(None, [])
    following = None
    if next_cursor is not None:
        trail = [*back, cursor][-MAX_BACK:] if cursor else []
        following = link(next_cursor, trail)
    return Pagination(first, prev, following)
