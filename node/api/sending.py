"""What the staff desk and the regulator's oversight share to send transactions: a sender
opened at start-up with the node's key (``operator_keystore``), and its failures as API errors.

A node that cannot send (a regulator's node for the desk, an exchange's for oversight, no key,
no deployment record) still serves everything else; its sending routes answer 503 with the
reason the slot keeps.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from node.api.errors import ApiError, Conflict, Unavailable, Unprocessable
from node.api.keys import CONFIG, STORE
from node.chain.sender import (
    OperatorKeyUnavailable,
    SendFailed,
    SendOutcome,
    TransactionPending,
    TransactionSender,
    load_operator_key,
)
from onelist.chain.client import ConsortiumClient
from onelist.chain.deployment import load_deployment
from onelist.chain.revert import TransactionReverted
from onelist.errors import OnelistError

__all__ = ["SenderSlot", "open_sender", "refusal_of", "send_with"]

log = logging.getLogger("onelist.node.api")


@dataclass
class SenderSlot:
    """A sender (None until opened, or when it cannot be, with the reason). Opened at
    start-up by :func:`open_sender`; closed at the application's clean-up by :meth:`close`
    (``app.on_cleanup.append(slot.close)``), after the requests under way have finished."""

    sender: TransactionSender | None = None
    problem: str = "the node has not started"

    async def close(self, app: web.Application) -> None:
        """Close the sender, if one was opened: its threads end and its connections to the
        chain close (an ``on_cleanup`` handler)."""
        sender, self.sender = self.sender, None
        if sender is None:
            return
        self.problem = "the node is stopping"
        await sender.aclose()
        log.info("the sender of %s is closed", sender.address)


async def open_sender(
    app: web.Application, slot: SenderSlot, *, key: str, serves: str, refused: str | None
) -> None:
    """Unlock the node's ``key`` ("operator", "regulator's") and put its sender in ``slot``;
    ``refused`` is the reason this kind of node sends nothing (None: it does). ``serves`` names
    what the sender is for, in the log."""
    if refused is not None:
        slot.problem = refused
        return
    config = app[CONFIG]
    try:
        deployment = await asyncio.to_thread(load_deployment, config.deployment)
        private_key = await asyncio.to_thread(
            load_operator_key, config.operator_keystore, config.operator_passphrase_file
        )
    except OperatorKeyUnavailable as exc:
        slot.problem = f"the {key} key is not available: {exc}"
        log.warning("%s; %s cannot be sent", slot.problem, serves)
        return
    except OnelistError as exc:
        slot.problem = f"the deployment record cannot be read: {exc}"
        log.warning("%s; %s cannot be sent", slot.problem, serves)
        return
    slot.sender = TransactionSender(
        deployment, config.rpc_url, private_key, app[STORE].engine, rpc_timeout=config.rpc_timeout
    )
    del private_key
    log.info("%s are sent as %s %s", serves, key, slot.sender.address)


def refusal_of(exc: TransactionReverted, request_fault: Callable[[str], bool]) -> ApiError:
    """A contract's refusal as an API error naming the contract's error: 422 when
    ``request_fault(error name)`` says the request itself cannot succeed, else 409 (the chain's
    present state refuses it)."""
    message = f"the chain refused it: {exc.revert}"
    if request_fault(exc.error_name or "reverted"):
        return Unprocessable(message, code="reverted")
    return Conflict(message, code="reverted")


async def send_with(
    sender: TransactionSender,
    key: str,
    build: Callable[[ConsortiumClient], Any],
    username: str,
    refusal: Callable[[TransactionReverted], ApiError],
) -> SendOutcome:
    """Send once per idempotency ``key``; a revert is ``refusal(exc)``, a transaction still
    pending or a chain that cannot take it a 503."""
    try:
        return await sender.send(key, build, requested_by=username)
    except TransactionReverted as exc:
        raise refusal(exc) from None
    except TransactionPending as exc:
        raise Unavailable(exc.message, code="pending") from None
    except SendFailed as exc:
        raise Unavailable(f"the chain cannot take it now: {exc.message}", code="chain") from None
