"""The public catalogue on a real chain and a real index: Chinese search, filters, pages, sorts,
a listing's page without counterparties, the exchanges and the disclosure aggregates; every
response body checked against the OpenAPI document."""

from __future__ import annotations

import importlib
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from eth_utils import keccak
from jsonschema import Draft202012Validator
from sqlalchemy import URL, func, select, text

from node.api import catalogue as catalogue_api
from node.api.app import create_app
from node.api.keys import STORE
from node.api.openapi import AREA_FILES, _load, document
from node.api.routes import AREAS
from node.projections import project
from node.store import StoreError, open_engine, upgrade
from node.store import queries_catalogue as queries
from node.store.schema_search import listing_terms
from node.store.search_terms import query_words
from node.web import PREFIX as PAGES
from onelist.catalogue import encode_catalogue
from onelist.chain.connection import address_of, increase_time
from onelist.chain.samples import DAY, sample_catalogue, sample_record, sample_terms
from onelist.codes import DeliveryMode, exchange_code
from onelist.records import record_tuple
from tests.integration.db_fixtures import postgresql_database

from .conftest import Consortium, caught_up, node_config

Client = TestClient[web.Request, web.Application]

# ----------------------------------------------------------------------------- the contract


def _schema_for(path: str, status: int) -> dict[str, Any]:
    doc = document()
    template = next(
        (t for t in doc["paths"] if re.fullmatch(re.sub(r"\{[^/]+\}", "[^/]+", t), path)), None
    )
    assert template is not None, f"{path} is not in the OpenAPI document"
    responses = doc["paths"][template]["get"]["responses"]
    assert str(status) in responses, f"GET {template} does not document status {status}"
    schema_: dict[str, Any] = responses[str(status)]["content"]["application/json"]["schema"]
    return {**schema_, "components": doc["components"]}


def check_body(path: str, status: int, body: object) -> None:
    """``body`` is what the OpenAPI document says GET ``path`` answers with ``status``."""
    Draft202012Validator(_schema_for(path, status)).validate(body)


async def get(client: Client, url: str, expect: int = 200, /, **params: Any) -> Any:
    """GET ``url`` with ``params``; the status is ``expect`` and the body matches the
    document."""
    response = await client.get(url, params=params)
    body = await response.json()
    assert response.status == expect, body
    check_body(url.split("?")[0], expect, body)
    return body


# ----------------------------------------------------------------------------- the chain


@dataclass
class Listing:
    id: str
    record: dict[str, Any]
    home: str
    title: str


@dataclass
class World:
    """What the module's chain holds (see :func:`world`)."""

    listings: dict[str, Listing] = field(default_factory=dict)
    prices: list[tuple[str, str, int]] = field(default_factory=list)  # listing, granted by, fen
    settlements: list[str] = field(default_factory=list)
    provider: str = ""
    licensee: str = ""


_seeds = iter(range(10**6))


def list_product(
    consortium: Consortium,
    home: str,
    title: str,
    *,
    category: str,
    keywords: list[str],
    description: str,
    price: int = 5_000_000,
    product_form: str = "dataset",
    **policy: Any,
) -> Listing:
    """List a product with its own catalogue at ``home`` (signed by the provider)."""
    operator = {"SH": consortium.keys[1], "ZJ": consortium.keys[2]}[home]
    provider = consortium.keys[5]
    catalogue = {
        **sample_catalogue(title),
        "category": category,
        "keywords": keywords,
        "description": description,
        "price_fen": price,
        "product_form": product_form,
    }
    record = sample_record(address_of(provider), f"catalogue-{next(_seeds)}", **policy)
    listing_id, _ = consortium.client.list(
        operator, provider, home, record, encode_catalogue(catalogue)
    )
    return Listing("0x" + listing_id.hex(), record, home, title)


def grant(
    consortium: Consortium, world: World, listing: Listing, by: str, price: int, **terms: Any
) -> None:
    operator = {"SH": consortium.keys[1], "ZJ": consortium.keys[2]}[by]
    licensee = consortium.keys[7]
    t = sample_terms(
        bytes.fromhex(listing.id[2:]),
        listing.record["version"],
        address_of(licensee),
        exchange_code(by),
        consortium.client.now(),
        priceFen=price,
        **terms,
    )
    consortium.client.grant(operator, licensee, t, listing.record)
    world.prices.append((listing.id, by, price))
    world.settlements.append("0x" + bytes(t["settlementHash"]).hex())


