"""The participants' area on a real chain and a real index (SQLite; one PostgreSQL case):
signed requests, submissions checked by the toolkit's rules, licence requests."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from eth_utils import keccak
from jsonschema import Draft202012Validator
from sqlalchemy.engine import URL

from listing.manifest import manifest_from_data
from listing.onchain import to_json
from listing.signing import sign_listing
from node.api.app import MAX_BODY_BYTES, create_app
from node.api.openapi import document
from node.api.participant_auth import HEADER_NONCE, sign_request
from node.store import open_engine, upgrade
from node.store import submissions as db
from onelist.chain.connection import address_of
from onelist.chain.samples import sample_record, sample_terms
from onelist.codes import ParticipantRole, exchange_code
from tests.integration.db_fixtures import _create_database, _drop_database
from tests.unit.listing.manifests import edited, h

from .conftest import CATALOGUE, Consortium, caught_up, node_config

Client = TestClient[web.Request, web.Application]


@dataclass
class World:
    """The module's chain: provider (keys[5]) and licensee (keys[7]) from the fixture, a second
    provider registered here, and one product listed at SH by the provider."""

    consortium: Consortium
    provider: str
    other_provider: str
    licensee: str
    listed_id: bytes
    listed_record: dict[str, Any]

    @property
    def chain_id(self) -> int:
        return self.consortium.deployment.chain_id

    @property
    def registry(self) -> str:
        return str(self.consortium.deployment.address("ListingRegistry"))


@pytest.fixture(scope="module")
def world(consortium: Consortium) -> World:
    keys = consortium.keys
    consortium.client.register_participant(keys[1], address_of(keys[6]), ParticipantRole.provider)
    record = sample_record(address_of(keys[5]), "submissions-listed")
    listed_id, _ = consortium.client.list(keys[1], keys[5], "SH", record, CATALOGUE)
    return World(consortium, keys[5], keys[6], keys[7], listed_id, record)


def check_schema(path: str, method: str, status: int, body: object) -> None:
    """``body`` matches the OpenAPI document's schema for this response."""
    doc = document()
    response = doc["paths"][path][method]["responses"][str(status)]
    schema_ = response["content"]["application/json"]["schema"]
    Draft202012Validator({**schema_, "components": doc["components"]}).validate(body)


