"""The listing manifest: strict, typed models of every field DOMAIN.md lists, and the loader.

A manifest is one JSON document per data product version. The models refuse unknown fields,
wrong types (no coercion: ``"1"`` is not ``1``) and oversize text; every refusal names the
field's JSON path (``catalogue.keywords[2]``). Enumerated values are spelled as the member names
of :mod:`onelist.codes`, the same enumerations the contracts use.

The manifest's *normal form* (:func:`manifest_document`) is the validated document with null
members omitted; the manifest hash (:mod:`listing.hashing`) is taken over it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from eth_utils import is_checksum_address
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
)
from pydantic_core import PydanticCustomError

from listing.errors import Issue, ManifestError
from listing.files import read_json_file

__all__ = [
    "EVIDENCE_KINDS",
    "MAX_MANIFEST_BYTES",
    "MAX_SAFE_INTEGER",
    "Catalogue",
    "Classification",
    "Coverage",
    "Evidence",
    "EvidenceDocument",
    "FieldSummary",
    "Manifest",
    "PersonalInformation",
    "SourceInfo",
    "Usage",
    "format_path",
    "load_manifest",
    "manifest_document",
    "manifest_from_data",
    "manifest_json_schema",
]

MAX_SAFE_INTEGER = 2**53 - 1
"""Largest integer RFC 8785 canonical JSON represents exactly (an IEEE 754 double)."""

MAX_MANIFEST_BYTES = 1 << 20
"""A manifest file larger than this (1 MiB) is refused before parsing."""

SCHEMA_ID = "https://onelist.cn/schema/manifest/v1/manifest.schema.json"

# ---------------------------------------------------------------------------------------------
# Enumerations. Those shared with the chain are the member names of onelist.codes;
# tests/unit/listing/test_listing_manifest.py checks each Literal against its IntEnum/IntFlag.

GradeName = Literal["general", "important", "core"]
OpenClassName = Literal["not_public", "unconditional", "conditional", "not_open"]
PersonalInfoName = Literal["none", "anonymised", "deidentified", "identifiable"]
SourceName = Literal["self_produced", "public_data_authorised", "purchased", "collected"]
PurposeName = Literal[
    "research",
    "commercial_analytics",
    "risk_control",
    "marketing",
    "public_governance",
    "urban_planning",
    "product_development",
    "insurance_actuarial",
    "navigation_services",
    "teaching",
]
TerritoryName = Literal["mainland", "cross_border"]
OnwardTransferName = Literal["none", "derived_only", "sublicence"]
DeliveryModeName = Literal["file", "api", "sandbox", "privacy_computing"]
ProductFormName = Literal["dataset", "api", "report", "model", "sandbox"]

# Manifest-only enumerations (not recorded on chain as codes).
UpdateFrequency = Literal[
    "realtime", "hourly", "daily", "weekly", "monthly", "quarterly", "yearly", "irregular", "static"
]
PriceModel = Literal["one_off", "per_call", "per_record", "monthly", "yearly", "negotiable"]
FieldType = Literal[
    "string",
    "integer",
    "decimal",
    "boolean",
    "date",
    "datetime",
    "geo_point",
    "geometry",
    "binary",
    "array",
    "object",
]
CrossBorderBasis = Literal[
    "security_assessment",  # 数据出境安全评估 (CAC)
    "certification",  # 个人信息保护认证
    "standard_contract",  # 个人信息出境标准合同
    "exemption",  # 《促进和规范数据跨境流动规定》 exemptions
]
HashAlgorithm = Literal["sha256", "keccak256"]

EVIDENCE_KINDS: tuple[str, ...] = (
    "product_description",  # 数据产品说明书
    "compliance_assessment",  # 合规评估
    "quality_assessment",  # 质量评估
    "undertaking",  # 承诺书
    "consent_or_anonymisation_report",  # 授权同意证明 / 匿名化报告
    "risk_assessment",  # 风险评估 (重要数据)
    "separate_consent",  # 单独同意 (敏感个人信息)
    "impact_assessment",  # 个人信息保护影响评估
    "guardian_consent",  # 监护人同意 (不满十四周岁)
)

# ---------------------------------------------------------------------------------------------
# Scalar types.

_SINGLE_LINE = r"^[^\x00-\x1F\x7F]+$"
_SINGLE_LINE_OR_EMPTY = r"^[^\x00-\x1F\x7F]*$"
_MULTI_LINE = r"^[^\x00-\x09\x0B-\x1F\x7F]+$"  # as single-line, but newlines allowed
# GB/T 2260: two-digit province prefixes of mainland China, Taiwan, Hong Kong and Macao.
_REGION = r"^(1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5]|71|8[12])[0-9]{4}$"

T = TypeVar("T")


def _unique_items(items: list[T]) -> list[T]:
    seen: list[T] = []
    for index, item in enumerate(items):
        if item in seen:
            raise PydanticCustomError(
                "unique_items",
                "duplicate item {item} at [{index}]",
                {"item": repr(item), "index": index},
            )
        seen.append(item)
    return items


def _calendar_date(value: str) -> str:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError(
            "calendar_date", "not a calendar date: {value}", {"value": value}
        ) from None
    return value


def _non_zero_hash(value: str) -> str:
    if int(value, 16) == 0:
        raise PydanticCustomError(
            "zero_hash", "the zero hash stands for 'absent' on chain and is not a document hash"
        )
    return value


def _address(value: str) -> str:
    body = value[2:]
    if body != body.lower() and body != body.upper() and not is_checksum_address(value):
        raise PydanticCustomError(
            "address_checksum",
            "mixed-case address with a wrong EIP-55 checksum: {value}",
            {"value": value},
        )
    if int(body, 16) == 0:
        raise PydanticCustomError("zero_address", "the zero address is not an account")
    return value


UniqueList = Annotated[
    list[T], AfterValidator(_unique_items), Field(json_schema_extra={"uniqueItems": True})
]

Hash32 = Annotated[
    str,
    Field(
        pattern=r"^0x[0-9a-f]{64}$",
        description="32-byte hash: 0x + 64 lower-case hex digits, not all zero",
    ),
    AfterValidator(_non_zero_hash),
]
Address = Annotated[
    str,
    Field(
        pattern=r"^0x[0-9a-fA-F]{40}$",
        description="account address: 0x + 40 hex digits (EIP-55 checksum if mixed case)",
    ),
    AfterValidator(_address),
]
ExchangeCode = Annotated[
    str,
    Field(
        pattern=r"^[A-Z0-9]{1,8}$",
        description="member exchange code, 1-8 upper-case letters or digits (e.g. SH)",
    ),
]
RegionCode = Annotated[
    str, Field(pattern=_REGION, description="GB/T 2260 administrative division code (6 digits)")
]
IsoDate = Annotated[
    str,
    Field(
        pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
        json_schema_extra={"format": "date"},
        description="calendar date YYYY-MM-DD (China Standard Time)",
    ),
    AfterValidator(_calendar_date),
]
Fen = Annotated[int, Field(ge=0, le=MAX_SAFE_INTEGER, description="amount in fen (CNY cents)")]


def _line(max_length: int) -> Any:
    """A single line of text, 1..max_length characters (Chinese counts one per character)."""
    return Field(min_length=1, max_length=max_length, pattern=_SINGLE_LINE)


# ---------------------------------------------------------------------------------------------
# Models.


class _Strict(BaseModel):
    model_config = ConfigDict(
        strict=True, extra="forbid", frozen=True, use_attribute_docstrings=True
    )


class Coverage(_Strict):
    """覆盖范围: the period and the regions the data covers."""

    time_from: IsoDate
    """起始日期."""
    time_to: IsoDate | None = None
    """截止日期; omitted for data still being produced (至今)."""
    regions: Annotated[UniqueList[RegionCode], Field(min_length=1, max_length=500)]
    """覆盖地区: GB/T 2260 codes (province 310000, city 440300, county 330106 ...)."""


class FieldSummary(_Strict):
    """字段说明: one field of the data's schema (names and types, never values)."""

    name: Annotated[str, _line(64)]
    type: FieldType
    description: Annotated[str, _line(120)]


