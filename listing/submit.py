"""Submitting listings to the home exchange's node, and reading their review state back.

The node publishes what a provider signs for at ``GET /deployment`` (chain id, the
ListingRegistry's address, the exchanges' indexes); :func:`prepare_submission` signs the
listing with the toolkit's own :func:`listing.signing.sign_listing`, and :class:`NodeClient`
sends it as a request signed with the same key (:mod:`node.api.participant_auth`: EIP-712 over
the method, path, body, time and a single-use nonce). Standard library HTTP only.

Failures are one-line errors: :class:`NodeUnreachableError` when there is no answer,
:class:`NodeRefusedError` (with the node's code, field and rule findings) when the node says no.
"""

from __future__ import annotations

import http.client
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from listing.errors import InputFileError, ListingError
from listing.files import read_json_file
from listing.hashing import manifest_hash
from listing.manifest import Manifest, manifest_document
from listing.signing import sign_listing

__all__ = [
    "NodeClient",
    "NodeDeployment",
    "NodeRefusedError",
    "NodeUnreachableError",
    "SubmitResult",
    "fingerprint_summary",
    "prepare_submission",
]

DEFAULT_TIMEOUT = 30.0
_SPACES = re.compile(r"\s+")
MAX_FINGERPRINT_FILE_BYTES = 512 << 20


class NodeUnreachableError(ListingError, ConnectionError):
    """The node did not answer (refused, unknown host, timed out, not a onelist node)."""


class NodeRefusedError(ListingError, ValueError):
    """The node answered with an error: ``status`` (HTTP), ``code``, ``field`` and, for a
    listing the rules refuse, ``findings`` (``{rule_id, severity, path, message}`` each)."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str,
        field: str | None = None,
        findings: list[dict[str, Any]] | None = None,
        where: str | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.field = field
        self.findings = findings or []
        shown = f"{field}: {message}" if field else message
        super().__init__(f"HTTP {status} {code}: {shown}", where=where)


@dataclass(frozen=True)
class NodeDeployment:
    """What ``GET /deployment`` says: the chain, the contracts, whose node it is."""

    chain_id: int
    contracts: dict[str, str]
    organisation: str
    exchanges: dict[str, int] = field(default_factory=dict)

    @property
    def registry(self) -> str:
        return self.contracts["ListingRegistry"]


@dataclass(frozen=True)
class SubmitResult:
    """The node's answer to a submission: ``created`` False when it had it already."""

    created: bool
    submission: dict[str, Any]