async def call(
    client: Client,
    key: str | None,
    method: str,
    path: str,
    body: Any = None,
    *,
    chain_id: int,
    raw: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    """A request signed with ``key`` (unsigned when None); the status and the JSON answer."""
    data = raw if raw is not None else b"" if body is None else json.dumps(body).encode()
    if headers is None:
        headers = {} if key is None else sign_request(key, method, path, data, chain_id)
    response = await client.request(method, path, data=data, headers=headers)
    return response.status, await response.json()


_seq = iter(range(10**6))


def manifest_data(world: World, key: str | None = None, **changes: Any) -> dict[str, Any]:
    """A valid manifest of ``key``'s (default the provider's), with a dataset of its own."""
    base = {
        "provider": address_of(key or world.provider),
        "home_exchange": "SH",
        "fingerprint": h(f"submissions dataset {next(_seq)}"),
    }
    return edited({**base, **changes})


def signature_for(
    world: World, data: dict[str, Any], key: str | None = None, **overrides: Any
) -> dict[str, Any]:
    manifest = manifest_from_data(data)
    values: dict[str, Any] = {
        "chain_id": world.chain_id,
        "registry": world.registry,
        "deadline": int(time.time()) + 3600,
    }
    values.update(overrides)
    return sign_listing(
        manifest,
        bytes.fromhex((key or world.provider).removeprefix("0x")),
        exchange_indexes=world.consortium.client.exchange_indexes(),
        **values,
    )


def submission(world: World, key: str | None = None, **changes: Any) -> dict[str, Any]:
    data = manifest_data(world, key, **changes)
    return {"manifest": data, "signature": signature_for(world, data, key)}


# ----------------------------------------------------------------------------- deployment


async def test_the_deployment_is_public(world: World, api: Client) -> None:
    response = await api.get("/deployment")
    body = await response.json()
    assert response.status == 200
    check_schema("/deployment", "get", 200, body)
    assert body["chain_id"] == world.chain_id and body["organisation"] == "SH"
    assert body["contracts"]["ListingRegistry"] == world.registry
    assert body["exchanges"] == world.consortium.client.exchange_indexes()


# ----------------------------------------------------------------------------- submissions


async def test_a_provider_submits_and_sees_its_submission(world: World, api: Client) -> None:
    body = submission(world)
    status, created = await call(
        api, world.provider, "POST", "/submissions", body, chain_id=world.chain_id
    )
    assert status == 201, created
    check_schema("/submissions", "post", 201, created)
    assert created["status"] == "pending_review" and created["version"] == 1
    assert created["manifest_hash"] == body["signature"]["manifest_hash"]
    assert created["listing_id"] == body["manifest"]["fingerprint"]

    status, page = await call(api, world.provider, "GET", "/submissions", chain_id=world.chain_id)
    assert status == 200
    check_schema("/submissions", "get", 200, page)
    assert [s["submission_id"] for s in page["items"]] == [created["submission_id"]]
    assert page["next_cursor"] is None

    path = f"/submissions/{created['submission_id']}"
    status, detail = await call(api, world.provider, "GET", path, chain_id=world.chain_id)
    assert status == 200
    check_schema("/submissions/{id}", "get", 200, detail)
    assert detail["manifest"]["product_ref"] == body["manifest"]["product_ref"]
    assert detail["signature"]["signature"] == body["signature"]["signature"]


async def test_a_resubmission_returns_the_stored_submission(world: World, api: Client) -> None:
    body = submission(world)
    _, first = await call(
        api, world.provider, "POST", "/submissions", body, chain_id=world.chain_id
    )
    # the same manifest, signed again (another deadline): the same submission
    again = {"manifest": body["manifest"], "signature": signature_for(world, body["manifest"])}
    status, second = await call(
        api, world.provider, "POST", "/submissions", again, chain_id=world.chain_id
    )
    assert status == 200
    check_schema("/submissions", "post", 200, second)
    assert second == first


async def test_submissions_come_in_pages(world: World, api: Client) -> None:
    ids = []
    for _ in range(3):
        body = submission(world)
        _, created = await call(
            api, world.provider, "POST", "/submissions", body, chain_id=world.chain_id
        )
        ids.append(created["submission_id"])
    seen: list[int] = []
    path = "/submissions?limit=2"
    while True:
        status, page = await call(api, world.provider, "GET", path, chain_id=world.chain_id)
        assert status == 200
        seen += [s["submission_id"] for s in page["items"]]
        if page["next_cursor"] is None:
            break
        path = f"/submissions?limit=2&cursor={page['next_cursor']}"
    assert seen == sorted(ids, reverse=True)


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "unauthorized"),
        ({"X-Onelist-Timestamp": str(int(time.time()) - 3600)}, "unauthorized"),
    ],
    ids=["an unsigned submission is a 401", "a submission signed an hour ago is a 401"],
)
async def test_without_a_valid_signature_it_is_401(
    world: World, api: Client, headers: dict[str, str], code: str
) -> None:
    body = json.dumps(submission(world)).encode()
    if headers:
        signed = sign_request(world.provider, "POST", "/submissions", body, world.chain_id)
        headers = {**signed, **headers}
    response = await api.post("/submissions", data=body, headers=headers)
    answer = await response.json()
    assert response.status == 401
    check_schema("/submissions", "post", 401, answer)
    assert answer["code"] == code


async def test_a_replayed_request_is_401(world: World, api: Client) -> None:
    body = json.dumps(submission(world)).encode()
    headers = sign_request(world.provider, "POST", "/submissions", body, world.chain_id)
    first = await api.post("/submissions", data=body, headers=headers)
    assert first.status == 201
    replay = await api.post("/submissions", data=body, headers=headers)
    answer = await replay.json()
    assert replay.status == 401
    assert answer["code"] == "replayed" and answer["field"] == HEADER_NONCE