@pytest.fixture(scope="module")
def world(consortium: Consortium) -> World:
    """Eight listings at SH and ZJ; L3 in a second version; grants in two months; L2
    suspended by the regulator, L4 delisted."""
    w = World(provider=address_of(consortium.keys[5]), licensee=address_of(consortium.keys[7]))
    client = consortium.client
    plain = "本产品提供按月更新的统计汇总结果。"
    specs: list[tuple[str, str, str, dict[str, Any]]] = [
        (
            "L1",
            "SH",
            "衡阳市交通出行数据",
            {"category": "交通运输", "keywords": ["出行", "OD"], "price": 5_000_000},
        ),
        (
            "L2",
            "ZJ",
            "长沙市医疗机构统计数据",
            {
                "category": "医疗卫生",
                "keywords": ["医疗", "卫生"],
                "price": 1_200_000,
                "grade": 1,
                "riskAssessment": keccak(text="risk"),
                "deliveryModes": int(DeliveryMode.file),
            },
        ),
        (
            "L3",
            "ZJ",
            "杭州市企业信用报告",
            {
                "category": "金融",
                "keywords": ["信用", "企业"],
                "price": 800_000,
                "product_form": "report",
            },
        ),
        (
            "L4",
            "SH",
            "上海市公交客流数据",
            {"category": "交通运输", "keywords": ["公交", "客流"], "price": 3_000_000},
        ),
        (
            "L5",
            "SH",
            "深圳市气象观测数据",
            {"category": "气象", "keywords": ["气象"], "price": 2_000_000},
        ),
        (
            "L6",
            "ZJ",
            "宁波港口物流数据",
            {"category": "交通运输", "keywords": ["港口", "物流"], "price": 4_000_000},
        ),
        (
            "L7",
            "SH",
            "苏州市工业用电数据",
            {"category": "能源", "keywords": ["用电", "工业"], "price": 2_000_000},
        ),
        (
            "L8",
            "SH",
            "武汉城市规划底图",
            {"category": "城乡建设", "keywords": ["规划"], "price": 9_000_000},
        ),
    ]
    for name, home, title, spec in specs:
        spec = dict(spec)
        catalogue: dict[str, Any] = {
            k: spec.pop(k) for k in ("category", "keywords", "price", "product_form") if k in spec
        }
        # L5's description mentions 交通 (its title does not): relevance ranks it below titles.
        description = plain + ("可用于城市交通调度。" if name == "L5" else "")
        w.listings[name] = list_product(
            consortium, home, title, description=description, **catalogue, **spec
        )
    l1, l2, l3 = w.listings["L1"], w.listings["L2"], w.listings["L3"]
    grant(consortium, w, l1, "ZJ", 2_000_000)
    grant(consortium, w, l1, "SH", 3_000_000)
    grant(consortium, w, l2, "SH", 1_500_000, deliveryMode=int(DeliveryMode.file))
    # A new version of L3: 报告 leaves its title, 征信 arrives.
    nxt = sample_record(w.provider, "catalogue-l3-v2", version=2)
    second = {
        **sample_catalogue("杭州市企业征信数据"),
        "category": "金融",
        "keywords": ["信用", "企业"],
        "description": plain,
        "price_fen": 900_000,
    }
    client.publish_version(
        consortium.keys[2],
        consortium.keys[5],
        "ZJ",
        bytes.fromhex(l3.id[2:]),
        l3.record,
        nxt,
        encode_catalogue(second),
    )
    l3.record, l3.title = nxt, "杭州市企业征信数据"
    increase_time(consortium.w3, 40 * DAY)  # the next grant falls in another month
    grant(consortium, w, l3, "ZJ", 1_100_000)
    # The regulator suspends L2 until reinstated; L4's provider delists it.
    regulator = consortium.keys[4]
    client.send(
        client.consortium.functions.suspend(0, bytes.fromhex(l2.id[2:]), 7, b"\1" * 32, 0),
        regulator,
    )
    l4 = w.listings["L4"]
    client.send(
        client.listings.functions.delist(
            bytes.fromhex(l4.id[2:]), record_tuple(l4.record), 3, b"\2" * 32
        ),
        consortium.keys[5],
    )
    return w


@pytest.fixture(scope="module")
async def api(
    consortium: Consortium, world: World, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Client]:
    """SH's node over SQLite, caught up with the world (one per module: reads only)."""
    config = node_config(consortium, tmp_path_factory.mktemp("catalogue"))
    async with TestClient(TestServer(create_app(config))) as client:
        await caught_up(client)
        yield client


