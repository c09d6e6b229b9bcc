"""The node's staff area: sign-in (:mod:`node.api.staff_auth`) and, on an exchange's node, the
review desk, participant registrations (and roles added to them) and licence grants.

Every decision that reaches the chain is a transaction the node sends with its exchange's
operator key through :class:`node.chain.sender.TransactionSender`, under an idempotency key
(``approve:<submission id>``, ``register:<account>``, ``roles:<account>:<role bits>``,
``grant:<licence id>``): a retried or repeated request follows the transaction already sent and
never lists or grants twice. A contract's refusal comes back as JSON naming the contract's error
and its values: 409 when the chain's state refuses it (already registered, not listed,
suspended...), 422 when the request itself does (a signature that does not verify, terms outside
the listing's envelope...).

An exclusive licence of public data (``{exclusive: true, approval_ref, auction_ref}``) is
granted by ``LicenceRegistry.grantExclusive``; the desk checks that the listing is public data and
the term at most five years before sending. Each refusal of its fields is a 422 with a code of
its own (:data:`EXCLUSIVE_REFUSALS`) and ``field`` naming the field.

Revocation is not here: DOMAIN gives it to the provider and to regulators, not to exchanges.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from eth_utils import is_address, keccak, to_checksum_address
from sqlalchemy import Engine
from web3.logs import DISCARD

from listing.errors import ListingError
from listing.hashing import manifest_hash_bytes
from listing.manifest import Manifest, manifest_from_data
from listing.onchain import catalogue_bytes, policy_of, to_json
from node.api import staff_auth
from node.api.errors import (
    ApiError,
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    Unavailable,
    Unprocessable,
)
from node.api.keys import CONFIG, STORE
from node.api.sending import SenderSlot, open_sender, refusal_of, send_with
from node.api.staff_auth import StaffUser, json_body, require_staff
from node.api.submissions import exchange_label, parse_terms
from node.chain.sender import (
    SendOutcome,
    TransactionSender,
)
from node.projections.columns import POLICY_COLUMNS
from node.store import staff as staff_store
from node.store import submissions as submissions_store
from node.store.schema_submissions import LICENCE_REQUEST_STATUSES, SUBMISSION_STATUSES
from node.store.submissions import LicenceRequest, Submission
from onelist import eip712
from onelist.chain.client import ConsortiumClient
from onelist.chain.connection import Transactable
from onelist.chain.revert import TransactionReverted
from onelist.codes import ParticipantRole, exchange_code
from onelist.errors import OnelistError
from onelist.records import EXCLUSIVE_MAX_TERM_DAYS, record_tuple, terms_tuple

__all__ = [
    "EXCLUSIVE_FLAG",
    "EXCLUSIVE_NOT_PUBLIC_DATA",
    "EXCLUSIVE_REFUSALS",
    "EXCLUSIVE_REF_FORMAT",
    "EXCLUSIVE_REF_MISSING",
    "EXCLUSIVE_REF_UNEXPECTED",
    "EXCLUSIVE_REF_ZERO",
    "EXCLUSIVE_TERM_TOO_LONG",
    "REGISTRARS",
    "SENDER",
    "Exclusivity",
    "Registration",
    "add_roles",
    "add_routes",
    "approve",
    "check_exclusive_grant",
    "find_licence_request",
    "grant",
    "parse_exclusivity",
    "parse_reason",
    "parse_registration",
    "parse_role_grant",
    "read_licence_requests",
    "read_queue",
    "read_submission",
    "record_from_row",
    "register",
    "reject",
    "reject_licence",
    "role_names",
]

log = logging.getLogger("onelist.node.api.staff")

MAX_REASON = 1000
MAX_IDENTITY_REFERENCE = 256
#: Largest id a request may name (ids are 64-bit integers in either database).
MAX_ID = 2**62
DEFAULT_PAGE = 50
MAX_PAGE = 200
_DIGITS = re.compile(r"[0-9]{1,18}")  # ASCII only: str.isdigit() also takes "²"


@dataclass
class StaffDesk(SenderSlot):
    """What the desk holds for the application's life: the sender (None on a regulator's node
    or without an operator key, with the reason) and one lock per submission or licence."""

    locks: weakref.WeakValueDictionary[str, asyncio.Lock] = field(
        default_factory=weakref.WeakValueDictionary
    )

    def lock(self, key: str) -> asyncio.Lock:
        lock = self.locks.get(key)
        if lock is None:
            lock = asyncio.Lock()
            self.locks[key] = lock
        return lock


SENDER = web.AppKey("staff_desk", StaffDesk)


# --------------------------------------------------------------------------- pure helpers


def _bytes(value: object, size: int, where: str) -> bytes:
    if isinstance(value, str) and value.startswith("0x") and len(value) == 2 + 2 * size:
        try:
            return bytes.fromhex(value[2:])
        except ValueError:
            pass
    raise BadRequest(f"must be 0x and {2 * size} hex digits", field=where)


def record_from_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A listing's current ``ListingRecord``, rebuilt from its row in the index."""
    policy: dict[str, Any] = {}
    for name, column in POLICY_COLUMNS:
        value = row[column]
        if name in ("consentEvidence", "riskAssessment", "authorisationId"):
            policy[name] = bytes.fromhex(str(value).removeprefix("0x"))
        elif name == "modelTraining":
            policy[name] = bool(value)
        else:
            policy[name] = int(value)
    return {
        "provider": to_checksum_address(row["provider"]),
        "version": int(row["version"]),
        "manifestHash": bytes.fromhex(str(row["manifest_hash"]).removeprefix("0x")),
        "fingerprint": bytes.fromhex(str(row["fingerprint"]).removeprefix("0x")),
        "policy": policy,
    }


