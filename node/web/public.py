"""The public pages, with no sign-in: the catalogue, a listing's page and the disclosure report.

Each handler reads with the JSON API's own functions (:mod:`node.api.catalogue`: the same
checks, the same queries, the same counterparty-free results), in a worker thread as the API
does, and renders them; a bad parameter is the API's 400 shown as a page.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web
from multidict import MultiDict

from node.api import catalogue as api
from node.api.keys import STORE
from node.store import queries_catalogue as queries
from node.web import charts, formats, i18n, params, views
from node.web.render import PREFIX, language, markup, page, render, render_error
from onelist.codes import DeliveryMode, ProductForm

__all__ = ["add_routes", "catalogue", "disclosure", "listing"]


def _exchange_names(rows: list[dict[str, Any]]) -> dict[str, str]:
    return {str(row["code"]): str(row["name"] or row["code"]) for row in rows}


@page
async def catalogue(request: web.Request) -> web.StreamResponse:
    """``GET /web/``: the search box, the filters, a page of results, links to the others."""
    now = int(time.time())
    query = request.query
    wanted, fingerprint = api.search_request(params.api_query(query), now)
    engine = request.app[STORE].engine

    def run() -> tuple[dict[str, Any], list[dict[str, Any]]]:
        return api.search_result(engine, wanted, fingerprint, now), queries.exchanges(engine)

    found, exchanges = await asyncio.to_thread(run)
    links = params.pagination(request.path, query, found["next_cursor"])
    context = {
        "items": found["items"],
        "links": links,
        "form": {name: query.get(name, "") for name in api.SEARCH_PARAMETERS},
        "filters_open": views.filters_active(query),
        "exchanges": exchanges,
        "exchange_names": _exchange_names(exchanges),
        "options": {
            "grade": ("general", "important"),
            "product_form": tuple(str(form.name) for form in ProductForm),
            "delivery_mode": tuple(str(mode.name) for mode in DeliveryMode),
            "status": queries.STATUSES,
            "sort": queries.SORTS,
        },
        "searched": bool(wanted.words),
    }
    return await render(request, "catalogue.html", context)


@page
async def listing(request: web.Request) -> web.StreamResponse:
    """``GET /web/listings/{listing_id}``: everything the public may know of a listing."""
    listing_id = api.check_listing_id(request.match_info["listing_id"])
    now = int(time.time())
    engine = request.app[STORE].engine

    def run() -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        return api.listing_result(engine, listing_id, now), queries.exchanges(engine)

    found, exchanges = await asyncio.to_thread(run)
    if found is None:
        return await render_error(request, 404, headline="error.404.listing")
    lang = language(request)
    context = {
        "item": found,
        "extra": views.catalogue_view(found["catalogue"]),
        "events": [
            {**event, "shown": views.event_details(event["details"], lang)}
            for event in reversed(found["events"])  # newest first, as a timeline reads
        ],
        "exchange_names": _exchange_names(exchanges),
    }
    return await render(request, "listing.html", context)


@page
async def disclosure(request: web.Request) -> web.StreamResponse:
    """``GET /web/disclosure``: licences and revenue per listing, exchange and month, with
    charts drawn here, and the data sources; never a counterparty (the API has none)."""
    query: MultiDict[str] = MultiDict(
        (k, v) for k, v in request.query.items() if k not in params.PAGE_ONLY and v.strip()
    )
    wanted = api.disclosure_request(query)
    engine = request.app[STORE].engine

    def run() -> tuple[dict[str, Any], list[dict[str, Any]]]:
        return api.disclosure_result(engine, wanted), queries.exchanges(engine)

    found, exchanges = await asyncio.to_thread(run)
    lang = language(request)
    t = i18n.translator(lang)
    names = _exchange_names(exchanges)
    empty = t("disclosure.empty")
    revenue_charts = {  # name (also its heading's message): how it is drawn, its bars
        "by_listing": (charts.bar_chart, views.listing_bars(found["by_listing"])),
        "by_home": (
            charts.bar_chart,
            views.exchange_bars(found["by_home_exchange"], names, lang),
        ),
        "by_granting": (
            charts.bar_chart,
            views.exchange_bars(found["by_granting_exchange"], names, lang),
        ),
        "by_month": (charts.column_chart, views.month_bars(found["by_month"])),
    }
    svg = {
        name: draw(
            bars,
            title=t("disclosure." + name) + " · " + t("disclosure.chart.revenue"),
            show=formats.yuan,
            empty=empty,
        )
        for name, (draw, bars) in revenue_charts.items()
    }
    svg["by_month_licences"] = charts.column_chart(
        views.month_bars(found["by_month"], "licences"),
        title=t("disclosure.by_month") + " · " + t("disclosure.chart.licences"),
        empty=empty,
    )
    context = {
        "report": found,
        "charts": {name: markup(drawn) for name, drawn in svg.items()},
        "exchange_names": names,
        "form": {"from": request.query.get("from", ""), "to": request.query.get("to", "")},
    }
    return await render(request, "disclosure.html", context)


def add_routes(app: web.Application) -> None:
    app.router.add_get(PREFIX + "/", catalogue)
    app.router.add_get(PREFIX + "/listings/{listing_id}", listing)
    app.router.add_get(PREFIX + "/disclosure", disclosure)