async def ids(client: Client, **params: Any) -> list[str]:
    """Every listing id the search returns, following the cursors (checking each page)."""
    found: list[str] = []
    cursor = None
    for _ in range(100):
        page = await get(client, "/listings", **params, **({"cursor": cursor} if cursor else {}))
        found += [item["listing_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return found
    raise AssertionError("the pages never ended")


def named(world: World, *names: str) -> set[str]:
    return {world.listings[name].id for name in names}


# ----------------------------------------------------------------------------- search


async def test_the_query_交通_finds_衡阳市交通出行数据(api: Client, world: World) -> None:
    page = await get(api, "/listings", q="交通")
    titles = [item["title"] for item in page["items"]]
    assert "衡阳市交通出行数据" in titles
    first = page["items"][0]
    assert first["title"] == "衡阳市交通出行数据" and first["relevance"] == "title"
    assert first["home_exchange"] == "SH" and first["province"] == 310000
    assert first["grade"] == "general" and first["status"] == "listed"
    assert set(first["delivery_modes"]) == {"file", "api", "privacy_computing"}
    # 交通 is in L1's title, in L4's and L6's category (交通运输) and in L5's description.
    by_id = {item["listing_id"]: item["relevance"] for item in page["items"]}
    assert by_id == {
        world.listings["L1"].id: "title",
        world.listings["L4"].id: "keywords",
        world.listings["L6"].id: "keywords",
        world.listings["L5"].id: "description",
    }
    assert [item["relevance"] for item in page["items"]] == [
        "title",
        "keywords",
        "keywords",
        "description",
    ]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("衡阳", {"L1"}),
        ("出行", {"L1"}),
        ("医疗", {"L2"}),
        ("征信", {"L3"}),
        ("港口", {"L6"}),
        ("交通出行", {"L1"}),
        ("衡阳 出行", {"L1"}),
        ("od", {"L1"}),
        ("城市规划", {"L8"}),
        ("规划", {"L8"}),
        ("衡阳 医疗", set()),
        ("报告", set()),
        ("北京", set()),
    ],
    ids=[
        "a two-character city finds its listing",
        "a two-character word of a title",
        "a keyword",
        "a word of the current version's title",
        "a word of the title of another exchange's listing",
        "a four-character word matches by its bigrams",
        "every word must match",
        "an ASCII keyword, in any case",
        "a word across the title's segmentation (城市 + 规划)",
        "a keyword and part of a title",
        "two words of different listings find nothing",
        "a word only an old version had finds nothing",
        "a word nowhere finds nothing",
    ],
)
async def test_keyword_search(api: Client, world: World, q: str, expected: set[str]) -> None:
    assert set(await ids(api, q=q)) == named(world, *expected)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"exchange": "ZJ"}, {"L2", "L3", "L6"}),
        ({"province": "330000"}, {"L2", "L3", "L6"}),
        ({"province": "370000"}, set()),
        ({"category": "交通运输"}, {"L1", "L4", "L6"}),
        ({"grade": "important"}, {"L2"}),
        ({"product_form": "report"}, set()),
        ({"delivery_mode": "privacy_computing"}, {"L1", "L3", "L4", "L5", "L6", "L7", "L8"}),
        ({"delivery_mode": "sandbox"}, set()),
        ({"price_min": "3000000"}, {"L1", "L4", "L6", "L8"}),
        ({"price_min": "2000000", "price_max": "2000000"}, {"L5", "L7"}),
        ({"status": "suspended"}, {"L2"}),
        ({"status": "delisted"}, {"L4"}),
        ({"status": "listed", "category": "交通运输"}, {"L1", "L6"}),
        ({"q": "交通", "exchange": "ZJ"}, {"L6"}),
        ({"q": "数据", "price_max": "1500000"}, {"L2", "L3"}),
    ],
    ids=[
        "by home exchange",
        "by the home exchange's province",
        "a province without listings",
        "by category",
        "by grade",
        "by product form (L3's second version is a dataset)",
        "by a delivery mode offered",
        "a delivery mode no listing offers",
        "from a price",
        "a price range of one price",
        "the regulator's suspension shows as suspended",
        "delisted",
        "listed and not suspended",
        "keywords and an exchange",
        "keywords and a price",
    ],
)
async def test_filters(
    api: Client, world: World, params: dict[str, str], expected: set[str]
) -> None:
    assert set(await ids(api, **params)) == named(world, *expected)


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "newest"},
        {"sort": "price_asc"},
        {"sort": "price_desc"},
        {"q": "数据"},
        {"q": "交通"},
        {"q": "交通", "sort": "newest"},
        {"q": "交通", "sort": "price_asc"},
        {"exchange": "SH", "sort": "newest"},
    ],
    ids=[
        "newest",
        "price ascending",
        "price descending",
        "relevance within one tier",
        "relevance across tiers",
        "keywords, newest first",
        "keywords by price",
        "filtered",
    ],
)
async def test_pages_cover_every_listing_exactly_once(api: Client, params: dict[str, str]) -> None:
    everything = await get(api, "/listings", limit=100, **params)
    expected = [item["listing_id"] for item in everything["items"]]
    assert everything["next_cursor"] is None and expected
    for limit in (1, 2, 3):
        assert await ids(api, limit=limit, **params) == expected