def _manifest(document: Mapping[str, Any]) -> Manifest:
    try:
        return manifest_from_data(document)
    except ListingError as exc:
        raise Unprocessable(f"the stored manifest is not valid: {exc}", field="manifest") from None


@dataclass(frozen=True)
class ListingCall:
    """What ``ListingRegistry.list`` (or ``publishVersion``) takes, from a submission."""

    listing_id: bytes
    record: dict[str, Any]
    catalogue: bytes
    deadline: int
    signature: bytes


def listing_call(
    manifest_document: Mapping[str, Any],
    signature_document: Mapping[str, Any],
    exchange_indexes: Mapping[str, int],
) -> ListingCall:
    """The listing transaction's arguments: the record and catalogue rebuilt from the manifest
    (``listing.onchain``), the deadline and signature from the provider's signature document,
    checked to cover exactly that record (else the contract would only say "invalid")."""
    manifest = _manifest(manifest_document)
    message = signature_document.get("message")
    if not isinstance(message, dict):
        raise Unprocessable("the signature document has no message", field="signature")
    signature = signature_document.get("signature")
    if not isinstance(signature, str):
        raise Unprocessable("the signature document has no signature", field="signature")
    try:
        signature_bytes = bytes.fromhex(signature.removeprefix("0x"))
    except ValueError:
        raise Unprocessable("the signature is not hex", field="signature") from None
    deadline = message.get("deadline")
    if not isinstance(deadline, int) or isinstance(deadline, bool):
        raise Unprocessable("the signature document has no deadline", field="signature")
    try:
        policy = policy_of(manifest, exchange_indexes)
    except OnelistError as exc:
        raise Unprocessable(exc.message, field=exc.where or "manifest") from None
    record = {
        "provider": to_checksum_address(manifest.provider),
        "version": manifest.version,
        "manifestHash": manifest_hash_bytes(manifest),
        "fingerprint": bytes.fromhex(manifest.fingerprint.removeprefix("0x")),
        "policy": policy,
    }
    catalogue = catalogue_bytes(manifest)
    shipped = signature_document.get("catalogue")
    if isinstance(shipped, str) and shipped.startswith("0x"):
        try:
            catalogue = bytes.fromhex(shipped[2:])  # the bytes the provider signed
        except ValueError:
            raise Unprocessable("the signed catalogue is not hex", field="signature") from None
    listing_id = bytes.fromhex((manifest.listing_id or manifest.fingerprint).removeprefix("0x"))
    signed = {
        "listingId": message.get("listingId"),
        "version": message.get("version"),
        "manifestHash": message.get("manifestHash"),
        "fingerprint": message.get("fingerprint"),
        "catalogueHash": message.get("catalogueHash"),
        "policy": message.get("policy"),
    }
    expected = to_json(
        {
            "listingId": listing_id,
            "version": record["version"],
            "manifestHash": record["manifestHash"],
            "fingerprint": record["fingerprint"],
            "catalogueHash": bytes(keccak(catalogue)),
            "policy": policy,
        }
    )
    for name, value in expected.items():
        if signed[name] != value:
            raise Unprocessable(
                f"the provider's signature does not cover this manifest's {name}",
                field=f"signature.message.{name}",
            )
    return ListingCall(listing_id, record, catalogue, deadline, signature_bytes)


_REQUEST_FAULTS = (
    "Invalid",
    "Expired",
    "NotAllowed",
    "BelowFloor",
    "NotOffered",
    "NotListable",
    "Required",
    "WithoutEvidence",
    "CrossBorder",
    "NotAdmitted",
    "WrongGrantingExchange",
    "ZeroAddress",
    "NotPublicData",
)


def refusal(exc: TransactionReverted) -> ApiError:
    """A contract's refusal as an API error: 422 when the request is at fault, else 409."""
    return refusal_of(exc, lambda name: any(word in name for word in _REQUEST_FAULTS))


# --------------------------------------------------------------------------- plumbing


def _engine(request: web.Request) -> Engine:
    return request.app[STORE].engine


def _desk(request: web.Request) -> StaffDesk:
    return request.app[SENDER]


def _sender(request: web.Request) -> TransactionSender:
    desk = _desk(request)
    if desk.sender is None:
        raise Unavailable(desk.problem, code="no_operator_key")
    return desk.sender


def _exchange_node(request: web.Request) -> str:
    organisation = request.app[CONFIG].organisation
    if organisation == "regulator":
        raise Forbidden("a regulator's node has no review desk", code="not_an_exchange")
    return organisation


def _path_id(request: web.Request) -> int:
    text = request.match_info["id"]
    if not _DIGITS.fullmatch(text):
        raise NotFound(f"no such id {text!r}")
    return int(text)


def _query_int(
    query: Mapping[str, str], name: str, default: int | None, low: int, high: int
) -> Any:
    text = query.get(name)
    if text is None:
        return default
    if not _DIGITS.fullmatch(text) or not low <= int(text) <= high:
        raise BadRequest(f"must be an integer from {low} to {high}", field=name)
    return int(text)


