"""Every operation of the node's OpenAPI document, fuzzed by schemathesis against a real node.

SH's node (the real application with its indexer, over the module's anvil consortium with a
listing and a licence on it, a real SQLite index) serves on 127.0.0.1 from a thread of its own;
the schema is loaded from the node's own ``/openapi.json``, which must be a valid OpenAPI 3.1
document. Each operation then gets :data:`EXAMPLES` generated requests (valid ones: positive
mode), each checked for no 5xx, a documented status code, a documented content type and a body
that conforms to the documented schema.

Signed in where the route needs it: staff routes carry the session cookie and CSRF token of a
user holding every staff role; participants' routes are signed (EIP-712 NodeRequest over the
request as sent) by the registered provider or licensee. ``POST /staff/sign-out`` runs without
the session (signing out would end it for the other operations), so only its refusals are
covered here; test_api_staff covers a real sign-out.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, Phase, given, settings
from jsonschema import Draft202012Validator
from schemathesis import checks
from schemathesis.specs.openapi.definitions import OPENAPI_31

from node.api.app import create_app
from node.api.keys import STORE
from node.api.openapi import document
from node.api.participant_auth import sign_request
from node.api.staff_auth import COOKIE, CSRF_HEADER, ROLES, add_staff_user

from .conftest import Consortium, signing_config

#: Generated requests per operation: enough to reach every parameter, small enough that the
#: whole module stays within about a minute on two cores.
EXAMPLES = 20
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]
PASSWORD = "correct horse battery"
#: Valid requests (positive) and requests that break the document (negative: wrong types,
#: values out of range, missing members), which must be refused with a documented 4xx.
MODES = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
OPERATIONS = [
    (method.upper(), path)
    for path, item in document()["paths"].items()
    for method in item
    if method in _METHODS
]


def _takes_input(method: str, path: str) -> bool:
    """Whether the operation has parameters or a body (else no request can break it)."""
    operation = document()["paths"][path][method.lower()]
    return bool(operation.get("parameters") or operation.get("requestBody"))


CASES = [
    (method, path, mode)
    for method, path in OPERATIONS
    for mode in MODES
    if mode is schemathesis.GenerationMode.POSITIVE or _takes_input(method, path)
]


class _Node(threading.Thread):
    """The application served by aiohttp on 127.0.0.1 in a thread with its own event loop
    (schemathesis calls it synchronously, so it cannot share the test's loop)."""

    def __init__(self, app: web.Application) -> None:
        super().__init__(daemon=True)
        self.app = app
        self.url = ""
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._done = asyncio.Event()

    def run(self) -> None:
        self._loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        self._done = asyncio.Event()
        runner = web.AppRunner(self.app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        self._ready.set()
        try:
            await self._done.wait()
        finally:
            await runner.cleanup()

    def start_serving(self) -> str:
        self.start()
        assert self._ready.wait(30), "the node did not start"
        return self.url

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._done.set)
        self.join(30)


class _Signer(requests.auth.AuthBase):
    """Signs each request as sent (method, path with query, body bytes) with a participant's
    key: requests calls an auth hook after it has encoded the body."""

    def __init__(self, key: str, chain_id: int) -> None:
        self.key = key
        self.chain_id = chain_id

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        body = r.body
        raw = body.encode() if isinstance(body, str) else body if isinstance(body, bytes) else b""
        assert r.method is not None
        r.headers.update(sign_request(self.key, r.method, r.path_url, raw, self.chain_id))
        return r


@dataclass
class Served:
    url: str
    staff_cookies: dict[str, str]
    staff_headers: dict[str, str]
    provider: requests.Session
    licensee: requests.Session


@pytest.fixture(scope="module")
def served(consortium: Consortium, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """SH's node over the module's chain, caught up, with a listing, a licence and a staff
    user holding every role."""
    consortium.traffic(1)
    tmp = tmp_path_factory.mktemp("schemathesis")
    config = signing_config(consortium, tmp, 1)
    app = create_app(config)
    node = _Node(app)
    url = node.start_serving()
    try:
        head = consortium.w3.eth.block_number
        deadline = time.monotonic() + 30
        while (state := requests.get(f"{url}/status", timeout=5).json())["indexed"] != head:
            assert time.monotonic() < deadline, f"the node did not catch up: {state}"
            time.sleep(0.05)
        add_staff_user(app[STORE].engine, "fuzz", PASSWORD, sorted(ROLES), n=1 << 10)
        signed_in = requests.post(
            f"{url}/staff/sign-in", json={"username": "fuzz", "password": PASSWORD}, timeout=5
        )
        assert signed_in.status_code == 200, signed_in.text
        chain_id = consortium.chain.chain_id
        provider, licensee = requests.Session(), requests.Session()
        provider.auth = _Signer(consortium.keys[5], chain_id)
        licensee.auth = _Signer(consortium.keys[7], chain_id)
        yield Served(
            url,
            {COOKIE: str(signed_in.cookies[COOKIE])},
            {CSRF_HEADER: signed_in.json()["csrf_token"]},
            provider,
            licensee,
        )
    finally:
        node.stop()


@pytest.fixture(scope="module")
def api_schema(served: Served) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{served.url}/openapi.json")


def test_the_served_document_is_valid_openapi_3_1(served: Served) -> None:
    served_doc = requests.get(f"{served.url}/openapi.json", timeout=5).json()
    assert served_doc == document()
    assert served_doc["openapi"].startswith("3.1.")
    errors = sorted(Draft202012Validator(OPENAPI_31).iter_errors(served_doc), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


def _session(served: Served, path: str) -> requests.Session | None:
    if path.startswith("/submissions"):
        return served.provider
    if path.startswith("/licence-requests"):
        return served.licensee
    return None


@pytest.mark.parametrize(
    ("method", "path", "mode"), CASES, ids=[f"{m} {p} {mode.value}" for m, p, mode in CASES]
)
def test_operation_conforms_to_the_document(
    api_schema: schemathesis.BaseSchema,
    served: Served,
    method: str,
    path: str,
    mode: schemathesis.GenerationMode,
) -> None:
    operation = api_schema[path][method]
    staff = path.startswith(("/staff", "/audit")) and path != "/staff/sign-out"
    session = _session(served, path)
    extra: dict[str, Any] = {}
    if staff:
        extra = {"cookies": served.staff_cookies, "headers": served.staff_headers}

    @given(case=operation.as_strategy(mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        case.call_and_validate(
            base_url=served.url, session=session, checks=CHECKS, timeout=30, **extra
        )

    run()
