"""How the pages show numbers, times and hashes: pure functions, used as Jinja filters."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

__all__ = ["SHANGHAI", "fen", "short_hash", "when", "yuan"]

#: Times are shown as the exchanges keep them: China Standard Time, whatever the server's zone.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")


def yuan(fen: int | None) -> str:
    """An amount in fen as yuan with thousands separators and, when not whole, two decimals:
    ``123456789`` → ``1,234,567.89``; ``None`` → ``""``."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}" + (f".{cents:02d}" if cents else "")


def fen(amount: int | None) -> str:
    """An amount in fen as money: ``¥1,234.50``; ``None`` → ``""``."""
    return "" if amount is None else "¥" + yuan(amount)


def when(unix: int | None, *, with_time: bool = True) -> str:
    """A unix time in Shanghai time, ``2026-11-25 17:40`` (or only the day)."""
    if unix is None:
        return ""
    moment = datetime.fromtimestamp(unix, SHANGHAI)
    return moment.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")


def short_hash(value: str | None, keep: int = 10) -> str:
    """``0x1234…abcd``: enough of a hash to recognise it (the page keeps it whole in a title)."""
    if value is None:
        return ""
    if len(value) <= 2 * keep + 1:
        return value
    return f"{value[:keep]}…{value[-4:]}"