def parse_reason(body: Mapping[str, Any]) -> str:
    """A rejection's reason, ``body``'s {reason}: required, at most :data:`MAX_REASON`
    characters, stripped; a 400 naming ``reason`` otherwise (the staff pages check it too)."""
    reason = body.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise BadRequest("a reason is required", field="reason")
    if len(reason) > MAX_REASON:
        raise BadRequest(f"at most {MAX_REASON} characters", field="reason")
    return reason.strip()


async def _send(
    request: web.Request,
    key: str,
    build: Callable[[ConsortiumClient], Transactable],
    username: str,
) -> SendOutcome:
    """Send through the node's sender, turning its failures into API errors."""
    return await send_with(_sender(request), key, build, username, refusal)


def _submission_summary(sub: Submission) -> dict[str, Any]:
    return {
        "id": sub.id,
        "provider": sub.provider,
        "home_exchange": sub.home_exchange,
        "listing_id": sub.listing_id,
        "version": sub.version,
        "product_ref": sub.product_ref,
        "title": sub.title,
        "manifest_hash": sub.manifest_hash,
        "findings": sub.findings,
        "status": sub.status,
        "reason": sub.reason,
        "tx_hash": sub.tx_hash,
        "created_at": sub.created_at,
        "updated_at": sub.updated_at,
    }


async def _get_submission(request: web.Request, submission_id: int) -> Submission:
    found = await asyncio.to_thread(
        submissions_store.get_submission, _engine(request), submission_id
    )
    if found is None:
        raise NotFound(f"no submission {submission_id}")
    return found


async def _set_submission(
    request: web.Request,
    submission_id: int,
    status: str,
    reason: str | None,
    listing_id: str | None = None,
    tx: str | None = None,
) -> Submission:
    store = submissions_store
    try:
        found = await asyncio.to_thread(
            store.set_submission_status,
            _engine(request),
            submission_id,
            status,
            reason,
            listing_id,
            tx,
        )
    except store.StatusChangeError as exc:
        raise Conflict(exc.message) from None
    if found is None:
        raise NotFound(f"no submission {submission_id}")
    return found


# --------------------------------------------------------------------------- the review desk


async def _queue_page(
    request: web.Request,
    query: Mapping[str, str],
    list_rows: Callable[..., list[Any]],
    statuses: tuple[str, ...],
    default: str,
) -> tuple[list[Any], int | None]:
    """A page of a queue (``list_rows``: the store's listing of submissions or licence requests)
    for ``query`` (status, limit, before; 400 naming a bad one) and the id to continue before
    (None on the last page)."""
    status: str | None = query.get("status", default)
    if status == "all":
        status = None
    elif status not in statuses:
        known = ", ".join((*statuses, "all"))
        raise BadRequest(f"status must be one of {known}", field="status")
    limit = _query_int(query, "limit", DEFAULT_PAGE, 1, MAX_PAGE)
    before = _query_int(query, "before", None, 1, MAX_ID)
    rows = await asyncio.to_thread(
        list_rows, _engine(request), status=status, before=before, limit=limit + 1
    )
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


async def read_queue(
    request: web.Request, query: Mapping[str, str]
) -> tuple[list[Submission], int | None]:
    """A page of the review queue for ``query`` and the id to continue before (None on the
    last page). The staff pages read it too."""
    return await _queue_page(
        request, query, submissions_store.list_submissions, SUBMISSION_STATUSES, "pending_review"
    )


async def list_submissions(request: web.Request) -> web.Response:
    """``GET /staff/submissions``: the review queue, newest first, with the rules' findings."""
    await require_staff(request, "reviewer")
    rows, cursor = await read_queue(request, request.query)
    items = [_submission_summary(s) for s in rows]
    return web.json_response({"items": items, "next_before": cursor})


async def read_submission(
    request: web.Request, submission_id: int
) -> tuple[Submission, staff_store.SentTransaction | None]:
    """A submission (404 when there is none) and its listing transaction, if one was sent."""
    sub = await _get_submission(request, submission_id)
    sent = await asyncio.to_thread(
        staff_store.sent_transaction, _engine(request), f"approve:{sub.id}"
    )
    return sub, sent


async def submission_detail(request: web.Request) -> web.Response:
    """``GET /staff/submissions/{id}``: the manifest, the signature and the transaction."""
    await require_staff(request, "reviewer")
    sub, sent = await read_submission(request, _path_id(request))
    signature = sub.signature if isinstance(sub.signature, dict) else {}
    message = signature.get("message") if isinstance(signature.get("message"), dict) else {}
    body = {
        **_submission_summary(sub),
        "manifest": sub.manifest,
        "signer": signature.get("signer"),
        "signature_deadline": message.get("deadline") if message else None,
        "fingerprint": sub.fingerprint,
        "transaction": None if sent is None else _transaction(sent),
    }
    return web.json_response(body)


def _transaction(sent: staff_store.SentTransaction) -> dict[str, Any]:
    return {
        "tx_hash": sent.tx_hash,
        "nonce": sent.nonce,
        "status": sent.status,
        "attempts": sent.attempts,
        "requested_by": sent.requested_by,
        "block_number": sent.block_number,
    }


async def approve_submission(request: web.Request) -> web.Response:
    """``POST /staff/submissions/{id}/approve``: list it on chain with the operator key."""
    user = await require_staff(request, "reviewer")
    sub = await approve(request, user, _path_id(request))
    return web.json_response(_submission_summary(sub))


