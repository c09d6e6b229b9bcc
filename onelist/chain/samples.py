"""Realistic sample listings and licences for demos, benchmarks and tests (pure, no I/O)."""

from __future__ import annotations

import hashlib
from typing import Any

from eth_utils import keccak

from onelist.codes import DeliveryMode, Grade, OnwardTransfer, PersonalInfo, Purpose, Territory

DAY = 24 * 3600

# A realistic public description (no repetition, so compression is not flattered).
SAMPLE_DESCRIPTION = (
    "本数据产品汇集某超大城市轨道交通刷卡、地面公交定位与共享单车订单三类来源的出行起讫点统计，"
    "以五百米网格和十五分钟时段为单元聚合，覆盖全市十六个行政区及两个新区，时间跨度为二〇二三年一月至今。"
    "原始记录在数据提供方内部完成去标识化处理：乘客卡号经加盐哈希后丢弃，定位轨迹截断至网格中心，"
    "样本量低于二十的单元格与相邻单元合并，发布前经第三方机构开展重识别风险评估。"
    "产品字段包括出发网格、到达网格、出发时段、出行方式、出行量、平均时长与平均距离，附完整数据字典。"
    "适用场景：国土空间规划中的职住平衡分析、公交线网优化与客流预测、商业网点选址评估、应急疏散模拟"
    "以及高校学术研究。交付方式支持按月文件下载、限流应用程序接口查询和隐私计算平台联合建模三种，"
    "隐私计算方式下原始明细不出域。"
)


def sample_catalogue(title: str = "城市交通出行 OD 数据（网格聚合）") -> dict[str, Any]:
    """A public catalogue with about 1 KB of Chinese text (title, description, keywords)."""
    return {
        "title": title,
        "description": SAMPLE_DESCRIPTION,
        "keywords": ["交通", "出行", "OD", "城市规划", "客流"],
        "category": "交通运输",
        "product_form": "dataset",
        "update_frequency": "daily",
        "delivery_modes": ["file", "api", "privacy_computing"],
        "price_model": "按年订阅",
        "price_fen": 5_000_000,
    }


def catalogue_text_bytes(catalogue: dict[str, Any]) -> int:
    """UTF-8 bytes of the human-written text: title, description, keywords, category."""
    texts = [catalogue["title"], catalogue["description"], catalogue["category"]]
    return sum(len(t.encode()) for t in [*texts, *catalogue["keywords"]])


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
