"""The node's staff area on a real chain and SQLite index: sign-in, roles, CSRF, sessions."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from eth_account import Account
from eth_utils import keccak, to_checksum_address
from jsonschema import Draft202012Validator
from sqlalchemy import Engine, inspect, select, update
from sqlalchemy.engine import URL

from listing.hashing import manifest_hash
from listing.manifest import manifest_document, manifest_from_data
from listing.onchain import to_json
from listing.signing import sign_listing
from node.api.app import create_app
from node.api.errors import BadRequest, Unprocessable
from node.api.keys import STORE
from node.api.licences import licence_json
from node.api.openapi import document
from node.api.staff import (
    EXCLUSIVE_REFUSALS,
    SENDER,
    add_routes,
    parse_exclusivity,
    refusal,
)
from node.api.staff_auth import COOKIE, CSRF_HEADER, add_staff_user, require_staff
from node.api.submissions import parse_terms
from node.chain.sender import SendFailed, TransactionSender
from node.store import open_engine, upgrade
from node.store.migrate import downgrade
from node.store.queries_licences import read_licence
from node.store.schema import events
from node.store.schema_staff import staff_metadata, staff_sessions
from node.store.schema_submissions import submissions
from node.store.staff import listing_row, sent_transaction
from node.store.submissions import (
    LicenceRequest,
    NewLicenceRequest,
    NewSubmission,
    Submission,
    create_licence_request,
    create_submission,
    get_licence_request,
    get_submission,
    participant,
    set_licence_request_status,
)
from onelist.chain.connection import address_of
from onelist.chain.revert import DecodedRevert, TransactionReverted
from onelist.chain.samples import sample_record, sample_terms
from onelist.codes import SuspensionScope, exchange_code
from onelist.records import terms_tuple
from tests.integration.db_fixtures import BACKENDS, _create_database, _drop_database
from tests.unit.listing.manifests import valid_manifest

from .conftest import CATALOGUE, Consortium, caught_up, node_config, signing_config

PASSWORD = "correct horse battery"
N = 1 << 10  # cheap scrypt for tests
Client = TestClient[web.Request, web.Application]
_seeds = itertools.count()


async def _only_auditors(request: web.Request) -> web.Response:
    user = await require_staff(request, "auditor", "regulator_officer")
    return web.json_response({"username": user.username})


@pytest.fixture
async def staff(consortium: Consortium, tmp_path: Path) -> AsyncIterator[Client]:
    """SH's node with staff: alice (reviewer), root (admin), audrey (auditor)."""
    app = create_app(node_config(consortium, tmp_path), index=False)
    app.router.add_route("*", "/test/auditors", _only_auditors)
    async with TestClient(TestServer(app)) as client:
        engine = app[STORE].engine
        add_staff_user(engine, "alice", PASSWORD, ["reviewer"], n=N)
        add_staff_user(engine, "root", PASSWORD, ["admin"], n=N)
        add_staff_user(engine, "audrey", PASSWORD, ["auditor"], n=N)
        yield client


async def sign_in(client: Client, username: str, password: str = PASSWORD) -> str:
    response = await client.post(
        "/staff/sign-in", json={"username": username, "password": password}
    )
    assert response.status == 200, await response.text()
    body = await response.json()
    return str(body["csrf_token"])


async def test_sign_in_sets_a_strict_http_only_cookie(staff: Client) -> None:
    response = await staff.post("/staff/sign-in", json={"username": "alice", "password": PASSWORD})
    assert response.status == 200
    body = await response.json()
    assert body["username"] == "alice" and body["roles"] == ["reviewer"]
    assert len(body["csrf_token"]) >= 40
    assert body["expires_at"] > time.time() + 7 * 3600
    cookie = response.cookies[COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/"
    assert cookie.value not in await response.text()
    me = await staff.get("/staff/me")
    assert me.status == 200 and (await me.json())["username"] == "alice"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"username": "alice", "password": "wrong password!"}, 401, "bad_credentials"),
        ({"username": "nobody", "password": PASSWORD}, 401, "bad_credentials"),
        ({"username": "alice"}, 400, "bad_request"),
        ({"username": 7, "password": PASSWORD}, 400, "bad_request"),
        ([1, 2], 400, "malformed_json"),
    ],
    ids=[
        "a wrong password is refused",
        "an unknown user gets the same answer",
        "a missing password is a 400",
        "a username that is not a string is a 400",
        "a body that is not an object is a 400",
    ],
)
async def test_sign_in_refusals(staff: Client, body: object, status: int, code: str) -> None:
    response = await staff.post("/staff/sign-in", json=body)
    assert response.status == status
    assert (await response.json())["code"] == code
    assert COOKIE not in response.cookies


async def test_wrong_passwords_lock_the_account_for_a_while(staff: Client) -> None:
    for _ in range(5):
        response = await staff.post(
            "/staff/sign-in", json={"username": "root", "password": "not the password"}
        )
        assert response.status == 401
    response = await staff.post("/staff/sign-in", json={"username": "root", "password": PASSWORD})
    assert response.status == 429


async def test_without_a_session_is_401_and_without_the_role_403(staff: Client) -> None:
    assert (await staff.get("/test/auditors")).status == 401
    await sign_in(staff, "alice")
    response = await staff.get("/test/auditors")
    assert response.status == 403 and (await response.json())["code"] == "forbidden"
    await sign_in(staff, "audrey")
    assert (await staff.get("/test/auditors")).status == 200


async def test_a_state_change_needs_the_csrf_token(staff: Client) -> None:
    csrf = await sign_in(staff, "audrey")
    missing = await staff.post("/test/auditors")
    assert missing.status == 403 and (await missing.json())["code"] == "csrf"
    wrong = await staff.post("/test/auditors", headers={CSRF_HEADER: csrf[:-1] + "x"})
    assert wrong.status == 403 and (await wrong.json())["code"] == "csrf"
    assert (await staff.post("/test/auditors", headers={CSRF_HEADER: csrf})).status == 200


async def test_sign_out_ends_the_session(staff: Client) -> None:
    csrf = await sign_in(staff, "alice")
    assert (await staff.post("/staff/sign-out")).status == 403  # CSRF-checked too
    response = await staff.post("/staff/sign-out", headers={CSRF_HEADER: csrf})
    assert response.status == 200
    assert (await staff.get("/staff/me")).status == 401