async def approve(request: web.Request, user: StaffUser, submission_id: int) -> Submission:
    """List (or publish the new version of) a submission with the operator key, wait for the
    receipt and record the outcome: status ``listed`` with the listing id and transaction, or
    ``rejected`` for a dataset already listed. Once per submission however often it is asked
    (the staff pages call it too); a refusal of the chain is an :class:`ApiError` naming the
    contract's error."""
    organisation = _exchange_node(request)
    desk = _desk(request)
    async with desk.lock(f"submission:{submission_id}"):
        sub = await _get_submission(request, submission_id)
        if sub.status == "listed":
            return sub  # approved before: the same
        if sub.status == "rejected":
            raise Conflict(f"submission {submission_id} was rejected: {sub.reason}")
        if sub.home_exchange != organisation:
            raise Conflict(
                f"submission {submission_id} is for {sub.home_exchange}, not {organisation}"
            )
        sender = _sender(request)
        engine = _engine(request)
        indexes = await asyncio.to_thread(staff_store.exchange_indexes, engine)
        call = listing_call(sub.manifest, sub.signature, indexes)
        current: dict[str, Any] | None = None
        if call.record["version"] > 1:
            row = await asyncio.to_thread(
                staff_store.listing_row, engine, "0x" + call.listing_id.hex()
            )
            if row is None:
                raise Conflict(
                    f"listing 0x{call.listing_id.hex()} is not in this node's index (yet)"
                )
            current = record_from_row(row)
        # The status stays pending_review until the receipt: a refused transaction leaves the
        # submission in the queue; the transaction kept under approve:<id> shows one in flight.

        def build(client: ConsortiumClient) -> Any:
            if current is None:
                return client.listings.functions.list(
                    record_tuple(call.record), call.catalogue, call.deadline, call.signature
                )
            return client.listings.functions.publishVersion(
                call.listing_id,
                record_tuple(current),
                record_tuple(call.record),
                call.catalogue,
                call.deadline,
                call.signature,
            )

        outcome = await _send(request, f"approve:{submission_id}", build, user.username)
        contract = sender.client().listings
        done = [
            *contract.events.Listed().process_receipt(outcome.receipt, errors=DISCARD),
            *contract.events.VersionPublished().process_receipt(outcome.receipt, errors=DISCARD),
        ]
        refused = contract.events.DuplicateFingerprintRefused().process_receipt(
            outcome.receipt, errors=DISCARD
        )
        if done:
            listing_id = "0x" + bytes(done[0]["args"]["listingId"]).hex()
            sub = await _set_submission(
                request, submission_id, "listed", None, listing_id, outcome.tx_hash
            )
        elif refused:
            args = refused[0]["args"]
            reason = (
                "DuplicateFingerprintRefused: the dataset fingerprint "
                f"0x{bytes(args['fingerprint']).hex()} is already listed"
            )
            sub = await _set_submission(
                request, submission_id, "rejected", reason, None, outcome.tx_hash
            )
        else:
            raise Conflict(f"transaction {outcome.tx_hash} listed nothing", code="reverted")
        log.info("%s approved submission %d: %s", user.username, submission_id, sub.status)
        return sub


async def reject_submission(request: web.Request) -> web.Response:
    """``POST /staff/submissions/{id}/reject`` {reason}."""
    user = await require_staff(request, "reviewer")
    sub = await reject(request, user, _path_id(request), await json_body(request))
    return web.json_response(_submission_summary(sub))


def _decided(what: str, status: str, reason: str | None, tx_hash: str | None) -> Conflict:
    """409 for rejecting ``what`` (e.g. "licence request 7") that was decided already, naming
    its status (code ``already_<status>``) and what was recorded with it."""
    if status == "rejected":
        told = f"already rejected with another reason: {reason}; that reason stays"
    else:
        tx = f" (transaction {tx_hash})" if tx_hash else ""
        told = f"already {status}{tx}; it can no longer be rejected"
    return Conflict(f"{what} is {told}", code=f"already_{status}")


async def reject(
    request: web.Request, user: StaffUser, submission_id: int, body: Mapping[str, Any]
) -> Submission:
    """Reject a submission with ``body``'s reason (final). The same reason again returns the
    submission as it is; a submission rejected with another reason, or listed, is a 409
    naming its status, and its reason never changes; 409 too once its listing transaction was
    sent. The staff pages call it too."""
    _exchange_node(request)
    reason = parse_reason(body)
    what = f"submission {submission_id}"
    async with _desk(request).lock(f"submission:{submission_id}"):
        sub = await _get_submission(request, submission_id)
        if sub.status == "rejected" and sub.reason == reason:
            return sub  # a retry: recorded already
        if sub.status in ("rejected", "listed"):
            raise _decided(what, sub.status, sub.reason, sub.tx_hash)
        sent = await asyncio.to_thread(
            staff_store.sent_transaction, _engine(request), f"approve:{submission_id}"
        )
        if sent is not None and sent.status in ("sent", "mined"):
            raise Conflict(
                f"its listing transaction {sent.tx_hash} was sent; approve it again to follow it"
            )
        sub = await _set_submission(request, submission_id, "rejected", reason)
    log.info("%s rejected submission %d", user.username, submission_id)
    return sub


# --------------------------------------------------------------------------- participants


_ROLE_NAMES = {str(role.name): role for role in ParticipantRole}


#: Roles that may register participants.
REGISTRARS = ("admin", "reviewer")


