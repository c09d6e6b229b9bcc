"""The manifest models: strict, every refusal named by its JSON path."""

from __future__ import annotations

import typing
from enum import Enum
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from listing import manifest as m
from listing.errors import ManifestError
from listing.files import parse_json
from listing.hashing import manifest_hash
from listing.manifest import format_path, manifest_document, manifest_from_data
from onelist import codes
from tests.unit.listing.manifests import DELETE, edited, valid_manifest

from .json_values import json_values, mutated_manifests

# The manifest spells each shared enumeration with the member names of onelist.codes.
SHARED_ENUMS = [
    pytest.param(m.GradeName, codes.Grade, id="grade names are codes.Grade's"),
    pytest.param(m.OpenClassName, codes.OpenClass, id="open class names are codes.OpenClass's"),
    pytest.param(
        m.PersonalInfoName, codes.PersonalInfo, id="PI status names are codes.PersonalInfo's"
    ),
    pytest.param(m.SourceName, codes.Source, id="source kinds are codes.Source's"),
    pytest.param(m.PurposeName, codes.Purpose, id="purposes are codes.Purpose's"),
    pytest.param(m.TerritoryName, codes.Territory, id="territories are codes.Territory's"),
    pytest.param(
        m.OnwardTransferName, codes.OnwardTransfer, id="onward transfers are codes.OnwardTransfer's"
    ),
    pytest.param(
        m.DeliveryModeName, codes.DeliveryMode, id="delivery modes are codes.DeliveryMode's"
    ),
    pytest.param(m.ProductFormName, codes.ProductForm, id="product forms are codes.ProductForm's"),
]


@pytest.mark.parametrize(("literal", "enum"), SHARED_ENUMS)
def test_enumerations_agree_with_codes(literal: Any, enum: type[Enum]) -> None:
    assert list(typing.get_args(literal)) == list(enum.__members__)


def test_pi_flags_are_the_manifests_booleans() -> None:
    assert list(codes.PIFlag.__members__) == ["sensitive", "under_14"]
    assert set(codes.PIFlag.__members__) <= set(m.PersonalInformation.model_fields)


def test_the_valid_manifest_loads_and_its_normal_form_is_the_input() -> None:
    data = valid_manifest()
    assert manifest_document(manifest_from_data(data)) == data


def test_null_optional_members_are_dropped_from_the_normal_form() -> None:
    data = edited({"source.authorisation_id": None})
    assert manifest_document(manifest_from_data(data)) == valid_manifest()