async def test_a_licensee_may_not_submit(world: World, api: Client) -> None:
    body = submission(world, world.licensee)
    status, answer = await call(
        api, world.licensee, "POST", "/submissions", body, chain_id=world.chain_id
    )
    assert status == 403
    check_schema("/submissions", "post", 403, answer)
    assert answer["code"] == "wrong_role"


async def test_an_unregistered_account_is_403(world: World, api: Client) -> None:
    stranger = "0x" + keccak(text="a stranger to the consortium").hex()
    status, answer = await call(api, stranger, "GET", "/submissions", chain_id=world.chain_id)
    assert status == 403 and answer["code"] == "not_a_participant"


async def test_another_provider_may_not_read_a_submission(world: World, api: Client) -> None:
    body = submission(world)
    _, created = await call(
        api, world.provider, "POST", "/submissions", body, chain_id=world.chain_id
    )
    path = f"/submissions/{created['submission_id']}"
    status, answer = await call(api, world.other_provider, "GET", path, chain_id=world.chain_id)
    assert status == 403
    check_schema("/submissions/{id}", "get", 403, answer)
    status, page = await call(
        api, world.other_provider, "GET", "/submissions", chain_id=world.chain_id
    )
    assert status == 200 and page["items"] == []
    status, answer = await call(
        api, world.provider, "GET", "/submissions/999999", chain_id=world.chain_id
    )
    assert status == 404


async def test_a_manifest_that_does_not_load_is_422_with_its_path(
    world: World, api: Client
) -> None:
    body = submission(world)
    body["manifest"]["catalogue"]["keywords"] = ["交通", 7]
    status, answer = await call(
        api, world.provider, "POST", "/submissions", body, chain_id=world.chain_id
    )
    assert status == 422
    check_schema("/submissions", "post", 422, answer)
    assert answer["field"] == "manifest.catalogue.keywords[1]"
    assert {f["rule_id"] for f in answer["findings"]} == {"SCHEMA"}


@pytest.mark.parametrize(
    ("who", "changes", "rule", "path"),
    [
        ("provider", {"classification.grade": "core"}, "R1", "classification.grade"),
        ("other", {"fingerprint": "listed"}, "R6", "fingerprint"),
        ("provider", {"fingerprint": "listed"}, "NODE", "version"),
        (
            "provider",
            {"version": 2, "listing_id": h("no such listing")},
            "NODE",
            "listing_id",
        ),
    ],
    ids=[
        "core data is refused with rule R1",
        "a dataset another provider listed is refused with rule R6",
        "a dataset the provider listed already needs a new version",
        "a version 2 of an unknown listing is refused",
    ],
)
async def test_a_listing_the_rules_refuse_is_422_with_findings(
    world: World, api: Client, who: str, changes: dict[str, Any], rule: str, path: str
) -> None:
    key = world.provider if who == "provider" else world.other_provider
    if changes.get("fingerprint") == "listed":
        changes = {"fingerprint": "0x" + world.listed_record["fingerprint"].hex()}
    data = manifest_data(world, key, **changes)
    body = {"manifest": data, "signature": signature_for(world, data, key)}
    status, answer = await call(api, key, "POST", "/submissions", body, chain_id=world.chain_id)
    assert status == 422, answer
    check_schema("/submissions", "post", 422, answer)
    assert answer["code"] == "refused"
    errors = [f for f in answer["findings"] if f["severity"] == "error"]
    assert (errors[0]["rule_id"], errors[0]["path"]) == (rule, path)
    assert answer["field"] == f"manifest.{path}"


