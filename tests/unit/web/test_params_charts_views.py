"""The pages' pure parts: the catalogue form to the API's parameters, the links between pages,
the SVG charts (escaped), and what a listing's page and the disclosure show."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit
from xml.etree import ElementTree

import pytest
from multidict import MultiDict

from node.api.errors import BadRequest
from node.web import charts, params, views
from node.web.charts import Bar


def _q(**values: str | list[str]) -> MultiDict[str]:
    out: MultiDict[str] = MultiDict()
    for name, value in values.items():
        for v in value if isinstance(value, list) else [value]:
            out.add(name, v)
    return out


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ({"q": "交通", "exchange": "", "grade": ""}, [("q", "交通")]),
        ({"q": "  ", "lang": "en", "back": "abc"}, []),
        (
            {"price_min": "1200", "price_max": "99.5"},
            [("price_min", "120000"), ("price_max", "9950")],
        ),
        ({"price_min": "1,200.05"}, [("price_min", "120005")]),
        ({"price_max": "１２"}, [("price_max", "1200")]),
        ({"grade": "core", "bogus": "1"}, [("grade", "core"), ("bogus", "1")]),
    ],
    ids=[
        "empty fields mean any and are dropped",
        "the page's own parameters never reach the API",
        "prices typed in yuan are searched in fen",
        "thousands separators are allowed",
        "full-width digits from a Chinese input method are read",
        "everything else is the API's to check",
    ],
)
def test_the_form_becomes_the_apis_parameters(
    form: dict[str, str], expected: list[tuple[str, str]]
) -> None:
    assert list(params.api_query(_q(**form)).items()) == expected


@pytest.mark.parametrize("price", ["abc", "1.234", "-5", "1e3", "1.2.3"])
def test_a_price_that_is_not_an_amount_is_a_400_naming_it(price: str) -> None:
    with pytest.raises(BadRequest) as raised:
        params.api_query(_q(price_max=price))
    assert raised.value.field == "price_max"


def _link(url: str | None) -> list[tuple[str, str]]:
    assert url is not None
    return parse_qsl(urlsplit(url).query)


def test_the_first_page_has_only_a_next_link_keeping_the_search() -> None:
    links = params.pagination("/web/", _q(q="交通", exchange="", lang="en"), "C1")
    assert links.first is None and links.prev is None
    assert _link(links.next) == [("q", "交通"), ("cursor", "C1")]


def test_the_second_page_leads_back_to_the_first_and_on_with_a_trail() -> None:
    links = params.pagination("/web/", _q(q="交通", cursor="C1"), "C2")
    assert links.prev == links.first == "/web/?q=%E4%BA%A4%E9%80%9A"
    assert _link(links.next) == [("q", "交通"), ("cursor", "C2"), ("back", "C1")]


def test_the_third_page_leads_back_to_the_second() -> None:
    links = params.pagination("/web/", _q(cursor="C2", back="C1"), None)
    assert links.first == "/web/"
    assert _link(links.prev) == [("cursor", "C1")]
    assert links.next is None


def test_the_trail_keeps_only_the_last_pages() -> None:
    back = [f"C{i}" for i in range(1, 15)]
    links = params.pagination("/web/", _q(cursor="C15", back=back), "C16")
    trail = [v for k, v in _link(links.next) if k == "back"]
    assert trail == [f"C{i}" for i in range(15 - params.MAX_BACK + 1, 16)]


def test_the_language_switch_keeps_the_search() -> None:
    url = params.with_param("/web/", _q(q="交通", lang="zh"), "lang", "en")
    assert parse_qsl(urlsplit(url).query) == [("q", "交通"), ("lang", "en")]


# ----------------------------------------------------------------------------- charts

HOSTILE = '<script>alert("x")</script> & \x07 "quoted"'


@pytest.mark.parametrize("draw", [charts.bar_chart, charts.column_chart])
def test_a_chart_is_well_formed_svg_with_every_label_escaped(draw: object) -> None:
    assert callable(draw)
    svg = draw([Bar(HOSTILE, 5), Bar("衡阳市交通出行数据", 10)], title=HOSTILE, show=str)
    assert "<script" not in svg and "\x07" not in svg
    root = ElementTree.fromstring(svg)  # parses: every label escaped, no control character
    assert root.tag.endswith("svg") and root.get("role") == "img"
    assert HOSTILE.replace("\x07", "") in "".join(root.itertext())
    assert len(root.findall(".//{http://www.w3.org/2000/svg}rect")) == 2


def test_the_longest_bar_fills_the_room_and_the_others_are_in_proportion() -> None:
    svg = charts.bar_chart([Bar("a", 100), Bar("b", 50), Bar("c", 0)], title="t")
    widths = [float(w) for w in re.findall(r'<rect[^>]* width="([\d.]+)"', svg)]
    assert widths[0] == 2 * widths[1] and widths[2] == 0


@pytest.mark.parametrize("draw", [charts.bar_chart, charts.column_chart])
def test_an_empty_chart_says_so(draw: object) -> None:
    assert callable(draw)
    svg = draw([], title="收入", empty="该期间没有许可。")
    assert "该期间没有许可。" in svg and "<rect" not in svg
    ElementTree.fromstring(svg)


def test_many_months_write_only_every_nth_label() -> None:
    months = [Bar(f"2026-{m:02d}", m) for m in range(1, 13)] * 3
    svg = charts.column_chart(months, title="t")
    labels = re.findall(r'class="label">([^<]*)<', svg)
    assert 0 < len(labels) < len(months)


# ----------------------------------------------------------------------------- views


@pytest.mark.parametrize(
    ("catalogue", "coverage", "fields"),
    [
        (None, None, []),
        ({"coverage": "everywhere", "field_schema": "none"}, None, []),
        (
            {"coverage": {"time_from": "2024-01-01", "regions": ["430400", 7, None]}},
            {"time_from": "2024-01-01", "time_to": None, "regions": ["430400", "7"]},
            [],
        ),
        (
            {"field_schema": [{"name": "od", "type": "string", "description": "起止"}, 3]},
            None,
            [{"name": "od", "type": "string", "description": "起止"}],
        ),
    ],
    ids=["no catalogue", "wrong shapes are left out", "coverage", "field summary"],
)
def test_the_catalogue_view_keeps_only_the_expected_shapes(
    catalogue: dict[str, object] | None, coverage: object, fields: object
) -> None:
    view = views.catalogue_view(catalogue)
    assert view["coverage"] == coverage and view["fields"] == fields


def test_a_licence_events_details_read_as_words() -> None:
    details = {
        "version": 1,
        "purposes": ["research", "urban_planning"],
        "territory": "mainland",
        "delivery_mode": ["api"],
        "start": 0,
        "end": None,
        "price_fen": 2_000_000,
    }
    assert views.event_details(details, "zh") == [
        ("版本", "1"),
        ("用途", "科学研究、城市规划"),
        ("地域", "仅限境内"),
        ("交付方式", "接口"),
        ("起", "1970-01-01"),
        ("价格", "¥20,000"),
    ]


def test_a_suspension_without_an_end_reads_until_reinstated() -> None:
    shown = views.event_details({"reason_code": 7, "regulator_province": 0, "until": None}, "en")
    assert shown == [
        ("reason", "Provider's request (7)"),
        ("regulator's province", "national"),
        ("until", "reinstated"),
    ]


def test_the_disclosure_bars() -> None:
    rows = [{"listing_id": "0x1", "title": None, "revenue_fen": 5}]
    assert views.listing_bars(rows) == [Bar("0x1", 5)]
    exchanges = [{"exchange": "SH", "revenue_fen": 9}]
    assert views.exchange_bars(exchanges, {"SH": "上海数据交易所"}, "zh") == [
        Bar("上海数据交易所", 9)
    ]
    assert views.exchange_bars(exchanges, {"SH": "上海数据交易所"}, "en") == [Bar("SH", 9)]
    months = [{"month": "2026-11", "licences": 3, "revenue_fen": 100}]
    assert views.month_bars(months, "licences") == [Bar("2026-11", 3)]


@pytest.mark.parametrize(
    ("details", "lang", "shown"),
    [
        ({"reason_code": 2}, "zh", [("原因", "个人信息权益投诉 (2)")]),
        ({"reason_code": 0}, "en", [("reason", "Other (0)")]),
        ({"reason_code": 4321}, "zh", [("原因", "未列明的原因 (4321)")]),
        ({"reason_code": 65535}, "en", [("reason", "Unlisted reason (65535)")]),
    ],
    ids=[
        "a listed code reads as its Chinese label and the code",
        "code 0 reads as other",
        "a code outside the list still shows its number",
        "the largest uint16 is an unlisted reason",
    ],
)
def test_a_reason_code_reads_as_label_and_code(
    details: dict[str, object], lang: str, shown: list[tuple[str, str]]
) -> None:
    assert views.event_details(details, lang) == shown


@pytest.mark.parametrize(
    ("args", "lang", "shown"),
    [
        ({"reasonCode": 6, "until": 0}, "en", "Court or administrative order (6)"),
        ({"reasonCode": 9}, "zh", "结算违约 (9)"),
        ({"record": {}}, "zh", None),
        ([1, 2], "zh", None),
    ],
    ids=[
        "an audited suspension's reason in English",
        "a revocation's reason in Chinese",
        "an event without a reason code has none",
        "arguments that are not an object have none",
    ],
)
def test_an_audited_events_reason(args: object, lang: str, shown: str | None) -> None:
    assert views.args_reason(args, lang) == shown


def test_licence_terms_read_as_a_granted_licence_does_on_the_timeline() -> None:
    terms = {
        "listingId": "0x" + "11" * 32,
        "version": 1,
        "licensee": "0x" + "22" * 20,
        "grantingExchange": "SH",
        "purposes": 1 | 32,
        "start": 0,
        "end": 86400 * 180,
        "territory": 0,
        "deliveryMode": 2,
        "onwardTransfer": 0,
        "modelTraining": False,
        "priceFen": 2_000_000,
        "settlementHash": "0x" + "33" * 32,
        "deadline": 3600,
    }
    assert views.licence_terms(terms, "zh") == [
        ("版本", "1"),
        ("用途", "科学研究、城市规划"),
        ("地域", "仅限境内"),
        ("交付方式", "接口"),
        ("起", "1970-01-01"),
        ("止", "1970-06-30"),
        ("价格", "¥20,000"),
    ]
