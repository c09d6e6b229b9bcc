"""``/health``, ``/ready`` and ``/status``: is the process up, is the index current, how far."""

from __future__ import annotations

from aiohttp import web

from node.api.keys import CONFIG, INDEXER


async def health(request: web.Request) -> web.Response:
    """The process answers (nothing more is checked)."""
    return web.json_response({"status": "ok"})


def _state(request: web.Request) -> dict[str, object]:
    config = request.app[CONFIG]
    state = request.app[INDEXER].state
    lag = state.lag
    ready = state.chain_reachable and lag is not None and lag <= config.ready_lag
    return {
        "organisation": config.organisation,
        "ready": ready,
        "chain_reachable": state.chain_reachable,
        "head": state.head,
        "indexed": state.indexed,
        "lag": lag,
        "events_indexed": state.events_indexed,
        "dead_letters": state.dead_letters,
        "reorgs": state.reorgs,
        "last_error": state.last_error,
    }


async def ready(request: web.Request) -> web.Response:
    """200 when the index is within ``ready_lag`` blocks of a reachable chain's head, else 503."""
    body = _state(request)
    return web.json_response(body, status=200 if body["ready"] else 503)


async def status(request: web.Request) -> web.Response:
    return web.json_response(_state(request))