async def test_a_session_expires_and_a_used_one_slides(staff: Client) -> None:
    await sign_in(staff, "alice")
    engine = staff.app[STORE].engine
    with engine.begin() as connection:  # the session was last used 7 h 59 min ago
        connection.execute(update(staff_sessions).values(expires_at=int(time.time()) + 60))
    me = await staff.get("/staff/me")
    assert me.status == 200 and (await me.json())["expires_at"] > time.time() + 7 * 3600
    with engine.begin() as connection:  # and now 8 h ago
        connection.execute(update(staff_sessions).values(expires_at=int(time.time()) - 1))
    assert (await staff.get("/staff/me")).status == 401


async def test_a_forged_cookie_is_401(staff: Client) -> None:
    staff.session.cookie_jar.update_cookies({COOKIE: "x" * 43})
    assert (await staff.get("/staff/me")).status == 401


# ----------------------------------------------------------------------------- the review desk


@dataclass
class Desk:
    """SH's node with its operator key (keys[1]) and a reviewer signed in."""

    client: Client
    engine: Engine
    consortium: Consortium
    csrf: str

    async def post(self, path: str, body: object = None) -> tuple[int, Any]:
        response = await self.client.post(path, json=body, headers={CSRF_HEADER: self.csrf})
        answer = await response.json()
        check_schema(path, "post", response.status, answer)
        return response.status, answer

    async def get(self, path: str, **params: str) -> Any:
        response = await self.client.get(path, params=params)
        answer = await response.json()
        check_schema(path, "get", response.status, answer)
        assert response.status == 200, answer
        return answer


def check_schema(path: str, method: str, status: int, body: object) -> None:
    """``body`` matches the OpenAPI document's schema for this route and status."""
    doc = document()
    template = re.sub(r"/\d+(?=/|$)", "/{id}", path)
    response = doc["paths"][template][method]["responses"][str(status)]
    schema_ = response["content"]["application/json"]["schema"]
    Draft202012Validator({**schema_, "components": doc["components"]}).validate(body)


@pytest.fixture(scope="module", params=BACKENDS)
def desk_database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The desk's index: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('desk-db') / 'index.db'}"
        return
    server: URL = request.getfixturevalue("pg_server")
    database = _create_database(server, "onelist_staff")
    try:
        yield database.render_as_string(hide_password=False)
    finally:
        _drop_database(server, database)


@pytest.fixture(scope="module")
async def desk(
    consortium: Consortium, tmp_path_factory: pytest.TempPathFactory, desk_database: str
) -> AsyncIterator[Desk]:
    tmp = tmp_path_factory.mktemp("desk")
    config = signing_config(consortium, tmp, 1, database_url=desk_database)
    app = create_app(config)
    async with TestClient(TestServer(app)) as client:
        engine = app[STORE].engine
        add_staff_user(engine, "alice", PASSWORD, ["reviewer", "admin"], n=N)
        await caught_up(client)
        csrf = await sign_in(client, "alice")
        yield Desk(client, engine, consortium, csrf)


def submit(
    desk: Desk,
    *,
    fingerprint: str | None = None,
    ref: str | None = None,
    update_of: str | None = None,
    version: int = 1,
) -> Submission:
    """A provider's (keys[5]) signed submission, stored through the participants' store."""
    c = desk.consortium
    data = valid_manifest()
    data["provider"] = address_of(c.keys[5])
    data["product_ref"] = ref or f"DESK-{next(_seeds)}"
    data["fingerprint"] = fingerprint or "0x" + secrets.token_hex(32)
    data["version"] = version
    if update_of is not None:
        data["listing_id"] = update_of
    manifest = manifest_from_data(data)
    signature = sign_listing(
        manifest,
        bytes.fromhex(c.keys[5][2:]),
        chain_id=c.deployment.chain_id,
        registry=c.deployment.address("ListingRegistry"),
        deadline=c.client.deadline(),
        exchange_indexes=c.client.exchange_indexes(),
    )
    new = NewSubmission(
        provider=manifest.provider,
        home_exchange="SH",
        listing_id=manifest.listing_id or manifest.fingerprint,
        version=manifest.version,
        product_ref=manifest.product_ref,
        title=manifest.catalogue.title,
        manifest_hash=manifest_hash(manifest),
        manifest=manifest_document(manifest),
        signature=signature,
        fingerprint=None,
        findings=[{"rule": "R0", "severity": "warning", "message": "a test finding"}],
    )
    created, _ = create_submission(desk.engine, new, now=int(time.time()))
    return created


async def indexed(desk: Desk, tx_hash: str, timeout: float = 20) -> None:
    """Wait until the node's index holds the block of ``tx_hash``."""
    block = desk.consortium.w3.eth.get_transaction_receipt(tx_hash)["blockNumber"]  # type: ignore[arg-type]
    deadline = time.monotonic() + timeout
    while True:
        state = await (await desk.client.get("/status")).json()
        if state["indexed"] is not None and state["indexed"] >= block:
            return
        assert time.monotonic() < deadline, f"block {block} was not indexed: {state}"
        await asyncio.sleep(0.05)


def listed_events(desk: Desk, listing_id: str) -> int:
    logs = desk.consortium.client.listings.events.Listed().get_logs(
        from_block=0, argument_filters={"listingId": bytes.fromhex(listing_id[2:])}
    )
    return len(logs)


async def test_approving_lists_on_chain_once_however_often_it_is_asked(desk: Desk) -> None:
    sub = submit(desk)
    status, body = await desk.post(f"/staff/submissions/{sub.id}/approve")
    assert status == 200, body
    assert body["status"] == "listed" and body["listing_id"] == sub.listing_id.lower()
    tx_hash = body["tx_hash"]
    await indexed(desk, tx_hash)
    row = listing_row(desk.engine, body["listing_id"])
    assert row is not None and row["provider"] == address_of(desk.consortium.keys[5])
    assert row["home_exchange"] == "SH"

    status, again = await desk.post(f"/staff/submissions/{sub.id}/approve")
    assert status == 200 and again["tx_hash"] == tx_hash

    # As if the node had crashed after the receipt, before the submission was updated: the
    # retry finds the transaction kept under "approve:<id>" and follows it, signing nothing.
    with desk.engine.begin() as connection:
        connection.execute(
            update(submissions).where(submissions.c.id == sub.id).values(status="pending_review")
        )
    status, retried = await desk.post(f"/staff/submissions/{sub.id}/approve")
    assert status == 200 and retried["status"] == "listed" and retried["tx_hash"] == tx_hash
    assert listed_events(desk, body["listing_id"]) == 1
    kept = sent_transaction(desk.engine, f"approve:{sub.id}")
    assert kept is not None and kept.status == "mined" and kept.attempts == 1
    assert kept.requested_by == "alice"