async def test_sorts(api: Client, world: World) -> None:
    newest = (await get(api, "/listings", sort="newest"))["items"]
    assert len(newest) == 8
    # Listed in the order L1 ... L8, one block each (block times may tie); L3's second
    # version came last.
    order = ["L3", "L8", "L7", "L6", "L5", "L4", "L2", "L1"]
    assert [item["listing_id"] for item in newest] == [world.listings[n].id for n in order]
    cheap = (await get(api, "/listings", sort="price_asc"))["items"]
    prices = [item["price_fen"] for item in cheap]
    assert prices == sorted(prices) and prices[0] == 900_000  # L3's second version
    dear = (await get(api, "/listings", sort="price_desc"))["items"]
    assert [item["price_fen"] for item in dear] == sorted(prices, reverse=True)
    # Without q, relevance is newest first.
    assert (await get(api, "/listings", sort="relevance"))["items"] == newest


@pytest.mark.parametrize(
    ("query", "field_"),
    [
        ("q=交", "q"),
        ("q=" + "交通" * 60, "q"),
        ("q=a+b+c+d+e+f+g+h+i", "q"),
        ("q=" + "+".join(f"w{i}" for i in range(9)), "q"),
        ("grade=core", "grade"),
        ("sort=popular", "sort"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("price_min=-1", "price_min"),
        ("price_min=99999999999999999999", "price_min"),
        ("price_min=5&price_max=4", "price_max"),
        ("exchange=sh", "exchange"),
        ("province=31", "province"),
        ("status=paused", "status"),
        ("product_form=video", "product_form"),
        ("delivery_mode=email", "delivery_mode"),
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=WyJ4Il0", "cursor"),
        ("colour=red", "colour"),
        ("exchange=SH&exchange=ZJ", "exchange"),
        ("category=", "category"),
    ],
    ids=[
        "a one-character query",
        "a query longer than 100 characters",
        "single letters only",
        "more than eight words",
        "a grade never listed",
        "an unknown sort",
        "a limit of zero",
        "a limit over 100",
        "a limit that is not a number",
        "a negative price",
        "a price beyond BIGINT",
        "a price range upside down",
        "an exchange code in lower case",
        "a province that is not six digits",
        "an unknown status",
        "an unknown product form",
        "an unknown delivery mode",
        "a cursor that is not base64 JSON",
        "a cursor of another search",
        "an unknown parameter",
        "a parameter given twice",
        "an empty category",
    ],
)
async def test_bad_parameters_are_400_naming_the_field(
    api: Client, query: str, field_: str
) -> None:
    response = await api.get(f"/listings?{query}")
    body = await response.json()
    assert response.status == 400, body
    assert body["code"] == "bad_request" and body["field"] == field_
    check_body("/listings", 400, body)


async def test_a_cursor_belongs_to_its_search(api: Client) -> None:
    page = await get(api, "/listings", q="数据", limit=1)
    assert page["next_cursor"] is not None
    response = await api.get("/listings", params={"q": "交通", "cursor": page["next_cursor"]})
    assert response.status == 400 and (await response.json())["field"] == "cursor"


# ----------------------------------------------------------------------------- a listing


async def test_a_listings_page_has_its_versions_and_events_and_no_counterparties(
    api: Client, world: World
) -> None:
    l1 = world.listings["L1"]
    response = await api.get(f"/listings/{l1.id}")
    raw = await response.text()
    body = await response.json()
    assert response.status == 200
    check_body(f"/listings/{l1.id}", 200, body)
    assert body["title"] == "衡阳市交通出行数据" and body["catalogue"]["category"] == "交通运输"
    assert body["classification"]["grade"] == "general"
    assert body["personal_information"]["status"] == "deidentified"
    assert body["usage"]["purposes"] == ["research", "commercial_analytics", "urban_planning"]
    assert body["usage"]["granting_exchanges"] == "all"
    assert body["licence_count"] == 2 and body["revenue_fen"] == 5_000_000
    assert [v["version"] for v in body["versions"]] == [1]
    names = [e["name"] for e in body["events"]]
    assert names == ["Listed", "LicenceGranted", "LicenceGranted"]
    granted = body["events"][1]
    assert granted["exchange"] == "ZJ" and granted["details"]["price_fen"] == 2_000_000
    assert granted["details"]["purposes"] == ["research"]
    # Never a counterparty: no licensee, no provider account, no settlement reference.
    for secret in (world.licensee, world.provider, *world.settlements):
        assert secret.lower() not in raw.lower()


async def test_a_second_version_and_a_suspension_and_a_delisting_show(
    api: Client, world: World
) -> None:
    l3 = await get(api, f"/listings/{world.listings['L3'].id}")
    assert [v["version"] for v in l3["versions"]] == [1, 2]
    assert [v["title"] for v in l3["versions"]] == ["杭州市企业信用报告", "杭州市企业征信数据"]
    assert [e["name"] for e in l3["events"]] == ["Listed", "VersionPublished", "LicenceGranted"]
    assert l3["events"][1]["details"]["version"] == 2
    l2 = await get(api, f"/listings/{world.listings['L2'].id}")
    assert l2["status"] == "suspended" and l2["suspended_indefinitely"] is True
    assert l2["suspended_until"] is None
    assert l2["classification"]["grade"] == "important"
    assert l2["classification"]["risk_assessment"] is not None
    suspended = l2["events"][-1]
    assert suspended["name"] == "Suspended" and suspended["regulator"] is not None
    assert suspended["details"] == {"reason_code": 7, "regulator_province": 0, "until": None}
    l4 = await get(api, f"/listings/{world.listings['L4'].id}")
    assert l4["status"] == "delisted" and l4["events"][-1]["name"] == "Delisted"
    assert l4["events"][-1]["exchange"] is None  # the provider delisted it


@pytest.mark.parametrize(
    ("path", "status", "field_"),
    [
        ("/listings/0x" + "ab" * 32, 404, "listing_id"),
        ("/listings/0x1234", 400, "listing_id"),
        ("/listings/衡阳", 400, "listing_id"),
    ],
    ids=["an unknown listing is 404", "a short id is 400", "not hex is 400"],
)
async def test_unknown_and_malformed_listing_ids(
    api: Client, path: str, status: int, field_: str
) -> None:
    body = await get(api, path, status)
    assert body["field"] == field_


# ----------------------------------------------------------------------------- exchanges


async def test_the_member_exchanges(api: Client) -> None:
    body = await get(api, "/exchanges")
    assert [(e["code"], e["province"], e["status"]) for e in body["exchanges"]] == [
        ("SH", 310000, "active"),
        ("ZJ", 330000, "active"),
        ("SD", 370000, "active"),
    ]
    assert body["exchanges"][0]["name"] == "上海数据交易所"


# ----------------------------------------------------------------------------- disclosure


async def test_disclosure_sums_equal_the_grants(api: Client, world: World) -> None:
    body = await get(api, "/disclosure")
    total = sum(price for _, _, price in world.prices)
    assert body["totals"] == {"licences": 4, "revenue_fen": total, "listings": 8}
    by_listing = {r["listing_id"]: (r["licences"], r["revenue_fen"]) for r in body["by_listing"]}
    expected: dict[str, tuple[int, int]] = {}
    for listing_id, _, price in world.prices:
        n, fen = expected.get(listing_id, (0, 0))
        expected[listing_id] = (n + 1, fen + price)
    assert by_listing == expected
    granting = {r["exchange"]: r["revenue_fen"] for r in body["by_granting_exchange"]}
    assert granting == {"SH": 4_500_000, "ZJ": 3_100_000}
    home = {r["exchange"]: (r["licences"], r["revenue_fen"]) for r in body["by_home_exchange"]}
    assert home == {"SH": (2, 5_000_000), "ZJ": (2, 2_600_000)}
    assert sum(r["share_fen"] for r in body["by_home_exchange"]) == total * 300 // 10_000
    months = body["by_month"]
    assert len(months) == 2 and sum(m["revenue_fen"] for m in months) == total
    assert months[1]["revenue_fen"] == 1_100_000  # 40 days later
    assert {r["grade"]: r["listings"] for r in body["by_grade"]} == {"general": 7, "important": 1}
    assert body["by_source"] == [
        {"source": "not_public", "listings": 8, "licences": 4, "revenue_fen": total}
    ]
    for secret in (world.licensee, world.provider):
        assert secret not in str(body)


async def test_disclosure_for_a_period(api: Client) -> None:
    everything = await get(api, "/disclosure")
    first, second = (m["month"] for m in everything["by_month"])
    body = await get(api, "/disclosure", **{"from": second, "to": second})
    assert body["totals"]["revenue_fen"] == 1_100_000 and body["totals"]["listings"] == 0
    assert body["period"] == {"from": second, "to": second, "time_zone": "Asia/Shanghai"}
    body = await get(api, "/disclosure", **{"to": first, "listings": "1"})
    assert body["totals"]["licences"] == 3 and len(body["by_listing"]) == 1
    assert body["by_listing"][0]["revenue_fen"] == 5_000_000


@pytest.mark.parametrize(
    ("query", "field_"),
    [
        ("from=2026-13", "from"),
        ("to=26-01", "to"),
        ("from=2026-05&to=2026-04", "to"),
        ("listings=1001", "listings"),
        ("period=2026", "period"),
    ],
    ids=["month 13", "a two-digit year", "to before from", "too many listings", "unknown"],
)
async def test_bad_disclosure_parameters(api: Client, query: str, field_: str) -> None:
    response = await api.get(f"/disclosure?{query}")
    body = await response.json()
    assert response.status == 400 and body["field"] == field_
    check_body("/disclosure", 400, body)


# ----------------------------------------------------------------------------- the index


async def test_search_terms_are_derived_state(api: Client) -> None:
    """A rebuild re-derives listing_terms from the events; the digest covers it."""
    store = api.app[STORE]
    before = store.digest()
    assert before.tables["listing_terms"].rows > 0
    with store.engine.begin() as connection:
        connection.execute(listing_terms.delete())
    assert store.digest().hexdigest != before.hexdigest
    store.rebuild_state(project)
    assert store.digest() == before


# ----------------------------------------------------------------------------- the document


def _routes(add_routes: Any) -> set[tuple[str, str]]:
    app = web.Application()
    add_routes(app)
    return {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.method != "HEAD" and route.resource is not None
    }


def _documented(paths: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, item in paths.items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }


def test_every_route_is_documented_and_every_documented_route_exists(
    consortium: Consortium, tmp_path: Path
) -> None:
    """Per area: the routes its module adds are the paths its OpenAPI file holds (an area
    with neither written yet is skipped); the rest of the application's routes are base.json's."""
    app = create_app(node_config(consortium, tmp_path))
    everything = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.method != "HEAD"
        and route.resource is not None
        # The HTML pages (node.web) and ``/`` leading to them are not the JSON API.
        and not (route.resource.canonical + "/").startswith(PAGES + "/")
        and route.resource.canonical != "/"
    }
    area_routes: set[tuple[str, str]] = set()
    for module_name, file_name in zip(AREAS, AREA_FILES, strict=True):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            module = None
        area = _load(file_name)
        if module is None or area is None:
            continue  # an area not written yet
        routes = _routes(module.add_routes)
        assert routes == _documented(area["paths"]), module_name
        area_routes |= routes
    base = _load("base.json")
    assert base is not None
    assert everything - area_routes == _documented(base["paths"])
    assert _documented(document()["paths"]) >= everything