async def register_participant(request: web.Request) -> web.Response:
    """``POST /staff/participants`` {account, roles, identity_reference}."""
    user = await require_staff(request, *REGISTRARS)
    return web.json_response(await register(request, user, await json_body(request)))


@dataclass(frozen=True)
class Registration:
    """A participant registration as ``POST /staff/participants`` takes it, checked."""

    account: str  # checksummed
    roles: tuple[str, ...]  # sorted names of ParticipantRole
    role_bits: int
    identity_reference: str


@dataclass(frozen=True)
class RoleGrant:
    """A participant's account and roles, checked: what a registration names, and what the
    staff pages confirm before giving a registered participant more roles."""

    account: str  # checksummed
    roles: tuple[str, ...]  # sorted names of ParticipantRole
    role_bits: int


def parse_role_grant(body: Mapping[str, Any]) -> RoleGrant:
    """``body`` {account, roles} checked (pure); :class:`BadRequest` naming the field
    otherwise."""
    account = body.get("account")
    if not isinstance(account, str) or not is_address(account):
        raise BadRequest("must be an address (0x and 40 hex digits)", field="account")
    roles, role_bits = _parse_roles(body)
    return RoleGrant(to_checksum_address(account), roles, role_bits)


def parse_registration(body: Mapping[str, Any]) -> Registration:
    """``body`` {account, roles, identity_reference} checked (pure; the staff pages' confirmation
    step shows what it returns); :class:`BadRequest` naming the field otherwise."""
    grant = parse_role_grant(body)
    reference = body.get("identity_reference")
    if not isinstance(reference, str) or not reference.strip():
        raise BadRequest("the identity check's reference is required", field="identity_reference")
    if len(reference) > MAX_IDENTITY_REFERENCE:
        raise BadRequest(f"at most {MAX_IDENTITY_REFERENCE} characters", field="identity_reference")
    return Registration(grant.account, grant.roles, grant.role_bits, reference)


def _parse_roles(body: Mapping[str, Any]) -> tuple[tuple[str, ...], int]:
    """``body``'s {roles}: the sorted role names and their ParticipantRole bits; a 400 naming
    ``roles`` unless it is a non-empty list of role names."""
    roles = body.get("roles")
    if (
        not isinstance(roles, list)
        or not roles
        or not all(isinstance(r, str) and r in _ROLE_NAMES for r in roles)
    ):
        raise BadRequest(
            f"must be a non-empty list of {', '.join(sorted(_ROLE_NAMES))}", field="roles"
        )
    role_bits = 0
    for name in roles:
        role_bits |= int(_ROLE_NAMES[name])
    return tuple(sorted(set(roles))), role_bits


def role_names(bits: int) -> list[str]:
    """The sorted names of the ParticipantRole bits in ``bits``."""
    return sorted(name for name, role in _ROLE_NAMES.items() if bits & int(role))


async def register(
    request: web.Request, user: StaffUser, body: Mapping[str, Any]
) -> dict[str, Any]:
    """After the identity check, register the participant ``body`` names on chain and describe
    the outcome as ``POST /staff/participants`` answers (the staff pages call it too). Only a
    salted hash of the reference goes there: keccak256(utf-8 reference || 32-byte salt); the
    reference and salt stay on this node."""
    _exchange_node(request)
    registration = parse_registration(body)
    account, role_bits = registration.account, registration.role_bits
    reference = registration.identity_reference
    _sender(request)
    salt = secrets.token_bytes(32)
    identity_hash = "0x" + keccak(reference.encode("utf-8") + salt).hex()
    async with _desk(request).lock(f"participant:{account}"):
        kept_hash = await asyncio.to_thread(
            staff_store.record_identity,
            _engine(request),
            account,
            reference,
            "0x" + salt.hex(),
            identity_hash,
            role_bits,
            user.username,
            int(time.time()),
        )
        identity = bytes.fromhex(kept_hash.removeprefix("0x"))

        def build(client: ConsortiumClient) -> Any:
            return client.consortium.functions.registerParticipant(account, role_bits, identity)

        outcome = await _send(request, f"register:{account}", build, user.username)
    log.info("%s registered participant %s", user.username, account)
    return {
        "account": account,
        "roles": sorted(body["roles"]),
        "identity_hash": kept_hash,
        "tx_hash": outcome.tx_hash,
        "block_number": outcome.block_number,
    }


async def add_participant_roles(request: web.Request) -> web.Response:
    """``POST /staff/participants/{account}/roles`` {roles}."""
    user = await require_staff(request, *REGISTRARS)
    account = request.match_info["account"]
    return web.json_response(await add_roles(request, user, account, await json_body(request)))


