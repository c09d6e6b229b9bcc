"""The last step of a staff form's flow (form -> confirmation -> outcome): send the order
through the API's own function, keep the contract's refusal to show it, and render the
outcome page with the refusal's status."""

from __future__ import annotations

from collections.abc import Awaitable, Container, Mapping
from typing import Any, TypeVar
from urllib.parse import urlencode

from aiohttp import web

from node.api.errors import ApiError
from node.api.staff_auth import StaffUser
from node.web.render import render
from node.web.staff.access import EXPLORER, may_read_audit

__all__ = ["mined_tx_href", "outcome_page", "send", "tx_href"]

_T = TypeVar("_T")


async def send(
    sending: Awaitable[_T], *, passed_on: Container[int] = (400,)
) -> tuple[_T | None, ApiError | None]:
    """``sending``'s result and no error, or no result and the API's refusal; a refusal whose
    status is in ``passed_on`` (a bad form, a missing record) is raised as the error page."""
    try:
        return await sending, None
    except ApiError as exc:
        if exc.status in passed_on:
            raise
        return None, exc


def tx_href(tx_hash: str, block: object) -> str:
    """The audit explorer's page of a transaction, in ``block``."""
    return f"{EXPLORER}/tx/{tx_hash}?{urlencode({'block': block})}"


def mined_tx_href(user: StaffUser, outcome: Mapping[str, Any] | None) -> str | None:
    """The explorer's page of a desk transaction (``tx_hash``, ``block_number``), for a user
    who may open it, once the transaction is in a block."""
    if outcome is None or outcome["block_number"] is None or not may_read_audit(user.roles):
        return None
    return tx_href(outcome["tx_hash"], outcome["block_number"])


async def outcome_page(
    request: web.Request, template: str, context: Mapping[str, Any], error: ApiError | None
) -> web.Response:
    """``template`` with ``context`` and ``error``: 200, or the refusal's status."""
    return await render(
        request,
        template,
        {**context, "error": error},
        status=200 if error is None else error.status,
    )
