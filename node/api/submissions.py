"""The participants' area: providers submit listings, licensees request licences, by signature.

Routes (documented in ``openapi/submissions.json``):

- ``GET /deployment`` (public): the chain id, the contracts' addresses, this node's
  organisation and the member exchanges' indexes: what a provider's toolkit signs for;
- ``POST /submissions``, ``GET /submissions``, ``GET /submissions/{id}``: a provider's listings
  submitted to its home exchange, checked by the toolkit's own rules, queued for review;
- ``POST /licence-requests``, ``GET /licence-requests``, ``GET /licence-requests/{id}``: a
  licensee's signed acceptance of licence terms, queued for the exchange's staff.

Every participant route takes a signed request (:mod:`node.api.participant_auth`) from an
account registered on chain in the role the route needs: no or a bad signature is 401, the wrong
role or someone else's submission 403. The checks that need no I/O are the pure functions
below; SQL is in :mod:`node.store.submissions`, called in a worker thread.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import json
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_keys.exceptions import BadSignature
from eth_utils import is_address, to_checksum_address
from sqlalchemy import Engine

from listing.errors import DocumentError, ManifestError, SigningError
from listing.files import parse_json
from listing.fingerprint import SCHEME as FINGERPRINT_SCHEME
from listing.hashing import manifest_hash, manifest_hash_bytes
from listing.manifest import Manifest, manifest_document, manifest_from_data
from listing.onchain import catalogue_bytes, listing_authorization, listing_id, to_json
from listing.rules import Context, Finding, check_manifest, findings_from_error, has_errors
from listing.signing import PRIMARY_TYPE as LISTING_PRIMARY_TYPE
from listing.signing import SIGNATURE_FORMAT
from node.api.errors import BadRequest, Forbidden, NotFound, Unauthorized, Unprocessable
from node.api.keys import CONFIG, STORE
from node.api.participant_auth import (
    HEADER_NONCE,
    HEADERS,
    WINDOW_SECONDS,
    AuthenticationError,
    SignedRequest,
    verify_request,
)
from node.store import submissions as db
from onelist import eip712
from onelist.chain.deployment import Deployment, load_deployment
from onelist.codes import OpenClass, ParticipantRole, exchange_code, exchange_code_text
from onelist.records import TERMS_FIELDS

__all__ = [
    "DEPLOYMENT",
    "SignatureProblem",
    "add_routes",
    "check_licence_terms",
    "exchange_label",
    "parse_terms",
    "verify_listing_signature",
]

#: The deployment record this node follows (loaded at start-up from ``config.deployment``).
DEPLOYMENT = web.AppKey("participants_deployment", Deployment)

DEFAULT_PAGE = 50
MAX_PAGE = 200
DAY = 24 * 3600
_HEX32 = re.compile(r"0x[0-9a-fA-F]{64}")
_HEX8 = re.compile(r"0x[0-9a-fA-F]{16}")
_SIGNATURE = re.compile(r"0x[0-9a-fA-F]{130}")
_DIGITS = re.compile(r"[0-9]{1,18}")

_dumps = functools.partial(json.dumps, ensure_ascii=False)


def add_routes(app: web.Application) -> None:
    app.on_startup.append(_load_deployment)
    app.router.add_get("/deployment", get_deployment)
    app.router.add_post("/submissions", post_submission)
    app.router.add_get("/submissions", get_submissions)
    app.router.add_get(r"/submissions/{id:[0-9]{1,18}}", get_submission)
    app.router.add_post("/licence-requests", post_licence_request)
    app.router.add_get("/licence-requests", get_licence_requests)
    app.router.add_get(r"/licence-requests/{id:[0-9]{1,18}}", get_licence_request)


async def _load_deployment(app: web.Application) -> None:
    app[DEPLOYMENT] = await asyncio.to_thread(load_deployment, app[CONFIG].deployment)


def _json(body: Any, status: int = 200) -> web.Response:
    return web.json_response(body, status=status, dumps=_dumps)


# ============================================================================ pure checks


class SignatureProblem(ValueError):
    """A signature document that does not sign this manifest for this chain and registry;
    ``field`` is the JSON path in the request body."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _norm(value: Any) -> Any:
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, Mapping):
        return {k: _norm(v) for k, v in value.items()}
    return value