async def test_approving_a_new_version_publishes_it(desk: Desk) -> None:
    first = submit(desk)
    status, listed = await desk.post(f"/staff/submissions/{first.id}/approve")
    assert status == 200, listed
    await indexed(desk, listed["tx_hash"])
    second = submit(desk, update_of=listed["listing_id"], version=2, ref=first.product_ref)
    status, body = await desk.post(f"/staff/submissions/{second.id}/approve")
    assert status == 200, body
    assert body["status"] == "listed" and body["listing_id"] == listed["listing_id"]
    await indexed(desk, body["tx_hash"])
    row = listing_row(desk.engine, listed["listing_id"])
    assert row is not None and row["version"] == 2


async def test_two_approvals_at_once_take_distinct_nonces(desk: Desk) -> None:
    first, second = submit(desk), submit(desk)
    results = await asyncio.gather(
        desk.post(f"/staff/submissions/{first.id}/approve"),
        desk.post(f"/staff/submissions/{second.id}/approve"),
    )
    assert [status for status, _ in results] == [200, 200], results
    assert {body["status"] for _, body in results} == {"listed"}
    kept = [sent_transaction(desk.engine, f"approve:{s.id}") for s in (first, second)]
    nonces = {k.nonce for k in kept if k is not None}
    assert len(nonces) == 2


async def test_a_double_click_lists_once(desk: Desk) -> None:
    sub = submit(desk)
    path = f"/staff/submissions/{sub.id}/approve"
    (s1, first), (s2, second) = await asyncio.gather(desk.post(path), desk.post(path))
    assert (s1, s2) == (200, 200) and first["tx_hash"] == second["tx_hash"]
    assert listed_events(desk, first["listing_id"]) == 1