async def add_roles(
    request: web.Request, user: StaffUser, account: str, body: Mapping[str, Any]
) -> dict[str, Any]:
    """Give the registered participant at ``account`` the roles ``body`` names
    (``Consortium.grantParticipantRoles``) and describe the outcome as
    ``POST /staff/participants/{account}/roles`` answers.

    Only the exchange that registered it (and checked its identity) may: the contract refuses
    any other, a participant that already holds every role named, and a suspended provider,
    each a 409 naming the contract's error; nothing is sent then. A participant this node has
    not indexed is a 404. Idempotent per account and roles (``roles:<account>:<bits>``): asking
    again follows the transaction already sent."""
    _exchange_node(request)
    if not is_address(account):
        raise NotFound(f"no participant {account!r}: not an address (0x and 40 hex digits)")
    account = to_checksum_address(account)
    names, role_bits = _parse_roles(body)
    _sender(request)
    found = await asyncio.to_thread(submissions_store.participant, _engine(request), account)
    if found is None:
        raise NotFound(f"no participant {account} is registered (or not yet indexed here)")

    def build(client: ConsortiumClient) -> Any:
        return client.consortium.functions.grantParticipantRoles(account, role_bits)

    async with _desk(request).lock(f"participant:{account}"):
        outcome = await _send(request, f"roles:{account}:{role_bits}", build, user.username)
    events = _sender(request).client().consortium.events
    (added,) = events.ParticipantRolesAdded().process_receipt(outcome.receipt, errors=DISCARD)
    log.info("%s gave participant %s the roles %s", user.username, account, ",".join(names))
    return {
        "account": account,
        "added": role_names(added["args"]["added"]),
        "roles": role_names(added["args"]["roles"]),
        "tx_hash": outcome.tx_hash,
        "block_number": outcome.block_number,
    }


# --------------------------------------------------------------------------- licences


_ZERO32 = b"\0" * 32

# The codes of an exclusive grant's refusals (422, ``field`` naming the field): the desk's pages
# tell them apart by code, never by the message's wording.
#: ``approval_ref`` or ``auction_ref`` missing from an exclusive grant.
EXCLUSIVE_REF_MISSING = "exclusive_ref_missing"
#: A reference that is not 0x and 64 hex digits.
EXCLUSIVE_REF_FORMAT = "exclusive_ref_format"
#: A reference that is the zero hash.
EXCLUSIVE_REF_ZERO = "exclusive_ref_zero"
#: A reference named by a grant that is not exclusive.
EXCLUSIVE_REF_UNEXPECTED = "exclusive_ref_unexpected"
#: ``exclusive`` that is not a boolean.
EXCLUSIVE_FLAG = "exclusive_flag"
#: An exclusive grant of a listing that is not public data (``field`` exclusive).
EXCLUSIVE_NOT_PUBLIC_DATA = "exclusive_not_public_data"
#: An exclusive term longer than :data:`EXCLUSIVE_MAX_TERM_DAYS` (``field`` terms.end).
EXCLUSIVE_TERM_TOO_LONG = "exclusive_term_too_long"
#: Every code above, in the order the OpenAPI document lists them.
EXCLUSIVE_REFUSALS = (
    EXCLUSIVE_REF_MISSING,
    EXCLUSIVE_REF_FORMAT,
    EXCLUSIVE_REF_ZERO,
    EXCLUSIVE_REF_UNEXPECTED,
    EXCLUSIVE_FLAG,
    EXCLUSIVE_NOT_PUBLIC_DATA,
    EXCLUSIVE_TERM_TOO_LONG,
)


@dataclass(frozen=True, slots=True)
class Exclusivity:
    """An exclusive grant's references (``LicenceRegistry.grantExclusive``): the hashes of the
    approval document and of the open-auction record."""

    approval_ref: bytes
    auction_ref: bytes


def _reference(body: Mapping[str, Any], name: str) -> bytes:
    value = body.get(name)
    if value is None:
        raise Unprocessable(
            "an exclusive grant needs it (a 0x-hex hash of 32 bytes)",
            field=name,
            code=EXCLUSIVE_REF_MISSING,
        )
    if not (isinstance(value, str) and re.fullmatch(r"0x[0-9a-fA-F]{64}", value)):
        raise Unprocessable(
            "must be 0x and 64 hex digits (a hash of 32 bytes)",
            field=name,
            code=EXCLUSIVE_REF_FORMAT,
        )
    raw = bytes.fromhex(value[2:])
    if raw == _ZERO32:
        raise Unprocessable("must not be the zero hash", field=name, code=EXCLUSIVE_REF_ZERO)
    return raw


def parse_exclusivity(body: Mapping[str, Any]) -> Exclusivity | None:
    """The exclusive fields of a grant request: ``exclusive`` (a boolean, default false) and,
    with it true, ``approval_ref`` and ``auction_ref`` (nonzero 32-byte hashes). None for an
    ordinary grant; 422 naming the field that is wrong."""
    exclusive = body.get("exclusive", False)
    if not isinstance(exclusive, bool):
        raise Unprocessable("must be true or false", field="exclusive", code=EXCLUSIVE_FLAG)
    if not exclusive:
        for name in ("approval_ref", "auction_ref"):
            if body.get(name) is not None:
                raise Unprocessable(
                    "only an exclusive grant names it", field=name, code=EXCLUSIVE_REF_UNEXPECTED
                )
        return None
    return Exclusivity(_reference(body, "approval_ref"), _reference(body, "auction_ref"))


def check_exclusive_grant(terms: Mapping[str, Any], row: Mapping[str, Any], now: int) -> None:
    """What an exclusive grant asks beyond a grant, checked before sending (the contract checks
    it again): public data, and a term of at most :data:`EXCLUSIVE_MAX_TERM_DAYS` days from its
    start or from now, whichever is earlier; 422 naming the field."""
    if not row["open_class"]:
        raise Unprocessable(
            "exclusive licences are for public data only; this listing is not public data",
            field="exclusive",
            code=EXCLUSIVE_NOT_PUBLIC_DATA,
        )
    longest = EXCLUSIVE_MAX_TERM_DAYS * 86400
    if terms["end"] - min(terms["start"], now) > longest:
        raise Unprocessable(
            f"an exclusive licence runs at most {EXCLUSIVE_MAX_TERM_DAYS} days (five years) "
            "from its start, or from now if that is earlier",
            field="terms.end",
            code=EXCLUSIVE_TERM_TOO_LONG,
        )


