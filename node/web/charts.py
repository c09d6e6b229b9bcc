"""Charts drawn by the server as SVG strings: pure functions, no script, no library.

The disclosure page embeds them inline, so they work offline and without JavaScript, scale to
a phone's width (a ``viewBox`` and no fixed size) and carry a ``<title>`` and ``<desc>`` for
screen readers. Every label and title is escaped here: a listing's title is on-chain text that
anyone who lists a product chooses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

__all__ = ["Bar", "bar_chart", "column_chart", "text"]

#: Characters XML does not allow (an SVG is XML even inline): dropped before escaping.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
WIDTH = 640
_ROW = 34
_LABEL_CHARS = 13


@dataclass(frozen=True)
class Bar:
    label: str
    value: int


def text(value: str, limit: int | None = None) -> str:
    """``value`` safe inside SVG text or an attribute, cut to ``limit`` characters with "…"."""
    value = _NOT_XML.sub("", value)
    if limit is not None and len(value) > limit:
        value = value[: limit - 1] + "…"
    return escape(value, quote=True)


def _open(height: int, title: str, summary: str, css_class: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css_class}" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" preserveAspectRatio="xMinYMin meet">'
        f"<title>{text(title)}</title><desc>{text(summary)}</desc>"
    )


def _summary(bars: Sequence[Bar], show: Callable[[int], str]) -> str:
    return "; ".join(f"{bar.label}: {show(bar.value)}" for bar in bars)


def bar_chart(
    bars: Sequence[Bar], *, title: str, show: Callable[[int], str] = str, empty: str = ""
) -> str:
    """Horizontal bars, one row per bar, longest bar the full width: for named things
    (listings, exchanges, grades), whose labels are too long to stand under a column."""
    if not bars:
        return _open(_ROW, title, empty, "bars") + (
            f'<text x="0" y="20" class="empty">{text(empty)}</text></svg>'
        )
    largest = max(max(bar.value for bar in bars), 1)
    label_w, value_w = 230, 120
    room = WIDTH - label_w - value_w
    height = _ROW * len(bars) + 6
    parts = [_open(height, title, _summary(bars, show), "bars")]
    for i, bar in enumerate(bars):
        y = i * _ROW + 4
        w = max(round(room * max(bar.value, 0) / largest), 1 if bar.value > 0 else 0)
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 22}" text-anchor="end" class="label">'
            f"<title>{text(bar.label)}</title>{text(bar.label, _LABEL_CHARS)}</text>"
            f'<rect x="{label_w}" y="{y + 5}" width="{w}" height="{_ROW - 10}" rx="3" '
            f'class="bar"/>'
            f'<text x="{label_w + w + 6}" y="{y + 22}" class="value">{text(show(bar.value))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def column_chart(
    bars: Sequence[Bar], *, title: str, show: Callable[[int], str] = str, empty: str = ""
) -> str:
    """Vertical columns in order, for a series over time (months); with many columns only
    every n-th label is written, so labels never overlap."""
    if not bars:
        return _open(_ROW, title, empty, "columns") + (
            f'<text x="0" y="20" class="empty">{text(empty)}</text></svg>'
        )
    largest = max(max(bar.value for bar in bars), 1)
    top, plot, bottom = 24, 180, 28
    height = top + plot + bottom
    slot = WIDTH / len(bars)
    width = max(slot * 0.7, 1.0)
    every = max(1, -(-len(bars) * 70 // WIDTH))  # a label needs about 70 units
    parts = [_open(height, title, _summary(bars, show), "columns")]
    parts.append(f'<line x1="0" y1="{top + plot}" x2="{WIDTH}" y2="{top + plot}" class="axis"/>')
    for i, bar in enumerate(bars):
        h = round(plot * max(bar.value, 0) / largest, 1)
        x = round(i * slot + (slot - width) / 2, 1)
        middle = round(i * slot + slot / 2, 1)
        parts.append(
            f'<rect x="{x}" y="{round(top + plot - h, 1)}" width="{round(width, 1)}" '
            f'height="{h}" class="bar"><title>{text(bar.label)}: {text(show(bar.value))}'
            "</title></rect>"
        )
        if len(bars) <= 12:
            parts.append(
                f'<text x="{middle}" y="{round(top + plot - h - 6, 1)}" text-anchor="middle" '
                f'class="value">{text(show(bar.value))}</text>'
            )
        if i % every == 0:
            parts.append(
                f'<text x="{middle}" y="{top + plot + 18}" text-anchor="middle" class="label">'
                f"{text(bar.label, 10)}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)
