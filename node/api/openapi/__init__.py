"""The API's OpenAPI 3.1 document, kept in the repository as one JSON file per area.

``base.json`` holds the info, the shared components (the error body) and the health routes;
each area's file (``catalogue.json``, ``submissions.json``, ``staff.json``, ``audit.json``) holds
its ``paths`` and ``components.schemas``. :func:`document` merges them; ``/openapi.json`` serves
the result and the tests validate every response against it.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

AREA_FILES = ("catalogue.json", "submissions.json", "staff.json", "audit.json")


def _load(name: str) -> dict[str, Any] | None:
    path = resources.files("node.api.openapi").joinpath(name)
    if not path.is_file():
        return None
    value: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return value


@functools.cache
def document() -> dict[str, Any]:
    doc = _load("base.json")
    assert doc is not None
    for name in AREA_FILES:
        area = _load(name)
        if area is None:
            continue
        for path, item in area.get("paths", {}).items():
            if path in doc["paths"]:
                raise ValueError(f"{name}: path {path} is declared twice")
            doc["paths"][path] = item
        for key, schema in area.get("components", {}).get("schemas", {}).items():
            if key in doc["components"]["schemas"]:
                raise ValueError(f"{name}: schema {key} is declared twice")
            doc["components"]["schemas"][key] = schema
        for key, scheme in area.get("components", {}).get("securitySchemes", {}).items():
            doc["components"].setdefault("securitySchemes", {})[key] = scheme
    return doc
