"""Requests aiohttp's HTTP parser refuses, sent to a running ``onelist node run``: the node answers
them as the API's JSON errors (node.api.server), not aiohttp's plain text, and keeps serving."""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

from onelist.network.staff_client import get_json

from .conftest import Network


def _raw_exchange(url: str, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send ``request`` as it is on a fresh connection; the status, headers and body."""
    address = urlsplit(url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
    return int(status_line.split()[1]), headers, body


def test_a_request_line_with_raw_utf8_gets_a_json_400_saying_how_to_encode_it(
    network: Network,
) -> None:
    url = network.local.plan.node("SH").url
    request = "GET /listings?q=交通 HTTP/1.1\r\nHost: node\r\n\r\n".encode()
    status, headers, body = _raw_exchange(url, request)
    assert status == 400
    assert headers["content-type"].startswith("application/json")
    error = json.loads(body)
    assert error["code"] == "bad_request"
    assert "malformed" in error["message"] and "percent-encode" in error["message"]
    assert "--data-urlencode" in error["message"]
    assert "q=交通".encode() in body  # readable as sent, not \uXXXX (node.api.errors)
    # The node goes on answering well-formed requests.
    assert get_json(f"{url}/health")["status"] == "ok"


def test_a_malformed_header_line_gets_a_json_400(network: Network) -> None:
    url = network.local.plan.node("ZJ").url
    status, headers, body = _raw_exchange(url, b"GET /health HTTP/1.1\r\nNo colon here\r\n\r\n")
    assert status == 400
    assert headers["content-type"].startswith("application/json")
    error = json.loads(body)
    assert error["code"] == "bad_request" and error["message"].startswith("the HTTP request is")