def _first_difference(given: Any, expected: Any, path: str) -> str | None:
    if isinstance(expected, Mapping):
        if not isinstance(given, Mapping):
            return path
        for key in sorted(set(given) | set(expected)):
            where = _first_difference(given.get(key), expected.get(key), f"{path}.{key}")
            if where is not None:
                return where
        return None
    return None if _norm(given) == _norm(expected) and type(given) is type(expected) else path


def verify_listing_signature(
    document: Any,
    manifest: Manifest,
    *,
    chain_id: int,
    registry: str,
    exchange_indexes: Mapping[str, int],
    now: int,
) -> str:
    """The account that signed ``document`` (the toolkit's signature document, from
    :func:`listing.signing.sign_listing`) over exactly this manifest's ``ListingAuthorization``
    for this chain and ListingRegistry, still before its deadline; :class:`SignatureProblem`
    otherwise. The caller compares the signer with the provider."""
    if not isinstance(document, Mapping):
        raise SignatureProblem("expected the signature document (an object)", "signature")
    required = ("format", "primary_type", "domain", "message", "signature")
    known = {*required, "signer", "manifest_hash", "catalogue"}
    for key in required:
        if key not in document:
            raise SignatureProblem("missing", f"signature.{key}")
    unknown = sorted(set(document) - known)
    if unknown:
        raise SignatureProblem("unknown member", f"signature.{unknown[0]}")
    if document["format"] != SIGNATURE_FORMAT:
        raise SignatureProblem(f"expected {SIGNATURE_FORMAT!r}", "signature.format")
    if document["primary_type"] != LISTING_PRIMARY_TYPE:
        raise SignatureProblem(f"expected {LISTING_PRIMARY_TYPE!r}", "signature.primary_type")
    domain = document["domain"]
    expected_domain = eip712.domain(eip712.VERIFIER[LISTING_PRIMARY_TYPE], chain_id, registry)
    if not isinstance(domain, Mapping):
        raise SignatureProblem("expected an object", "signature.domain")
    if domain.get("chainId") != chain_id:
        raise SignatureProblem(
            f"signed for chain {domain.get('chainId')!r}; this node's chain is {chain_id}",
            "signature.domain.chainId",
        )
    if _first_difference(domain, expected_domain, "signature.domain") is not None:
        raise SignatureProblem(
            f"signed for another contract; this chain's ListingRegistry is {registry}",
            "signature.domain.verifyingContract",
        )
    message = document["message"]
    if not isinstance(message, Mapping):
        raise SignatureProblem("expected an object", "signature.message")
    deadline = message.get("deadline")
    if isinstance(deadline, bool) or not isinstance(deadline, int) or not 0 <= deadline < 2**64:
        raise SignatureProblem("expected a unix time", "signature.message.deadline")
    if deadline < now:
        raise SignatureProblem(
            f"the signature expired at {deadline} (now {now}); sign again",
            "signature.message.deadline",
        )
    try:
        expected = listing_authorization(
            manifest,
            manifest_hash_bytes(manifest),
            catalogue_bytes(manifest),
            deadline,
            exchange_indexes,
        )
    except SigningError as exc:
        raise SignatureProblem(exc.message, f"manifest.{exc.where or 'usage'}") from None
    where = _first_difference(message, to_json(expected), "signature.message")
    if where is not None:
        raise SignatureProblem("does not match the manifest (sign it again)", where)
    if "manifest_hash" in document and _norm(document["manifest_hash"]) != manifest_hash(manifest):
        raise SignatureProblem("is not the manifest's hash", "signature.manifest_hash")
    raw = document["signature"]
    if not isinstance(raw, str) or not _SIGNATURE.fullmatch(raw):
        raise SignatureProblem("expected a 65-byte signature in 0x hex", "signature.signature")
    typed = eip712.typed_data(LISTING_PRIMARY_TYPE, expected, chain_id, registry)
    try:
        signer = Account.recover_message(encode_typed_data(full_message=typed), signature=raw)
    except (BadSignature, ValueError, TypeError):
        raise SignatureProblem("the signature does not verify", "signature.signature") from None
    return str(signer)