async def test_a_broadcast_that_failed_is_followed_by_the_retry(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    sub = submit(desk)
    real = TransactionSender._broadcast

    def unreachable(self: TransactionSender, kept: Any) -> str:
        raise SendFailed("the chain does not answer (test)")

    monkeypatch.setattr(TransactionSender, "_broadcast", unreachable)
    status, body = await desk.post(f"/staff/submissions/{sub.id}/approve")
    assert status == 503 and body["code"] == "chain"
    kept = sent_transaction(desk.engine, f"approve:{sub.id}")
    assert kept is not None and kept.status == "sent"  # signed and kept before broadcasting
    monkeypatch.setattr(TransactionSender, "_broadcast", real)

    # The node restarts (a new sender, nothing in memory); the chain never saw nonce N. The
    # next action broadcasts N again first and takes N + 1, so no gap stalls the account.
    desk_state = desk.client.app[SENDER]
    old = desk_state.sender
    assert old is not None
    desk_state.sender = TransactionSender(
        old.deployment,
        desk.consortium.url,
        bytes.fromhex(desk.consortium.keys[1][2:]),
        desk.engine,
    )
    other = submit(desk)
    status, body = await desk.post(f"/staff/submissions/{other.id}/approve")
    assert status == 200 and body["status"] == "listed", body
    after = sent_transaction(desk.engine, f"approve:{other.id}")
    assert after is not None and after.nonce == kept.nonce + 1

    status, body = await desk.post(f"/staff/submissions/{sub.id}/approve")
    assert status == 200 and body["status"] == "listed" and body["tx_hash"] == kept.tx_hash


async def test_a_duplicate_fingerprint_rejects_the_submission(desk: Desk) -> None:
    fingerprint = "0x" + secrets.token_hex(32)
    first = submit(desk, fingerprint=fingerprint)
    assert (await desk.post(f"/staff/submissions/{first.id}/approve"))[0] == 200
    second = submit(desk, fingerprint=fingerprint)
    status, body = await desk.post(f"/staff/submissions/{second.id}/approve")
    assert status == 200 and body["status"] == "rejected"
    assert "DuplicateFingerprintRefused" in body["reason"]


async def test_the_queue_shows_pending_submissions_with_findings(desk: Desk) -> None:
    sub = submit(desk)
    items = (await desk.get("/staff/submissions", limit="200"))["items"]
    mine = next(item for item in items if item["id"] == sub.id)
    assert mine["status"] == "pending_review" and mine["findings"][0]["rule"] == "R0"
    assert all(item["status"] == "pending_review" for item in items)
    detail = await desk.get(f"/staff/submissions/{sub.id}")
    assert detail["manifest"]["product_ref"] == sub.product_ref
    assert detail["signer"] == sub.provider and detail["transaction"] is None
    page = await desk.get("/staff/submissions", status="all", limit="1")
    assert len(page["items"]) == 1 and page["next_before"] == page["items"][0]["id"]


async def test_rejecting_with_a_reason_is_final(desk: Desk) -> None:
    sub = submit(desk)
    status, body = await desk.post(f"/staff/submissions/{sub.id}/reject", {"reason": " "})
    assert status == 400 and body["field"] == "reason"
    status, body = await desk.post(
        f"/staff/submissions/{sub.id}/reject", {"reason": "缺少质量评估报告"}
    )
    assert status == 200 and body["status"] == "rejected" and body["reason"] == "缺少质量评估报告"
    status, body = await desk.post(f"/staff/submissions/{sub.id}/approve")
    assert status == 409
    assert (await desk.post("/staff/submissions/999999/approve"))[0] == 404


async def test_registering_a_participant_puts_only_a_salted_hash_on_chain(desk: Desk) -> None:
    account = str(Account.create().address)  # a new one for each backend's run
    body = {"account": account.lower(), "roles": ["licensee"], "identity_reference": "91310000MA1K"}
    status, first = await desk.post("/staff/participants", body)
    assert status == 200, first
    assert first["account"] == account and first["roles"] == ["licensee"]
    assert first["identity_hash"] != "0x" + keccak(text="91310000MA1K").hex()
    status, again = await desk.post("/staff/participants", body)
    assert status == 200 and again["tx_hash"] == first["tx_hash"]
    await indexed(desk, first["tx_hash"])
    registered = participant(desk.engine, account)
    assert registered is not None and registered.registered_by == "SH" and registered.roles == 2


async def test_a_revert_is_a_json_error_naming_the_contract_error(desk: Desk) -> None:
    provider = address_of(desk.consortium.keys[5])  # registered at SH by the fixture chain
    body = {"account": provider, "roles": ["provider"], "identity_reference": "another check"}
    status, error = await desk.post("/staff/participants", body)
    assert status == 409 and error["code"] == "reverted"
    assert "ConsortiumParticipantExists" in error["message"]
    assert sent_transaction(desk.engine, f"register:{provider}") is None  # nothing was sent


async def _listed_at_sh(desk: Desk, **policy: Any) -> tuple[bytes, dict[str, Any]]:
    c = desk.consortium
    record = sample_record(address_of(c.keys[5]), f"desk-grant-{next(_seeds)}", **policy)
    listing_id, receipt = c.client.list(c.keys[1], c.keys[5], "SH", record, CATALOGUE)
    await indexed(desk, "0x" + bytes(receipt["transactionHash"]).hex())
    return listing_id, record


async def test_granting_a_licence_from_the_signed_terms(desk: Desk) -> None:
    c = desk.consortium
    listing_id, _ = await _listed_at_sh(desk)
    licensee = c.keys[7]
    terms = sample_terms(listing_id, 1, address_of(licensee), exchange_code("SH"), c.client.now())
    acceptance = c.client.sign_acceptance(licensee, terms)
    body = {"terms": to_json(terms), "acceptance": "0x" + acceptance.hex()}
    status, granted = await desk.post("/staff/licences", body)
    assert status == 200, granted
    assert granted["licence_id"] == "0x" + c.client.licence_id(terms).hex()
    status, again = await desk.post("/staff/licences", body)
    assert status == 200 and again["tx_hash"] == granted["tx_hash"]
    assert c.client.licences.functions.inForce(c.client.licence_id(terms)).call()

    cheap = sample_terms(
        listing_id, 1, address_of(licensee), exchange_code("SH"), c.client.now(), priceFen=1
    )
    body = {
        "terms": to_json(cheap),
        "acceptance": "0x" + c.client.sign_acceptance(licensee, cheap).hex(),
    }
    status, error = await desk.post("/staff/licences", body)
    assert status == 422 and error["code"] == "reverted"
    assert "LicenceRegistryPriceBelowFloor" in error["message"]


async def _signed_licence_request(desk: Desk) -> tuple[LicenceRequest, str]:
    """A pending licence request, signed by its licensee, on a new listing at SH: (the
    request, its licence id)."""
    c = desk.consortium
    listing_id, _ = await _listed_at_sh(desk)
    licensee = c.keys[7]
    terms = sample_terms(listing_id, 1, address_of(licensee), exchange_code("SH"), c.client.now())
    licence_id = "0x" + c.client.licence_id(terms).hex()
    request, _ = create_licence_request(
        desk.engine,
        NewLicenceRequest(
            licensee=address_of(licensee),
            listing_id="0x" + listing_id.hex(),
            version=1,
            granting_exchange="SH",
            licence_id=licence_id,
            terms=to_json(terms),
            acceptance="0x" + c.client.sign_acceptance(licensee, terms).hex(),
        ),
        now=int(time.time()),
    )
    return request, licence_id


async def test_granting_a_licence_request(desk: Desk) -> None:
    request, licence_id = await _signed_licence_request(desk)
    queue = await desk.get("/staff/licence-requests")
    assert request.id in [item["id"] for item in queue["items"]]
    status, granted = await desk.post("/staff/licences", {"licence_request_id": request.id})
    assert status == 200, granted
    assert granted["licence_id"] == licence_id and granted["licence_request_id"] == request.id
    stored = get_licence_request(desk.engine, request.id)
    assert stored is not None and stored.status == "granted"
    assert stored.tx_hash == granted["tx_hash"]


DAY = 86400
APPROVAL_REF = "0x" + keccak(text="approval document").hex()
AUCTION_REF = "0x" + keccak(text="open auction record").hex()
ZERO_REF = "0x" + "00" * 32


def _signed(desk: Desk, listing_id: bytes, **terms: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The licensee's (keys[7]) signed terms, granted by SH: a grant request's body, and the
    terms."""
    c = desk.consortium
    licensee = c.keys[7]
    now = c.client.now()
    t = sample_terms(listing_id, 1, address_of(licensee), exchange_code("SH"), now, **terms)
    acceptance = c.client.sign_acceptance(licensee, t)
    return {"terms": to_json(t), "acceptance": "0x" + acceptance.hex()}, t


def _signed_body(desk: Desk, listing_id: bytes, **terms: Any) -> dict[str, Any]:
    return _signed(desk, listing_id, **terms)[0]


async def _public_get(desk: Desk, path: str, template: str) -> Any:
    """A public route's 200 answer, checked against the document."""
    response = await desk.client.get(path)
    answer = await response.json()
    assert response.status == 200, answer
    doc = document()
    schema_ = doc["paths"][template]["get"]["responses"]["200"]["content"]["application/json"]
    Draft202012Validator({**schema_["schema"], "components": doc["components"]}).validate(answer)
    return answer


async def test_granting_an_exclusive_licence_of_public_data(desk: Desk) -> None:
    c = desk.consortium
    listing_id, _ = await _listed_at_sh(desk, openClass=1, maxTermDays=2000)
    lid = "0x" + listing_id.hex()
    now = c.client.now()
    ordinary, terms = _signed(desk, listing_id, end=now + 1000 * DAY)
    exclusive = {**ordinary, "exclusive": True, "approval_ref": APPROVAL_REF}
    exclusive["auction_ref"] = AUCTION_REF
    status, granted = await desk.post("/staff/licences", exclusive)
    assert status == 200, granted
    assert granted["exclusive"] is True
    assert (granted["approval_ref"], granted["auction_ref"]) == (APPROVAL_REF, AUCTION_REF)
    status, again = await desk.post("/staff/licences", exclusive)
    assert status == 200 and again["tx_hash"] == granted["tx_hash"]

    status, error = await desk.post("/staff/licences", ordinary)
    assert status == 409 and error["code"] == "granted_otherwise", error
    status, error = await desk.post("/staff/licences", _signed_body(desk, listing_id, priceFen=3))
    assert status == 422 and "LicenceRegistryPriceBelowFloor" in error["message"]
    other = _signed_body(desk, listing_id, priceFen=3_000_000)
    status, error = await desk.post("/staff/licences", other)
    assert status == 409 and error["code"] == "reverted", error
    assert "LicenceRegistryUnderExclusiveLicence" in error["message"]
    assert granted["licence_id"] in error["message"]

    await indexed(desk, granted["tx_hash"])
    row = listing_row(desk.engine, lid)
    assert row is not None and row["exclusive_licence_id"] == granted["licence_id"]
    licence = licence_json(read_licence(desk.engine, granted["licence_id"]) or {}, now)
    assert licence["exclusive"] is True
    assert (licence["approval_ref"], licence["auction_ref"]) == (APPROVAL_REF, AUCTION_REF)

    # Public disclosure: the listing page and the disclosure name the exclusive licence, its
    # term and references, never the licensee.
    licensee = granted["licensee"]
    page = await _public_get(desk, f"/listings/{lid}", "/listings/{listing_id}")
    assert page["exclusive_licence"] == {
        "until": exclusive["terms"]["end"],
        "start": exclusive["terms"]["start"],
        "granting_exchange": "SH",
        "approval_ref": APPROVAL_REF,
        "auction_ref": AUCTION_REF,
    }
    (event,) = [e for e in page["events"] if e["name"] == "ExclusiveLicenceGranted"]
    assert event["details"]["approval_ref"] == APPROVAL_REF
    # The catalogue's search says so too (the newest listing of its home exchange: this one).
    found = await _public_get(desk, "/listings?exchange=SH&sort=newest&limit=5", "/listings")
    (item,) = [i for i in found["items"] if i["listing_id"] == lid]
    assert item["exclusive_until"] == exclusive["terms"]["end"]
    assert all(i["exclusive_until"] is None for i in found["items"] if i["listing_id"] != lid)
    disclosed = await _public_get(desk, "/disclosure", "/disclosure")
    (entry,) = [e for e in disclosed["exclusive_licences"] if e["listing_id"] == lid]
    assert (entry["status"], entry["end"]) == ("active", exclusive["terms"]["end"])
    assert entry["auction_ref"] == AUCTION_REF
    for answer in (page, disclosed):
        text = json.dumps(answer).lower()
        assert licensee.lower() not in text and licensee[2:].lower() not in text

    # A regulator revokes it: the listing is free, and its page says so.
    revoke = c.client.licences.functions.revokeByRegulator(
        terms_tuple(terms), 6, keccak(text="an order")
    )
    receipt = c.client.send(revoke, c.keys[4])
    await indexed(desk, "0x" + bytes(receipt["transactionHash"]).hex())
    page = await _public_get(desk, f"/listings/{lid}", "/listings/{listing_id}")
    assert page["exclusive_licence"] is None
    found = await _public_get(desk, "/listings?exchange=SH&sort=newest&limit=5", "/listings")
    assert [i["exclusive_until"] for i in found["items"] if i["listing_id"] == lid] == [None]
    status, granted = await desk.post("/staff/licences", other)
    assert status == 200 and granted["exclusive"] is False, granted


async def test_an_exclusive_grant_the_listing_or_its_term_refuses_is_422(desk: Desk) -> None:
    c = desk.consortium
    private_id, _ = await _listed_at_sh(desk)
    body = {**_signed_body(desk, private_id), "exclusive": True}
    body.update(approval_ref=APPROVAL_REF, auction_ref=AUCTION_REF)
    status, error = await desk.post("/staff/licences", body)
    assert (status, error["field"]) == (422, "exclusive"), error
    assert "public data" in error["message"]
    assert error["code"] == "exclusive_not_public_data"

    public_id, _ = await _listed_at_sh(desk, openClass=1, maxTermDays=2000)
    body = {**_signed_body(desk, public_id, end=c.client.now() + 1900 * DAY), "exclusive": True}
    body.update(approval_ref=APPROVAL_REF, auction_ref=AUCTION_REF)
    status, error = await desk.post("/staff/licences", body)
    assert (status, error["field"]) == (422, "terms.end"), error
    assert "1826 days" in error["message"]
    assert error["code"] == "exclusive_term_too_long"


EXCLUSIVE_INPUT = [
    pytest.param(
        {"exclusive": "yes"}, "exclusive", "exclusive_flag", id="exclusive must be a boolean"
    ),
    pytest.param({"exclusive": 1}, "exclusive", "exclusive_flag", id="exclusive is not a number"),
    pytest.param(
        {"exclusive": True},
        "approval_ref",
        "exclusive_ref_missing",
        id="an exclusive grant names its approval",
    ),
    pytest.param(
        {"exclusive": True, "approval_ref": "0x12", "auction_ref": AUCTION_REF},
        "approval_ref",
        "exclusive_ref_format",
        id="an approval reference is a 32-byte hash",
    ),
    pytest.param(
        {"exclusive": True, "approval_ref": ZERO_REF, "auction_ref": AUCTION_REF},
        "approval_ref",
        "exclusive_ref_zero",
        id="an approval reference is not the zero hash",
    ),
    pytest.param(
        {"exclusive": True, "approval_ref": APPROVAL_REF},
        "auction_ref",
        "exclusive_ref_missing",
        id="an exclusive grant names its open auction",
    ),
    pytest.param(
        {"exclusive": True, "approval_ref": APPROVAL_REF, "auction_ref": 7},
        "auction_ref",
        "exclusive_ref_format",
        id="an auction reference is a hex string",
    ),
    pytest.param(
        {"exclusive": False, "auction_ref": AUCTION_REF},
        "auction_ref",
        "exclusive_ref_unexpected",
        id="only an exclusive grant names references",
    ),
]


@pytest.mark.parametrize(("body", "field", "code"), EXCLUSIVE_INPUT)
def test_parse_exclusivity_refuses(body: dict[str, Any], field: str, code: str) -> None:
    with pytest.raises(Unprocessable) as info:
        parse_exclusivity(body)
    assert info.value.status == 422 and info.value.field == field
    assert info.value.code == code and info.value.body()["code"] == code


def test_the_openapi_document_names_each_exclusive_refusal_code() -> None:
    refused = document()["paths"]["/staff/licences"]["post"]["responses"]["422"]
    for code in EXCLUSIVE_REFUSALS:
        assert f"code {code}" in refused["description"], code


def test_parse_exclusivity_reads_the_references() -> None:
    assert parse_exclusivity({}) is None
    assert parse_exclusivity({"exclusive": False, "approval_ref": None}) is None
    found = parse_exclusivity(
        {
            "exclusive": True,
            "approval_ref": APPROVAL_REF.upper().replace("0X", "0x"),
            "auction_ref": AUCTION_REF,
        }
    )
    assert found is not None
    assert (found.approval_ref.hex(), found.auction_ref.hex()) == (
        APPROVAL_REF[2:],
        AUCTION_REF[2:],
    )


async def test_bad_exclusive_input_is_a_422_naming_the_field(desk: Desk) -> None:
    status, error = await desk.post("/staff/licences", {"exclusive": True, "approval_ref": "x"})
    assert (status, error["field"]) == (422, "approval_ref"), error
    assert error["code"] == "exclusive_ref_format"


@pytest.mark.parametrize(
    ("path", "body", "status", "field"),
    [
        ("/staff/participants", {"account": "0x12", "roles": ["provider"]}, 400, "account"),
        (
            "/staff/participants",
            {"account": "0x" + "11" * 20, "roles": ["seller"], "identity_reference": "x"},
            400,
            "roles",
        ),
        (
            "/staff/participants",
            {"account": "0x" + "11" * 20, "roles": ["provider"]},
            400,
            "identity_reference",
        ),
        ("/staff/licences", {"terms": {"listingId": "0x00"}}, 400, "terms"),
        ("/staff/licences", {"licence_request_id": "seven"}, 400, "licence_request_id"),
        ("/staff/licences", {"licence_request_id": 999999}, 404, None),
    ],
    ids=[
        "an account that is not an address",
        "an unknown participant role",
        "a registration without the identity check's reference",
        "terms with unknown or missing fields",
        "a licence request id that is not a number",
        "an unknown licence request",
    ],
)
async def test_bad_desk_input_is_refused(
    desk: Desk, path: str, body: object, status: int, field: str | None
) -> None:
    got, error = await desk.post(path, body)
    assert got == status, error
    if field is not None:
        assert error["field"].startswith(field)


async def test_without_an_operator_key_the_desk_says_so(staff: Client) -> None:
    csrf = await sign_in(staff, "alice")
    response = await staff.post("/staff/submissions/1/approve", headers={CSRF_HEADER: csrf})
    assert response.status in (404, 503)
    response = await staff.post(
        "/staff/participants",
        json={"account": "0x" + "11" * 20, "roles": ["provider"], "identity_reference": "x"},
        headers={CSRF_HEADER: csrf},
    )
    assert response.status == 503 and (await response.json())["code"] == "no_operator_key"


async def test_the_desk_needs_the_reviewer_role(staff: Client) -> None:
    await sign_in(staff, "audrey")
    assert (await staff.get("/staff/submissions")).status == 403
    await sign_in(staff, "alice")
    assert (await staff.get("/staff/submissions")).status == 200
    assert (await staff.get("/staff/submissions?status=bogus")).status == 400
    assert (await staff.get("/staff/submissions?limit=²")).status == 400
    assert (await staff.get("/staff/submissions/²")).status == 404


def test_every_staff_route_is_documented_and_every_documented_one_exists() -> None:
    app = web.Application()
    add_routes(app)
    served = {
        (route.resource.canonical, route.method.lower())
        for route in app.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith("/staff")
        and route.method != "HEAD"  # aiohttp adds one beside each GET
    }
    documented = {
        (path, method)
        for path, item in document()["paths"].items()
        if path.startswith("/staff")
        for method in item
    }
    assert served == documented


async def test_a_regulators_node_has_no_review_desk(consortium: Consortium, tmp_path: Path) -> None:
    app = create_app(node_config(consortium, tmp_path, organisation="regulator"), index=False)
    async with TestClient(TestServer(app)) as client:
        add_staff_user(app[STORE].engine, "alice", PASSWORD, ["reviewer"], n=N)
        csrf = await sign_in(client, "alice")
        response = await client.post("/staff/submissions/1/approve", headers={CSRF_HEADER: csrf})
        assert response.status == 403
        assert (await response.json())["code"] == "not_an_exchange"


# ----------------------------------------------------------------------------- pure parts

_TERMS = to_json(
    sample_terms(b"\x01" * 32, 1, "0x" + "ab" * 20, exchange_code("SH"), 1_800_000_000)
)


def _with(**changes: object) -> dict[str, Any]:
    terms = dict(_TERMS)
    for name, value in changes.items():
        if value is _DROP:
            del terms[name]
        else:
            terms[name] = value
    return terms


_DROP = object()


@pytest.mark.parametrize(
    ("terms", "field"),
    [
        (_with(), None),
        (_with(grantingExchange="SH"), None),
        (_with(deadline=_DROP), "terms.deadline"),
        (_with(extra=1), "terms.extra"),
        (_with(priceFen=True), "terms.priceFen"),
        (_with(priceFen=2**64), "terms.priceFen"),
        (_with(modelTraining=0), "terms.modelTraining"),
        (_with(listingId="0x1234"), "terms.listingId"),
        (_with(settlementHash="0x" + "zz" * 32), "terms.settlementHash"),
        (_with(licensee="someone"), "terms.licensee"),
        (_with(grantingExchange="sh"), "terms.grantingExchange"),
        ("terms", "terms"),
    ],
    ids=[
        "terms as the licensee signed them",
        "the granting exchange by its code",
        "a missing field is named",
        "an unknown field is refused",
        "a boolean is not an amount",
        "an amount beyond uint64 is refused",
        "a number is not a boolean",
        "a short hash is refused",
        "a hash that is not hex is refused",
        "a licensee that is not an address is refused",
        "an exchange code in lower case is refused",
        "terms that are not an object are refused",
    ],
)
def test_parse_terms(terms: object, field: str | None) -> None:
    if field is None:
        parsed = parse_terms(terms)
        assert parsed["grantingExchange"] == exchange_code("SH")
        assert parsed["listingId"] == b"\x01" * 32 and parsed["licensee"] == to_checksum_address(
            "0x" + "ab" * 20
        )
    else:
        with pytest.raises(BadRequest) as caught:
            parse_terms(terms)
        assert caught.value.field == field


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("ConsortiumParticipantExists", 409),
        ("LicenceRegistryAlreadyGranted", 409),
        ("ListingRegistrySuspended", 409),
        ("ListingRegistryInvalidSignature", 422),
        ("ListingRegistryExpiredSignature", 422),
        ("LicenceRegistryPriceBelowFloor", 422),
        ("LicenceRegistryExclusiveNotPublicData", 422),
        ("LicenceRegistryExclusiveReferenceRequired", 422),
        ("LicenceRegistryExclusiveInvalidTerm", 422),
        ("LicenceRegistryUnderExclusiveLicence", 409),
        ("LicenceRegistryOtherLicencesInForce", 409),
        ("ListingRegistryGradeNotListable", 422),
        ("", 409),
    ],
    ids=[
        "an existing participant is a conflict with the chain",
        "a licence granted already is a conflict",
        "a suspended listing is a conflict",
        "a signature that does not verify is the request's fault",
        "an expired signature is the request's fault",
        "a price below the floor is the request's fault",
        "an exclusive licence of data that is not public is the request's fault",
        "an exclusive grant without its references is the request's fault",
        "an exclusive term over five years is the request's fault",
        "a listing under an exclusive licence is a conflict",
        "licences still running are a conflict for an exclusive grant",
        "core data is the request's fault",
        "a revert without data is a conflict",
    ],
)
def test_refusals_map_to_409_or_422(name: str, status: int) -> None:
    revert = DecodedRevert(name, (), (), b"\x00" * 4 if name else b"")
    error = refusal(TransactionReverted(revert))
    assert error.status == status and error.code == "reverted"