class Catalogue(_Strict):
    """公开目录: the public catalogue entry, emitted on chain and shown by every node."""

    title: Annotated[str, _line(100)]
    """产品名称."""
    description: Annotated[str, Field(min_length=1, max_length=2000, pattern=_MULTI_LINE)]
    """产品简介 (newlines allowed)."""
    keywords: Annotated[UniqueList[Annotated[str, _line(20)]], Field(min_length=1, max_length=20)]
    """关键词."""
    category: Annotated[str, _line(50)]
    """行业分类 (e.g. 交通运输)."""
    product_form: ProductFormName
    """产品形态."""
    update_frequency: UpdateFrequency
    """更新频率."""
    coverage: Coverage
    field_schema: Annotated[list[FieldSummary], Field(max_length=64)]
    """字段说明: the schema summary (empty for a report)."""
    delivery_modes: Annotated[UniqueList[DeliveryModeName], Field(max_length=4)]
    """交付方式."""
    price_model: PriceModel
    """计价方式."""
    price_fen: Fen
    """挂牌价格 in fen."""


class Classification(_Strict):
    """数据分类分级 (GB/T 43697-2024)."""

    grade: GradeName
    """一般 general / 重要 important / 核心 core."""
    open_class: OpenClassName
    """公共数据开放属性; not_public for data that is not public data."""


