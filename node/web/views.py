"""What the public pages show, shaped from the API's own results: pure functions, no I/O.

The handlers (:mod:`node.web.public`) fetch with the API's read functions and pass the results
here; the templates only lay out what these return. The chain's catalogue JSON is whatever a
provider signed, so :func:`catalogue_view` keeps only values of the expected shape.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from node.api.catalogue import PUBLIC_ARGS
from node.web import formats, i18n
from node.web.charts import Bar

__all__ = [
    "FILTERS",
    "LISTINGS_CHARTED",
    "args_reason",
    "catalogue_view",
    "event_details",
    "exchange_bars",
    "filters_active",
    "licence_terms",
    "listing_bars",
    "month_bars",
]

#: The catalogue form's filters (the search box and the sort are always shown).
FILTERS = (
    "exchange",
    "province",
    "category",
    "grade",
    "product_form",
    "delivery_mode",
    "price_min",
    "price_max",
    "status",
)
#: Listings the disclosure's chart shows (the table lists every one the report holds).
LISTINGS_CHARTED = 10


def filters_active(query: Mapping[str, str]) -> bool:
    """Whether any filter is set (the form then shows its filters open)."""
    return any(query.get(name, "").strip() for name in FILTERS)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def catalogue_view(catalogue: Mapping[str, Any] | None) -> dict[str, Any]:
    """The catalogue's fields beyond the indexed ones (update frequency, price model, coverage,
    field summary), each None or empty when the chain's JSON does not hold it as expected."""
    catalogue = catalogue or {}
    coverage = catalogue.get("coverage")
    shown_coverage = None
    if isinstance(coverage, Mapping) and _text(coverage.get("time_from")):
        regions = coverage.get("regions")
        shown_coverage = {
            "time_from": coverage["time_from"],
            "time_to": _text(coverage.get("time_to")),
            "regions": [str(r) for r in regions if isinstance(r, str | int)]
            if isinstance(regions, list)
            else [],
        }
    fields = catalogue.get("field_schema")
    shown_fields = [
        {
            "name": str(f.get("name", "")),
            "type": str(f.get("type", "")),
            "description": str(f.get("description", "")),
        }
        for f in (fields if isinstance(fields, list) else [])
        if isinstance(f, Mapping)
    ]
    return {
        "update_frequency": _text(catalogue.get("update_frequency")),
        "price_model": _text(catalogue.get("price_model")),
        "coverage": shown_coverage,
        "fields": shown_fields,
    }


def _labels(lang: str, group: str, values: object) -> str:
    if not isinstance(values, list):
        return ""
    return ("、" if lang == "zh" else ", ").join(i18n.label(lang, group, v) for v in values)


def event_details(details: Mapping[str, Any], lang: str) -> list[tuple[str, str]]:
    """A public event's details as (label, text) pairs in ``lang``, in the API's order;
    a detail without a value is left out."""
    t = i18n.translator(lang)
    shown: list[tuple[str, str]] = []
    for field, value in details.items():
        if field == "until":
            text = formats.when(value) if value is not None else t("detail.until_reinstated")
        elif value is None:
            continue
        elif field == "regulator_province" and value == 0:
            text = t("detail.national")  # the national regulator has no province
        elif field == "purposes":
            text = _labels(lang, "purpose", value)
        elif field == "delivery_mode":
            text = _labels(lang, "delivery", value)
        elif field == "reason_code":
            text = i18n.reason(lang, value)
        elif field == "territory":
            text = i18n.label(lang, "territory", value)
        elif field in ("start", "end"):
            text = formats.when(value, with_time=False) if isinstance(value, int) else str(value)
        elif field == "price_fen":
            text = formats.fen(value) if isinstance(value, int) else str(value)
        elif isinstance(value, bool):
            text = t("yes") if value else t("no")
        else:
            text = str(value)
        shown.append((t(f"detail.{field}"), text))
    return shown


def licence_terms(terms: Mapping[str, Any], lang: str) -> list[tuple[str, str]]:
    """Licence terms (a ``LicenceAcceptance`` as JSON) as (label, text) pairs in ``lang``:
    the fields a granted licence shows the public (the API's own table for ``LicenceGranted``),
    in the same words as a listing's timeline."""
    shown = PUBLIC_ARGS["LicenceGranted"]
    return event_details(
        {field: show(terms.get(arg)) for arg, (field, show) in shown.items()}, lang
    )


def args_reason(args: object, lang: str) -> str | None:
    """An audited event's reason (its ``reasonCode`` argument) as "label (code)" in ``lang``;
    None for an event without one."""
    if not isinstance(args, Mapping) or "reasonCode" not in args:
        return None
    return i18n.reason(lang, args["reasonCode"])


def listing_bars(rows: Sequence[Mapping[str, Any]], limit: int = LISTINGS_CHARTED) -> list[Bar]:
    """The listings with the most revenue (the API sends them so ordered), by title."""
    return [Bar(str(r["title"] or r["listing_id"]), int(r["revenue_fen"])) for r in rows[:limit]]


def exchange_bars(
    rows: Sequence[Mapping[str, Any]], names: Mapping[str, str], lang: str
) -> list[Bar]:
    """Revenue per exchange, named as the exchanges call themselves (code in English)."""
    return [
        Bar(
            names.get(str(r["exchange"]), str(r["exchange"]))
            if lang == "zh"
            else str(r["exchange"]),
            int(r["revenue_fen"]),
        )
        for r in rows
    ]


def month_bars(rows: Sequence[Mapping[str, Any]], value: str = "revenue_fen") -> list[Bar]:
    """One column per month, in order; ``value`` is ``revenue_fen`` or ``licences``."""
    return [Bar(str(r["month"]), int(r[value])) for r in rows]
