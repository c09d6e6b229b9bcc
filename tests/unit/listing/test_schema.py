"""The published JSON Schema: generated from the models, and agreeing with them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from jsonschema import Draft202012Validator

from listing.errors import ManifestError
from listing.files import dump_json
from listing.manifest import manifest_from_data, manifest_json_schema
from tests.unit.listing.manifests import edited, valid_manifest

from .json_values import mutated_manifests
from .test_manifest import REFUSED

ROOT = Path(__file__).parents[3]
SCHEMA_FILE = ROOT / "listing" / "schema" / "manifest.schema.json"
EXAMPLES = sorted((ROOT / "examples" / "manifests").glob("*.json"))
VALIDATOR = Draft202012Validator(json.loads(SCHEMA_FILE.read_text("utf-8")))

# What a JSON Schema cannot say; the models check these after the schema.
MODEL_ONLY = {
    "a mixed-case address with a wrong checksum",
    "the zero address",
    "the zero fingerprint",
    "a date that is not on the calendar",
    # JSON Schema counts 1.0 as an integer; the models want the integer written as one.
    "a version given as a float is refused",
}


def test_the_checked_in_schema_is_the_one_the_models_generate() -> None:
    assert SCHEMA_FILE.read_text("utf-8") == dump_json(manifest_json_schema()), (
        "regenerate it: .venv/bin/python scripts/generate_manifest_schema.py"
    )


def test_the_schema_is_valid_draft_2020_12() -> None:
    Draft202012Validator.check_schema(manifest_json_schema())


@pytest.mark.parametrize("path", [pytest.param(p, id=f"{p.name} is valid") for p in EXAMPLES])
def test_the_examples_are_valid(path: Path) -> None:
    data = json.loads(path.read_text("utf-8"))
    VALIDATOR.validate(data)
    manifest_from_data(data)


def test_there_are_three_examples() -> None:
    assert len(EXAMPLES) == 3


@pytest.mark.parametrize(
    ("changes", "path"),
    [p for p in REFUSED if p.id not in MODEL_ONLY],
)
def test_what_the_models_refuse_the_schema_refuses(changes: dict[str, Any], path: str) -> None:
    assert not VALIDATOR.is_valid(edited(changes))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_manifests())
def test_what_the_models_accept_the_schema_accepts(value: Any) -> None:
    try:
        manifest_from_data(value)
    except ManifestError:
        return
    assert VALIDATOR.is_valid(value)


def test_the_valid_manifest_is_valid_under_the_schema() -> None:
    VALIDATOR.validate(valid_manifest())
