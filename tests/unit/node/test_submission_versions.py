"""What the node says of a new version against the listing's current one in its index
(``node.api.submissions._version_findings``): a pure function of the manifest and the row."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from listing.manifest import Manifest, manifest_from_data
from node.api.submissions import _version_findings
from node.store.submissions import ListingRow

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "manifests"


def _manifest(name: str, version: int, open_class: str) -> Manifest:
    data = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    data["version"] = version
    data["classification"]["open_class"] = open_class
    return manifest_from_data(data)


def _current(manifest: Manifest, open_class: int) -> ListingRow:
    return ListingRow(
        listing_id="0x" + "ab" * 32,
        provider=manifest.provider,
        home_exchange="SH",
        status="listed",
        version=manifest.version - 1,
        suspended_until=0,
        purposes=1,
        max_term_days=365,
        territory=0,
        onward_transfer=0,
        model_training=False,
        delivery_modes=1,
        granting_exchanges=0,
        price_floor_fen=0,
        open_class=open_class,
    )


@pytest.mark.parametrize(
    ("current", "proposed", "refused"),
    [
        (0, "unconditional", True),
        (0, "conditional", True),
        (1, "not_public", True),
        (2, "not_public", True),
        (1, "conditional", False),
        (2, "unconditional", False),
        (0, "not_public", False),
    ],
    ids=[
        "not public data to 无条件开放 is refused",
        "not public data to 有条件开放 is refused",
        "无条件开放 to not public data is refused",
        "有条件开放 to not public data is refused",
        "between public classes is allowed",
        "and back",
        "not public data stays so",
    ],
)
def test_a_new_version_keeps_whether_the_listing_is_public_data(
    current: int, proposed: str, refused: bool
) -> None:
    """As ListingRegistry does on chain (ListingRegistryPublicDataChanged): the provider hears
    it from the node, with the field, instead of an approval that reverts."""
    manifest = _manifest("public-credit.json", 2, proposed)
    findings = _version_findings(manifest, _current(manifest, current))
    if refused:
        (finding,) = findings
        assert (finding.severity, finding.path) == ("error", "classification.open_class")
        assert "public data" in finding.message
    else:
        assert findings == []


def test_the_version_number_is_checked_first() -> None:
    manifest = _manifest("public-credit.json", 3, "not_public")
    current = replace(_current(manifest, 1), version=1)
    (finding,) = _version_findings(manifest, current)
    assert finding.path == "version"
