"""The node's HTTP server: aiohttp's, with the API's JSON errors also for requests it cannot parse.

The API answers every error as JSON ``{code, message, field?}`` (node.api.errors), but a request
that aiohttp's HTTP parser refuses (a request line with raw non-ASCII characters, as
``curl 'http://…/listings?q=交通'`` sends; an oversize header; a malformed header line) never
reaches the application or its middlewares: aiohttp answers it with a ``text/plain`` 400 and
logs the parser's exception with a traceback at ERROR. :class:`NodeRunner` serves the same
application but answers those as JSON, naming what is wrong and, for a URL, how to encode it,
and logs one line at INFO: a client's malformed request is not the node's error.

aiohttp has no public hook for this; the server's protocol class is chosen in ``Server.__call__``.
The test that sends such a request to a running node (tests/e2e/test_malformed_requests.py)
fails if an aiohttp release moves it.

:func:`run_event_loop` runs the node on uvloop's event loop (libuv's), aiohttp's and asyncpg's
usual production loop: the node's CPU per catalogue answer is ~10 % lower than on asyncio's own
loop, and the listing pages' p99 under load lower (docs/performance.md, the catalogue API under
load).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest

from node.api.errors import error_response

__all__ = ["NodeRunner", "malformed_request_body", "run_event_loop"]

T = TypeVar("T")

log = logging.getLogger("onelist.node.api")

#: Words of the parser's messages that mean the URL held a character HTTP does not allow there.
_URL_WORDS = ("url", "uri", "target", "path", "query")


def malformed_request_body(parser_message: str | None) -> dict[str, str]:
    """The JSON body for a request aiohttp's parser refused with ``parser_message`` (its first
    line says what; the rest is the offending bytes with a caret)."""
    first = (parser_message or "").strip().splitlines()
    what = first[0].rstrip(":").strip() if first else "unreadable request"
    message = f"the HTTP request is malformed: {what}"
    if any(word in what.lower() for word in _URL_WORDS):
        message += (
            "; a URL carries only ASCII: percent-encode other characters as UTF-8"
            " (with curl: curl -G --data-urlencode 'q=交通' http://…/listings)"
        )
    return {"code": "bad_request", "message": message}


class _JsonErrorsHandler(RequestHandler):
    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        # aiohttp calls this with 400 only for requests its parser refused; everything the
        # application raises is already a JSON answer by node.api.errors' middleware.
        if status != 400 or request.writer.output_size > 0:
            return super().handle_error(request, status, exc, message)
        body = malformed_request_body(message)
        log.info("refused a malformed request from %s: %s", request.remote, body["message"])
        response = error_response(400, body)
        response.force_close()  # the parser has lost the request's framing
        return response


class _JsonErrorsServer(web.Server):
    def __call__(self) -> RequestHandler:
        return _JsonErrorsHandler(self, loop=self._loop, **self._kwargs)


class NodeRunner(web.AppRunner):
    """``web.AppRunner`` whose server answers unparseable requests as the API's JSON errors."""

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        server.__class__ = _JsonErrorsServer  # same state; only the protocol it makes differs
        return server


def run_event_loop(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)`` on uvloop's loop; on asyncio's own where uvloop is not installed
    (it is a dependency wherever it builds: not on Windows)."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - Windows
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)
