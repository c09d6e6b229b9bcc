"""Who acted, for whom, on which listing: the audit fields of each event, one table entry each.

Every consortium event names the account that acted, and the exchange or regulator it acted
for, in its own arguments, but under different names (a listing's ``actor`` and
``homeExchange``, a suspension's ``regulator``, a consent withdrawal's ``provider``). ``AUDIT``
says, per event, which argument is which; :func:`audit_fields` reads them from the plain args.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from onelist.codes import SuspensionScope

Args = Mapping[str, Any]
Field = Callable[[Args], Any]

ZERO_ADDRESS = "0x" + "00" * 20


def _none(args: Args) -> None:
    return None


def _arg(name: str) -> Field:
    """The argument ``name``; None when it is empty (the zero address, an empty exchange code)."""

    def get(args: Args) -> Any:
        value = args[name]
        return None if value in (ZERO_ADDRESS, "") else value

    return get


def _regulator_if_revoked_by_one(args: Args) -> Any:
    return args["actor"] if args["byRegulator"] else None


def _subject_if_listing(args: Args) -> Any:
    return args["subject"] if args["scope"] == SuspensionScope.listing else None


@dataclass(frozen=True, slots=True)
class Audit:
    """How to read an event's audit fields from its args (``seq`` is always the ``seq`` arg)."""

    actor: Field = _none
    exchange: Field = _none
    regulator: Field = _none
    listing: Field = _none


_ACTOR = _arg("actor")

AUDIT: dict[str, Audit] = {
    # membership: admissions, removals and parameters are carried out by a proposal's execution
    # (whose ProposalExecuted names the actor) or at deployment; they have no actor of their own.
    "ExchangeAdmitted": Audit(exchange=_arg("code")),
    "ExchangeRemoved": Audit(exchange=_arg("code")),
    "OperatorAdded": Audit(actor=_ACTOR, exchange=_arg("exchange")),  # actor 0 at admission
    "OperatorRemoved": Audit(actor=_ACTOR, exchange=_arg("exchange")),
    "RegulatorAdded": Audit(),
    "RegulatorRemoved": Audit(),
    "ParticipantRegistered": Audit(actor=_ACTOR, exchange=_arg("exchange")),
    "ParticipantRolesAdded": Audit(actor=_ACTOR, exchange=_arg("exchange")),
    "FeeScheduleSet": Audit(),
    "VotingPeriodSet": Audit(),
    # governance
    "ProposalCreated": Audit(actor=_ACTOR, exchange=_arg("exchange")),
    "VoteCast": Audit(actor=_ACTOR, exchange=_arg("exchange")),
    "ProposalExecuted": Audit(actor=_ACTOR),
    # oversight
    "Suspended": Audit(
        actor=_arg("regulator"), regulator=_arg("regulator"), listing=_subject_if_listing
    ),
    "Reinstated": Audit(
        actor=_arg("regulator"), regulator=_arg("regulator"), listing=_subject_if_listing
    ),
    # listings
    "Listed": Audit(actor=_ACTOR, exchange=_arg("homeExchange"), listing=_arg("listingId")),
    "VersionPublished": Audit(
        actor=_ACTOR, exchange=_arg("homeExchange"), listing=_arg("listingId")
    ),
    "Delisted": Audit(  # actingExchange is empty when the provider delisted
        actor=_ACTOR, exchange=_arg("actingExchange"), listing=_arg("listingId")
    ),
    "ConsentWithdrawn": Audit(actor=_arg("provider"), listing=_arg("listingId")),
    "DuplicateFingerprintRefused": Audit(
        actor=_ACTOR, exchange=_arg("homeExchange"), listing=_arg("listingId")
    ),
    # licences
    "LicenceGranted": Audit(
        actor=_ACTOR, exchange=_arg("grantingExchange"), listing=_arg("listingId")
    ),
    "ExclusiveLicenceGranted": Audit(
        actor=_ACTOR, exchange=_arg("grantingExchange"), listing=_arg("listingId")
    ),
    "LicenceRevoked": Audit(
        actor=_ACTOR, regulator=_regulator_if_revoked_by_one, listing=_arg("listingId")
    ),
    "LicenceTerminated": Audit(actor=_ACTOR, listing=_arg("listingId")),
    # OpenZeppelin's EIP-5267 event (ListingRegistry, LicenceRegistry): never emitted, as their
    # EIP-712 domain is immutable; read anyway, with no audit fields.
    "EIP712DomainChanged": Audit(),
}


def audit_fields(name: str, args: Args) -> tuple[Any, Any, Any, Any, Any]:
    """(actor, acting exchange, acting regulator, listing id, seq) of event ``name``.

    An event missing from :data:`AUDIT` has none (a test checks every ABI event is there).
    """
    audit = AUDIT.get(name)
    seq = args.get("seq")
    if audit is None:
        return None, None, None, None, seq
    return (
        audit.actor(args),
        audit.exchange(args),
        audit.regulator(args),
        audit.listing(args),
        seq,
    )
