"""The compliance rules of DOMAIN.md, as pure functions ``(manifest, context) -> findings``.

The provider runs them with ``onelist listing check``; the home exchange's node runs the same
functions before a human reviews the listing. A rule never raises for a valid manifest: it
returns findings, each naming the rule, its severity, the field's JSON path and a message in
Chinese and English. Any ``error`` finding blocks the listing; warnings are for the reviewer.

Rule ids: R1-R6 are DOMAIN.md's rules 1-6 (rule 7 is about grants, not listings); ID checks
the listing id a later version names; ENV checks
the usage envelope, CAT the public catalogue, PRIV that the catalogue (public, on chain) does
not carry personal information. SCHEMA findings come from a manifest that failed to load.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from listing.errors import ManifestError
from listing.manifest import EVIDENCE_KINDS, Manifest

__all__ = [
    "CHINA_STANDARD_TIME",
    "RULES",
    "Context",
    "Finding",
    "Severity",
    "check_manifest",
    "findings_from_error",
    "has_errors",
    "required_evidence",
    "rule_catalogue_sanity",
    "rule_core_refused",
    "rule_envelope_sanity",
    "rule_evidence_documents",
    "rule_fingerprint_unique",
    "rule_important_data",
    "rule_listing_identity",
    "rule_no_personal_information_in_catalogue",
    "rule_personal_information",
    "rule_public_data",
]

Severity = Literal["error", "warning"]
CHINA_STANDARD_TIME = dt.timezone(dt.timedelta(hours=8), "CST")

ALWAYS_REQUIRED: tuple[str, ...] = EVIDENCE_KINDS[:4]

EVIDENCE_LABELS: dict[str, str] = {
    "product_description": "数据产品说明书 / product description",
    "compliance_assessment": "合规评估 / compliance assessment",
    "quality_assessment": "质量评估 / quality assessment",
    "undertaking": "承诺书 / provider's undertaking",
    "consent_or_anonymisation_report": "授权同意证明或匿名化报告 / consent or anonymisation report",
    "risk_assessment": "风险评估 / risk assessment",
    "separate_consent": "单独同意证明 / separate consent",
    "impact_assessment": "个人信息保护影响评估 / PI protection impact assessment",
    "guardian_consent": "监护人同意证明 / guardian consent",
}


@dataclass(frozen=True)
class Finding:
    """One result of a rule: ``path`` is the JSON path of the field concerned."""

    rule_id: str
    severity: Severity
    path: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {
            "rule_id": self.rule_id,
            "severity": self.severity,
            "path": self.path,
            "message": self.message,
        }


@dataclass(frozen=True)
class Context:
    """What the rules need beyond the manifest.

    ``now`` (timezone-aware) decides whether an authorisation is in force; dates in the
    manifest are calendar days in China Standard Time. ``listed_fingerprints`` maps the
    fingerprints already listed on chain to their providers (rule R6); ``None`` when the
    caller does not know them (the provider's machine), and R6 then finds nothing.
    """

    now: dt.datetime
    listed_fingerprints: Mapping[str, str] | None = field(default=None)

    def __post_init__(self) -> None:
        if self.now.tzinfo is None or self.now.utcoffset() is None:
            raise ValueError("Context.now must be timezone-aware")

    @property
    def today(self) -> dt.date:
        """Today's date in China Standard Time."""
        return self.now.astimezone(CHINA_STANDARD_TIME).date()


Rule = Callable[[Manifest, Context], list[Finding]]


def _error(rule_id: str, path: str, message: str) -> Finding:
    return Finding(rule_id, "error", path, message)


def _warning(rule_id: str, path: str, message: str) -> Finding:
    return Finding(rule_id, "warning", path, message)


def required_evidence(manifest: Manifest) -> dict[str, str]:
    """The evidence documents the manifest's class requires, each with the rule requiring it.

    Each missing document is reported once, by the rule that requires it: the four every
    listing needs by R5, the risk assessment by R2, the PI documents by R4.
    """
    required = dict.fromkeys(ALWAYS_REQUIRED, "R5")
    if manifest.classification.grade == "important":
        required["risk_assessment"] = "R2"
    pi = manifest.personal_information
    if pi.status != "none":
        required["consent_or_anonymisation_report"] = "R4"
    if pi.sensitive:
        required["separate_consent"] = "R4"
        required["impact_assessment"] = "R4"
    if pi.under_14:
        required["guardian_consent"] = "R4"
    return required


def _missing(manifest: Manifest, rule_id: str, why: dict[str, str]) -> Iterator[Finding]:
    for kind, requiring in required_evidence(manifest).items():
        if requiring == rule_id and manifest.evidence.get(kind) is None:
            yield _error(
                rule_id, f"evidence.{kind}", f"缺少{EVIDENCE_LABELS[kind]}: {why.get(kind, '')}"
            )


def rule_core_refused(manifest: Manifest, context: Context) -> list[Finding]:
    """R1: core data (核心数据) is never listed (DSL art. 21)."""
    if manifest.classification.grade == "core":
        return [
            _error(
                "R1",
                "classification.grade",
                "核心数据不得挂牌 / core data is never listed (DSL art. 21)",
            )
        ]
    return []


def rule_important_data(manifest: Manifest, context: Context) -> list[Finding]:
    """R2: important data needs a risk assessment (DSL art. 30) and stays in the mainland."""
    if manifest.classification.grade != "important":
        return []
    why = {"risk_assessment": "important data needs a risk assessment (DSL art. 30)"}
    findings = list(_missing(manifest, "R2", why))
    if manifest.usage.territory == "cross_border":
        findings.append(
            _error(
                "R2",
                "usage.territory",
                "重要数据不得授权出境 / important data may not be licensed cross-border "
                "(DSL art. 31)",
            )
        )
    return findings


def rule_public_data(manifest: Manifest, context: Context) -> list[Finding]:
    """R3: 不予开放 is never listed; 有条件开放 needs an authorisation id in force.

    Public data under authorised operation (source ``public_data_authorised``) states its
    open class and its authorisation id, which must be in force on ``context.today``
    (``authorisation_valid_until`` is the last day, inclusive).
    """
    open_class = manifest.classification.open_class
    source = manifest.source
    findings: list[Finding] = []
    if open_class == "not_open":
        findings.append(
            _error(
                "R3",
                "classification.open_class",
                "不予开放的公共数据不得挂牌 / public data classed not_open is never listed",
            )
        )
    if source.kind == "public_data_authorised" and open_class == "not_public":
        findings.append(
            _error(
                "R3",
                "classification.open_class",
                "授权运营的公共数据须注明开放属性 / public data under authorised operation "
                "must state its open class",
            )
        )
    if open_class in ("unconditional", "conditional") and source.kind != "public_data_authorised":
        findings.append(
            _warning(
                "R3",
                "source.kind",
                "公共数据通常经授权运营挂牌 / public data is normally listed under authorised "
                f"operation, source is {source.kind}",
            )
        )
    if open_class == "conditional" or source.kind == "public_data_authorised":
        why = "有条件开放" if open_class == "conditional" else "公共数据授权运营"
        if source.authorisation_id is None:
            findings.append(
                _error(
                    "R3",
                    "source.authorisation_id",
                    f"{why}须提供授权编号 / an authorisation id is required",
                )
            )
        until = source.authorisation_valid_until
        if until is None:
            findings.append(
                _error(
                    "R3",
                    "source.authorisation_valid_until",
                    f"{why}须注明授权有效期 / the authorisation's validity must be stated",
                )
            )
        elif dt.date.fromisoformat(until) < context.today:
            findings.append(
                _error(
                    "R3",
                    "source.authorisation_valid_until",
                    f"授权已于 {until} 到期 / the authorisation expired on {until} "
                    f"(today is {context.today.isoformat()})",
                )
            )
    return findings


def rule_personal_information(manifest: Manifest, context: Context) -> list[Finding]:
    """R4: PI needs consent; sensitive PI separate consent and an impact assessment; under-14
    data guardian consent; anonymised data an anonymisation report (PIPL arts. 13, 28-31,
    55-56, 73)."""
    pi = manifest.personal_information
    consent_why = {
        "identifiable": "personal information needs consent evidence (PIPL art. 13)",
        "deidentified": "去标识化数据仍是个人信息 / de-identified data is still personal "
        "information and needs consent evidence (PIPL art. 73)",
        "anonymised": "anonymised data needs an anonymisation report",
    }
    why = {
        "consent_or_anonymisation_report": consent_why.get(pi.status, ""),
        "separate_consent": "sensitive PI needs separate consent (PIPL art. 29)",
        "impact_assessment": "sensitive PI needs an impact assessment (PIPL art. 55)",
        "guardian_consent": "under-14 data needs guardian consent (PIPL art. 31)",
    }
    findings = list(_missing(manifest, "R4", why))
    if pi.status in ("none", "anonymised"):
        for flag in ("sensitive", "under_14"):
            if getattr(pi, flag):
                findings.append(
                    _error(
                        "R4",
                        f"personal_information.{flag}",
                        f"{flag} 仅适用于个人信息 / the {flag} flag describes personal "
                        f"information, but status is {pi.status}",
                    )
                )
    return findings


def rule_evidence_documents(manifest: Manifest, context: Context) -> list[Finding]:
    """R5: every evidence document the data's class requires is present, its assessor named.

    The four documents every listing needs are reported here; class-specific ones by R2/R4.
    Source evidence is required unless the data is self-produced.
    """
    why = dict.fromkeys(ALWAYS_REQUIRED, "required for every listing")
    findings = list(_missing(manifest, "R5", why))
    for kind in EVIDENCE_KINDS:
        document = manifest.evidence.get(kind)
        if document is None:
            continue
        if not document.assessor.strip():
            findings.append(
                _error(
                    "R5",
                    f"evidence.{kind}.assessor",
                    "须注明出具机构或评估人 / the assessor must be named",
                )
            )
        if dt.date.fromisoformat(document.issued_at) > context.today:
            findings.append(
                _warning(
                    "R5",
                    f"evidence.{kind}.issued_at",
                    f"出具日期在未来 / issued_at {document.issued_at} is after today "
                    f"({context.today.isoformat()})",
                )
            )
    if manifest.source.kind != "self_produced" and not manifest.source.evidence:
        findings.append(
            _error(
                "R5",
                "source.evidence",
                f"须提供来源证明 / source {manifest.source.kind} needs evidence hashes "
                "(contract, authorisation or purchase record)",
            )
        )
    return findings


def rule_fingerprint_unique(manifest: Manifest, context: Context) -> list[Finding]:
    """R6: a dataset fingerprint already listed by a different provider is refused."""
    listed = context.listed_fingerprints
    if not listed:
        return []
    by_fingerprint = {fp.lower(): provider.lower() for fp, provider in listed.items()}
    owner = by_fingerprint.get(manifest.fingerprint.lower())
    if owner is not None and owner != manifest.provider.lower():
        return [
            _error(
                "R6",
                "fingerprint",
                f"同一数据已由其他数商挂牌 / the same dataset is already listed by {owner}",
            )
        ]
    return []


def rule_listing_identity(manifest: Manifest, context: Context) -> list[Finding]:
    """ID: a listing's id is its first version's fingerprint; later versions must name it."""
    if manifest.version == 1:
        if (
            manifest.listing_id is not None
            and manifest.listing_id.lower() != manifest.fingerprint.lower()
        ):
            return [
                _error(
                    "ID",
                    "listing_id",
                    "第一版的挂牌编号即其数据指纹 / version 1's listing id is its dataset "
                    "fingerprint; leave listing_id out or set it to the fingerprint",
                )
            ]
        return []
    if manifest.listing_id is None:
        return [
            _error(
                "ID",
                "listing_id",
                f"第 {manifest.version} 版须注明挂牌编号 / version {manifest.version} must name "
                "the listing it updates (the first version's fingerprint)",
            )
        ]
    return []


def rule_envelope_sanity(manifest: Manifest, context: Context) -> list[Finding]:
    """ENV: the usage envelope is coherent and grantable."""
    usage = manifest.usage
    catalogue = manifest.catalogue
    findings: list[Finding] = []
    if usage.territory == "cross_border" and usage.cross_border_legal_basis is None:
        findings.append(
            _error(
                "ENV",
                "usage.cross_border_legal_basis",
                "允许出境须注明合法性基础 / cross-border licences need a legal basis "
                "(security assessment, certification, standard contract or exemption)",
            )
        )
    if usage.territory == "mainland" and usage.cross_border_legal_basis is not None:
        findings.append(
            _warning(
                "ENV",
                "usage.cross_border_legal_basis",
                "仅限境内时无需出境依据 / a cross-border legal basis has no effect for mainland",
            )
        )
    if catalogue.price_fen < usage.price_floor_fen:
        findings.append(
            _error(
                "ENV",
                "catalogue.price_fen",
                f"挂牌价低于最低授权价 / price_fen {catalogue.price_fen} is below "
                f"usage.price_floor_fen {usage.price_floor_fen}",
            )
        )
    if not catalogue.delivery_modes:
        findings.append(
            _error(
                "ENV",
                "catalogue.delivery_modes",
                "须至少一种交付方式 / at least one delivery mode is needed",
            )
        )
    if not usage.purposes:
        findings.append(
            _error(
                "ENV",
                "usage.purposes",
                "须至少一种允许用途 / at least one allowed purpose is needed",
            )
        )
    granting = usage.granting_exchanges
    if granting != "all" and manifest.home_exchange not in granting:
        findings.append(
            _warning(
                "ENV",
                "usage.granting_exchanges",
                f"挂牌交易所 {manifest.home_exchange} 不在可授权交易所之列 / the home exchange "
                "may not grant licences for its own listing",
            )
        )
    return findings


def rule_catalogue_sanity(manifest: Manifest, context: Context) -> list[Finding]:
    """CAT: the catalogue's coverage period is in order.

    (The catalogue's size needs no rule: the manifest's length limits keep the largest
    catalogue under onelist.catalogue.MAX_CATALOGUE_BYTES; a unit test holds them to it.)
    """
    coverage = manifest.catalogue.coverage
    findings: list[Finding] = []
    if coverage.time_to is not None and coverage.time_to < coverage.time_from:
        findings.append(
            _error(
                "CAT",
                "catalogue.coverage.time_to",
                f"截止日期早于起始日期 / time_to {coverage.time_to} is before time_from "
                f"{coverage.time_from}",
            )
        )
    return findings


_ID_NUMBER = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9])")
_MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _is_resident_id(candidate: str) -> bool:
    """GB 11643 check digit of an 18-character resident identity number."""
    total = sum(int(d) * w for d, w in zip(candidate[:17], _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11] == candidate[17].upper()


def _catalogue_texts(manifest: Manifest) -> Iterator[tuple[str, str]]:
    catalogue = manifest.catalogue
    yield "catalogue.title", catalogue.title
    yield "catalogue.description", catalogue.description
    for i, keyword in enumerate(catalogue.keywords):
        yield f"catalogue.keywords[{i}]", keyword
    yield "catalogue.category", catalogue.category
    for i, summary in enumerate(catalogue.field_schema):
        yield f"catalogue.field_schema[{i}].name", summary.name
        yield f"catalogue.field_schema[{i}].description", summary.description


def rule_no_personal_information_in_catalogue(
    manifest: Manifest, context: Context
) -> list[Finding]:
    """PRIV: the catalogue goes on chain and is public; it must not carry personal information.

    A resident identity number (valid check digit) is an error; something shaped like a
    mobile number a warning for the reviewer.
    """
    findings: list[Finding] = []
    for path, text in _catalogue_texts(manifest):
        if any(_is_resident_id(m.group()) for m in _ID_NUMBER.finditer(text)):
            findings.append(
                _error(
                    "PRIV",
                    path,
                    "公开目录含身份证号 / the public catalogue contains a resident identity number",
                )
            )
        if _MOBILE.search(text):
            findings.append(
                _warning(
                    "PRIV",
                    path,
                    "公开目录疑含手机号 / the public catalogue seems to contain a mobile number",
                )
            )
    return findings


RULES: tuple[Rule, ...] = (
    rule_core_refused,
    rule_important_data,
    rule_public_data,
    rule_personal_information,
    rule_evidence_documents,
    rule_fingerprint_unique,
    rule_listing_identity,
    rule_envelope_sanity,
    rule_catalogue_sanity,
    rule_no_personal_information_in_catalogue,
)


def check_manifest(manifest: Manifest, context: Context) -> list[Finding]:
    """Every finding of every rule, in rule order."""
    return [finding for rule in RULES for finding in rule(manifest, context)]


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)


def findings_from_error(error: ManifestError) -> list[Finding]:
    """A manifest that failed to load, as SCHEMA findings (so `check` lists every problem)."""
    return [_error("SCHEMA", issue.path, issue.message) for issue in error.issues]
