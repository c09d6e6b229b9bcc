"""What the node answers for a request aiohttp's HTTP parser refused (node.api.server)."""

from __future__ import annotations

from node.api.server import malformed_request_body


def test_a_url_with_raw_characters_says_how_to_encode_them() -> None:
    body = malformed_request_body("Invalid char in url query:\n\n  b'/listings?q=\\xe4'\n     ^")
    assert body["code"] == "bad_request"
    assert body["message"].startswith("the HTTP request is malformed: Invalid char in url query;")
    assert "percent-encode" in body["message"] and "--data-urlencode" in body["message"]


def test_another_parser_refusal_is_named_without_the_url_hint() -> None:
    body = malformed_request_body("Invalid header token")
    assert body == {
        "code": "bad_request",
        "message": "the HTTP request is malformed: Invalid header token",
    }


def test_no_message_still_says_the_request_is_malformed() -> None:
    assert malformed_request_body(None)["message"] == (
        "the HTTP request is malformed: unreadable request"
    )
    assert malformed_request_body("  \n")["message"].endswith("unreadable request")
