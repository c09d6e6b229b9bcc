"""The node's own staff: local accounts, password sign-in, sessions, roles and CSRF.

Passwords are kept as scrypt hashes with a random salt and compared in constant time. Signing in
sets an HttpOnly, SameSite=Strict cookie ``onelist_session`` holding a random 32-byte token; the
node keeps only the token's SHA-256, so a copy of the database signs nobody in. A session lasts
8 hours from its last use (sliding). A state-changing request must also carry the session's CSRF
token in the ``X-CSRF-Token`` header: the cookie alone proves nothing about who made the request.

Other areas guard their routes with :func:`require_staff`::

    user = await require_staff(request, "auditor", "regulator_officer")

which answers 401 without a valid session, 403 without one of the roles and, for any method
other than GET/HEAD/OPTIONS, 403 without the right CSRF token.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from sqlalchemy import Engine

from node.api.errors import ApiError, BadRequest, Forbidden, Unauthorized
from node.api.keys import STORE
from node.store import staff as store

__all__ = [
    "COOKIE",
    "CSRF_HEADER",
    "ROLES",
    "SESSION_SECONDS",
    "StaffUser",
    "TooManyRequests",
    "add_staff_user",
    "check_csrf",
    "close_session",
    "credentials",
    "hash_password",
    "json_body",
    "open_session",
    "require_staff",
    "session_id",
    "set_session_cookie",
    "sign_in",
    "sign_out",
    "signed_in",
    "verify_password",
]

#: The roles a staff user may hold (any set of them).
ROLES = frozenset({"reviewer", "admin", "auditor", "regulator_officer"})
COOKIE = "onelist_session"
CSRF_HEADER = "X-CSRF-Token"
SESSION_SECONDS = 8 * 3600
#: A session's expiry moves forward at most this often (one write a minute, not one a request).
SLIDE_SECONDS = 60
#: Wrong passwords in a row before an account waits ``LOCK_SECONDS``.
LOCK_AFTER = 5
LOCK_SECONDS = 300
MIN_PASSWORD = 12
MAX_PASSWORD = 1024
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# scrypt cost: 32 MiB and about 0.1 s per hash (OWASP's minimum is N=2**15, r=8, p=1).
SCRYPT_N = 1 << 15
SCRYPT_R = 8
SCRYPT_P = 1
_SCRYPT_MAX_N = 1 << 20
_SALT_BYTES = 16
_KEY_BYTES = 32
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")


class TooManyRequests(ApiError):
    status, code = 429, "too_many_requests"


@dataclass(frozen=True)
class StaffUser:
    """A signed-in staff member, as :func:`require_staff` returns it."""

    username: str
    roles: frozenset[str]
    csrf_token: str
    expires_at: int

    def has(self, *roles: str) -> bool:
        return not roles or bool(self.roles.intersection(roles))


# --------------------------------------------------------------------------- passwords


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=2 * 128 * r * (n + p + 2),
        dklen=_KEY_BYTES,
    )


def hash_password(password: str, *, n: int = SCRYPT_N) -> str:
    """``scrypt$N$r$p$salt$hash`` (salt and hash in base64), with a fresh random salt."""
    salt = secrets.token_bytes(_SALT_BYTES)
    digest = _scrypt(password, salt, n, SCRYPT_R, SCRYPT_P)
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored`` (constant-time); False for a malformed hash."""
    try:
        scheme, n_text, r_text, p_text, salt_text, hash_text = stored.split("$")
        n, r, p = int(n_text), int(r_text), int(p_text)
        salt = base64.b64decode(salt_text, validate=True)
        expected = base64.b64decode(hash_text, validate=True)
    except ValueError:
        return False
    if scheme != "scrypt" or not (2 <= n <= _SCRYPT_MAX_N and 1 <= r <= 32 and 1 <= p <= 16):
        return False
    try:
        actual = _scrypt(password, salt, n, r, p)
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


