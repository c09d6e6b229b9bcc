"""CSRF tokens for the staff pages' forms (pure: no request, no database).

A browser form cannot send the API's ``X-CSRF-Token`` header, so each form carries a hidden
field instead. Its value is HMAC-SHA256 keyed with the session's CSRF secret (the random
``csrf_token`` the node stores with the session, made afresh at every sign-in) over the
session's id (the SHA-256 of the cookie's token, the key the node stores the session under).
So a token is worth nothing in another session or after signing in again, and the node keeps
nothing new: the session row already holds the secret. The cookie is SameSite=Strict and the
session lives on the server, so no double-submit cookie is needed.

Before sign-in there is no session: the sign-in form is bound the same way to a random
pre-session value the page sets in its own short-lived SameSite=Strict cookie, so a form posted
from another site (login CSRF: signing the victim in as the attacker) carries no valid token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

__all__ = [
    "FIELD",
    "SIGN_IN_COOKIE",
    "SIGN_IN_PURPOSE",
    "check_form_token",
    "form_token",
    "new_pre_session",
]

#: The hidden form field that carries the token.
FIELD = "csrf_token"
#: The cookie holding the sign-in form's pre-session value (no session exists yet).
SIGN_IN_COOKIE = "onelist_sign_in"
#: What the sign-in form's token is bound to, in place of a session id.
SIGN_IN_PURPOSE = "staff sign-in form"
#: Bytes of randomness in a pre-session value.
_PRE_SESSION_BYTES = 32
#: A token longer than this is not one of ours (and is not worth hashing).
_MAX_TOKEN = 128
# Separates the purpose of these MACs from any other use of the same secret.
_DOMAIN = b"onelist staff form\x00"


def form_token(secret: str, session_id: str) -> str:
    """The token a form of the session ``session_id`` carries (hex HMAC-SHA256 keyed with the
    session's CSRF ``secret``)."""
    if not secret or not session_id:
        # An empty key or message would give a token that binds nothing.
        raise ValueError("a CSRF token needs the session's secret and id")
    mac = hmac.new(secret.encode(), _DOMAIN + session_id.encode(), hashlib.sha256)
    return mac.hexdigest()


def check_form_token(secret: str, session_id: str, given: str | None) -> bool:
    """Whether ``given`` is this session's form token (compared in constant time)."""
    if not given or len(given) > _MAX_TOKEN or not secret or not session_id:
        return False
    expected = form_token(secret, session_id)
    return hmac.compare_digest(given.encode(), expected.encode())


def new_pre_session() -> str:
    """A fresh random value for the sign-in form's cookie."""
    return secrets.token_urlsafe(_PRE_SESSION_BYTES)