@pytest.mark.parametrize(
    ("case", "status", "field"),
    [
        ("another chain", 422, "signature.domain.chainId"),
        ("another contract", 422, "signature.domain.verifyingContract"),
        ("expired", 422, "signature.message.deadline"),
        ("another manifest", 422, "signature.message.manifestHash"),
        ("another exchange", 422, "manifest.home_exchange"),
        ("signed by another provider", 403, "manifest.provider"),
    ],
    ids=[
        "a signature for another chain id is refused",
        "a signature for another contract is refused",
        "an expired signature is refused",
        "a signature of another manifest is refused",
        "a manifest for another home exchange is refused",
        "another provider's manifest is refused",
    ],
)
async def test_a_signature_that_does_not_fit_is_refused(
    world: World, api: Client, case: str, status: int, field: str
) -> None:
    data = manifest_data(world)
    signature = signature_for(world, data)
    key = world.provider
    if case == "another chain":
        signature = signature_for(world, data, chain_id=world.chain_id + 1)
    elif case == "another contract":
        licences = world.consortium.deployment.address("LicenceRegistry")
        signature = signature_for(world, data, registry=licences)
    elif case == "expired":
        signature = signature_for(world, data, deadline=int(time.time()) - 1)
    elif case == "another manifest":
        signature = signature_for(world, {**data, "product_ref": "ANOTHER-PRODUCT"})
    elif case == "another exchange":
        data = manifest_data(world, home_exchange="ZJ")
        signature = signature_for(world, data)
    elif case == "signed by another provider":
        key = world.other_provider
    body = {"manifest": data, "signature": signature}
    got, answer = await call(api, key, "POST", "/submissions", body, chain_id=world.chain_id)
    assert got == status, answer
    check_schema("/submissions", "post", status, answer)
    assert answer["field"] == field


@pytest.mark.parametrize(
    ("raw", "status", "field"),
    [
        (b'{"manifest": ', 400, "line 1 column 14"),
        (b"[1, 2]", 400, "(root)"),
        (b'{"manifest": {}, "signature": {}, "extra": 1}', 400, "extra"),
        (b'{"manifest": {}}', 400, "signature"),
    ],
    ids=[
        "malformed JSON is a 400",
        "a body that is not an object is a 400",
        "an unknown member is a 400",
        "a missing signature is a 400",
    ],
)
async def test_a_malformed_body_is_400(
    world: World, api: Client, raw: bytes, status: int, field: str
) -> None:
    got, answer = await call(
        api, world.provider, "POST", "/submissions", raw=raw, chain_id=world.chain_id
    )
    assert got == status
    check_schema("/submissions", "post", status, answer)
    assert answer["field"] == field


async def test_an_oversize_body_is_413_json(world: World, api: Client) -> None:
    raw = b'{"manifest": "' + b"x" * MAX_BODY_BYTES + b'"}'
    got, answer = await call(
        api, world.provider, "POST", "/submissions", raw=raw, chain_id=world.chain_id
    )
    assert got == 413
    check_schema("/submissions", "post", 413, answer)
    assert answer["code"] == "payload_too_large"


# ----------------------------------------------------------------------------- licence requests


