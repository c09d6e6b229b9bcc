"""Signed participant requests: the pure verification, one case per way a request goes wrong.

A replayed nonce is the store's business (tests/node/test_api_submissions.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from eth_utils import keccak

from node.api.participant_auth import (
    HEADER_ACCOUNT,
    HEADER_NONCE,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    HEADERS,
    AuthenticationError,
    sign_request,
    type_string,
    verify_request,
)

KEY = bytes(keccak(text="onelist participant auth: provider"))
OTHER_KEY = bytes(keccak(text="onelist participant auth: someone else"))
ACCOUNT = Account.from_key(KEY).address
CHAIN = 20231
NOW = 1_790_000_000
BODY = '{"manifest": {"title": "城市交通出行"}}'.encode()
PATH = "/submissions"
NONCE = bytes(range(32))


def signed(
    *, key: bytes = KEY, chain_id: int = CHAIN, timestamp: int = NOW, body: bytes = BODY
) -> dict[str, str]:
    return sign_request(key, "POST", PATH, body, chain_id, timestamp=timestamp, nonce=NONCE)


def test_the_type_string_is_the_documented_one() -> None:
    assert type_string() == (
        "NodeRequest(string method,string path,bytes32 bodyHash,uint64 timestamp,bytes32 nonce)"
    )


def test_a_good_request_proves_its_account() -> None:
    request = verify_request(signed(), "POST", PATH, BODY, chain_id=CHAIN, now=NOW + 10)
    assert request.account == ACCOUNT
    assert request.timestamp == NOW
    assert request.nonce == "0x" + NONCE.hex()


def test_sign_request_makes_a_fresh_nonce_and_the_current_time() -> None:
    a = sign_request(KEY, "GET", PATH, b"", CHAIN)
    b = sign_request(KEY, "GET", PATH, b"", CHAIN)
    assert a[HEADER_NONCE] != b[HEADER_NONCE]
    assert set(a) == set(HEADERS)


def _without(name: str) -> dict[str, str]:
    headers = signed()
    del headers[name]
    return headers


def _with(**changes: str) -> dict[str, str]:
    headers = signed()
    for name, value in changes.items():
        headers[{"a": HEADER_ACCOUNT, "t": HEADER_TIMESTAMP, "n": HEADER_NONCE}[name]] = value
    return headers


CASES: list[Any] = [
    pytest.param(
        signed(timestamp=NOW - 301),
        "POST",
        PATH,
        BODY,
        CHAIN,
        HEADER_TIMESTAMP,
        "too old",
        id="a timestamp more than 300 s old is expired",
    ),
    pytest.param(
        signed(timestamp=NOW + 301),
        "POST",
        PATH,
        BODY,
        CHAIN,
        HEADER_TIMESTAMP,
        "future",
        id="a timestamp more than 300 s ahead is refused",
    ),
    pytest.param(
        {**signed(key=OTHER_KEY), HEADER_ACCOUNT: ACCOUNT},
        "POST",
        PATH,
        BODY,
        CHAIN,
        HEADER_SIGNATURE,
        "not the account's",
        id="a signature by another key than the account's is refused",
    ),
    pytest.param(
        signed(),
        "POST",
        PATH,
        BODY + b" ",
        CHAIN,
        HEADER_SIGNATURE,
        "not the account's",
        id="a body changed after signing is refused",
    ),
    pytest.param(
        signed(),
        "POST",
        "/submissions?limit=1",
        BODY,
        CHAIN,
        HEADER_SIGNATURE,
        "not the account's",
        id="another path than the signed one is refused",
    ),
    pytest.param(
        signed(),
        "PUT",
        PATH,
        BODY,
        CHAIN,
        HEADER_SIGNATURE,
        "not the account's",
        id="another method than the signed one is refused",
    ),
    pytest.param(
        signed(chain_id=CHAIN + 1),
        "POST",
        PATH,
        BODY,
        CHAIN,
        HEADER_SIGNATURE,
        "not the account's",
        id="a request signed for another chain id is refused",
    ),
    pytest.param(
        _without(HEADER_SIGNATURE),
        "POST",
        PATH,
        BODY,
        CHAIN,
        HEADER_SIGNATURE,
        "required",
        id="an unsigned request is refused",
    ),
    pytest.param(
        {},
        "GET",
        PATH,
        b"",
        CHAIN,
        HEADER_ACCOUNT,
        "required",
        id="a request without any header is refused",
    ),
    pytest.param(
        _with(a="0x1234"),
        "POST",
        PATH,
        BODY,
        CHAIN,
        HEADER_ACCOUNT,
        "not an address",
        id="an account that is not an address is refused",
    ),
    pytest.param(
        _with(t="1.5e9"),
        "POST",
        PATH,
        BODY,
        CHAIN,
        HEADER_TIMESTAMP,
        "unix time",
        id="a timestamp that is not whole seconds is refused",
    ),
    pytest.param(
        _with(n="0x" + "ab" * 31),
        "POST",
        PATH,
        BODY,
        CHAIN,
        HEADER_NONCE,
        "32 bytes",
        id="a nonce shorter than 32 bytes is refused",
    ),
    pytest.param(
        {**signed(), HEADER_SIGNATURE: "0x" + "ff" * 65},
        "POST",
        PATH,
        BODY,
        CHAIN,
        HEADER_SIGNATURE,
        "does not verify",
        id="a signature that is not a curve point fails",
    ),
]


@pytest.mark.parametrize(("headers", "method", "path", "body", "chain", "field", "words"), CASES)
def test_a_bad_request_is_refused_naming_the_header(
    headers: dict[str, str],
    method: str,
    path: str,
    body: bytes,
    chain: int,
    field: str,
    words: str,
) -> None:
    with pytest.raises(AuthenticationError) as caught:
        verify_request(headers, method, path, body, chain_id=chain, now=NOW)
    assert caught.value.field == field
    assert words in caught.value.message


@pytest.mark.parametrize(
    "timestamp",
    [NOW - 300, NOW + 300],
    ids=["300 s old is still in the window", "300 s ahead is still in the window"],
)
def test_the_window_boundary_is_inclusive(timestamp: int) -> None:
    assert (
        verify_request(
            signed(timestamp=timestamp), "POST", PATH, BODY, chain_id=CHAIN, now=NOW
        ).account
        == ACCOUNT
    )


def test_the_account_header_may_be_in_lower_case() -> None:
    headers = {**signed(), HEADER_ACCOUNT: ACCOUNT.lower()}
    assert verify_request(headers, "POST", PATH, BODY, chain_id=CHAIN, now=NOW).account == ACCOUNT
