"""Manifest dictionaries for the listing tests: one valid base and a way to edit it by path."""

from __future__ import annotations

import copy
import hashlib
import re
from typing import Any

PROVIDER = "0x775fF6Ca9F318ddEc76f74DE74D4317776fe831B"
OTHER_PROVIDER = "0xFd0370343459e6Ae20513b61F660F5b331c8F20b"
DELETE = object()


def h(label: str) -> str:
    """A stand-in document hash."""
    return "0x" + hashlib.sha256(label.encode()).hexdigest()


def document(label: str, *, assessor: str = "某律师事务所（评估律师：陈静）") -> dict[str, Any]:
    return {
        "algorithm": "sha256",
        "hash": h(label),
        "assessor": assessor,
        "issued_at": "2026-10-01",
    }


FINGERPRINT = h("dataset")

_BASE: dict[str, Any] = {
    "product_ref": "TEST-001",
    "version": 1,
    "provider": PROVIDER,
    "home_exchange": "SH",
    "catalogue": {
        "title": "测试数据产品",
        "description": "用于单元测试的数据产品。",
        "keywords": ["测试", "交通"],
        "category": "交通运输",
        "product_form": "dataset",
        "update_frequency": "monthly",
        "coverage": {"time_from": "2025-01-01", "time_to": "2025-12-31", "regions": ["310000"]},
        "field_schema": [{"name": "grid_id", "type": "string", "description": "网格编号"}],
        "delivery_modes": ["file"],
        "price_model": "one_off",
        "price_fen": 100000,
    },
    "classification": {"grade": "general", "open_class": "not_public"},
    "personal_information": {"status": "none", "sensitive": False, "under_14": False},
    "source": {"kind": "self_produced", "evidence": []},
    "fingerprint": FINGERPRINT,
    "evidence": {
        "product_description": document("pd"),
        "compliance_assessment": document("ca"),
        "quality_assessment": document("qa"),
        "undertaking": document("ut"),
    },
    "usage": {
        "purposes": ["research"],
        "max_term_days": 365,
        "territory": "mainland",
        "onward_transfer": "none",
        "model_training": False,
        "granting_exchanges": "all",
        "price_floor_fen": 50000,
    },
}

_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _steps(path: str) -> list[str | int]:
    return [int(i) if i else key for key, i in _STEP.findall(path)]


def valid_manifest() -> dict[str, Any]:
    """A fresh copy of a manifest that loads and passes every rule."""
    return copy.deepcopy(_BASE)


def edited(changes: dict[str, Any], base: dict[str, Any] | None = None) -> dict[str, Any]:
    """A copy of ``base`` (default the valid manifest) with ``changes`` by dotted path.

    A value of ``DELETE`` makes sure the member is absent.
    """
    data = copy.deepcopy(base) if base is not None else valid_manifest()
    for path, value in changes.items():
        *parents, last = _steps(path)
        node: Any = data
        for step in parents:
            node = node[step]
        if value is DELETE:
            node.pop(last, None) if isinstance(node, dict) else node.pop(last)
        else:
            node[last] = copy.deepcopy(value)
    return data