def test_migration_0004_builds_exactly_the_staff_tables_and_drops_them(
    empty_database_url: str,
) -> None:
    names = set(staff_metadata.tables)

    def ours(name: str | None, type_: str, parent: object) -> bool:
        return type_ != "table" or name in names

    engine = open_engine(empty_database_url)
    try:
        upgrade(engine)
        with engine.connect() as connection:
            options = {"compare_type": True, "include_name": ours}
            context = MigrationContext.configure(connection, opts=options)
            assert compare_metadata(context, staff_metadata) == []
        downgrade(engine, "0003")
        assert not names & set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


# ----------------------------------------------------------------------------- a second rejection


def _licence_request(desk: Desk) -> int:
    """A pending licence request in the node's store (no chain call: rejecting reads only the
    store)."""
    c = desk.consortium
    licensee = c.keys[7]
    listing_id = secrets.token_bytes(32)
    terms = sample_terms(listing_id, 1, address_of(licensee), exchange_code("SH"), c.client.now())
    request, _ = create_licence_request(
        desk.engine,
        NewLicenceRequest(
            licensee=address_of(licensee),
            listing_id="0x" + listing_id.hex(),
            version=1,
            granting_exchange="SH",
            licence_id="0x" + c.client.licence_id(terms).hex(),
            terms=to_json(terms),
            acceptance="0x" + "00" * 65,
        ),
        now=int(time.time()),
    )
    return request.id