class PersonalInformation(_Strict):
    """个人信息 (PIPL)."""

    status: PersonalInfoName
    sensitive: bool
    """敏感个人信息 (PIPL art. 28)."""
    under_14: bool
    """含不满十四周岁未成年人信息 (PIPL art. 31)."""


class SourceInfo(_Strict):
    """数据来源."""

    kind: SourceName
    authorisation_id: Annotated[str, _line(100)] | None = None
    """授权运营协议编号 (public data under authorised operation)."""
    authorisation_valid_until: IsoDate | None = None
    """授权有效期至 (inclusive, China Standard Time)."""
    evidence: Annotated[UniqueList[Hash32], Field(max_length=32)]
    """来源证明材料 hashes (contracts, authorisation documents, purchase records)."""


class EvidenceDocument(_Strict):
    """An evidence document, by hash only; the document itself stays with the provider."""

    algorithm: HashAlgorithm
    hash: Hash32
    assessor: Annotated[str, Field(max_length=100, pattern=_SINGLE_LINE_OR_EMPTY)]
    """出具机构/评估人 (rule R5 requires it to be named)."""
    issued_at: IsoDate


class Evidence(_Strict):
    """证明材料: each entry optional here; the rules say which the data's class requires."""

    product_description: EvidenceDocument | None = None
    compliance_assessment: EvidenceDocument | None = None
    quality_assessment: EvidenceDocument | None = None
    undertaking: EvidenceDocument | None = None
    consent_or_anonymisation_report: EvidenceDocument | None = None
    risk_assessment: EvidenceDocument | None = None
    separate_consent: EvidenceDocument | None = None
    impact_assessment: EvidenceDocument | None = None
    guardian_consent: EvidenceDocument | None = None

    def get(self, kind: str) -> EvidenceDocument | None:
        value = getattr(self, kind)
        assert value is None or isinstance(value, EvidenceDocument)
        return value


def _granting_kind(value: Any) -> str | None:
    if isinstance(value, str):
        return "all"
    if isinstance(value, list):
        return "list"
    return None


GrantingExchanges = Annotated[
    Annotated[Literal["all"], Tag("all")]
    | Annotated[UniqueList[ExchangeCode], Field(min_length=1, max_length=64), Tag("list")],
    Discriminator(
        _granting_kind,
        custom_error_type="granting_exchanges",
        custom_error_message='expected "all" or a list of exchange codes',
    ),
]