# ----------------------------------------------------------------------------- PostgreSQL


async def test_search_and_listing_pages_on_postgresql(
    consortium: Consortium, world: World, api: Client, pg_server: URL, tmp_path: Path
) -> None:
    """The same searches and listing pages answer the same on PostgreSQL."""
    with postgresql_database(pg_server, "onelist_catalogue") as url:
        config = node_config(consortium, tmp_path, database_url=url)
        async with TestClient(TestServer(create_app(config))) as pg:
            await caught_up(pg)
            for params in (
                {"q": "交通"},
                {"q": "衡阳"},
                {"q": "城市规划"},
                {"q": "数据", "sort": "price_desc", "exchange": "SH"},
                {"category": "交通运输", "status": "listed"},
            ):
                assert await ids(pg, limit=2, **params) == await ids(api, limit=2, **params)
            first = await get(pg, "/listings", q="交通")
            assert first["items"][0]["title"] == "衡阳市交通出行数据"
            # Listing pages are read on the loop (node.store.async_reads), the same pages.
            for listing in world.listings.values():
                path = f"/listings/{listing.id}"
                assert await get(pg, path) == await get(api, path)
            await get(pg, "/listings/0x" + "ab" * 32, 404)
            disclosure = await get(pg, "/disclosure")
            assert disclosure == await get(api, "/disclosure")
            with pg.app[STORE].engine.connect() as connection:
                rows = connection.execute(select(func.count()).select_from(listing_terms))
                assert rows.scalar_one() > 0


