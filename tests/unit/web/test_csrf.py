"""The staff forms' CSRF tokens: bound to one session's secret and id, checked in constant time."""

from __future__ import annotations

import pytest

from node.web.csrf import SIGN_IN_PURPOSE, check_form_token, form_token, new_pre_session

SECRET = "s" * 43
SESSION = "a" * 64


def test_a_token_is_the_same_for_the_same_session() -> None:
    assert form_token(SECRET, SESSION) == form_token(SECRET, SESSION)
    assert len(form_token(SECRET, SESSION)) == 64


@pytest.mark.parametrize(
    ("secret", "session", "given", "ok"),
    [
        (SECRET, SESSION, form_token(SECRET, SESSION), True),
        (SECRET, SESSION, None, False),
        (SECRET, SESSION, "", False),
        (SECRET, SESSION, form_token(SECRET, "b" * 64), False),
        (SECRET, SESSION, form_token("t" * 43, SESSION), False),
        (SECRET, SESSION, form_token(SECRET, SESSION)[:-1] + "0", False),
        (SECRET, SESSION, form_token(SECRET, SESSION).upper(), False),
        (SECRET, SESSION, "x" * 10_000, False),
        (SECRET, SESSION, SECRET, False),
        ("", SESSION, form_token(SECRET, SESSION), False),
        (SECRET, "", form_token(SECRET, SESSION), False),
        (SECRET, SESSION, "令牌", False),
    ],
    ids=[
        "the session's own token passes",
        "a missing token fails",
        "an empty token fails",
        "another session's token fails",
        "a token from before signing in again (a new secret) fails",
        "a token with one digit changed fails",
        "the token in other case fails",
        "an oversize token fails without hashing it",
        "the raw secret is not the token",
        "without a secret nothing passes",
        "without a session id nothing passes",
        "a non-ASCII token fails",
    ],
)
def test_check_form_token(secret: str, session: str, given: str | None, ok: bool) -> None:
    assert check_form_token(secret, session, given) is ok


def test_a_token_needs_a_secret_and_a_session() -> None:
    with pytest.raises(ValueError):
        form_token("", SESSION)
    with pytest.raises(ValueError):
        form_token(SECRET, "")


def test_the_sign_in_form_binds_to_its_pre_session_value() -> None:
    first, second = new_pre_session(), new_pre_session()
    assert first != second and len(first) >= 40
    token = form_token(first, SIGN_IN_PURPOSE)
    assert check_form_token(first, SIGN_IN_PURPOSE, token)
    assert not check_form_token(second, SIGN_IN_PURPOSE, token)