REFUSED = [
    pytest.param({"surprise": 1}, "surprise", id="an unknown top-level field is refused"),
    pytest.param({"catalogue.colour": "red"}, "catalogue.colour", id="an unknown nested field"),
    pytest.param({"catalogue.标签": "x"}, 'catalogue["标签"]', id="an unknown Chinese key quoted"),
    pytest.param({"version": "1"}, "version", id="a version given as a string is not coerced"),
    pytest.param({"version": 1.0}, "version", id="a version given as a float is refused"),
    pytest.param({"version": True}, "version", id="a version given as a boolean is refused"),
    pytest.param({"version": 0}, "version", id="version zero is refused"),
    pytest.param({"version": 2**32}, "version", id="a version beyond uint32 is refused"),
    pytest.param({"product_ref": ""}, "product_ref", id="an empty product reference"),
    pytest.param({"product_ref": "a" * 129}, "product_ref", id="a product reference too long"),
    pytest.param({"product_ref": "a\nb"}, "product_ref", id="a product reference with a newline"),
    pytest.param({"provider": "0x12"}, "provider", id="a short provider address"),
    pytest.param(
        {"provider": "0x775ff6Ca9F318ddEc76f74DE74D4317776fe831B"},
        "provider",
        id="a mixed-case address with a wrong checksum",
    ),
    pytest.param({"provider": "0x" + "0" * 40}, "provider", id="the zero address"),
    pytest.param({"home_exchange": "sh"}, "home_exchange", id="a lower-case exchange code"),
    pytest.param({"home_exchange": "SHANGHAI1"}, "home_exchange", id="an exchange code of 9"),
    pytest.param({"catalogue.title": "题" * 101}, "catalogue.title", id="a 101-character title"),
    pytest.param({"catalogue.title": DELETE}, "catalogue.title", id="a missing title"),
    pytest.param(
        {"catalogue.keywords[1]": "词" * 21}, "catalogue.keywords[1]", id="a 21-character keyword"
    ),
    pytest.param(
        {"catalogue.keywords": ["交通", "交通"]}, "catalogue.keywords", id="a repeated keyword"
    ),
    pytest.param({"catalogue.keywords": []}, "catalogue.keywords", id="no keywords"),
    pytest.param(
        {"catalogue.description": "d" * 2001}, "catalogue.description", id="a long description"
    ),
    pytest.param(
        {"catalogue.product_form": "Dataset"}, "catalogue.product_form", id="a misspelt form"
    ),
    pytest.param(
        {"catalogue.coverage.regions[0]": "990000"},
        "catalogue.coverage.regions[0]",
        id="a region outside GB/T 2260's provinces",
    ),
    pytest.param(
        {"catalogue.coverage.regions[0]": 310000},
        "catalogue.coverage.regions[0]",
        id="a region code given as a number",
    ),
    pytest.param(
        {"catalogue.coverage.time_from": "2025-02-30"},
        "catalogue.coverage.time_from",
        id="a date that is not on the calendar",
    ),
    pytest.param(
        {"catalogue.coverage.time_from": "2025/01/01"},
        "catalogue.coverage.time_from",
        id="a date in the wrong format",
    ),
    pytest.param(
        {"catalogue.field_schema[0].type": "varchar"},
        "catalogue.field_schema[0].type",
        id="an unknown field type",
    ),
    pytest.param(
        {"catalogue.delivery_modes": ["file", "file"]},
        "catalogue.delivery_modes",
        id="a delivery mode twice",
    ),
    pytest.param({"catalogue.price_fen": -1}, "catalogue.price_fen", id="a negative price"),
    pytest.param(
        {"catalogue.price_fen": 2**53}, "catalogue.price_fen", id="a price JSON cannot carry"
    ),
    pytest.param({"classification.grade": "secret"}, "classification.grade", id="an unknown grade"),
    pytest.param(
        {"personal_information.sensitive": "false"},
        "personal_information.sensitive",
        id="a flag given as a string",
    ),
    pytest.param(
        {"personal_information.under_14": 0},
        "personal_information.under_14",
        id="a flag given as a number",
    ),
    pytest.param({"fingerprint": "0x" + "0" * 64}, "fingerprint", id="the zero fingerprint"),
    pytest.param({"fingerprint": "0x" + "A" * 64}, "fingerprint", id="an upper-case hash"),
    pytest.param({"fingerprint": "ab" * 32}, "fingerprint", id="a hash without 0x"),
    pytest.param(
        {"source.evidence": ["0x1234"]}, "source.evidence[0]", id="a short source evidence hash"
    ),
    pytest.param(
        {"evidence.undertaking.algorithm": "md5"},
        "evidence.undertaking.algorithm",
        id="an unsupported document hash algorithm",
    ),
    pytest.param(
        {"evidence.undertaking.assessor": "a\tb"},
        "evidence.undertaking.assessor",
        id="an assessor with a control character",
    ),
    pytest.param({"evidence.report": {}}, "evidence.report", id="an unknown evidence document"),
    pytest.param(
        {"usage.purposes": ["spying"]}, "usage.purposes[0]", id="a purpose not in codes.Purpose"
    ),
    pytest.param({"usage.max_term_days": 65536}, "usage.max_term_days", id="a term beyond uint16"),
    pytest.param(
        {"usage.granting_exchanges": "ALL"},
        "usage.granting_exchanges",
        id="granting exchanges spelt ALL",
    ),
    pytest.param(
        {"usage.granting_exchanges": ["SH", "bj"]},
        "usage.granting_exchanges[1]",
        id="a bad code in the granting list, named by index",
    ),
    pytest.param(
        {"usage.granting_exchanges": []},
        "usage.granting_exchanges",
        id="an empty granting list (0 would mean all)",
    ),
    pytest.param(
        {"usage.granting_exchanges": 7},
        "usage.granting_exchanges",
        id="granting exchanges given as a number",
    ),
]