def _uint(value: Any, bits: int, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**bits:
        raise BadRequest(f"expected an integer 0 to 2**{bits} - 1", field=field)
    return value


def exchange_label(raw: bytes) -> str:
    """A ``bytes8`` exchange as a message shows it: its code, or 0x hex when the bytes are no
    exchange code (signed terms may carry any eight bytes)."""
    try:
        text = exchange_code_text(raw)
        return text if text == text.strip() and text.isprintable() else "0x" + raw.hex()
    except UnicodeDecodeError:
        return "0x" + raw.hex()


def parse_terms(value: Any) -> dict[str, Any]:
    """A ``LicenceAcceptance`` message from JSON (bytes as 0x hex; ``grantingExchange`` also as
    an exchange code such as ``"SH"``), as :mod:`onelist.eip712` signs it; :class:`BadRequest`
    naming the field otherwise."""
    if not isinstance(value, Mapping):
        raise BadRequest("expected the licence terms (an object)", field="terms")
    names = [name for name, _ in TERMS_FIELDS]
    unknown = sorted(set(value) - set(names))
    if unknown:
        raise BadRequest("unknown member", field=f"terms.{unknown[0]}")
    terms: dict[str, Any] = {}
    for name, typ in TERMS_FIELDS:
        field = f"terms.{name}"
        if name not in value:
            raise BadRequest("missing", field=field)
        item = value[name]
        if typ == "bytes32":
            if not isinstance(item, str) or not _HEX32.fullmatch(item):
                raise BadRequest("expected 32 bytes as 0x hex", field=field)
            terms[name] = bytes.fromhex(item[2:])
        elif typ == "bytes8":
            if isinstance(item, str) and _HEX8.fullmatch(item):
                terms[name] = bytes.fromhex(item[2:])
            else:
                try:
                    terms[name] = exchange_code(item) if isinstance(item, str) else None
                except ValueError:
                    terms[name] = None
                if terms[name] is None:
                    raise BadRequest("expected an exchange code or 8 bytes as 0x hex", field=field)
        elif typ == "address":
            if not isinstance(item, str) or not is_address(item):
                raise BadRequest("expected an address", field=field)
            terms[name] = str(to_checksum_address(item))
        elif typ == "bool":
            if not isinstance(item, bool):
                raise BadRequest("expected true or false", field=field)
            terms[name] = item
        else:
            terms[name] = _uint(item, int(typ.removeprefix("uint")), field)
    return terms


def check_licence_terms(terms: Mapping[str, Any], listing: db.ListingRow, now: int) -> None:
    """The terms sit inside the listing's usage envelope, as ``LicenceRegistry._checkTerms``
    requires at the grant; :class:`Unprocessable` naming the field otherwise."""

    def refuse(name: str, message: str) -> None:
        raise Unprocessable(message, field=f"terms.{name}", code="outside_envelope")

    start, end = terms["start"], terms["end"]
    if start >= end or end <= now or end - start > listing.max_term_days * DAY:
        refuse(
            "end",
            f"the term must end after it starts, in the future, and last at most "
            f"{listing.max_term_days} days",
        )
    purposes = terms["purposes"]
    if purposes == 0 or purposes & ~listing.purposes:
        refuse("purposes", f"purposes {purposes:#x} are not within {listing.purposes:#x}")
    if terms["territory"] > listing.territory:
        refuse("territory", "the listing is licensed for the mainland only")
    mode = terms["deliveryMode"]
    if mode == 0 or mode & (mode - 1) or not mode & listing.delivery_modes:
        refuse("deliveryMode", f"one delivery mode the listing offers ({listing.delivery_modes})")
    if terms["onwardTransfer"] > listing.onward_transfer:
        refuse("onwardTransfer", "wider than the listing's onward-transfer right")
    if terms["modelTraining"] and not listing.model_training:
        refuse("modelTraining", "the listing does not allow model training")
    if terms["priceFen"] < listing.price_floor_fen:
        refuse("priceFen", f"below the listing's price floor of {listing.price_floor_fen} fen")


# ============================================================================ request plumbing


def _now() -> int:
    return int(time.time())


async def _authenticate(
    request: web.Request, role: ParticipantRole
) -> tuple[SignedRequest, db.ParticipantRow, bytes]:
    """The signed request's account, registered in ``role``, and the request's body.

    The nonce is recorded last, so that only participants' requests fill the nonce table."""
    body = await request.read()  # aiohttp refuses a body over the limit: 413
    engine = request.app[STORE].engine
    now = _now()
    headers = {name: request.headers[name] for name in HEADERS if name in request.headers}
    try:
        signed = verify_request(
            headers,
            request.method,
            request.raw_path,
            body,
            chain_id=request.app[DEPLOYMENT].chain_id,
            now=now,
        )
    except AuthenticationError as exc:
        raise Unauthorized(exc.message, field=exc.field) from None
    found = await asyncio.to_thread(db.participant, engine, signed.account)
    if found is None:
        raise Forbidden(
            f"{signed.account} is not a registered participant", code="not_a_participant"
        )
    if not found.roles & role:
        assert role.name is not None
        raise Forbidden(f"{signed.account} is not registered as a {role.name}", code="wrong_role")
    fresh = await asyncio.to_thread(
        db.use_nonce,
        engine,
        signed.account,
        signed.nonce,
        expires_at=signed.timestamp + WINDOW_SECONDS + 1,
        now=now,
    )
    if not fresh:
        raise Unauthorized(
            "this nonce was used already (a replayed request); sign each request anew",
            field=HEADER_NONCE,
            code="replayed",
        )
    return signed, found, body


def _body_object(
    body: bytes, allowed: tuple[str, ...], required: tuple[str, ...]
) -> dict[str, Any]:
    try:
        data = parse_json(body, where="body")
    except DocumentError as exc:
        raise BadRequest(exc.message, field=exc.issues[0].path, code="malformed_json") from None
    if not isinstance(data, dict):
        raise BadRequest("expected a JSON object", field="(root)")
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise BadRequest(f"unknown member (known: {', '.join(allowed)})", field=unknown[0])
    for name in required:
        if data.get(name) is None:
            raise BadRequest("missing", field=name)
    return data


def _page(request: web.Request) -> tuple[int, int | None, str | None]:
    query = request.query
    limit_text = query.get("limit", str(DEFAULT_PAGE))
    if not _DIGITS.fullmatch(limit_text) or not 1 <= int(limit_text) <= MAX_PAGE:
        raise BadRequest(f"expected an integer 1-{MAX_PAGE}", field="limit")
    cursor = query.get("cursor")
    if cursor is not None and not _DIGITS.fullmatch(cursor):
        raise BadRequest("not a cursor this node gave out", field="cursor")
    return int(limit_text), None if cursor is None else int(cursor), query.get("status")


def _refused(message: str, field: str, findings: list[Finding]) -> web.Response:
    body = {
        "code": "refused",
        "message": message,
        "field": field,
        "findings": [f.to_dict() for f in findings],
    }
    return _json(body, status=422)


def _node_finding(path: str, message: str) -> Finding:
    return Finding("NODE", "error", path, message)


# ============================================================================ handlers


async def get_deployment(request: web.Request) -> web.Response:
    """The chain and contracts this node follows, and the exchanges' indexes, for signers."""
    deployment = request.app[DEPLOYMENT]
    indexes = await asyncio.to_thread(db.exchange_indexes, request.app[STORE].engine)
    return _json(
        {
            "chain_id": deployment.chain_id,
            "contracts": {name: deployment.address(name) for name in deployment.contracts},
            "organisation": request.app[CONFIG].organisation,
            "exchanges": indexes,
        }
    )


def _submission_summary(s: db.Submission) -> dict[str, Any]:
    return {
        "submission_id": s.id,
        "status": s.status,
        "reason": s.reason,
        "listing_id": s.listing_id,
        "version": s.version,
        "product_ref": s.product_ref,
        "title": s.title,
        "manifest_hash": s.manifest_hash,
        "findings": s.findings,
        "tx_hash": s.tx_hash,
        "created_at": s.created_at,
        "updated_at": s.updated_at,
    }


def _submission_detail(s: db.Submission) -> dict[str, Any]:
    return {
        **_submission_summary(s),
        "provider": s.provider,
        "home_exchange": s.home_exchange,
        "manifest": s.manifest,
        "signature": s.signature,
        "fingerprint": s.fingerprint,
    }


def _fingerprint_summary(value: Any, manifest: Manifest) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise BadRequest("expected the fingerprint file's summary (an object)", field="fingerprint")
    known = ("scheme", "root", "file_count", "total_bytes")
    unknown = sorted(set(value) - set(known))
    if unknown:
        raise BadRequest(
            "unknown member (send scheme, root, file_count, total_bytes; never the file list)",
            field=f"fingerprint.{unknown[0]}",
        )
    if value.get("scheme") != FINGERPRINT_SCHEME:
        raise BadRequest(f"expected {FINGERPRINT_SCHEME!r}", field="fingerprint.scheme")
    root = value.get("root")
    if not isinstance(root, str) or not _HEX32.fullmatch(root):
        raise BadRequest("expected 32 bytes as 0x hex", field="fingerprint.root")
    file_count = _uint(value.get("file_count"), 53, "fingerprint.file_count")
    total_bytes = _uint(value.get("total_bytes"), 53, "fingerprint.total_bytes")
    if root.lower() != manifest.fingerprint.lower():
        raise Unprocessable(
            f"the fingerprint file's root is not the manifest's fingerprint {manifest.fingerprint}",
            field="fingerprint.root",
        )
    return {
        "scheme": FINGERPRINT_SCHEME,
        "root": root.lower(),
        "file_count": file_count,
        "total_bytes": total_bytes,
    }


def _version_findings(manifest: Manifest, current: db.ListingRow | None) -> list[Finding]:
    """What the index says about the listing this manifest lists or updates."""
    if manifest.version == 1:
        if current is not None and current.provider.lower() == manifest.provider.lower():
            return [
                _node_finding(
                    "version",
                    "这一数据已经挂牌 / this dataset is listed already; submit version 2+",
                )
            ]
        return []  # another provider's: rule R6 reports it
    if current is None:
        return [
            _node_finding("listing_id", "挂牌编号不在链上 / no such listing on chain to update")
        ]
    if current.provider.lower() != manifest.provider.lower():
        return [_node_finding("listing_id", "该挂牌属于其他数商 / another provider's listing")]
    if current.status == "delisted":
        return [_node_finding("listing_id", "该挂牌已摘牌 / the listing is delisted")]
    if manifest.version != current.version + 1:
        return [
            _node_finding(
                "version",
                f"下一版本应为 {current.version + 1} / the next version is {current.version + 1}",
            )
        ]
    # ListingRegistry refuses it (ListingRegistryPublicDataChanged): exclusive licences of public
    # data rely on a listing being public data, or not, for its whole life.
    public = manifest.classification.open_class != OpenClass.not_public.name
    if public != (current.open_class != OpenClass.not_public):
        was = "是" if current.open_class else "不是"
        return [
            _node_finding(
                "classification.open_class",
                f"该挂牌{was}公共数据，新版本不能改变这一点，另行挂牌 / "
                "whether a listing is public data cannot change in a new version; list it anew",
            )
        ]
    return []


async def post_submission(request: web.Request) -> web.Response:
    """A provider submits a listing to its home exchange: 201 queued for review (200 if it was
    submitted before), 422 with the rules' findings when it cannot be listed."""
    signed, provider, body = await _authenticate(request, ParticipantRole.provider)
    now = _now()
    if provider.suspended_until > now:
        raise Forbidden(
            f"the provider is suspended until {provider.suspended_until}", code="suspended"
        )
    data = _body_object(body, ("manifest", "signature", "fingerprint"), ("manifest", "signature"))
    try:
        manifest = manifest_from_data(data["manifest"], where="manifest")
    except ManifestError as exc:
        first = exc.issues[0]
        field = "manifest" if first.path == "(root)" else f"manifest.{first.path}"
        return _refused(f"the manifest does not load: {first}", field, findings_from_error(exc))
    organisation = request.app[CONFIG].organisation
    if manifest.home_exchange != organisation:
        message = (
            f"this is {organisation}'s node; submit to the home exchange "
            f"{manifest.home_exchange}'s node"
        )
        return _refused(
            message, "manifest.home_exchange", [_node_finding("home_exchange", message)]
        )
    if manifest.provider.lower() != signed.account.lower():
        raise Forbidden(
            f"the manifest's provider is {manifest.provider}; the request is signed by "
            f"{signed.account}",
            field="manifest.provider",
        )
    fingerprint = _fingerprint_summary(data.get("fingerprint"), manifest)
    engine = request.app[STORE].engine
    deployment = request.app[DEPLOYMENT]
    indexes = await asyncio.to_thread(db.exchange_indexes, engine)
    try:
        signer = verify_listing_signature(
            data["signature"],
            manifest,
            chain_id=deployment.chain_id,
            registry=deployment.address("ListingRegistry"),
            exchange_indexes=indexes,
            now=now,
        )
    except SignatureProblem as exc:
        raise Unprocessable(exc.message, field=exc.field, code="bad_signature") from None
    if signer.lower() != manifest.provider.lower():
        raise Forbidden(
            f"the listing is signed by {signer}, not by its provider {manifest.provider}",
            field="signature.signature",
        )
    lid = "0x" + listing_id(manifest).hex()
    owners, current = await asyncio.gather(
        asyncio.to_thread(db.fingerprint_owners, engine, manifest.fingerprint),
        asyncio.to_thread(db.listing, engine, lid),
    )
    context = Context(now=dt.datetime.fromtimestamp(now, dt.UTC), listed_fingerprints=owners)
    findings = [*check_manifest(manifest, context), *_version_findings(manifest, current)]
    if has_errors(findings):
        errors = [f for f in findings if f.severity == "error"]
        worst = errors[0]
        return _refused(
            f"the listing fails {len(errors)} check(s), first {worst.rule_id}: {worst.message}",
            f"manifest.{worst.path}",
            findings,
        )
    new = db.NewSubmission(
        provider=manifest.provider,
        home_exchange=manifest.home_exchange,
        listing_id=lid,
        version=manifest.version,
        product_ref=manifest.product_ref,
        title=manifest.catalogue.title,
        manifest_hash=manifest_hash(manifest),
        manifest=manifest_document(manifest),
        signature=dict(data["signature"]),
        fingerprint=fingerprint,
        findings=[f.to_dict() for f in findings],
    )
    submission, created = await asyncio.to_thread(db.create_submission, engine, new, now=now)
    return _json(_submission_summary(submission), status=201 if created else 200)


async def _own_page(
    request: web.Request,
    role: ParticipantRole,
    statuses: Mapping[str, Any],
    list_rows: Callable[..., list[Any]],
    render: Callable[[Any], dict[str, Any]],
) -> web.Response:
    """A page of the signer's own submissions or licence requests (``list_rows`` of the store,
    which takes the owner as its role's name), newest first."""
    assert role.name is not None
    signed, _, _ = await _authenticate(request, role)
    limit, before, status = _page(request)
    if status is not None and status not in statuses:
        raise BadRequest(f"one of {', '.join(statuses)}", field="status")
    rows = await asyncio.to_thread(
        list_rows,
        request.app[STORE].engine,
        **{role.name: signed.account},
        status=status,
        before=before,
        limit=limit + 1,
    )
    page = rows[:limit]
    cursor = str(page[-1].id) if len(rows) > limit else None
    return _json({"items": [render(row) for row in page], "next_cursor": cursor})


async def _own_one(
    request: web.Request,
    role: ParticipantRole,
    get_row: Callable[[Engine, int], Any],
    owner: Callable[[Any], str],
    render: Callable[[Any], dict[str, Any]],
    what: str,
) -> web.Response:
    """One of the signer's own submissions or licence requests: 404 for none, 403 for another
    participant's."""
    signed, _, _ = await _authenticate(request, role)
    found = await asyncio.to_thread(
        get_row, request.app[STORE].engine, int(request.match_info["id"])
    )
    if found is None:
        raise NotFound(f"no such {what}")
    if owner(found) != signed.account:
        raise Forbidden(f"another {role.name}'s {what}")
    return _json(render(found))


async def get_submissions(request: web.Request) -> web.Response:
    """The provider's own submissions, newest first, with status and reasons."""
    return await _own_page(
        request,
        ParticipantRole.provider,
        db.SUBMISSION_MOVES,
        db.list_submissions,
        _submission_summary,
    )


async def get_submission(request: web.Request) -> web.Response:
    """One of the provider's submissions, with its manifest and signature."""
    return await _own_one(
        request,
        ParticipantRole.provider,
        db.get_submission,
        lambda s: str(s.provider),
        _submission_detail,
        "submission",
    )


# ----------------------------------------------------------------------------- licence requests


def _licence_request_json(r: db.LicenceRequest) -> dict[str, Any]:
    return {
        "request_id": r.id,
        "status": r.status,
        "reason": r.reason,
        "listing_id": r.listing_id,
        "version": r.version,
        "granting_exchange": r.granting_exchange,
        "licence_id": r.licence_id,
        "terms": r.terms,
        "tx_hash": r.tx_hash,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
    }


def _granting_admitted(listing: db.ListingRow, exchange: db.ExchangeRow) -> bool:
    mask = listing.granting_exchanges
    return mask == 0 or bool(mask >> exchange.idx & 1)


async def post_licence_request(request: web.Request) -> web.Response:
    """A licensee asks this exchange for a licence, with its signed acceptance of the terms:
    201 queued for the staff (200 if asked before)."""
    signed, _, body = await _authenticate(request, ParticipantRole.licensee)
    now = _now()
    data = _body_object(
        body, ("listing_id", "terms", "acceptance"), ("listing_id", "terms", "acceptance")
    )
    lid = data["listing_id"]
    if not isinstance(lid, str) or not _HEX32.fullmatch(lid):
        raise BadRequest("expected 32 bytes as 0x hex", field="listing_id")
    lid = lid.lower()
    terms = parse_terms(data["terms"])
    acceptance = data["acceptance"]
    if not isinstance(acceptance, str) or not _SIGNATURE.fullmatch(acceptance):
        raise BadRequest("expected a 65-byte signature in 0x hex", field="acceptance")
    if "0x" + terms["listingId"].hex() != lid:
        raise Unprocessable("not the listing_id of the request", field="terms.listingId")
    if terms["licensee"] != signed.account:
        raise Forbidden(
            f"the terms name licensee {terms['licensee']}; the request is signed by "
            f"{signed.account}",
            field="terms.licensee",
        )
    organisation = request.app[CONFIG].organisation
    engine = request.app[STORE].engine
    listing, exchange = await asyncio.gather(
        asyncio.to_thread(db.listing, engine, lid),
        asyncio.to_thread(db.exchange, engine, organisation),
    )
    if listing is None:
        raise Unprocessable("no such listing on chain", field="listing_id", code="unknown_listing")
    if listing.status != "listed" or listing.suspended_until > now:
        raise Unprocessable(
            f"the listing is not available for licences ({listing.status}"
            f"{', suspended' if listing.suspended_until > now else ''})",
            field="listing_id",
        )
    if exchange is None or exchange.status != "active":
        raise Unprocessable(
            f"{organisation} does not grant licences", field="terms.grantingExchange"
        )
    if terms["grantingExchange"] != exchange_code(organisation):
        raise Unprocessable(
            f"this is {organisation}'s node; the terms name another granting exchange",
            field="terms.grantingExchange",
        )
    if not _granting_admitted(listing, exchange):
        raise Unprocessable(
            f"the listing's distribution policy does not admit {organisation}",
            field="terms.grantingExchange",
        )
    if exchange.granting_suspended_until > now:
        raise Unprocessable(
            f"{organisation}'s right to grant is suspended", field="terms.grantingExchange"
        )
    if terms["version"] != listing.version:
        raise Unprocessable(
            f"the listing's current version is {listing.version}", field="terms.version"
        )
    if terms["deadline"] < now:
        raise Unprocessable("the acceptance expired", field="terms.deadline")
    check_licence_terms(terms, listing, now)
    deployment = request.app[DEPLOYMENT]
    registry = deployment.address("LicenceRegistry")
    typed = eip712.typed_data("LicenceAcceptance", terms, deployment.chain_id, registry)
    try:
        signer = Account.recover_message(
            encode_typed_data(full_message=typed), signature=acceptance
        )
    except (BadSignature, ValueError, TypeError):
        raise Unprocessable("the acceptance does not verify", field="acceptance") from None
    if signer != signed.account:
        raise Forbidden(
            f"the acceptance is signed by {signer}, not by the licensee", field="acceptance"
        )
    licence = eip712.digest("LicenceAcceptance", terms, deployment.chain_id, registry)
    new = db.NewLicenceRequest(
        licensee=signed.account,
        listing_id=lid,
        version=terms["version"],
        granting_exchange=organisation,
        licence_id="0x" + licence.hex(),
        terms=to_json(terms),
        acceptance=acceptance.lower(),
    )
    stored, created = await asyncio.to_thread(db.create_licence_request, engine, new, now=now)
    return _json(_licence_request_json(stored), status=201 if created else 200)


async def get_licence_requests(request: web.Request) -> web.Response:
    """The licensee's own licence requests, newest first."""
    return await _own_page(
        request,
        ParticipantRole.licensee,
        db.LICENCE_REQUEST_MOVES,
        db.list_licence_requests,
        _licence_request_json,
    )


async def get_licence_request(request: web.Request) -> web.Response:
    return await _own_one(
        request,
        ParticipantRole.licensee,
        db.get_licence_request,
        lambda r: str(r.licensee),
        _licence_request_json,
        "licence request",
    )