@pytest.mark.parametrize("what", ["submissions", "licence-requests"])
async def test_a_second_rejection_keeps_the_first_reason(desk: Desk, what: str) -> None:
    """The same reason again is a retry (200, nothing changes); another reason is a 409 naming
    the status, and the stored reason stays the first."""
    if what == "submissions":
        item_id = submit(desk).id

        def stored() -> Any:
            return get_submission(desk.engine, item_id)
    else:
        item_id = _licence_request(desk)

        def stored() -> Any:
            return get_licence_request(desk.engine, item_id)

    path = f"/staff/{what}/{item_id}/reject"
    status, first = await desk.post(path, {"reason": "缺少质量评估报告"})
    assert status == 200 and first["status"] == "rejected", first
    recorded = stored()
    status, again = await desk.post(path, {"reason": " 缺少质量评估报告 "})  # stripped: the same
    assert status == 200 and again == first
    status, other = await desk.post(path, {"reason": "另一个理由"})
    assert status == 409 and other["code"] == "already_rejected", other
    assert "already rejected" in other["message"] and "缺少质量评估报告" in other["message"]
    assert stored() == recorded  # reason and updated_at untouched


async def test_rejecting_a_decided_request_is_409_naming_its_status(desk: Desk) -> None:
    listed = submit(desk)
    status, body = await desk.post(f"/staff/submissions/{listed.id}/approve")
    assert status == 200 and body["status"] == "listed", body
    status, error = await desk.post(f"/staff/submissions/{listed.id}/reject", {"reason": "太晚了"})
    assert status == 409 and error["code"] == "already_listed", error
    assert "already listed" in error["message"] and body["tx_hash"] in error["message"]
    after = get_submission(desk.engine, listed.id)
    assert after is not None and after.status == "listed" and after.reason is None

    request_id = _licence_request(desk)
    tx = "0x" + "ab" * 32
    assert set_licence_request_status(desk.engine, request_id, "granted", None, tx) is not None
    granted = get_licence_request(desk.engine, request_id)
    path = f"/staff/licence-requests/{request_id}/reject"
    status, error = await desk.post(path, {"reason": "未收到结算款项"})
    assert status == 409 and error["code"] == "already_granted", error
    assert "already granted" in error["message"] and tx in error["message"]
    assert get_licence_request(desk.engine, request_id) == granted