async def grant_licence(request: web.Request) -> web.Response:
    """``POST /staff/licences`` {licence_request_id} or {terms, acceptance}, and for an
    exclusive licence of public data {exclusive: true, approval_ref, auction_ref}."""
    user = await require_staff(request, "reviewer")
    return web.json_response(await grant(request, user, await json_body(request)))


async def grant(request: web.Request, user: StaffUser, body: Mapping[str, Any]) -> dict[str, Any]:
    """After settlement, grant a licence on chain, from a licence request
    ({licence_request_id}) or from the licensee's signed terms ({terms, acceptance}), and
    describe the outcome as ``POST /staff/licences`` answers (the staff pages call it too)."""
    organisation = _exchange_node(request)
    engine = _engine(request)
    store = submissions_store
    exclusivity = parse_exclusivity(body)
    request_id = body.get("licence_request_id")
    licence_request: Any = None
    if request_id is not None:
        if (
            not isinstance(request_id, int)
            or isinstance(request_id, bool)
            or not 1 <= request_id <= MAX_ID
        ):
            raise BadRequest(f"must be an integer from 1 to {MAX_ID}", field="licence_request_id")
        licence_request = await asyncio.to_thread(store.get_licence_request, engine, request_id)
        if licence_request is None:
            raise NotFound(f"no licence request {request_id}")
        _refuse_rejected(licence_request)
        raw_terms, acceptance_text = licence_request.terms, licence_request.acceptance
    else:
        raw_terms, acceptance_text = body.get("terms"), body.get("acceptance")
    terms = parse_terms(raw_terms)
    acceptance = _bytes(acceptance_text, 65, "acceptance")
    if terms["grantingExchange"] != exchange_code(organisation):
        raise Unprocessable(
            f"this node grants for {organisation}, the terms name "
            f"{exchange_label(terms['grantingExchange'])}",
            field="terms.grantingExchange",
        )
    sender = _sender(request)
    listing_id = "0x" + bytes(terms["listingId"]).hex()
    row = await asyncio.to_thread(staff_store.listing_row, engine, listing_id)
    if row is None:
        raise NotFound(f"listing {listing_id} is not in this node's index")
    record = record_from_row(row)
    if record["version"] != terms["version"]:
        raise Conflict(
            f"the terms are for version {terms['version']}; the listing is at version "
            f"{record['version']}"
        )
    if exclusivity is not None:
        check_exclusive_grant(terms, row, int(time.time()))
    deployment = sender.deployment
    licence_id = (
        "0x"
        + eip712.digest(
            "LicenceAcceptance",
            dict(terms),
            deployment.chain_id,
            deployment.address("LicenceRegistry"),
        ).hex()
    )
    if licence_request is not None and licence_request.licence_id.lower() != licence_id:
        raise Unprocessable("the request's licence id is not its terms'", field="terms")

    def build(client: ConsortiumClient) -> Any:
        if exclusivity is not None:
            return client.licences.functions.grantExclusive(
                terms_tuple(terms),
                record_tuple(record),
                acceptance,
                exclusivity.approval_ref,
                exclusivity.auction_ref,
            )
        return client.licences.functions.grant(terms_tuple(terms), record_tuple(record), acceptance)

    async with _desk(request).lock(f"licence:{licence_id}"):
        if licence_request is not None:
            # Again under the lock a rejection takes: one may have been recorded while this
            # grant waited for it, and a licence granted on chain cannot be taken back.
            _refuse_rejected(
                await asyncio.to_thread(store.get_licence_request, engine, licence_request.id)
            )
        # One key per licence, exclusive or not: the licence id is the same, and so is the
        # licence; a request that asks otherwise than the grant already sent is refused below.
        outcome = await _send(request, f"grant:{licence_id}", build, user.username)
        granted_exclusive = _exclusive_in(sender, outcome.receipt)
        if granted_exclusive != (exclusivity is not None):
            raise Conflict(
                f"licence {licence_id} was already granted "
                f"{'exclusive' if granted_exclusive else 'non-exclusive'} (tx {outcome.tx_hash})",
                code="granted_otherwise",
            )
        if licence_request is not None:
            await asyncio.to_thread(
                store.set_licence_request_status,
                engine,
                licence_request.id,
                "granted",
                None,
                outcome.tx_hash,
            )
    log.info("%s granted licence %s", user.username, licence_id)
    return {
        "licence_id": licence_id,
        "listing_id": listing_id,
        "version": terms["version"],
        "licensee": terms["licensee"],
        "licence_request_id": None if licence_request is None else licence_request.id,
        "exclusive": exclusivity is not None,
        "approval_ref": None if exclusivity is None else "0x" + exclusivity.approval_ref.hex(),
        "auction_ref": None if exclusivity is None else "0x" + exclusivity.auction_ref.hex(),
        "tx_hash": outcome.tx_hash,
        "block_number": outcome.block_number,
    }


def _refuse_rejected(found: LicenceRequest | None) -> None:
    """A rejected licence request is never granted (409)."""
    if found is not None and found.status == "rejected":
        raise Conflict(
            f"licence request {found.id} was rejected: {found.reason}", code="already_rejected"
        )


