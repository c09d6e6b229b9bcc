"""A node's transaction senders are closed when the application stops: the desk's (an
exchange's operator key) and the regulator's (suspensions), opened at start-up by
:func:`node.api.sending.open_sender`, end their threads and close their connections to the
chain at the application's clean-up."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from listing.accounts import import_account
from node.api.app import create_app
from node.api.audit import OVERSIGHT
from node.api.sending import SenderSlot
from node.api.staff import SENDER
from node.chain.sender import TransactionSender
from tests.node.conftest import Consortium, consortium, node_config

__all__ = ["consortium"]


def _keystore(tmp: Path, key: str) -> dict[str, str]:
    entry = import_account(tmp / "keystore", bytes.fromhex(key[2:]), "secret", scrypt_n=16)
    passphrase = tmp / "passphrase"
    passphrase.write_text("secret\n")
    return {"operator_keystore": str(entry.path), "operator_passphrase_file": str(passphrase)}


def _sessions(sender: TransactionSender) -> int:
    """How many HTTP sessions web3 keeps open for the sender's connection to the chain."""
    provider = sender.client().w3.provider
    return len(provider._request_session_manager.session_cache)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("organisation", "key_index", "slot_key"),
    [
        pytest.param("SH", 1, SENDER, id="an exchange's desk sender is closed"),
        pytest.param("regulator", 4, OVERSIGHT, id="a regulator's sender is closed"),
    ],
)
async def test_the_sender_is_closed_when_the_node_stops(
    consortium: Consortium,
    tmp_path: Path,
    organisation: str,
    key_index: int,
    slot_key: object,
) -> None:
    config = node_config(
        consortium,
        tmp_path,
        organisation=organisation,
        **_keystore(tmp_path, consortium.keys[key_index]),
    )
    app = create_app(config, index=False)
    async with TestClient(TestServer(app, host="127.0.0.1")):
        slot: SenderSlot = app[slot_key]  # type: ignore[index]
        sender = slot.sender
        assert sender is not None, slot.problem
        # A chain call in the sender's own thread: a thread and an HTTP session are open.
        assert await sender._head() == consortium.w3.eth.block_number
        threads = [*sender._calls._threads, *sender._signer._threads]
        assert threads and all(thread.is_alive() for thread in threads)
        assert _sessions(sender) >= 1
    # The application stopped: the slot is empty, the threads ended, the sessions closed.
    assert slot.sender is None and slot.problem == "the node is stopping"
    assert not any(thread.is_alive() for thread in threads)
    assert _sessions(sender) == 0
    with pytest.raises(RuntimeError):  # it sends nothing more
        sender._calls.submit(print)


async def test_a_node_that_opened_no_sender_stops_cleanly(
    consortium: Consortium, tmp_path: Path
) -> None:
    """An exchange's node without its operator key (and its empty oversight slot)."""
    app = create_app(node_config(consortium, tmp_path), index=False)
    async with TestClient(TestServer(app, host="127.0.0.1")):
        assert app[SENDER].sender is None and app[OVERSIGHT].sender is None
    assert app[SENDER].sender is None