class Usage(_Strict):
    """使用范围: the outer bounds of any licence granted for this version."""

    purposes: Annotated[UniqueList[PurposeName], Field(max_length=10)]
    """允许用途."""
    max_term_days: Annotated[int, Field(ge=1, le=65535)]
    """最长授权期限 (days)."""
    territory: TerritoryName
    """mainland 仅限境内 / cross_border 可出境."""
    cross_border_legal_basis: CrossBorderBasis | None = None
    """出境合法性基础 (required for cross_border)."""
    onward_transfer: OnwardTransferName
    """再转让: none / derived_only / sublicence."""
    model_training: bool
    """允许用于模型训练."""
    granting_exchanges: GrantingExchanges
    """可授权交易所: "all" or a list of exchange codes."""
    price_floor_fen: Fen
    """最低授权价格 in fen."""


class Manifest(_Strict):
    """数据产品挂牌清单: one version of one data product."""

    product_ref: Annotated[str, _line(128)]
    """数商产品编号: the provider's own reference for the product."""
    listing_id: Hash32 | None = None
    """挂牌编号: the listing's id on chain, which is its first version's dataset fingerprint.
    Leave it out for version 1; later versions must name the listing they update."""
    version: Annotated[int, Field(ge=1, le=2**32 - 1)]
    """版本 (1, 2, ...): an update is a new version, signed and reviewed again."""
    provider: Address
    """数商账户: the account that signs the listing."""
    home_exchange: ExchangeCode
    """挂牌交易所: the exchange that reviews and lists the product."""
    catalogue: Catalogue
    classification: Classification
    personal_information: PersonalInformation
    source: SourceInfo
    fingerprint: Hash32
    """数据指纹: the Merkle root from `onelist listing fingerprint`."""
    evidence: Evidence
    usage: Usage


# ---------------------------------------------------------------------------------------------
# Loading.


def format_path(loc: tuple[int | str, ...], data: Any = None) -> str:
    """A pydantic error location as a JSON path: ``catalogue.keywords[2]``, ``(root)`` for ``()``.

    ``data`` is the input that failed; walking it tells JSON keys from the tags pydantic adds
    for a union member (e.g. the list branch of ``granting_exchanges``), which are dropped.
    """
    out = ""
    current = data
    for item in loc:
        if isinstance(item, int):
            out += f"[{item}]"
            ok = isinstance(current, list) and 0 <= item < len(current)
            current = current[item] if ok else None
        elif isinstance(current, Mapping) or current is None:
            if item.isidentifier() and item.isascii():
                out += f".{item}" if out else item
            else:
                out += f"[{json.dumps(item, ensure_ascii=False)}]"
            current = current.get(item) if isinstance(current, Mapping) else None
        # else: a union tag, not a JSON key
    return out or "(root)"


def manifest_from_data(data: Any, *, where: str | None = None) -> Manifest:
    """Validate a parsed JSON value as a manifest; :class:`ManifestError` lists every problem."""
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        issues = [Issue(format_path(tuple(err["loc"]), data), err["msg"]) for err in exc.errors()]
        raise ManifestError(issues, where=where) from None


def load_manifest(path: str | Path) -> Manifest:
    """Read, parse and validate a manifest file."""
    data = read_json_file(path, what="manifest", max_bytes=MAX_MANIFEST_BYTES, error=ManifestError)
    return manifest_from_data(data, where=str(path))


def manifest_document(manifest: Manifest) -> dict[str, Any]:
    """The manifest's normal form: the validated document, null members omitted."""
    return manifest.model_dump(mode="json", exclude_none=True)


def manifest_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the manifest, generated from the models.

    Checks the schema cannot express (EIP-55 checksums, calendar dates, the zero hash, unique
    items beyond ``uniqueItems``) are done by the models; the compliance rules come after both.
    """
    schema = Manifest.model_json_schema()
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
    }
