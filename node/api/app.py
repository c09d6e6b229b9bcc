"""The node's HTTP application: one ``create_app(config)`` for the server and the tests.

The index, the RPC client and the indexer task are opened and closed in a ``cleanup_ctx``
generator, so the API and the indexer share one process and one event loop, and the API keeps
serving reads while the indexer waits for an unreachable chain.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator

from aiohttp import web

from node.api import metrics
from node.api.errors import error_middleware
from node.api.keys import CONFIG, INDEXER, MAX_BODY, STORE
from node.api.routes import add_routes
from node.config import NodeConfig
from node.service import open_node
from node.web import register_pages

#: Largest request body accepted (a manifest with its signature and fingerprint fits many times).
MAX_BODY_BYTES = 256 * 1024
#: Seconds a thread may hold the GIL while another waits for it (Python's default is 0.005).
#: The event loop shares the GIL with the worker threads that read the index: with the default,
#: each answer handed back to the loop can wait up to 5 ms behind a worker's SQL, which is most
#: of a p99 under load (docs/performance.md, the catalogue API under load).
GIL_SWITCH_SECONDS = 0.0005


def create_app(config: NodeConfig, *, index: bool = True) -> web.Application:
    """The application; with ``index`` False the indexer does not follow the chain (tests)."""
    sys.setswitchinterval(GIL_SWITCH_SECONDS)
    app = web.Application(
        middlewares=[metrics.latency_middleware, error_middleware], client_max_size=MAX_BODY_BYTES
    )
    metrics.install(app)
    app[CONFIG] = config
    app[MAX_BODY] = MAX_BODY_BYTES
    add_routes(app)
    register_pages(app)  # the HTML pages under /web (issue #7), after the API's routes

    async def node_context(app: web.Application) -> AsyncIterator[None]:
        async with open_node(config) as node:
            app[STORE] = node.store
            app[INDEXER] = node.indexer
            stop = asyncio.Event()
            task = asyncio.create_task(node.indexer.run(stop)) if index else None
            try:
                yield
            finally:
                stop.set()
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task

    app.cleanup_ctx.append(node_context)
    return app