#: Compared against when the username is unknown, so that the answer takes as long: a
#: well-formed hash with the default cost, whose salt and digest are random bytes. Checking a
#: password against it runs one full scrypt as for a real account, and no password matches it
#: (that would need a preimage of a random digest), so nothing is hashed to make it: importing
#: the node costs no scrypt (0.1 s, 32 MiB), nor does the first unknown username.
_UNKNOWN_USER_HASH = (
    f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}"
    f"${_b64(secrets.token_bytes(_SALT_BYTES))}${_b64(secrets.token_bytes(_KEY_BYTES))}"
)


def check_username(username: str) -> str:
    if not _USERNAME.fullmatch(username):
        raise BadRequest(
            "a username is 1-64 characters: lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
            field="username",
        )
    return username


def check_roles(roles: Iterable[str]) -> frozenset[str]:
    chosen = frozenset(roles)
    unknown = chosen - ROLES
    if unknown or not chosen:
        raise BadRequest(f"roles must be one or more of {', '.join(sorted(ROLES))}", field="roles")
    return chosen


def add_staff_user(
    engine: Engine, username: str, password: str, roles: Iterable[str], *, n: int = SCRYPT_N
) -> None:
    """Create a staff account (the command ``onelist node user add`` and tests use this)."""
    check_username(username)
    chosen = check_roles(roles)
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise BadRequest(
            f"a password has {MIN_PASSWORD} to {MAX_PASSWORD} characters", field="password"
        )
    store.add_user(engine, username, hash_password(password, n=n), chosen, int(time.time()))


# --------------------------------------------------------------------------- requests


async def json_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object; 400 for anything else."""
    try:
        text = await request.text()
        value = json.loads(text)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the body is not JSON", code="malformed_json") from None
    if not isinstance(value, dict):
        raise BadRequest("the body must be a JSON object", code="malformed_json")
    return value


def _string(body: dict[str, Any], name: str, *, limit: int = MAX_PASSWORD) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise BadRequest(f"{name} must be a non-empty string", field=name)
    if len(value) > limit:
        raise BadRequest(f"{name} is longer than {limit} characters", field=name)
    return value


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _engine(request: web.Request) -> Engine:
    return request.app[STORE].engine


def check_csrf(request: web.Request, user: StaffUser) -> None:
    """403 unless the ``X-CSRF-Token`` header equals the session's CSRF token."""
    given = request.headers.get(CSRF_HEADER, "")
    if not given or not hmac.compare_digest(given.encode(), user.csrf_token.encode()):
        raise Forbidden(f"the {CSRF_HEADER} header is missing or wrong", code="csrf")


async def signed_in(request: web.Request) -> StaffUser | None:
    """The session's user (sliding its expiry), or None without a valid session cookie."""
    token = request.cookies.get(COOKIE)
    if not token or len(token) > 128:
        return None
    engine = _engine(request)
    now = int(time.time())
    token_hash = _token_hash(token)
    found = await asyncio.to_thread(store.session, engine, token_hash, now)
    if found is None:
        return None
    expires_at = found.expires_at
    if now + SESSION_SECONDS - expires_at >= SLIDE_SECONDS:
        expires_at = now + SESSION_SECONDS
        await asyncio.to_thread(store.slide_session, engine, token_hash, expires_at)
    return StaffUser(found.username, found.roles, found.csrf_token, expires_at)


async def require_staff(request: web.Request, *roles: str) -> StaffUser:
    """The signed-in staff user holding one of ``roles`` (any role when none are named).

    401 without a valid session; 403 without one of the roles; 403 for a state-changing
    method (anything but GET, HEAD, OPTIONS) without the session's CSRF token.
    """
    user = await signed_in(request)
    if user is None:
        raise Unauthorized("sign in as staff first (POST /staff/sign-in)")
    if request.method not in SAFE_METHODS:
        check_csrf(request, user)
    if not user.has(*roles):
        raise Forbidden(f"this needs one of the roles: {', '.join(sorted(roles))}")
    return user


