"""Realistic sample listings and licences for demos, benchmarks and tests (pure, no I/O)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from eth_utils import keccak

from onelist.codes import DeliveryMode, Grade, OnwardTransfer, PersonalInfo, Purpose, Territory

DAY = 24 * 3600

# About 1 KB of UTF-8 public catalogue text, as a provider would write it.
SAMPLE_DESCRIPTION = (
    "本数据产品汇集城市轨道交通、公交与共享单车的匿名化出行起讫点（OD）统计，按五百米网格和十五分钟时段"
    "聚合，覆盖全市十六个行政区。数据经去标识化与聚合处理，单元格样本量低于二十的记录已合并或删除，"
    "不含任何可识别个人身份的信息。可用于城市规划、交通运营优化、商业选址分析和学术研究。"
    "数据每日更新，提供文件下载、应用程序接口和隐私计算三种交付方式，附数据字典与质量评估报告。"
)


def sample_catalogue(title: str = "城市交通出行 OD 数据", target_bytes: int = 1024) -> dict[str, Any]:
    """A public catalogue whose text fields add up to about ``target_bytes`` of UTF-8."""
    description = SAMPLE_DESCRIPTION
    base = len(title.encode()) + 60
    while len(description.encode()) + base < target_bytes:
        description += SAMPLE_DESCRIPTION
    raw = description.encode()[: max(0, target_bytes - base)]
    description = raw.decode("utf-8", errors="ignore")
    return {
        "title": title,
        "description": description,
        "keywords": ["交通", "出行", "OD"],
        "category": "交通运输",
        "product_form": "dataset",
        "delivery_modes": ["file", "api", "privacy_computing"],
        "price_fen": 5_000_000,
    }


def catalogue_text_bytes(catalogue: dict[str, Any]) -> int:
    return len(json.dumps(catalogue, ensure_ascii=False).encode())


def sample_policy(**overrides: Any) -> dict[str, Any]:
    """A general-grade, de-identified product with consent evidence, mainland only."""
    policy: dict[str, Any] = {
        "grade": int(Grade.general),
        "openClass": 0,
        "personalInfo": int(PersonalInfo.deidentified),
        "piFlags": 0,
        "consentEvidence": keccak(text="consent evidence"),
        "riskAssessment": b"\0" * 32,
        "authorisationId": b"\0" * 32,
        "purposes": int(Purpose.research | Purpose.urban_planning | Purpose.commercial_analytics),
        "maxTermDays": 365,
        "territory": int(Territory.mainland),
        "onwardTransfer": int(OnwardTransfer.derived_only),
        "modelTraining": True,
        "deliveryModes": int(DeliveryMode.file | DeliveryMode.api | DeliveryMode.privacy_computing),
        "grantingExchanges": 0,
        "priceFloorFen": 1_000_000,
    }
    unknown = set(overrides) - set(policy)
    if unknown:
        raise KeyError(f"unknown policy fields: {sorted(unknown)}")
    policy.update(overrides)
    return policy


def sample_record(provider: str, seed: str, version: int = 1, **policy: Any) -> dict[str, Any]:
    """A ListingRecord whose manifest hash and fingerprint derive from ``seed``."""
    return {
        "provider": provider,
        "version": version,
        "manifestHash": keccak(text=f"manifest:{seed}:{version}"),
        "fingerprint": hashlib.sha256(f"dataset:{seed}:{version}".encode()).digest(),
        "policy": sample_policy(**policy),
    }


def sample_terms(
    listing_id: bytes,
    version: int,
    licensee: str,
    granting_exchange: bytes,
    now: int,
    **overrides: Any,
) -> dict[str, Any]:
    """Licence terms inside :func:`sample_policy`'s envelope: 180 days of research use via API."""
    terms: dict[str, Any] = {
        "listingId": listing_id,
        "version": version,
        "licensee": licensee,
        "grantingExchange": granting_exchange,
        "purposes": int(Purpose.research),
        "start": now,
        "end": now + 180 * DAY,
        "territory": int(Territory.mainland),
        "deliveryMode": int(DeliveryMode.api),
        "onwardTransfer": int(OnwardTransfer.none),
        "modelTraining": False,
        "priceFen": 2_000_000,
        "settlementHash": keccak(text=f"settlement:{listing_id.hex()}:{licensee}:{now}"),
        "deadline": now + 3600,
    }
    unknown = set(overrides) - set(terms)
    if unknown:
        raise KeyError(f"unknown terms fields: {sorted(unknown)}")
    terms.update(overrides)
    return terms
