"""API errors as JSON ``{code, message, field?}``: one middleware turns every failure into one.

Handlers raise :class:`ApiError` subclasses; the middleware also maps aiohttp's own HTTP errors
(unknown route, wrong method, oversize body) and the project's ``OnelistError`` (bad input found
deeper down) to JSON; an unreachable index is a 503, and an unexpected exception a 500 whose body
says nothing internal.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web

from node.api.keys import MAX_BODY
from node.store.errors import StoreError, StoreUnavailableError
from onelist.errors import OnelistError

log = logging.getLogger("onelist.node.api")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code

    def body(self) -> dict[str, str]:
        body = {"code": self.code, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        return body


class BadRequest(ApiError):
    status, code = 400, "bad_request"


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"


class Forbidden(ApiError):
    status, code = 403, "forbidden"


class NotFound(ApiError):
    status, code = 404, "not_found"


class Conflict(ApiError):
    status, code = 409, "conflict"


class PayloadTooLarge(ApiError):
    status, code = 413, "payload_too_large"


class Unprocessable(ApiError):
    status, code = 422, "unprocessable"


class Unavailable(ApiError):
    status, code = 503, "unavailable"


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def _readable_json(body: object) -> str:
    # Messages quote Chinese text (a manifest's fields, a query): sent as UTF-8, not \uXXXX, so
    # that a person reading the answer with curl can read them.
    return json.dumps(body, ensure_ascii=False)


def error_response(status: int, body: Mapping[str, object]) -> web.Response:
    """The API's JSON error answer ``{code, message, field?, …}`` with ``status``."""
    return web.json_response(body, status=status, dumps=_readable_json)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.status, exc.body())
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _HTTP_CODES.get(exc.status, "http_error")
        message = exc.reason
        if exc.status == 413:
            message = f"the body is larger than {request.app[MAX_BODY]} bytes"
        return error_response(exc.status, {"code": code, "message": message})
    except StoreUnavailableError:
        return error_response(503, {"code": "unavailable", "message": "the index is unavailable"})
    except StoreError:
        log.exception("index error serving %s %s", request.method, request.path)
        return error_response(500, {"code": "internal", "message": "an internal error occurred"})
    except OnelistError as exc:
        body = {"code": "bad_request", "message": exc.message}
        if exc.where:
            body["field"] = exc.where
        return error_response(400, body)
    except Exception:
        log.exception("unexpected error serving %s %s", request.method, request.path)
        return error_response(500, {"code": "internal", "message": "an internal error occurred"})
