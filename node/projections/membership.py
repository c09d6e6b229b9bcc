"""Members, operators, regulators, participants, parameters and governance (the Consortium).

Rows keyed by what the chain keys them by (an exchange's code, an account, a proposal id), so
re-applying an event that creates one (an Upsert) is harmless; history rows are inserted.
"""

from __future__ import annotations

from node.events import DecodedEvent, Insert, RowChange, Update, Upsert


def on_ExchangeAdmitted(event: DecodedEvent) -> list[RowChange]:
    a = event.args
    return [
        Upsert(
            "exchanges",
            {"code": a["code"]},
            {
                "idx": a["index"],
                "name": a["name"],
                "province": a["province"],
                "status": "active",
                "first_operator": a["firstOperator"],
                "proposal_id": a["proposalId"],
                "admitted_block": event.block_number,
            },
        )
    ]


def on_ExchangeRemoved(event: DecodedEvent) -> list[RowChange]:
    return [
        Update(
            "exchanges",
            {"code": event.args["code"]},
            {"status": "removed", "removed_block": event.block_number},
        )
    ]


def on_OperatorAdded(event: DecodedEvent) -> list[RowChange]:
    a = event.args
    return [
        Upsert(
            "operators",
            {"address": a["operator"]},
            {
                "exchange": a["exchange"],
                "active": True,
                "added_by": event.actor,  # None when added with its exchange's admission
                "added_block": event.block_number,
                "removed_block": None,
            },
        )
    ]


def on_OperatorRemoved(event: DecodedEvent) -> list[RowChange]:
    return [
        Update(
            "operators",
            {"address": event.args["operator"]},
            {"active": False, "removed_block": event.block_number},
        )
    ]


def on_RegulatorAdded(event: DecodedEvent) -> list[RowChange]:
    a = event.args
    return [
        Upsert(
            "regulators",
            {"address": a["regulator"]},
            {
                "name": a["name"],
                "province": a["province"],
                "active": True,
                "proposal_id": a["proposalId"],
                "added_block": event.block_number,
                "removed_block": None,
            },
        )
    ]


def on_RegulatorRemoved(event: DecodedEvent) -> list[RowChange]:
    return [
        Update(
            "regulators",
            {"address": event.args["regulator"]},
            {"active": False, "removed_block": event.block_number},
        )
    ]


def on_ParticipantRegistered(event: DecodedEvent) -> list[RowChange]:
    a = event.args
    return [
        Upsert(
            "participants",
            {"address": a["participant"]},
            {
                "registered_by": a["exchange"],
                "roles": a["roles"],
                "identity_hash": a["identityHash"],
                "actor": a["actor"],
                "registered_block": event.block_number,
                "registered_at": event.block_time,
            },
        )
    ]


def on_ParticipantRolesAdded(event: DecodedEvent) -> list[RowChange]:
    """The registering exchange gave a participant more roles; the event carries every role it
    holds now, so the row takes them (re-applying it changes nothing)."""
    a = event.args
    return [Update("participants", {"address": a["participant"]}, {"roles": a["roles"]})]


def on_FeeScheduleSet(event: DecodedEvent) -> list[RowChange]:
    a = event.args
    return [
        Insert(
            "fee_schedules",
            {
                "block_number": event.block_number,
                "log_index": event.log_index,
                "home_bps": a["homeBps"],
                "granting_bps": a["grantingBps"],
                "consortium_bps": a["consortiumBps"],
                "proposal_id": a["proposalId"],
            },
        )
    ]


def on_VotingPeriodSet(event: DecodedEvent) -> list[RowChange]:
    a = event.args
    return [
        Upsert(
            "parameters",
            {"name": "voting_period"},
            {
                "value": a["votingPeriod"],
                "proposal_id": a["proposalId"],
                "block_number": event.block_number,
            },
        )
    ]


# ----------------------------------------------------------------------------- governance


def on_ProposalCreated(event: DecodedEvent) -> list[RowChange]:
    a = event.args
    return [
        Insert(
            "proposals",
            {
                "proposal_id": a["proposalId"],
                "kind": a["kind"],
                "exchange": a["exchange"],
                "actor": a["actor"],
                "data": a["data"],
                "deadline": a["deadline"],
                "required": a["required"],
                "yes": 0,  # the proposer's yes vote follows as a VoteCast
                "no": 0,
                "executed": False,
                "created_block": event.block_number,
            },
        )
    ]


def on_VoteCast(event: DecodedEvent) -> list[RowChange]:
    a = event.args
    return [
        Upsert(
            "votes",
            {"proposal_id": a["proposalId"], "exchange": a["exchange"]},
            {"actor": a["actor"], "support": a["support"], "block_number": event.block_number},
        ),
        Update("proposals", {"proposal_id": a["proposalId"]}, {"yes": a["yes"], "no": a["no"]}),
    ]


def on_ProposalExecuted(event: DecodedEvent) -> list[RowChange]:
    a = event.args
    return [
        Update(
            "proposals",
            {"proposal_id": a["proposalId"]},
            {"executed": True, "executed_by": a["actor"], "executed_block": event.block_number},
        )
    ]