# --------------------------------------------------------------------------- handlers


def _session_body(user: StaffUser) -> dict[str, Any]:
    return {
        "username": user.username,
        "roles": sorted(user.roles),
        "csrf_token": user.csrf_token,
        "expires_at": user.expires_at,
    }


def credentials(body: dict[str, Any]) -> tuple[str, str]:
    """The username and password of a sign-in body; 400 naming the one that is missing."""
    return _string(body, "username", limit=64), _string(body, "password")


def session_id(request: web.Request) -> str | None:
    """The id the node keeps the request's session under (the SHA-256 of the cookie's token),
    or None without a cookie; the staff pages bind their forms' CSRF tokens to it."""
    token = request.cookies.get(COOKIE)
    return _token_hash(token) if token else None


async def open_session(request: web.Request, username: str, password: str) -> tuple[StaffUser, str]:
    """Check the password (five wrong ones in a row lock the account for a while) and open a
    session: the user and the token for :func:`set_session_cookie`. 401 for a wrong username
    or password (the same answer, in the same time), 429 while locked."""
    engine = _engine(request)
    now = int(time.time())
    account = await asyncio.to_thread(store.get_user, engine, username)
    if account is not None and account.locked_until > now:
        raise TooManyRequests(
            f"too many wrong passwords; try again in {account.locked_until - now} s"
        )
    stored = account.password_hash if account is not None else _UNKNOWN_USER_HASH
    matches = await asyncio.to_thread(verify_password, password, stored)
    if account is None or not matches:
        if account is not None:
            await asyncio.to_thread(
                store.record_signin_failure,
                engine,
                username,
                now,
                lock_after=LOCK_AFTER,
                lock_seconds=LOCK_SECONDS,
            )
        raise Unauthorized("wrong username or password", code="bad_credentials")
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires_at = now + SESSION_SECONDS
    await asyncio.to_thread(
        store.create_session, engine, _token_hash(token), username, csrf, now, expires_at
    )
    return StaffUser(username, account.roles, csrf, expires_at), token


def set_session_cookie(request: web.Request, response: web.StreamResponse, token: str) -> None:
    """The session cookie: HttpOnly, SameSite=Strict, Secure over HTTPS; never cached."""
    response.set_cookie(
        COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        secure=request.secure,
        path="/",
    )
    response.headers["Cache-Control"] = "no-store"


async def close_session(request: web.Request, response: web.StreamResponse) -> None:
    """End the request's session and clear its cookie (the caller has checked CSRF)."""
    token = request.cookies.get(COOKIE, "")
    await asyncio.to_thread(store.delete_session, _engine(request), _token_hash(token))
    response.del_cookie(COOKIE, path="/")


async def sign_in(request: web.Request) -> web.Response:
    """``POST /staff/sign-in`` {username, password}: a session cookie and the CSRF token."""
    username, password = credentials(await json_body(request))
    user, token = await open_session(request, username, password)
    response = web.json_response(_session_body(user))
    set_session_cookie(request, response, token)
    return response


async def sign_out(request: web.Request) -> web.Response:
    """``POST /staff/sign-out``: ends the session (CSRF-checked) and clears the cookie."""
    user = await require_staff(request)
    response = web.json_response({"username": user.username, "signed_out": True})
    await close_session(request, response)
    return response


async def me(request: web.Request) -> web.Response:
    """``GET /staff/me``: who is signed in, with the CSRF token (for a page that reloads)."""
    user = await require_staff(request)
    response = web.json_response(_session_body(user))
    response.headers["Cache-Control"] = "no-store"
    return response


def add_routes(app: web.Application) -> None:
    app.router.add_post("/staff/sign-in", sign_in)
    app.router.add_post("/staff/sign-out", sign_out)
    app.router.add_get("/staff/me", me)
