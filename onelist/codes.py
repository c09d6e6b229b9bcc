"""The consortium's enumerations, shared by the contracts, the provider toolkit and the node.

The numeric values are those of contracts/common/OnelistTypes.sol; tests/unit/test_codes.py
checks the two agree. Names are the manifest's JSON spellings; labels are the Chinese terms of
DOMAIN.md and GB/T 43697-2024.
"""

from __future__ import annotations

from enum import IntEnum, IntFlag


class Grade(IntEnum):
    """数据分类分级 (GB/T 43697-2024)."""

    general = 0  # 一般数据
    important = 1  # 重要数据
    core = 2  # 核心数据: never listed (DSL art. 21)


class OpenClass(IntEnum):
    """Public-data open class; ``not_public`` for data that is not public data."""

    not_public = 0
    unconditional = 1  # 无条件开放
    conditional = 2  # 有条件开放: needs an authorisation id in force
    not_open = 3  # 不予开放: never listed as raw data


class PersonalInfo(IntEnum):
    """PIPL status of the data."""

    none = 0
    anonymised = 1  # 匿名化: not PI, needs an anonymisation report
    deidentified = 2  # 去标识化: still PI (PIPL art. 73), needs consent evidence
    identifiable = 3


class PIFlag(IntFlag):
    sensitive = 1  # 敏感个人信息: separate consent + impact assessment
    under_14 = 2  # 不满十四周岁未成年人: guardian consent


class Source(IntEnum):
    self_produced = 0
    public_data_authorised = 1  # 公共数据授权运营
    purchased = 2
    collected = 3


class Purpose(IntFlag):
    """Allowed purposes of use: an enumerated list, a bit each (uint32 on chain)."""

    research = 1 << 0  # 科学研究
    commercial_analytics = 1 << 1  # 商业分析
    risk_control = 1 << 2  # 风险控制
    marketing = 1 << 3  # 市场营销
    public_governance = 1 << 4  # 公共治理
    urban_planning = 1 << 5  # 城市规划
    product_development = 1 << 6  # 产品研发
    insurance_actuarial = 1 << 7  # 保险精算
    navigation_services = 1 << 8  # 导航服务
    teaching = 1 << 9  # 教学


class Territory(IntEnum):
    mainland = 0  # 仅限境内
    cross_border = 1  # 可出境 (with its legal basis)


class OnwardTransfer(IntEnum):
    """Ordered: a licence may grant no more than the listing's envelope."""

    none = 0
    derived_only = 1
    sublicence = 2


class DeliveryMode(IntFlag):
    file = 1
    api = 2
    sandbox = 4
    privacy_computing = 8


class ProductForm(IntEnum):
    dataset = 0
    api = 1
    report = 2
    model = 3
    sandbox = 4


class ListingStatus(IntEnum):
    none = 0
    listed = 1
    consent_withdrawn = 2  # suspended by the provider's withdrawal of consent evidence
    delisted = 3  # final


class LicenceStatus(IntEnum):
    none = 0
    active = 1
    revoked = 2
    terminated = 3


class SuspensionScope(IntEnum):
    listing = 0
    provider = 1
    licence = 2
    exchange_granting = 3


class ParticipantRole(IntFlag):
    provider = 1
    licensee = 2


class ProposalKind(IntEnum):
    admit_exchange = 0
    remove_exchange = 1
    add_regulator = 2
    remove_regulator = 3
    set_fee_schedule = 4
    set_voting_period = 5


class ExchangeStatus(IntEnum):
    none = 0
    active = 1
    removed = 2


def exchange_code(code: str) -> bytes:
    """An exchange code ("SH") as the contracts' ``bytes8``: ASCII, right-padded with zeros."""
    raw = code.encode("ascii")
    if not 1 <= len(raw) <= 8 or not code.isalnum() or code.upper() != code:
        raise ValueError(f"exchange code {code!r} must be 1-8 upper-case ASCII letters or digits")
    return raw.ljust(8, b"\0")


def exchange_code_text(raw: bytes) -> str:
    """The inverse of :func:`exchange_code`."""
    return raw.rstrip(b"\0").decode("ascii")


class ReasonCode(IntEnum):
    """Why a listing, provider, licence or exchange's granting was suspended, reinstated,
    delisted or revoked: the uint16 ``reasonCode`` of those events, named so a regulator can
    read it. The contracts accept any uint16 (a regulator may use a code of its own, outside
    this list); the legal basis itself travels as a hash beside the code.
    """

    other = 0  # 其他: see the legal basis
    illegal_trading = 1  # 违法违规交易 (DSL art. 33; an exchange's own rules)
    personal_information_complaint = 2  # 个人信息权益投诉 (PIPL arts. 13, 44-50)
    disputed_source = 3  # 数据来源或权属争议 (数据二十条: the source must be lawful)
    security_risk = 4  # 国家安全或重要数据风险 (DSL arts. 21, 30, 31)
    compliance_evidence_invalid = 5  # 合规证明过期或失效 (consent, assessments, undertakings)
    official_order = 6  # 司法或行政机关决定 (a court's or an authority's order)
    provider_request = 7  # 数据提供方申请 (the provider delists, or asks for a pause)
    public_data_authorisation_expired = 8  # 公共数据授权运营到期或撤销 (2025 interim rules)
    settlement_default = 9  # 结算违约 (the off-chain settlement failed)
    rectified = 10  # 问题已整改 (a reinstatement's usual reason)


#: Each reason's label in Chinese and English (the node's pages show "label (code)").
REASON_LABELS: dict[ReasonCode, tuple[str, str]] = {
    ReasonCode.other: ("其他", "Other"),
    ReasonCode.illegal_trading: ("违法违规交易", "Illegal trading"),
    ReasonCode.personal_information_complaint: (
        "个人信息权益投诉",
        "Personal-information rights complaint",
    ),
    ReasonCode.disputed_source: ("数据来源或权属争议", "Disputed data source or ownership"),
    ReasonCode.security_risk: (
        "国家安全或重要数据风险",
        "National-security or important-data risk",
    ),
    ReasonCode.compliance_evidence_invalid: (
        "合规证明过期或失效",
        "Compliance evidence expired or invalid",
    ),
    ReasonCode.official_order: ("司法或行政机关决定", "Court or administrative order"),
    ReasonCode.provider_request: ("数据提供方申请", "Provider's request"),
    ReasonCode.public_data_authorisation_expired: (
        "公共数据授权运营到期或撤销",
        "Public-data authorisation expired or withdrawn",
    ),
    ReasonCode.settlement_default: ("结算违约", "Settlement default"),
    ReasonCode.rectified: ("问题已整改", "Problem rectified"),
}
