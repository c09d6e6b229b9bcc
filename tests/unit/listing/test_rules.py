"""The compliance rules, one table each: pass at the boundary, fail just past it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from listing.errors import ManifestError
from listing.manifest import Manifest, manifest_from_data
from listing.rules import (
    CHINA_STANDARD_TIME,
    RULES,
    Context,
    Rule,
    check_manifest,
    findings_from_error,
    has_errors,
    required_evidence,
    rule_catalogue_sanity,
    rule_core_refused,
    rule_envelope_sanity,
    rule_evidence_documents,
    rule_fingerprint_unique,
    rule_important_data,
    rule_listing_identity,
    rule_no_personal_information_in_catalogue,
    rule_personal_information,
    rule_public_data,
)
from tests.unit.listing.json_values import mutated_manifests
from tests.unit.listing.manifests import (
    DELETE,
    FINGERPRINT,
    OTHER_PROVIDER,
    PROVIDER,
    document,
    edited,
    h,
    valid_manifest,
)

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=CHINA_STANDARD_TIME)
CONTEXT = Context(now=NOW)

Expected = list[tuple[str, str]]  # (severity, path)


def run(rule: Rule, changes: dict[str, Any], context: Context = CONTEXT) -> Expected:
    manifest = manifest_from_data(edited(changes))
    return [(f.severity, f.path) for f in rule(manifest, context)]


def test_the_base_manifest_passes_every_rule() -> None:
    assert check_manifest(manifest_from_data(valid_manifest()), CONTEXT) == []


# R1 ------------------------------------------------------------------------------------------

R1 = [
    pytest.param({}, [], id="general data passes"),
    pytest.param(
        {"classification.grade": "important", "evidence.risk_assessment": document("ra")},
        [],
        id="important data, the highest listable grade, passes R1",
    ),
    pytest.param(
        {"classification.grade": "core"},
        [("error", "classification.grade")],
        id="core data is refused",
    ),
]


@pytest.mark.parametrize(("changes", "expected"), R1)
def test_r1_core_data_is_never_listed(changes: dict[str, Any], expected: Expected) -> None:
    assert run(rule_core_refused, changes) == expected


# R2 ------------------------------------------------------------------------------------------

IMPORTANT = {"classification.grade": "important", "evidence.risk_assessment": document("ra")}
R2 = [
    pytest.param(IMPORTANT, [], id="important data with a risk assessment, mainland, passes"),
    pytest.param(
        {**IMPORTANT, "evidence.risk_assessment": DELETE},
        [("error", "evidence.risk_assessment")],
        id="important data without a risk assessment fails",
    ),
    pytest.param(
        {
            **IMPORTANT,
            "usage.territory": "cross_border",
            "usage.cross_border_legal_basis": "security_assessment",
        },
        [("error", "usage.territory")],
        id="important data may not go cross-border even with a legal basis",
    ),
    pytest.param(
        {
            "usage.territory": "cross_border",
            "usage.cross_border_legal_basis": "standard_contract",
        },
        [],
        id="general data may go cross-border as far as R2 is concerned",
    ),
    pytest.param(
        {"evidence.risk_assessment": DELETE}, [], id="general data needs no risk assessment"
    ),
]


@pytest.mark.parametrize(("changes", "expected"), R2)
def test_r2_important_data(changes: dict[str, Any], expected: Expected) -> None:
    assert run(rule_important_data, changes) == expected


# R3 ------------------------------------------------------------------------------------------

AUTHORISED = {
    "classification.open_class": "conditional",
    "source.kind": "public_data_authorised",
    "source.authorisation_id": "沪公数授运〔2025〕第007号",
    "source.authorisation_valid_until": "2026-11-25",
    "source.evidence": [h("authorisation")],
}
LAST_SECOND = dt.datetime(2026, 11, 25, 23, 59, 59, tzinfo=CHINA_STANDARD_TIME)
R3 = [
    pytest.param(
        AUTHORISED, [], id="an authorisation valid until today passes (the day is inclusive)"
    ),
    pytest.param(
        {**AUTHORISED, "source.authorisation_valid_until": "2026-11-24"},
        [("error", "source.authorisation_valid_until")],
        id="an authorisation that ended yesterday fails",
    ),
    pytest.param(
        {**AUTHORISED, "source.authorisation_id": DELETE},
        [("error", "source.authorisation_id")],
        id="conditional open data without an authorisation id fails",
    ),
    pytest.param(
        {**AUTHORISED, "source.authorisation_valid_until": DELETE},
        [("error", "source.authorisation_valid_until")],
        id="an authorisation without a validity fails",
    ),
    pytest.param(
        {**AUTHORISED, "classification.open_class": "unconditional"},
        [],
        id="unconditional open data under authorised operation passes",
    ),
    pytest.param(
        {**AUTHORISED, "classification.open_class": "not_open"},
        [("error", "classification.open_class")],
        id="public data classed not_open fails",
    ),
    pytest.param(
        {**AUTHORISED, "classification.open_class": "not_public"},
        [("error", "classification.open_class")],
        id="authorised operation that does not state the open class fails",
    ),
    pytest.param(
        {
            "source.kind": "public_data_authorised",
            "classification.open_class": "unconditional",
            "source.evidence": [h("x")],
        },
        [
            ("error", "source.authorisation_id"),
            ("error", "source.authorisation_valid_until"),
        ],
        id="authorised operation always needs its authorisation id",
    ),
    pytest.param(
        {"classification.open_class": "unconditional"},
        [("warning", "source.kind")],
        id="public data not under authorised operation is a warning",
    ),
]


@pytest.mark.parametrize(("changes", "expected"), R3)
def test_r3_public_data(changes: dict[str, Any], expected: Expected) -> None:
    assert run(rule_public_data, changes) == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        pytest.param(LAST_SECOND, [], id="in force at the last second of its day in Beijing"),
        pytest.param(
            LAST_SECOND + dt.timedelta(seconds=1),
            [("error", "source.authorisation_valid_until")],
            id="expired one second later",
        ),
        pytest.param(
            dt.datetime(2026, 11, 25, 15, 59, 59, tzinfo=dt.UTC),
            [],
            id="15:59:59 UTC is still the same day in China",
        ),
        pytest.param(
            dt.datetime(2026, 11, 25, 16, 0, 0, tzinfo=dt.UTC),
            [("error", "source.authorisation_valid_until")],
            id="16:00 UTC is already the next day in China",
        ),
    ],
)
def test_r3_in_force_is_decided_in_china_standard_time(
    now: dt.datetime, expected: Expected
) -> None:
    assert run(rule_public_data, AUTHORISED, Context(now=now)) == expected


# R4 ------------------------------------------------------------------------------------------

CONSENT = {"evidence.consent_or_anonymisation_report": document("consent")}
SENSITIVE = {
    "personal_information.status": "identifiable",
    "personal_information.sensitive": True,
    **CONSENT,
    "evidence.separate_consent": document("separate"),
    "evidence.impact_assessment": document("pia"),
}
R4 = [
    pytest.param({"personal_information.status": "none"}, [], id="no PI needs no PI evidence"),
    pytest.param(
        {"personal_information.status": "identifiable", **CONSENT},
        [],
        id="identifiable PI with consent evidence passes",
    ),
    pytest.param(
        {"personal_information.status": "identifiable"},
        [("error", "evidence.consent_or_anonymisation_report")],
        id="identifiable PI without consent evidence fails",
    ),
    pytest.param(
        {"personal_information.status": "deidentified", **CONSENT},
        [],
        id="de-identified data with consent evidence passes",
    ),
    pytest.param(
        {"personal_information.status": "deidentified"},
        [("error", "evidence.consent_or_anonymisation_report")],
        id="de-identified data is still PI and fails without consent",
    ),
    pytest.param(
        {"personal_information.status": "anonymised", **CONSENT},
        [],
        id="anonymised data with an anonymisation report passes",
    ),
    pytest.param(
        {"personal_information.status": "anonymised"},
        [("error", "evidence.consent_or_anonymisation_report")],
        id="anonymised data without an anonymisation report fails",
    ),
    pytest.param(SENSITIVE, [], id="sensitive PI with separate consent and a PIA passes"),
    pytest.param(
        {**SENSITIVE, "evidence.separate_consent": DELETE},
        [("error", "evidence.separate_consent")],
        id="sensitive PI without separate consent fails",
    ),
    pytest.param(
        {**SENSITIVE, "evidence.impact_assessment": DELETE},
        [("error", "evidence.impact_assessment")],
        id="sensitive PI without an impact assessment fails",
    ),
    pytest.param(
        {
            "personal_information.status": "identifiable",
            "personal_information.under_14": True,
            **CONSENT,
            "evidence.guardian_consent": document("guardian"),
        },
        [],
        id="under-14 data with guardian consent passes",
    ),
    pytest.param(
        {"personal_information.status": "identifiable", "personal_information.under_14": True}
        | CONSENT,
        [("error", "evidence.guardian_consent")],
        id="under-14 data without guardian consent fails",
    ),
    pytest.param(
        {
            "personal_information.sensitive": True,
            "evidence.separate_consent": document("s"),
            "evidence.impact_assessment": document("p"),
        },
        [("error", "personal_information.sensitive")],
        id="the sensitive flag on data that is not PI fails",
    ),
    pytest.param(
        {
            "personal_information.status": "anonymised",
            "personal_information.under_14": True,
            "evidence.guardian_consent": document("g"),
            **CONSENT,
        },
        [("error", "personal_information.under_14")],
        id="the under-14 flag on anonymised data fails",
    ),
]


@pytest.mark.parametrize(("changes", "expected"), R4)
def test_r4_personal_information(changes: dict[str, Any], expected: Expected) -> None:
    assert run(rule_personal_information, changes) == expected


# R5 ------------------------------------------------------------------------------------------

R5 = [
    *[
        pytest.param(
            {f"evidence.{kind}": DELETE},
            [("error", f"evidence.{kind}")],
            id=f"a listing without its {kind.replace('_', ' ')} fails",
        )
        for kind in ("product_description", "compliance_assessment", "quality_assessment")
    ],
    pytest.param(
        {"evidence.undertaking": DELETE},
        [("error", "evidence.undertaking")],
        id="a listing without the provider's undertaking fails",
    ),
    pytest.param(
        {"evidence.undertaking.assessor": "李"},
        [],
        id="a one-character assessor is named",
    ),
    pytest.param(
        {"evidence.undertaking.assessor": ""},
        [("error", "evidence.undertaking.assessor")],
        id="an empty assessor is not named",
    ),
    pytest.param(
        {"evidence.undertaking.assessor": "   "},
        [("error", "evidence.undertaking.assessor")],
        id="a blank assessor is not named",
    ),
    pytest.param(
        {"evidence.risk_assessment": document("ra", assessor="")},
        [("error", "evidence.risk_assessment.assessor")],
        id="an optional document present also needs its assessor",
    ),
    pytest.param(
        {"evidence.quality_assessment.issued_at": "2026-11-25"},
        [],
        id="a document issued today passes",
    ),
    pytest.param(
        {"evidence.quality_assessment.issued_at": "2026-11-26"},
        [("warning", "evidence.quality_assessment.issued_at")],
        id="a document issued tomorrow is a warning",
    ),
    pytest.param(
        {"source.kind": "purchased", "source.evidence": [h("contract")]},
        [],
        id="purchased data with a source evidence hash passes",
    ),
    pytest.param(
        {"source.kind": "purchased", "source.evidence": []},
        [("error", "source.evidence")],
        id="purchased data without source evidence fails",
    ),
    pytest.param(
        {"source.kind": "collected", "source.evidence": []},
        [("error", "source.evidence")],
        id="collected data without source evidence fails",
    ),
    pytest.param(
        {"source.kind": "self_produced", "source.evidence": []},
        [],
        id="self-produced data needs no source evidence",
    ),
]


@pytest.mark.parametrize(("changes", "expected"), R5)
def test_r5_evidence_documents(changes: dict[str, Any], expected: Expected) -> None:
    assert run(rule_evidence_documents, changes) == expected


@pytest.mark.parametrize(
    ("changes", "required"),
    [
        pytest.param(
            {},
            {
                "product_description": "R5",
                "compliance_assessment": "R5",
                "quality_assessment": "R5",
                "undertaking": "R5",
            },
            id="every listing needs four documents",
        ),
        pytest.param(
            {**SENSITIVE, "personal_information.under_14": True, **IMPORTANT},
            {
                "product_description": "R5",
                "compliance_assessment": "R5",
                "quality_assessment": "R5",
                "undertaking": "R5",
                "risk_assessment": "R2",
                "consent_or_anonymisation_report": "R4",
                "separate_consent": "R4",
                "impact_assessment": "R4",
                "guardian_consent": "R4",
            },
            id="important sensitive under-14 PI needs all nine, each under its rule",
        ),
    ],
)
def test_required_evidence_by_class(changes: dict[str, Any], required: dict[str, str]) -> None:
    assert required_evidence(manifest_from_data(edited(changes))) == required


def test_a_missing_document_is_reported_once() -> None:
    manifest = manifest_from_data(edited({**IMPORTANT, "evidence.risk_assessment": DELETE}))
    paths = [f.path for f in check_manifest(manifest, CONTEXT)]
    assert paths.count("evidence.risk_assessment") == 1


# R6 ------------------------------------------------------------------------------------------

R6 = [
    pytest.param(None, [], id="without the listed set R6 finds nothing"),
    pytest.param({h("other data"): OTHER_PROVIDER}, [], id="a new fingerprint passes"),
    pytest.param(
        {FINGERPRINT: PROVIDER}, [], id="the same provider may list a new version of its data"
    ),
    pytest.param(
        {FINGERPRINT.upper().replace("0X", "0x"): PROVIDER.lower()},
        [],
        id="fingerprints and providers compare regardless of case",
    ),
    pytest.param(
        {FINGERPRINT: OTHER_PROVIDER},
        [("error", "fingerprint")],
        id="a fingerprint listed by another provider fails",
    ),
]


@pytest.mark.parametrize(("listed", "expected"), R6)
def test_r6_fingerprint_unique(listed: dict[str, str] | None, expected: Expected) -> None:
    context = Context(now=NOW, listed_fingerprints=listed)
    assert run(rule_fingerprint_unique, {}, context) == expected


# ID ------------------------------------------------------------------------------------------

ID = [
    pytest.param({}, [], id="version 1 without a listing id passes"),
    pytest.param({"listing_id": FINGERPRINT}, [], id="version 1 naming its own fingerprint passes"),
    pytest.param(
        {"listing_id": h("another listing")},
        [("error", "listing_id")],
        id="version 1 naming another listing fails",
    ),
    pytest.param(
        {"version": 2, "listing_id": h("first version's data")},
        [],
        id="version 2 naming its listing passes",
    ),
    pytest.param(
        {"version": 2}, [("error", "listing_id")], id="version 2 without a listing id fails"
    ),
]


@pytest.mark.parametrize(("changes", "expected"), ID)
def test_id_listing_identity(changes: dict[str, object], expected: Expected) -> None:
    assert run(rule_listing_identity, changes, CONTEXT) == expected


# ENV -----------------------------------------------------------------------------------------

ENV = [
    pytest.param(
        {"catalogue.price_fen": 50000, "usage.price_floor_fen": 50000},
        [],
        id="a price equal to the floor passes",
    ),
    pytest.param(
        {"catalogue.price_fen": 49999, "usage.price_floor_fen": 50000},
        [("error", "catalogue.price_fen")],
        id="a price one fen below the floor fails",
    ),
    pytest.param(
        {"usage.territory": "cross_border", "usage.cross_border_legal_basis": "certification"},
        [],
        id="cross-border with a legal basis passes",
    ),
    pytest.param(
        {"usage.territory": "cross_border"},
        [("error", "usage.cross_border_legal_basis")],
        id="cross-border without a legal basis fails",
    ),
    pytest.param(
        {"usage.cross_border_legal_basis": "certification"},
        [("warning", "usage.cross_border_legal_basis")],
        id="a legal basis for mainland-only data is a warning",
    ),
    pytest.param({"catalogue.delivery_modes": ["api"]}, [], id="one delivery mode passes"),
    pytest.param(
        {"catalogue.delivery_modes": []},
        [("error", "catalogue.delivery_modes")],
        id="no delivery mode fails",
    ),
    pytest.param({"usage.purposes": ["teaching"]}, [], id="one purpose passes"),
    pytest.param({"usage.purposes": []}, [("error", "usage.purposes")], id="no purpose fails"),
    pytest.param(
        {"usage.granting_exchanges": ["SH"]}, [], id="a granting list with the home passes"
    ),
    pytest.param(
        {"usage.granting_exchanges": ["BJ"]},
        [("warning", "usage.granting_exchanges")],
        id="a granting list without the home exchange is a warning",
    ),
]


@pytest.mark.parametrize(("changes", "expected"), ENV)
def test_env_usage_envelope(changes: dict[str, Any], expected: Expected) -> None:
    assert run(rule_envelope_sanity, changes) == expected


# CAT -----------------------------------------------------------------------------------------

CAT = [
    pytest.param(
        {"catalogue.coverage.time_to": "2025-01-01"},
        [],
        id="a one-day coverage period passes",
    ),
    pytest.param(
        {"catalogue.coverage.time_to": "2024-12-31"},
        [("error", "catalogue.coverage.time_to")],
        id="a period ending the day before it starts fails",
    ),
    pytest.param(
        {"catalogue.coverage.time_to": DELETE}, [], id="an open-ended period (至今) passes"
    ),
]


@pytest.mark.parametrize(("changes", "expected"), CAT)
def test_cat_catalogue(changes: dict[str, Any], expected: Expected) -> None:
    assert run(rule_catalogue_sanity, changes) == expected


def test_the_largest_catalogue_the_schema_allows_fits_the_chain_limit() -> None:
    from listing.hashing import canonical_json
    from onelist.catalogue import MAX_CATALOGUE_BYTES

    wide = "𠀀"  # four bytes in UTF-8, the worst case
    catalogue = {
        "title": wide * 100,
        "description": wide * 2000,
        "keywords": [wide * 19 + chr(0x20000 + i) for i in range(20)],
        "category": wide * 50,
        "product_form": "dataset",
        "update_frequency": "irregular",
        "coverage": {
            "time_from": "2020-01-01",
            "time_to": "2020-01-02",
            "regions": [str(110000 + i) for i in range(500)],
        },
        "field_schema": [
            {"name": wide * 64, "type": "geo_point", "description": wide * 120} for _ in range(64)
        ],
        "delivery_modes": ["file", "api", "sandbox", "privacy_computing"],
        "price_model": "negotiable",
        "price_fen": 2**53 - 1,
    }
    manifest = manifest_from_data(edited({"catalogue": catalogue}))
    size = len(canonical_json(manifest.catalogue.model_dump(mode="json", exclude_none=True)))
    assert size <= MAX_CATALOGUE_BYTES


# PRIV ----------------------------------------------------------------------------------------

PRIV = [
    pytest.param(
        {"catalogue.description": "身份证 11010519491231002X 的持有人"},
        [("error", "catalogue.description")],
        id="a resident id number with a valid check digit in the catalogue fails",
    ),
    pytest.param(
        {"catalogue.description": "编号 110105194912310021"},
        [],
        id="eighteen digits with a wrong check digit pass",
    ),
    pytest.param(
        {"catalogue.keywords[1]": "13812345678"},
        [("warning", "catalogue.keywords[1]")],
        id="a mobile number in a keyword is a warning",
    ),
    pytest.param(
        {"catalogue.keywords[1]": "1381234567"},
        [],
        id="ten digits are not a mobile number",
    ),
    pytest.param(
        {"catalogue.field_schema[0].description": "例如 13912345678"},
        [("warning", "catalogue.field_schema[0].description")],
        id="a sample mobile number in a field description is a warning",
    ),
]


@pytest.mark.parametrize(("changes", "expected"), PRIV)
def test_priv_no_personal_information_in_the_public_catalogue(
    changes: dict[str, Any], expected: Expected
) -> None:
    assert run(rule_no_personal_information_in_catalogue, changes) == expected


# The rule set --------------------------------------------------------------------------------


def test_check_manifest_runs_every_rule_in_order() -> None:
    manifest = manifest_from_data(
        edited(
            {
                "classification.grade": "core",
                "evidence.undertaking": DELETE,
                "usage.purposes": [],
            }
        )
    )
    findings = check_manifest(manifest, CONTEXT)
    assert [f.rule_id for f in findings] == ["R1", "R5", "ENV"]
    assert has_errors(findings)
    assert len(RULES) == 10


def test_a_context_needs_an_aware_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Context(now=dt.datetime(2026, 1, 1))


def test_a_load_failure_becomes_schema_findings() -> None:
    with pytest.raises(ManifestError) as caught:
        manifest_from_data(edited({"version": 0}))
    findings = findings_from_error(caught.value)
    assert [(f.rule_id, f.severity, f.path) for f in findings] == [("SCHEMA", "error", "version")]


def _example(name: str) -> Manifest:
    from pathlib import Path

    from listing.manifest import load_manifest

    return load_manifest(Path(__file__).parents[3] / "examples" / "manifests" / name)


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("traffic-od.json", id="the OD example (identifiable sensitive PI) passes"),
        pytest.param("public-credit.json", id="the authorised public-data example passes"),
        pytest.param("industrial-telemetry.json", id="the important industrial example passes"),
    ],
)
def test_the_examples_pass_every_rule(name: str) -> None:
    assert check_manifest(_example(name), CONTEXT) == []


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_manifests())
def test_any_json_value_is_refused_with_a_path_or_yields_findings(value: Any) -> None:
    try:
        manifest = manifest_from_data(value)
    except ManifestError as exc:
        assert all(issue.path and issue.message for issue in exc.issues)
        return
    for finding in check_manifest(manifest, CONTEXT):
        assert finding.rule_id and finding.path and finding.message
        assert finding.severity in ("error", "warning")
