"""onelist/codes.py and the Codes library of contracts/common/OnelistTypes.sol agree (no chain)."""

from __future__ import annotations

import functools
import operator
import re
from pathlib import Path

import pytest

from onelist.build.compiler import repo_root
from onelist.codes import (
    REASON_LABELS,
    DeliveryMode,
    ExchangeStatus,
    Grade,
    LicenceStatus,
    ListingStatus,
    OnwardTransfer,
    OpenClass,
    ParticipantRole,
    PersonalInfo,
    PIFlag,
    ProposalKind,
    ReasonCode,
    SuspensionScope,
    Territory,
)

SOURCE = Path(repo_root()) / "contracts" / "common" / "OnelistTypes.sol"


def _all(flags: type[PIFlag] | type[DeliveryMode]) -> int:
    return int(functools.reduce(operator.or_, flags))


def solidity_codes() -> dict[str, int]:
    """``NAME = value`` of every constant in the Codes library."""
    text = SOURCE.read_text(encoding="utf-8")
    library = re.search(r"library Codes \{(.*?)\n\}", text, re.DOTALL)
    assert library, "library Codes not found"
    found = re.findall(r"uint\d+ internal constant (\w+) = (\d+);", library.group(1))
    return {name: int(value) for name, value in found}


PYTHON = {
    "GRADE_IMPORTANT": Grade.important,
    "GRADE_CORE": Grade.core,
    "OPEN_CONDITIONAL": OpenClass.conditional,
    "OPEN_NOT_OPEN": OpenClass.not_open,
    "PI_NONE": PersonalInfo.none,
    "PI_ANONYMISED": PersonalInfo.anonymised,
    "PI_IDENTIFIABLE": PersonalInfo.identifiable,
    "PI_FLAGS_ALL": _all(PIFlag),
    "TERRITORY_CROSS_BORDER": Territory.cross_border,
    "ONWARD_SUBLICENCE": OnwardTransfer.sublicence,
    "DELIVERY_ALL": _all(DeliveryMode),
    "LISTING_LISTED": ListingStatus.listed,
    "LISTING_CONSENT_WITHDRAWN": ListingStatus.consent_withdrawn,
    "LISTING_DELISTED": ListingStatus.delisted,
    "LICENCE_ACTIVE": LicenceStatus.active,
    "LICENCE_REVOKED": LicenceStatus.revoked,
    "LICENCE_TERMINATED": LicenceStatus.terminated,
    "SCOPE_LISTING": SuspensionScope.listing,
    "SCOPE_PROVIDER": SuspensionScope.provider,
    "SCOPE_LICENCE": SuspensionScope.licence,
    "SCOPE_EXCHANGE_GRANTING": SuspensionScope.exchange_granting,
    "ROLE_PROVIDER": ParticipantRole.provider,
    "ROLE_LICENSEE": ParticipantRole.licensee,
    "EXCHANGE_ACTIVE": ExchangeStatus.active,
    "EXCHANGE_REMOVED": ExchangeStatus.removed,
    "PROPOSAL_ADMIT_EXCHANGE": ProposalKind.admit_exchange,
    "PROPOSAL_REMOVE_EXCHANGE": ProposalKind.remove_exchange,
    "PROPOSAL_ADD_REGULATOR": ProposalKind.add_regulator,
    "PROPOSAL_REMOVE_REGULATOR": ProposalKind.remove_regulator,
    "PROPOSAL_SET_FEE_SCHEDULE": ProposalKind.set_fee_schedule,
    "PROPOSAL_SET_VOTING_PERIOD": ProposalKind.set_voting_period,
}


def test_every_solidity_code_has_a_python_counterpart() -> None:
    assert sorted(solidity_codes()) == sorted(PYTHON)


@pytest.mark.parametrize(("name", "python"), sorted(PYTHON.items()), ids=sorted(PYTHON))
def test_the_solidity_code_equals_the_python_value(name: str, python: int) -> None:
    assert solidity_codes()[name] == int(python)


def test_every_reason_code_has_a_chinese_and_an_english_label() -> None:
    assert set(REASON_LABELS) == set(ReasonCode)
    for zh, en in REASON_LABELS.values():
        assert zh and en and zh != en


@pytest.mark.parametrize(
    ("code", "value"),
    [
        (ReasonCode.other, 0),
        (ReasonCode.illegal_trading, 1),
        (ReasonCode.personal_information_complaint, 2),
        (ReasonCode.disputed_source, 3),
        (ReasonCode.security_risk, 4),
        (ReasonCode.compliance_evidence_invalid, 5),
        (ReasonCode.official_order, 6),
        (ReasonCode.provider_request, 7),
        (ReasonCode.public_data_authorisation_expired, 8),
        (ReasonCode.settlement_default, 9),
        (ReasonCode.rectified, 10),
    ],
    ids=lambda v: v.name if isinstance(v, ReasonCode) else str(v),
)
def test_a_reason_codes_value_never_changes(code: ReasonCode, value: int) -> None:
    # The values are on chain in every past event: renumbering would relabel history.
    assert int(code) == value


def test_reason_codes_fit_the_contracts_uint16_and_are_dense() -> None:
    assert [int(c) for c in ReasonCode] == list(range(len(ReasonCode)))
    assert max(ReasonCode) < 2**16