def licence_body(world: World, **overrides: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    client = world.consortium.client
    now = int(time.time())
    version = overrides.pop("version", 1)
    terms = sample_terms(
        world.listed_id, version, address_of(world.licensee), exchange_code("SH"), now, **overrides
    )
    acceptance = "0x" + client.sign_acceptance(world.licensee, terms).hex()
    body = {
        "listing_id": "0x" + world.listed_id.hex(),
        "terms": to_json(terms),
        "acceptance": acceptance,
    }
    return body, terms


async def test_a_licensee_requests_a_licence(world: World, api: Client) -> None:
    body, terms = licence_body(world)
    status, created = await call(
        api, world.licensee, "POST", "/licence-requests", body, chain_id=world.chain_id
    )
    assert status == 201, created
    check_schema("/licence-requests", "post", 201, created)
    assert created["status"] == "pending"
    assert created["licence_id"] == "0x" + world.consortium.client.licence_id(terms).hex()
    status, again = await call(
        api, world.licensee, "POST", "/licence-requests", body, chain_id=world.chain_id
    )
    assert status == 200 and again == created
    status, page = await call(
        api, world.licensee, "GET", "/licence-requests", chain_id=world.chain_id
    )
    assert status == 200
    check_schema("/licence-requests", "get", 200, page)
    assert [r["request_id"] for r in page["items"]] == [created["request_id"]]
    path = f"/licence-requests/{created['request_id']}"
    status, one = await call(api, world.licensee, "GET", path, chain_id=world.chain_id)
    assert status == 200 and one == created


@pytest.mark.parametrize(
    ("who", "overrides", "status", "field"),
    [
        ("provider", {}, 403, None),
        ("licensee", {"priceFen": 1}, 422, "terms.priceFen"),
        ("licensee", {"grantingExchange": exchange_code("ZJ")}, 422, "terms.grantingExchange"),
        ("licensee", {"version": 2}, 422, "terms.version"),
    ],
    ids=[
        "a provider may not request a licence",
        "a price below the floor is refused",
        "terms for another granting exchange are refused",
        "terms for a version that is not current are refused",
    ],
)
async def test_a_licence_request_outside_the_rules_is_refused(
    world: World,
    api: Client,
    who: str,
    overrides: dict[str, Any],
    status: int,
    field: str | None,
) -> None:
    body, _ = licence_body(world, **overrides)
    key = world.licensee if who == "licensee" else world.provider
    got, answer = await call(api, key, "POST", "/licence-requests", body, chain_id=world.chain_id)
    assert got == status, answer
    check_schema("/licence-requests", "post", status, answer)
    if field is not None:
        assert answer["field"] == field


# ----------------------------------------------------------------------------- the store


def test_a_nonce_is_used_once_and_forgotten_after_its_window(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'index.db'}")
    try:
        upgrade(engine)
        account, nonce = "0x" + "11" * 20, "0x" + "22" * 32
        assert db.use_nonce(engine, account, nonce, expires_at=1_000, now=500)
        assert not db.use_nonce(engine, account, nonce, expires_at=1_000, now=600)
        assert db.use_nonce(engine, "0x" + "33" * 20, nonce, expires_at=1_000, now=600)
        assert db.use_nonce(engine, account, nonce, expires_at=2_000, now=1_001)  # expired: gone
    finally:
        engine.dispose()


def test_the_staff_move_a_submission_on(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'index.db'}")
    try:
        upgrade(engine)
        new = db.NewSubmission(
            provider="0x" + "11" * 20,
            home_exchange="SH",
            listing_id=h("a"),
            version=1,
            product_ref="P-1",
            title="测试",
            manifest_hash=h("m"),
            manifest={"product_ref": "P-1"},
            signature={"format": "onelist-listing-signature/1"},
            fingerprint=None,
            findings=[],
        )
        stored, created = db.create_submission(engine, new, now=100)
        assert created and stored.status == "pending_review"
        assert db.set_submission_status(engine, stored.id, "approved", None, now=110)
        listed = db.set_submission_status(
            engine, stored.id, "listed", None, listing_id=h("L").upper(), tx="0xAB", now=120
        )
        assert listed is not None
        assert (listed.status, listed.listing_id, listed.tx_hash) == ("listed", h("L"), "0xab")
        with pytest.raises(db.StatusChangeError):
            db.set_submission_status(engine, stored.id, "rejected", "too late")
        with pytest.raises(db.StatusChangeError):
            db.set_submission_status(engine, stored.id, "withdrawn", None)
        assert db.set_submission_status(engine, 999, "approved", None) is None
    finally:
        engine.dispose()


# ----------------------------------------------------------------------------- PostgreSQL


@pytest.fixture
def pg_database(pg_server: URL) -> Iterator[str]:
    database = _create_database(pg_server, "onelist_submissions")
    try:
        yield database.render_as_string(hide_password=False)
    finally:
        _drop_database(pg_server, database)


@pytest.fixture
async def pg_api(world: World, tmp_path: Path, pg_database: str) -> AsyncIterator[Client]:
    config = node_config(world.consortium, tmp_path, database_url=pg_database)
    async with TestClient(TestServer(create_app(config))) as client:
        await caught_up(client)
        yield client


async def test_a_submission_on_postgresql(world: World, pg_api: Client) -> None:
    body = submission(world)
    status, created = await call(
        pg_api, world.provider, "POST", "/submissions", body, chain_id=world.chain_id
    )
    assert status == 201, created
    status, again = await call(
        pg_api, world.provider, "POST", "/submissions", body, chain_id=world.chain_id
    )
    assert status == 200 and again["submission_id"] == created["submission_id"]
    status, page = await call(
        pg_api, world.provider, "GET", "/submissions", chain_id=world.chain_id
    )
    assert [s["submission_id"] for s in page["items"]] == [created["submission_id"]]


def test_every_participant_route_is_documented_and_every_documented_one_exists() -> None:
    from node.api.submissions import add_routes

    app = web.Application()
    add_routes(app)
    served = {
        (route.resource.canonical, route.method.lower())
        for route in app.router.routes()
        if route.resource is not None and route.method != "HEAD"
    }
    area = json.loads(
        (Path(__file__).parents[2] / "node/api/openapi/submissions.json").read_text("utf-8")
    )
    documented = {(path, method) for path, item in area["paths"].items() for method in item}
    assert served == documented


def _table_of(diff: Any) -> str | None:
    """The table an Alembic autogenerate difference is about."""
    if isinstance(diff, list):
        return _table_of(diff[0])
    op, *rest = diff
    if op.endswith("_table"):
        return str(rest[0].name)
    if op.endswith(("_index", "_constraint")):
        return str(rest[0].table.name)
    return str(rest[1])  # ("add_column", schema, table, column), ("modify_…", schema, table, …)


def test_migration_0003_builds_exactly_the_participants_tables(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import inspect

    from node.store.migrate import downgrade
    from node.store.schema_submissions import metadata

    engine = open_engine(f"sqlite:///{tmp_path / 'index.db'}")
    try:
        upgrade(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diffs = compare_metadata(context, metadata)
        assert [d for d in diffs if _table_of(d) in metadata.tables] == []
        downgrade(engine, "0002")
        assert not set(metadata.tables) & set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("status", "values", "refused"),
    [
        ("rejected", {"reason": "质量评估报告已过期"}, False),
        ("rejected", {"reason": "另一个理由"}, True),
        ("rejected", {"reason": None}, False),
        ("granted", {"reason": None, "tx": "0x" + "cd" * 32}, False),
        ("granted", {"reason": None, "tx": "0x" + "ef" * 32}, True),
    ],
    ids=[
        "a rejection again with its reason changes nothing",
        "a rejection again with another reason is refused",
        "a rejection again without a reason changes nothing",
        "a grant again with its transaction changes nothing",
        "a grant again with another transaction is refused",
    ],
)
def test_a_decision_once_recorded_never_changes(
    tmp_path: Path, status: str, values: dict[str, Any], refused: bool
) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'index.db'}")
    try:
        upgrade(engine)
        new = db.NewLicenceRequest(
            licensee="0x" + "11" * 20,
            listing_id=h("L"),
            version=1,
            granting_exchange="SH",
            licence_id=h("licence"),
            terms={"version": 1},
            acceptance="0x" + "00" * 65,
        )
        stored, _ = db.create_licence_request(engine, new, now=100)
        reason, tx = (
            ("质量评估报告已过期", None) if status == "rejected" else (None, "0x" + "cd" * 32)
        )
        decided = db.set_licence_request_status(engine, stored.id, status, reason, tx, now=110)
        assert decided is not None
        if refused:
            with pytest.raises(db.StatusChangeError) as caught:
                db.set_licence_request_status(
                    engine, stored.id, status, values["reason"], values.get("tx"), now=120
                )
            assert caught.value.status == status and caught.value.reason == decided.reason
            assert f"already {status}" in caught.value.message
        else:
            again = db.set_licence_request_status(
                engine, stored.id, status, values["reason"], values.get("tx"), now=120
            )
            assert again == decided  # not even updated_at moved
        assert db.get_licence_request(engine, stored.id) == decided
        with pytest.raises(db.StatusChangeError) as caught:
            db.set_licence_request_status(engine, stored.id, "pending", None)
        assert caught.value.status == status
    finally:
        engine.dispose()