@pytest.mark.parametrize(("changes", "path"), REFUSED)
def test_a_refused_manifest_names_the_field(changes: dict[str, Any], path: str) -> None:
    with pytest.raises(ManifestError) as caught:
        manifest_from_data(edited(changes))
    assert [issue.path for issue in caught.value.issues] == [path]


def test_every_problem_is_listed_and_the_message_names_the_first() -> None:
    data = edited({"version": "1", "catalogue.keywords[1]": "词" * 21, "extra": 1})
    with pytest.raises(ManifestError) as caught:
        manifest_from_data(data, where="m.json")
    paths = [issue.path for issue in caught.value.issues]
    assert paths == ["version", "catalogue.keywords[1]", "extra"]
    assert str(caught.value).startswith("m.json: version: ")
    assert "(and 2 more problems" in str(caught.value)


@pytest.mark.parametrize(
    ("value", "path"),
    [
        pytest.param([], "(root)", id="a list is not a manifest"),
        pytest.param("manifest", "(root)", id="a string is not a manifest"),
        pytest.param(None, "(root)", id="null is not a manifest"),
    ],
)
def test_a_non_object_is_refused_at_the_root(value: Any, path: str) -> None:
    with pytest.raises(ManifestError) as caught:
        manifest_from_data(value)
    assert caught.value.issues[0].path == path


@pytest.mark.parametrize(
    ("loc", "data", "path"),
    [
        pytest.param((), {}, "(root)", id="the empty location is the root"),
        pytest.param(("a", "b"), {"a": {"b": 1}}, "a.b", id="keys join with dots"),
        pytest.param(("a", 2), {"a": [0, 1, 2]}, "a[2]", id="indexes are bracketed"),
        pytest.param(("a b",), {"a b": 1}, '["a b"]', id="a key with a space is quoted"),
        pytest.param(
            ("u", "list", 1), {"u": ["x", "y"]}, "u[1]", id="a union tag is not a JSON key"
        ),
        pytest.param(("missing",), {}, "missing", id="a missing key is still named"),
    ],
)
def test_format_path(loc: tuple[int | str, ...], data: Any, path: str) -> None:
    assert format_path(loc, data) == path


@pytest.mark.parametrize(
    ("text", "path", "fragment"),
    [
        pytest.param('{\n  "a": 1,\n  "b": \n}', "line 4 column 1", "malformed", id="bad JSON"),
        pytest.param(
            '{"a": 1, "a": 2}', "line 1 column 10", 'duplicate key "a"', id="a duplicate key"
        ),
        pytest.param('{"a": NaN}', "(root)", "NaN is not JSON", id="NaN is not JSON"),
        pytest.param(b"\xff{}", "(root)", "not UTF-8", id="bytes that are not UTF-8"),
        pytest.param("[" * 100_000, "(root)", "nested deeper than 64", id="absurd nesting"),
    ],
)
def test_parse_json_refuses_with_line_and_column(
    text: str | bytes, path: str, fragment: str
) -> None:
    with pytest.raises(ManifestError) as caught:
        parse_json(text, where="m.json", error=ManifestError)
    issue = caught.value.issues[0]
    assert issue.path == path
    assert fragment in issue.message


def test_parse_json_ignores_a_byte_order_mark() -> None:
    assert parse_json(b'\xef\xbb\xbf{"a": 1}', where="m.json") == {"a": 1}


def _loads_or_refuses_with_a_path(value: Any) -> None:
    try:
        manifest = manifest_from_data(value)
    except ManifestError as exc:
        assert exc.issues
        assert all(issue.path and issue.message for issue in exc.issues)
        return
    # Whatever loads has a normal form that canonicalises, hence a hash.
    assert manifest_hash(manifest).startswith("0x")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values())
def test_any_json_value_loads_or_is_refused_with_a_path(value: Any) -> None:
    _loads_or_refuses_with_a_path(value)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_manifests())
def test_any_mutation_of_a_manifest_loads_or_is_refused_with_a_path(value: Any) -> None:
    _loads_or_refuses_with_a_path(value)


@given(st.text())
@settings(max_examples=100, deadline=None)
def test_any_text_parses_or_is_refused_with_a_position(text: str) -> None:
    try:
        value = parse_json(text, where="m.json", error=ManifestError)
    except ManifestError as exc:
        assert exc.issues[0].path
        return
    _loads_or_refuses_with_a_path(value)