async def test_two_rejections_at_once_record_one_reason(desk: Desk) -> None:
    request_id = _licence_request(desk)
    path = f"/staff/licence-requests/{request_id}/reject"
    answers = await asyncio.gather(
        desk.post(path, {"reason": "第一个理由"}), desk.post(path, {"reason": "第二个理由"})
    )
    assert sorted(status for status, _ in answers) == [200, 409], answers
    (won,) = [body for status, body in answers if status == 200]
    kept = get_licence_request(desk.engine, request_id)
    assert kept is not None and kept.reason == won["reason"]


# ----------------------------------------------------------------------------- no scrypt at import


def test_importing_the_staff_area_hashes_nothing() -> None:
    """The hash an unknown username is checked against is made without scrypt, so every process
    that imports the node (each CLI command, each test worker) is spared 0.1 s and 32 MiB."""
    import subprocess
    import sys

    probe = (
        "import hashlib\n"
        "def refuse(*args, **kwargs):\n"
        "    raise SystemExit('scrypt ran at import')\n"
        "hashlib.scrypt = refuse\n"
        "import node.api.staff_auth, node.api.staff\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_an_unknown_username_costs_one_full_scrypt_and_matches_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from node.api import staff_auth

    costs: list[tuple[int, int, int]] = []
    real = staff_auth._scrypt

    def counted(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
        costs.append((n, r, p))
        return real(password, salt, n, r, p)

    monkeypatch.setattr(staff_auth, "_scrypt", counted)
    assert not staff_auth.verify_password("correct horse battery", staff_auth._UNKNOWN_USER_HASH)
    # The same work as checking a real account's password at the default cost.
    assert costs == [(staff_auth.SCRYPT_N, staff_auth.SCRYPT_R, staff_auth.SCRYPT_P)]


async def test_a_rejection_recorded_while_a_grant_waits_stops_the_grant(desk: Desk) -> None:
    """A grant checks its request again under the lock a rejection takes: a rejection recorded
    while the grant waited for that lock is a 409, and nothing is sent (before, the licence was
    granted on chain and recording it then failed: a 500)."""
    request, licence_id = await _signed_licence_request(desk)
    lock = desk.client.app[SENDER].lock(f"licence:{licence_id}")
    async with lock:  # as a rejection under way holds it
        granting = asyncio.create_task(
            desk.post("/staff/licences", {"licence_request_id": request.id})
        )
        for _ in range(400):  # until the grant waits for the lock (asyncio.Lock's queue)
            if lock._waiters:
                break
            await asyncio.sleep(0.01)
        assert lock._waiters, "the grant never reached the lock"
        assert set_licence_request_status(desk.engine, request.id, "rejected", "未结算") is not None
    status, refused = await granting
    assert status == 409 and refused["code"] == "already_rejected", refused
    assert "未结算" in refused["message"]
    stored = get_licence_request(desk.engine, request.id)
    assert stored is not None and stored.status == "rejected" and stored.tx_hash is None
    licences = desk.consortium.client.licences.functions
    assert not licences.inForce(bytes.fromhex(licence_id[2:])).call()


# --------------------------------------------------------------------------- roles added


async def post_roles(desk: Desk, account: str, body: object) -> tuple[int, Any]:
    """``POST /staff/participants/{account}/roles``, its answer checked against the document."""
    path = f"/staff/participants/{account}/roles"
    response = await desk.client.post(path, json=body, headers={CSRF_HEADER: desk.csrf})
    answer = await response.json()
    doc = document()
    item = doc["paths"]["/staff/participants/{account}/roles"]["post"]
    schema_ = item["responses"][str(response.status)]["content"]["application/json"]["schema"]
    Draft202012Validator({**schema_, "components": doc["components"]}).validate(answer)
    return response.status, answer


async def _registered(desk: Desk, roles: list[str]) -> str:
    """A new participant registered at SH through the desk, indexed."""
    account = str(Account.create().address)  # a new one for each backend's run
    body = {"account": account, "roles": roles, "identity_reference": f"USCC {account}"}
    status, registered = await desk.post("/staff/participants", body)
    assert status == 200, registered
    await indexed(desk, registered["tx_hash"])
    return account


async def test_a_licensee_is_made_a_provider_once_and_the_index_shows_it(desk: Desk) -> None:
    account = await _registered(desk, ["licensee"])
    status, added = await post_roles(desk, account.lower(), {"roles": ["provider"]})
    assert status == 200, added
    assert (added["account"], added["added"], added["roles"]) == (
        account,
        ["provider"],
        ["licensee", "provider"],
    )
    status, again = await post_roles(desk, account, {"roles": ["provider"]})
    assert status == 200 and again["tx_hash"] == added["tx_hash"]  # followed, not sent twice
    logs = desk.consortium.client.consortium.events.ParticipantRolesAdded().get_logs(
        from_block=0, argument_filters={"participant": account}
    )
    assert len(logs) == 1
    await indexed(desk, added["tx_hash"])
    row = participant(desk.engine, account)
    assert row is not None and (row.roles, row.registered_by) == (3, "SH")
    with desk.engine.connect() as connection:
        trail = connection.execute(
            select(events.c.name, events.c.actor, events.c.acting_exchange, events.c.args).where(
                events.c.tx_hash == added["tx_hash"]
            )
        ).one()
    assert trail[:3] == ("ParticipantRolesAdded", address_of(desk.consortium.keys[1]), "SH")
    assert json.loads(trail.args) | {"seq": 0} == {
        "participant": account,
        "exchange": "SH",
        "actor": address_of(desk.consortium.keys[1]),
        "added": 1,
        "roles": 3,
        "seq": 0,
    }
    # every role named is held now: refused by the contract, nothing sent
    status, error = await post_roles(desk, account, {"roles": ["licensee", "provider"]})
    assert (status, error["code"]) == (409, "reverted"), error
    assert "ConsortiumRolesAlreadyHeld" in error["message"]
    assert sent_transaction(desk.engine, f"roles:{account}:3") is None


async def test_only_the_registering_exchange_adds_roles_through_its_desk(desk: Desk) -> None:
    licensee = address_of(desk.consortium.keys[7])  # registered at SD by the fixture chain
    status, error = await post_roles(desk, licensee, {"roles": ["provider"]})
    assert (status, error["code"]) == (409, "reverted"), error
    assert "ConsortiumNotRegisteringExchange" in error["message"]
    assert sent_transaction(desk.engine, f"roles:{licensee}:1") is None
    row = participant(desk.engine, licensee)
    assert row is not None and row.roles == 2


async def test_a_suspended_provider_is_given_no_role(desk: Desk) -> None:
    c = desk.consortium
    account = await _registered(desk, ["provider"])
    subject = bytes(12) + bytes.fromhex(account[2:])
    suspend = c.client.consortium.functions.suspend(
        int(SuspensionScope.provider), subject, 1, keccak(text="数据安全法"), 0
    )
    c.client.send(suspend, c.keys[4])  # the example TOML's national regulator
    status, error = await post_roles(desk, account, {"roles": ["licensee"]})
    assert (status, error["code"]) == (409, "reverted"), error
    assert "OversightSuspended" in error["message"]


@pytest.mark.parametrize(
    ("account", "body", "status", "field"),
    [
        ("0x12", {"roles": ["provider"]}, 404, None),
        ("0x" + "ab" * 20, {"roles": ["provider"]}, 404, None),
        ("0x" + "11" * 20, {}, 400, "roles"),
        ("0x" + "11" * 20, {"roles": []}, 400, "roles"),
        ("0x" + "11" * 20, {"roles": "provider"}, 400, "roles"),
        ("0x" + "11" * 20, {"roles": ["seller"]}, 400, "roles"),
        ("0x" + "11" * 20, [1, 2], 400, None),
    ],
    ids=[
        "an account that is not an address is no participant",
        "an account nobody registered is no participant",
        "no roles",
        "an empty list of roles",
        "roles that are not a list",
        "an unknown role",
        "a body that is not an object",
    ],
)
async def test_bad_roles_input_is_refused(
    desk: Desk, account: str, body: object, status: int, field: str | None
) -> None:
    got, error = await post_roles(desk, account, body)
    assert got == status, error
    if field is not None:
        assert error["field"] == field
    assert "Traceback" not in json.dumps(error)
