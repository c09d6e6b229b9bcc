"""The demo's data: the example manifests made local, and licence terms inside an envelope."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from listing.manifest import manifest_from_data
from listing.rules import Context, check_manifest
from onelist.codes import DeliveryMode, OnwardTransfer, Purpose, Territory, exchange_code
from onelist.network.scenario import (
    DAY,
    EXCLUSIVE_LICENCE_DAYS,
    LICENCE_DAYS,
    as_local_manifest,
    licence_terms,
)
from onelist.records import EXCLUSIVE_MAX_TERM_DAYS

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
        pytest.param(
            "demo/hengyang-city-operations",
            "ZJ",
            ["ZJ"],
            id="the demo's franchised public data is granted at its home alone",
        ),
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


def test_the_demos_public_data_takes_an_exclusive_licence_of_three_years() -> None:
    """The demo's franchised product (examples/manifests/demo/) passes every rule, is public
    data, and the demo's exclusive terms fit both its envelope and the five-year limit."""
    manifest = manifest_from_data(
        as_local_manifest(example("demo/hengyang-city-operations"), PROVIDER, "ZJ", ["ZJ"])
    )
    now = dt.datetime(2026, 11, 26, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert check_manifest(manifest, Context(now=now)) == []
    assert manifest.classification.open_class == "conditional"
    listing_id = bytes.fromhex(manifest.fingerprint[2:])
    terms = licence_terms(
        manifest, listing_id, PROVIDER, "ZJ", 1_800_000_000, "auction", EXCLUSIVE_LICENCE_DAYS
    )
    days = (terms["end"] - terms["start"]) // DAY
    assert LICENCE_DAYS < days == EXCLUSIVE_LICENCE_DAYS <= EXCLUSIVE_MAX_TERM_DAYS
    assert days <= manifest.usage.max_term_days
    assert terms["priceFen"] == manifest.usage.price_floor_fen
