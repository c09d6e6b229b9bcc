"""Prometheus ``/metrics``: the index's lag, the events it took, RPC errors, dead letters and
each route's latency. A registry per application, so two nodes in one process (tests) never mix."""

from __future__ import annotations

import time

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Gauge,
    Histogram,
    generate_latest,
)

from node.api.errors import Handler
from node.api.keys import ANSWERS, INDEXER

REGISTRY = web.AppKey("metrics_registry", CollectorRegistry)
LATENCY = web.AppKey("metrics_latency", Histogram)

_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


def install(app: web.Application) -> None:
    registry = CollectorRegistry()
    app[REGISTRY] = registry
    app[LATENCY] = Histogram(
        "onelist_http_request_seconds",
        "HTTP request latency by route and status",
        ["method", "route", "status"],
        buckets=_BUCKETS,
        registry=registry,
    )

    def gauge(name: str, doc: str, read: object) -> None:
        g = Gauge(name, doc, registry=registry)
        g.set_function(read)  # type: ignore[arg-type]

    def state_value(field: str) -> object:
        def read() -> float:
            indexer = app.get(INDEXER)
            value = getattr(indexer.state, field) if indexer is not None else None
            return float(value) if value is not None else float("nan")

        return read

    gauge("onelist_chain_head_block", "The chain's head block as last seen", state_value("head"))
    gauge("onelist_indexed_block", "The last block fully indexed", state_value("indexed"))
    gauge("onelist_index_lag_blocks", "Blocks between the head and the index", state_value("lag"))
    gauge(
        "onelist_events_indexed",
        "Events indexed since the node started",
        state_value("events_indexed"),
    )
    gauge(
        "onelist_dead_letters", "Events refused since the node started", state_value("dead_letters")
    )
    gauge("onelist_reorgs", "Reorgs rolled back since the node started", state_value("reorgs"))

    def rpc_errors() -> float:
        indexer = app.get(INDEXER)
        return float(indexer.rpc.errors) if indexer is not None else float("nan")

    gauge("onelist_rpc_errors", "Failed JSON-RPC attempts since the node started", rpc_errors)

    def chain_up() -> float:
        indexer = app.get(INDEXER)
        return 1.0 if indexer is not None and indexer.state.chain_reachable else 0.0

    gauge("onelist_chain_reachable", "1 while the chain answers", chain_up)

    def events_per_second() -> float:
        indexer = app.get(INDEXER)
        if indexer is None:
            return float("nan")
        elapsed = time.monotonic() - indexer.state.started_at
        return indexer.state.events_indexed / elapsed if elapsed > 0 else 0.0

    gauge(
        "onelist_events_per_second",
        "Average events indexed per second since start",
        events_per_second,
    )

    def answers(field: str) -> object:
        def read() -> float:
            kept = app.get(ANSWERS)
            return float(getattr(kept, field)) if kept is not None else float("nan")

        return read

    gauge(
        "onelist_catalogue_answers_hits",
        "Catalogue answers served as kept (node.api.cache) since start",
        answers("hits"),
    )
    gauge(
        "onelist_catalogue_answers_misses",
        "Catalogue answers read from the index since start",
        answers("misses"),
    )
    gauge("onelist_catalogue_answers_bytes", "Bytes of catalogue answers kept", answers("bytes"))


@web.middleware
async def latency_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    finally:
        route = request.match_info.route.resource
        name = route.canonical if route is not None else "unmatched"
        request.app[LATENCY].labels(request.method, name, str(status)).observe(
            time.perf_counter() - started
        )


async def metrics(request: web.Request) -> web.Response:
    body = generate_latest(request.app[REGISTRY])
    response = web.Response(body=body)
    response.content_type = CONTENT_TYPE_LATEST.split(";")[0]
    return response
