"""A node's staff area as a signed-in staff member uses it: the session cookie and the CSRF
header, over the standard library's HTTP client (the demo and the end-to-end tests sign in
exactly as a browser would)."""

from __future__ import annotations

import http.cookiejar
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from node.api.staff_auth import CSRF_HEADER
from onelist.errors import OnelistError

__all__ = ["NodeAnswer", "StaffClient", "get_json"]


class NodeAnswer(OnelistError, RuntimeError):
    """A node answered a request with an error: ``status``, ``code`` and the body."""

    def __init__(self, status: int, body: Any, where: str) -> None:
        self.status = status
        self.body = body if isinstance(body, dict) else {}
        self.code = str(self.body.get("code", "http_error"))
        message = self.body.get("message") or body
        super().__init__(f"HTTP {status} {self.code}: {message}", where=where)


def _send(
    opener: urllib.request.OpenerDirector,
    method: str,
    url: str,
    body: object = None,
    headers: dict[str, str] | None = None,
    timeout: float = 90.0,
) -> Any:
    data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
    all_headers = {"Accept": "application/json", **(headers or {})}
    if data is not None:
        all_headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=all_headers)
    try:
        with opener.open(request, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = raw.decode("utf-8", "replace")
        raise NodeAnswer(exc.code, answer, f"{method} {url}") from None
    return json.loads(raw) if raw else None


def get_json(url: str, timeout: float = 30.0) -> Any:
    """A public route's JSON (``NodeAnswer`` for an error status)."""
    return _send(urllib.request.build_opener(), "GET", url, timeout=timeout)


class StaffClient:
    """One staff member signed in at one node."""

    def __init__(self, url: str, username: str, password: str) -> None:
        self.url = url.rstrip("/")
        self.username = username
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        answer = _send(
            self._opener,
            "POST",
            self.url + "/staff/sign-in",
            {"username": username, "password": password},
        )
        self._csrf = str(answer["csrf_token"])

    def get(self, path: str, **query: str) -> Any:
        suffix = "?" + urllib.parse.urlencode(query) if query else ""
        return _send(self._opener, "GET", self.url + path + suffix)

    def post(self, path: str, body: object = None) -> Any:
        return _send(
            self._opener, "POST", self.url + path, body if body is not None else {},
            {CSRF_HEADER: self._csrf},
        )  # fmt: skip