async def test_kept_answers_end_with_a_new_block_or_a_suspension_that_runs_out(
    consortium: Consortium, world: World, api: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The catalogue keeps its answers (node.api.cache) only while they hold: a listing indexed
    after a search was answered shows in the same search at once, and a suspension that runs
    out shows as listed at that second, with no new block."""
    clock = [time.time()]
    monkeypatch.setattr(
        catalogue_api, "time", SimpleNamespace(time=lambda: clock[0], monotonic=time.monotonic)
    )
    assert await ids(api, q="冷链") == []
    fresh = list_product(
        consortium,
        "SH",
        "广州冷链仓储数据",
        category="商贸流通",
        keywords=["冷链", "仓储"],
        description="本产品提供冷链仓储的月度统计。",
    )
    await caught_up(api, head=consortium.w3.eth.block_number)
    assert await ids(api, q="冷链") == [fresh.id]
    until = consortium.client.now() + DAY
    consortium.client.send(
        consortium.client.consortium.functions.suspend(
            0, bytes.fromhex(fresh.id[2:]), 7, b"\1" * 32, until
        ),
        consortium.keys[4],
    )
    await caught_up(api, head=consortium.w3.eth.block_number)
    clock[0] = until - 1
    page = await get(api, f"/listings/{fresh.id}")
    assert page["status"] == "suspended" and page["suspended_until"] == until
    assert await ids(api, q="冷链", status="suspended") == [fresh.id]
    assert (await get(api, f"/listings/{fresh.id}"))["status"] == "suspended"  # kept
    clock[0] = until  # the suspension has run out; the index has not changed
    page = await get(api, f"/listings/{fresh.id}")
    assert page["status"] == "listed" and page["suspended_until"] is None
    assert await ids(api, q="冷链", status="suspended") == []
    assert await ids(api, q="冷链", status="listed") == [fresh.id]


def test_a_database_error_in_a_catalogue_read_is_a_store_error(tmp_path: Path) -> None:
    """The catalogue's reads run on the DBAPI cursor; their errors still come out as the
    store's (so the API answers 503 or 500 with a JSON body, never a driver's exception)."""
    engine = open_engine(f"sqlite:///{tmp_path / 'index.db'}")
    upgrade(engine)
    assert queries.listing_page(engine, "0x" + "00" * 32) is None
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE listing_terms"))
    with pytest.raises(StoreError, match="no such table"):
        queries.search(engine, queries.Search(words=query_words("交通")))
    engine.dispose()


def test_a_listing_page_read_on_the_event_loop_fails_as_the_store_and_then_reconnects(
    tmp_path: Path,
) -> None:
    """On SQLite a listing page not kept is read on the event loop (catalogue._LoopReader):
    its database errors still come out as the store's, and the next read opens a connection
    anew."""
    engine = open_engine(f"sqlite:///{tmp_path / 'index.db'}")
    upgrade(engine)
    here = catalogue_api._LoopReader(engine)
    missing = "0x" + "00" * 32
    assert here.serves
    assert here.run(lambda c: catalogue_api.listing_result(c, missing, 0)) is None
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE listings RENAME TO listings_gone"))
    with pytest.raises(StoreError, match="no such table"):
        here.run(lambda c: catalogue_api.listing_result(c, missing, 0))
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE listings_gone RENAME TO listings"))
    assert here.run(lambda c: catalogue_api.listing_result(c, missing, 0)) is None
    here.close()
    engine.dispose()
