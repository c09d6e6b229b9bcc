"""A decoded event → the row changes that fold it into the index: one handler per event."""

from __future__ import annotations

from collections.abc import Callable

from node.events import DecodedEvent, RowChange
from node.projections import licences, listings, membership, oversight
from node.projections.columns import check_changes
from node.projections.errors import ProjectionError

Handler = Callable[[DecodedEvent], list[RowChange]]

HANDLERS: dict[str, Handler] = {
    # Consortium: membership and parameters
    "ExchangeAdmitted": membership.on_ExchangeAdmitted,
    "ExchangeRemoved": membership.on_ExchangeRemoved,
    "OperatorAdded": membership.on_OperatorAdded,
    "OperatorRemoved": membership.on_OperatorRemoved,
    "RegulatorAdded": membership.on_RegulatorAdded,
    "RegulatorRemoved": membership.on_RegulatorRemoved,
    "ParticipantRegistered": membership.on_ParticipantRegistered,
    "ParticipantRolesAdded": membership.on_ParticipantRolesAdded,
    "FeeScheduleSet": membership.on_FeeScheduleSet,
    "VotingPeriodSet": membership.on_VotingPeriodSet,
    # Consortium: governance
    "ProposalCreated": membership.on_ProposalCreated,
    "VoteCast": membership.on_VoteCast,
    "ProposalExecuted": membership.on_ProposalExecuted,
    # Consortium: oversight
    "Suspended": oversight.on_Suspended,
    "Reinstated": oversight.on_Reinstated,
    # ListingRegistry
    "Listed": listings.on_Listed,
    "VersionPublished": listings.on_VersionPublished,
    "Delisted": listings.on_Delisted,
    "ConsentWithdrawn": listings.on_ConsentWithdrawn,
    "DuplicateFingerprintRefused": listings.on_DuplicateFingerprintRefused,
    "EIP712DomainChanged": listings.on_EIP712DomainChanged,  # also LicenceRegistry's
    # LicenceRegistry
    "LicenceGranted": licences.on_LicenceGranted,
    "ExclusiveLicenceGranted": licences.on_ExclusiveLicenceGranted,
    "LicenceRevoked": licences.on_LicenceRevoked,
    "LicenceTerminated": licences.on_LicenceTerminated,
}
"""Event name → handler (event names are unique across the three contracts)."""


def project(event: DecodedEvent) -> list[RowChange]:
    """The row changes of ``event``, checked against the schema (:func:`check_changes`).

    Raises :class:`ProjectionError` for an event with no handler, arguments a handler cannot
    read, or a value its column cannot hold.
    """
    where = f"{event.contract}.{event.name} at block {event.block_number} log {event.log_index}"
    handler = HANDLERS.get(event.name)
    if handler is None:
        raise ProjectionError("no projection handler for this event", where=where)
    try:
        changes = handler(event)
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, ProjectionError):
            raise ProjectionError(exc.message, where=f"{where}: {exc.where}") from None
        raise ProjectionError(
            f"arguments do not fit the handler: {type(exc).__name__} {exc}", where=where
        ) from None
    try:
        check_changes(changes)
    except ProjectionError as exc:
        raise ProjectionError(exc.message, where=f"{where}: {exc.where}") from None
    return changes