def _exclusive_in(sender: TransactionSender, receipt: Any) -> bool:
    """Whether the grant in ``receipt`` was exclusive (its event is ExclusiveLicenceGranted)."""
    events = sender.client().licences.events
    return bool(events.ExclusiveLicenceGranted().process_receipt(receipt, errors=DISCARD))


def _licence_request_body(req: LicenceRequest) -> dict[str, Any]:
    return {
        "id": req.id,
        "licensee": req.licensee,
        "listing_id": req.listing_id,
        "version": req.version,
        "granting_exchange": req.granting_exchange,
        "licence_id": req.licence_id,
        "terms": req.terms,
        "status": req.status,
        "reason": req.reason,
        "tx_hash": req.tx_hash,
        "created_at": req.created_at,
        "updated_at": req.updated_at,
    }


async def read_licence_requests(
    request: web.Request, query: Mapping[str, str]
) -> tuple[list[LicenceRequest], int | None]:
    """A page of the licence requests for ``query`` (status, default pending; limit; before)
    and the id to continue before (None on the last page). The staff pages read it too."""
    return await _queue_page(
        request,
        query,
        submissions_store.list_licence_requests,
        LICENCE_REQUEST_STATUSES,
        "pending",
    )


async def list_licence_requests(request: web.Request) -> web.Response:
    """``GET /staff/licence-requests``: licensees' requests waiting for settlement and a grant."""
    await require_staff(request, "reviewer")
    rows, cursor = await read_licence_requests(request, request.query)
    items = [_licence_request_body(r) for r in rows]
    return web.json_response({"items": items, "next_before": cursor})


async def reject_licence_request(request: web.Request) -> web.Response:
    """``POST /staff/licence-requests/{id}/reject`` {reason}: no settlement, no grant."""
    user = await require_staff(request, "reviewer")
    _exchange_node(request)
    request_id = _path_id(request)
    updated, _ = await reject_licence(request, user, request_id, await json_body(request))
    return web.json_response(_licence_request_body(updated))


async def find_licence_request(request: web.Request, request_id: int) -> LicenceRequest:
    """The licence request ``request_id``; 404 when there is none (the staff pages read it
    too)."""
    found = await asyncio.to_thread(
        submissions_store.get_licence_request, _engine(request), request_id
    )
    if found is None:
        raise NotFound(f"no licence request {request_id}")
    return found


async def reject_licence(
    request: web.Request,
    user: StaffUser,
    request_id: int,
    body: Mapping[str, Any],
    *,
    once: bool = False,
) -> tuple[LicenceRequest, bool]:
    """Reject a licence request with ``body``'s reason (final: it can no longer be granted).
    Returns the request and whether this call recorded the rejection. The same reason again
    returns the request as it is (a retry); a request rejected with another reason, or
    granted, is a 409 naming its status (code ``already_rejected``, ``already_granted``), and
    the recorded reason never changes; 409 too once its grant was sent. With ``once`` a
    request already rejected is returned as it is whatever the reason (the staff pages: a
    confirmation sent twice, even with another reason, records once)."""
    _exchange_node(request)
    reason = parse_reason(body)
    store = submissions_store
    engine = _engine(request)
    found = await find_licence_request(request, request_id)
    async with _desk(request).lock(f"licence:{found.licence_id.lower()}"):
        current = await find_licence_request(request, request_id)
        if current.status == "rejected" and (once or current.reason == reason):
            return current, False
        if current.status != "pending":
            what = f"licence request {request_id}"
            raise _decided(what, current.status, current.reason, current.tx_hash)
        sent = await asyncio.to_thread(
            staff_store.sent_transaction, engine, f"grant:{found.licence_id.lower()}"
        )
        if sent is not None and sent.status in ("sent", "mined"):
            raise Conflict(f"its grant {sent.tx_hash} was sent; it cannot be rejected")
        try:
            updated = await asyncio.to_thread(
                store.set_licence_request_status, engine, request_id, "rejected", reason
            )
        except store.StatusChangeError as exc:
            code = None if exc.status is None else f"already_{exc.status}"
            raise Conflict(exc.message, code=code) from None
    if updated is None:
        raise NotFound(f"no licence request {request_id}")
    log.info("%s rejected licence request %d", user.username, request_id)
    return updated, True


# --------------------------------------------------------------------------- the application


async def _start_sender(app: web.Application) -> None:
    regulator = app[CONFIG].organisation == "regulator"
    refused = "a regulator's node sends no exchange transactions" if regulator else None
    await open_sender(
        app, app[SENDER], key="operator", serves="the review desk's transactions", refused=refused
    )


def add_routes(app: web.Application) -> None:
    app[SENDER] = StaffDesk()
    app.on_startup.append(_start_sender)  # after cleanup_ctx: the store is open by then
    app.on_cleanup.append(app[SENDER].close)  # its threads end, its connections close
    staff_auth.add_routes(app)
    app.router.add_get("/staff/submissions", list_submissions)
    app.router.add_get("/staff/submissions/{id}", submission_detail)
    app.router.add_post("/staff/submissions/{id}/approve", approve_submission)
    app.router.add_post("/staff/submissions/{id}/reject", reject_submission)
    app.router.add_post("/staff/participants", register_participant)
    app.router.add_post("/staff/participants/{account}/roles", add_participant_roles)
    app.router.add_post("/staff/licences", grant_licence)
    app.router.add_get("/staff/licence-requests", list_licence_requests)
    app.router.add_post("/staff/licence-requests/{id}/reject", reject_licence_request)
