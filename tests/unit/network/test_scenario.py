"""The demo's data: the example manifests made local, and licence terms inside an envelope."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from listing.manifest import manifest_from_data
from onelist.codes import DeliveryMode, OnwardTransfer, Purpose, Territory, exchange_code
from onelist.network.scenario import DAY, as_local_manifest, licence_terms

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "manifests"
PROVIDER = "0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc"


def example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize(
    ("name", "home", "granting"),
    [
        pytest.param("public-credit", "SH", "all", id="all exchanges stay all"),
        pytest.param(
            "industrial-telemetry", "SH", ["SH", "ZJ"], id="an exchange not here is dropped"
        ),
        pytest.param("traffic-od", "SH", ["SH"], id="another province's product comes home here"),
        pytest.param("traffic-od", "SD", ["SD", "SH"], id="the home exchange is always kept"),
    ],
)
def test_as_local_manifest(name: str, home: str, granting: object) -> None:
    local = as_local_manifest(example(name), PROVIDER, home, ["SH", "ZJ", "SD"])
    assert local["provider"] == PROVIDER and local["home_exchange"] == home
    assert local["usage"]["granting_exchanges"] == granting
    assert example(name)["usage"] != local["usage"] or granting == "all"
    manifest_from_data(local)  # still a valid manifest


def test_licence_terms_sit_inside_the_envelope() -> None:
    manifest = manifest_from_data(
        as_local_manifest(example("traffic-od"), PROVIDER, "SH", ["SH", "ZJ"])
    )
    listing_id = bytes.fromhex(manifest.fingerprint[2:])
    terms = licence_terms(manifest, listing_id, PROVIDER, "ZJ", 1_800_000_000, "settlement 1")
    assert terms["listingId"] == listing_id and terms["version"] == 1
    assert terms["grantingExchange"] == exchange_code("ZJ")
    assert terms["purposes"] == int(Purpose.urban_planning)
    assert terms["deliveryMode"] == int(DeliveryMode.sandbox)
    assert terms["end"] - terms["start"] == 180 * DAY <= manifest.usage.max_term_days * DAY
    assert terms["territory"] == int(Territory.mainland)
    assert terms["onwardTransfer"] == int(OnwardTransfer.none) and not terms["modelTraining"]
    assert terms["priceFen"] >= manifest.usage.price_floor_fen
    assert terms["deadline"] > terms["start"]
    other = licence_terms(manifest, listing_id, PROVIDER, "ZJ", 1_800_000_000, "settlement 2")
    assert other["settlementHash"] != terms["settlementHash"]