def _one_line(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _base_url(url: str) -> str:
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise NodeUnreachableError(
            "the node URL must be http://host:port or https://host[:port]", where=url
        )
    return urllib.parse.urlunsplit((parsed.scheme, parsed.netloc, parsed.path.rstrip("/"), "", ""))


class NodeClient:
    """A node's participant API, as one account (``private_key``; None for public routes)."""

    def __init__(
        self, url: str, private_key: bytes | None = None, *, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        self.url = _base_url(url)
        parts = urllib.parse.urlsplit(self.url)
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self._prefix = parts.path  # a node behind a path prefix: signed as sent
        self._key = private_key
        self._timeout = timeout
        self._deployment: NodeDeployment | None = None

    def with_key(self, private_key: bytes) -> NodeClient:
        """The same node as another account (the deployment is not asked again)."""
        client = NodeClient(self.url, private_key, timeout=self._timeout)
        client._deployment = self._deployment
        return client

    # ------------------------------------------------------------------------- plumbing

    def request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        signed: bool = True,
        query: Mapping[str, str] | None = None,
    ) -> tuple[int, Any]:
        """Send one request; ``(status, JSON body)`` for a 2xx answer, else
        :class:`NodeRefusedError` / :class:`NodeUnreachableError`."""
        full_path = self._prefix + path
        if query:
            full_path += "?" + urllib.parse.urlencode(query)
        url = self._origin + full_path
        data = b"" if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if signed:
            headers.update(self._sign(method, full_path, data))
        req = urllib.request.Request(url, data=data or None, method=method, headers=headers)
        where = f"{method} {url}"
        try:
            with urllib.request.urlopen(req, timeout=self._timeout) as response:
                return response.status, self._json(response.read(), response.status, where)
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            answer = self._json(raw, exc.code, where)
            if not isinstance(answer, dict):
                answer = {}
            raise NodeRefusedError(
                _one_line(str(answer.get("message") or exc.reason)),
                status=exc.code,
                code=str(answer.get("code") or "http_error"),
                field=answer.get("field"),
                findings=answer.get("findings") if isinstance(answer.get("findings"), list) else [],
                where=self.url,
            ) from None
        except urllib.error.URLError as exc:
            reason = exc.reason
            text = reason.strerror if isinstance(reason, OSError) and reason.strerror else reason
            raise NodeUnreachableError(
                f"cannot reach the node: {_one_line(str(text))}", where=self.url
            ) from None
        except TimeoutError:
            raise NodeUnreachableError(
                f"the node did not answer within {self._timeout:g} s", where=self.url
            ) from None
        except (http.client.HTTPException, ConnectionError) as exc:
            raise NodeUnreachableError(
                f"the connection to the node failed: {_one_line(str(exc)) or type(exc).__name__}",
                where=self.url,
            ) from None

    def _json(self, raw: bytes, status: int, where: str) -> Any:
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            raise NodeUnreachableError(
                f"not a onelist node: HTTP {status} answered with something other than JSON",
                where=where,
            ) from None

    def _sign(self, method: str, path: str, body: bytes) -> dict[str, str]:
        from node.api.participant_auth import sign_request

        if self._key is None:
            raise ListingError("a key is needed to sign requests to the node")
        return sign_request(self._key, method, path, body, self.deployment().chain_id)

    # ------------------------------------------------------------------------- the API

    def deployment(self) -> NodeDeployment:
        """``GET /deployment``, asked once."""
        if self._deployment is None:
            _, body = self.request("GET", "/deployment", signed=False)
            try:
                self._deployment = NodeDeployment(
                    chain_id=int(body["chain_id"]),
                    contracts={str(k): str(v) for k, v in body["contracts"].items()},
                    organisation=str(body["organisation"]),
                    exchanges={str(k): int(v) for k, v in body.get("exchanges", {}).items()},
                )
                self._deployment.registry  # noqa: B018 - must be there
            except (KeyError, TypeError, ValueError, AttributeError):
                raise NodeUnreachableError(
                    "not a onelist node: /deployment lacks the chain id or the ListingRegistry",
                    where=self.url,
                ) from None
        return self._deployment

    def submit(self, body: Mapping[str, Any]) -> SubmitResult:
        status, answer = self.request("POST", "/submissions", body)
        return SubmitResult(status == 201, dict(answer))

    def submission(self, submission_id: int) -> dict[str, Any]:
        _, answer = self.request("GET", f"/submissions/{submission_id}")
        return dict(answer)

    def submissions(self, *, status: str | None = None, page: int = 100) -> list[dict[str, Any]]:
        """Every submission of the key's account, newest first (following the cursor)."""
        items: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            query = {"limit": str(page)}
            if status:
                query["status"] = status
            if cursor:
                query["cursor"] = cursor
            _, answer = self.request("GET", "/submissions", query=query)
            items.extend(answer["items"])
            cursor = answer.get("next_cursor")
            if not cursor:
                return items


def fingerprint_summary(path: str | Path, manifest: Manifest) -> dict[str, Any]:
    """The summary of a fingerprint file that goes with a submission (never its file list),
    after checking the file and that its root is the manifest's fingerprint."""
    from listing.fingerprint import SCHEME, fingerprint_from_dict

    data = read_json_file(path, what="fingerprint file", max_bytes=MAX_FINGERPRINT_FILE_BYTES)
    fingerprint = fingerprint_from_dict(data, where=str(path))
    if fingerprint.root_hex.lower() != manifest.fingerprint.lower():
        raise InputFileError(
            f"its root {fingerprint.root_hex} is not the manifest's fingerprint "
            f"{manifest.fingerprint}",
            where=str(path),
        )
    return {
        "scheme": SCHEME,
        "root": fingerprint.root_hex,
        "file_count": len(fingerprint.files),
        "total_bytes": fingerprint.total_bytes,
    }


def prepare_submission(
    manifest: Manifest,
    private_key: bytes,
    deployment: NodeDeployment,
    *,
    deadline: int,
    fingerprint: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The body of ``POST /submissions``: the manifest (normal form), its signature for the
    node's chain and ListingRegistry, and the fingerprint summary when given."""
    if manifest.home_exchange != deployment.organisation:
        raise ListingError(
            f"this is {deployment.organisation}'s node, but the manifest's home exchange is "
            f"{manifest.home_exchange}; submit to that exchange's node",
            where="home_exchange",
        )
    document = sign_listing(
        manifest,
        private_key,
        chain_id=deployment.chain_id,
        registry=deployment.registry,
        deadline=deadline,
        exchange_indexes=deployment.exchanges,
    )
    body: dict[str, Any] = {"manifest": manifest_document(manifest), "signature": document}
    if fingerprint is not None:
        body["fingerprint"] = dict(fingerprint)
    assert document["manifest_hash"] == manifest_hash(manifest)
    return body


# ============================================================================ the commands


def _private_key(args: Any, default_account: str | None) -> bytes:
    """The key of ``--keystore FILE``, else of ``--account`` (or ``default_account``) in the
    keystore folder, unlocked with the passphrase from a file, the environment or a prompt."""
    from listing.accounts import find_account, keystore_dir, read_passphrase, unlock

    if args.keystore:
        keyfile = Path(args.keystore)
    else:
        account = args.account or default_account
        if account is None:
            raise ListingError("give --keystore FILE or --account ADDRESS")
        keyfile = find_account(keystore_dir(args.keystore_dir), account).path
    return unlock(keyfile, read_passphrase(args.passphrase_file))


def _console() -> Any:
    import sys

    from rich.console import Console

    return Console(file=sys.stdout, highlight=False, width=None if sys.stdout.isatty() else 120)


def _time(stamp: int | None) -> str:
    import datetime as dt

    from listing.rules import CHINA_STANDARD_TIME

    if stamp is None:
        return ""
    return dt.datetime.fromtimestamp(stamp, CHINA_STANDARD_TIME).strftime("%Y-%m-%d %H:%M")


def check_before_submit(manifest: Manifest, where: str) -> None:
    """Refuse, before any network or key, a manifest the rules already refuse here."""
    import datetime as dt

    from listing.errors import SigningError
    from listing.rules import Context, check_manifest

    errors = [
        f
        for f in check_manifest(manifest, Context(now=dt.datetime.now(dt.UTC)))
        if f.severity == "error"
    ]
    if errors:
        first = errors[0]
        raise SigningError(
            f"the manifest fails {len(errors)} check(s), first {first.rule_id} at {first.path}; "
            f"run `onelist listing check {where}`",
            where=where,
        )


def run_submit(args: Any) -> int:
    """``onelist listing submit MANIFEST --node URL …``."""
    import time

    from listing.files import dump_json
    from listing.manifest import load_manifest

    manifest = load_manifest(args.manifest)
    check_before_submit(manifest, args.manifest)
    fingerprint = fingerprint_summary(args.fingerprint, manifest) if args.fingerprint else None
    client = NodeClient(args.node, timeout=args.timeout)
    deployment = client.deployment()  # an unreachable node fails before the passphrase
    if manifest.home_exchange != deployment.organisation:
        raise ListingError(
            f"this is {deployment.organisation}'s node, but the manifest's home exchange is "
            f"{manifest.home_exchange}; submit to that exchange's node",
            where=args.node,
        )
    key = _private_key(args, manifest.provider)
    client = client.with_key(key)
    deadline = int(time.time()) + 60 * args.deadline_minutes
    body = prepare_submission(manifest, key, deployment, deadline=deadline, fingerprint=fingerprint)
    try:
        result = client.submit(body)
    except NodeRefusedError as exc:
        if args.json:  # every finding for a program; the one-line error still follows
            refusal = {"status": exc.status, "code": exc.code, "field": exc.field}
            print(dump_json({**refusal, "findings": exc.findings}), end="")
        raise
    s = result.submission
    if args.json:
        print(dump_json({"created": result.created, **s}), end="")
        return 0
    console = _console()
    verdict = "已提交 submitted" if result.created else "此前已提交 already submitted"
    console.print(
        f"{verdict}: submission {s['submission_id']} at {deployment.organisation}'s node, "
        f"status {s['status']}"
    )
    console.print(
        f"产品 product:  {manifest.catalogue.title} ({manifest.product_ref}, "
        f"version {manifest.version})"
    )
    console.print(f"listing id:    {s.get('listing_id')}")
    console.print(f"manifest hash: {s['manifest_hash']}")
    if s.get("reason"):
        console.print(f"reason:        {s['reason']}")
    for finding in s.get("findings", []):
        console.print(
            f"[yellow]{finding['severity']}[/] {finding['rule_id']} {finding['path']}: "
            f"{finding['message']}"
        )
    return 0


def run_status(args: Any) -> int:
    """``onelist listing status [ID] --node URL …``: the provider's submissions."""
    from rich.table import Table

    from listing.files import dump_json

    client = NodeClient(args.node, timeout=args.timeout)
    client.deployment()  # an unreachable node fails before the passphrase
    client = client.with_key(_private_key(args, None))
    if args.id is not None:
        items = [client.submission(args.id)]
    else:
        items = client.submissions(status=args.filter_status)
    if args.json:
        print(dump_json(items if args.id is None else items[0]), end="")
        return 0
    console = _console()
    if not items:
        console.print("no submissions yet / 尚无提交")
        return 0
    table = Table()
    for name in ("id", "product", "version", "status", "reason", "updated"):
        table.add_column(name, overflow="fold", no_wrap=name in ("id", "version", "status"))
    colours = {"rejected": "red", "listed": "green", "approved": "green"}
    for s in items:
        colour = colours.get(s["status"], "yellow")
        table.add_row(
            str(s["submission_id"]),
            f"{s['title']} ({s['product_ref']})",
            str(s["version"]),
            f"[{colour}]{s['status']}[/]",
            s.get("reason") or "",
            _time(s.get("updated_at")),
        )
    console.print(table)
    if args.id is not None:
        s = items[0]
        console.print(f"listing id:    {s['listing_id']}")
        console.print(f"manifest hash: {s['manifest_hash']}")
        if s.get("tx_hash"):
            console.print(f"transaction:   {s['tx_hash']}")
        for finding in s.get("findings", []):
            console.print(
                f"[yellow]{finding['severity']}[/] {finding['rule_id']} {finding['path']}: "
                f"{finding['message']}"
            )
    return 0
