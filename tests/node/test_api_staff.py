"""The node's staff area on a real chain and SQLite index: sign-in, roles, CSRF, sessions."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import update

from node.api.app import create_app
from node.api.keys import STORE
from node.api.staff_auth import COOKIE, CSRF_HEADER, add_staff_user, require_staff
from node.store.schema_staff import staff_sessions

from .conftest import Consortium, node_config

PASSWORD = "correct horse battery"
N = 1 << 10  # cheap scrypt for tests
Client = TestClient[web.Request, web.Application]


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
