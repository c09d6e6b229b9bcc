"""The public pages in a real browser: search in Chinese and open a listing, filter and page,
switch to English, the disclosure's charts, a phone's width, an unknown listing."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from node.api.catalogue import SEARCH_PARAMETERS

from .conftest import Site


async def test_searching_交通_finds_衡阳市交通出行数据_and_opens_its_page(
    page: Page, site: Site
) -> None:
    await page.goto(site.url("/web/"))
    await expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    await page.get_by_label("关键词").fill("交通")
    await page.get_by_role("button", name="搜索").click()
    first = page.locator(".result").first
    await expect(first.get_by_role("link")).to_have_text("衡阳市交通出行数据")
    await expect(first.locator(".badge.grade-general")).to_have_text("一般数据")
    await first.get_by_role("link").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("衡阳市交通出行数据")
    await expect(page.get_by_role("heading", name="使用范围")).to_be_visible()
    await expect(page.get_by_role("heading", name="公开事件")).to_be_visible()
    await expect(page.locator(".timeline li").first).to_contain_text("授予许可")


async def _titles(page: Page) -> list[str]:
    return [title.strip() for title in await page.locator(".result h3").all_inner_texts()]


@pytest.mark.parametrize("page", [{"java_script_enabled": False}], indirect=True, ids=["no-js"])
async def test_filtering_by_exchange_pages_forward_and_back_without_javascript(
    page: Page, site: Site
) -> None:
    """Five listings at SH, two a page: three pages forward, then back to the second and the
    first; the filter and the page size stay with every link."""
    await page.goto(site.url("/web/?limit=2"))
    await page.locator("details.more > summary").click()
    await page.get_by_label("挂牌交易所").select_option("SH")
    await page.get_by_role("button", name="筛选", exact=True).click()
    await expect(page.get_by_label("挂牌交易所")).to_have_value("SH")
    pages = [await _titles(page)]
    for _ in range(2):
        await page.get_by_role("link", name="下一页").click()
        pages.append(await _titles(page))
    assert [len(p) for p in pages] == [2, 2, 1]
    seen = [title for p in pages for title in p]
    sh = {listing.title for listing in site.world.listings.values() if listing.home == "SH"}
    assert sorted(seen) == sorted(sh)
    await expect(page.get_by_role("link", name="下一页")).to_have_count(0)
    for meta in await page.locator(".result .meta").all_inner_texts():
        assert "上海数据交易所" in meta
    await page.get_by_role("link", name="上一页").click()
    assert await _titles(page) == pages[1]
    await page.get_by_role("link", name="上一页").click()
    assert await _titles(page) == pages[0]
    await expect(page.get_by_role("link", name="上一页")).to_have_count(0)


async def test_english_is_one_click_away_and_stays_chosen(page: Page, site: Site) -> None:
    await page.goto(site.url("/web/"))
    await expect(page.get_by_role("heading", level=1)).to_have_text("数据产品目录")
    await page.get_by_role("link", name="English").click()
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Data product catalogue")
    # The choice is remembered: the next page, reached by a plain link, is English too.
    await page.get_by_role("link", name="Disclosure").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Trading disclosure")
    await page.get_by_role("link", name="中文").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("交易披露")
    await page.get_by_role("link", name="English").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Trading disclosure")
    await _no_message_key(page)
    await page.get_by_role("link", name="衡阳市交通出行数据").first.click()
    await expect(page.get_by_role("heading", name="Usage envelope")).to_be_visible()
    await expect(page.locator(".timeline li").first).to_contain_text("Licence granted")
    await _no_message_key(page)
    nav = page.get_by_role("navigation", name="Main navigation")
    await nav.get_by_role("link", name="Catalogue").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Data product catalogue")
    await _no_message_key(page)


async def _no_message_key(page: Page) -> None:
    """Every word on the page has its message: none shows as its key (``listing.usage``)."""
    text = await page.locator("body").inner_text()
    keys = re.findall(r"\b[a-z_]+(?:\.[a-z_0-9]+)+\b", text)
    assert not keys, f"{page.url} shows message keys: {keys}"


async def test_the_disclosure_shows_revenue_as_charts_and_tables_and_no_counterparty(
    page: Page, site: Site
) -> None:
    response = await page.goto(site.url("/web/disclosure"))
    assert response is not None and response.status == 200
    charts = page.locator("figure svg.chart")
    assert await charts.count() >= 4
    await expect(charts.first).to_be_visible()
    assert await page.locator("svg.chart rect.bar").count() > 0
    products = page.get_by_role("table").filter(has_text="衡阳市交通出行数据")
    await expect(products).to_contain_text("¥50,000")  # 20,000 + 30,000 yuan of grants
    html = (await page.content()).lower()
    for party in (site.world.licensee, site.world.provider, *site.world.settlements):
        assert party.lower()[2:] not in html


@pytest.mark.parametrize("path", ["/web/", "/web/disclosure", "/web/?q=交通"])
async def test_a_phone_sized_window_never_scrolls_sideways(
    page: Page, site: Site, path: str
) -> None:
    await page.set_viewport_size({"width": 360, "height": 740})
    await page.goto(site.url(path))
    if path == "/web/?q=交通":
        await page.locator(".result a").first.click()  # the listing page, its long hashes too
        await expect(page.get_by_role("heading", level=1)).to_have_text("衡阳市交通出行数据")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{page.url} is {width} px wide on a 360 px screen"


async def test_an_unknown_listing_is_a_404_page(page: Page, site: Site) -> None:
    response = await page.goto(site.url("/web/listings/0x" + "ab" * 32))
    assert response is not None and response.status == 404
    await expect(page.get_by_role("heading", level=1)).to_have_text("没有这个挂牌产品")
    await page.get_by_role("link", name="返回目录").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("数据产品目录")


@pytest.mark.parametrize(
    ("path", "status", "field"),
    [
        ("/web/?grade=core", 400, "grade"),
        ("/web/?price_min=abc", 400, "price_min"),
        ("/web/?price_min=9&price_max=1", 400, "price_max"),
        ("/web/?cursor=bogus", 400, "cursor"),
        ("/web/disclosure?from=2026-13", 400, "from"),
        ("/web/listings/衡阳", 400, "listing_id"),
        ("/web/nowhere", 404, None),
    ],
)
async def test_a_bad_address_is_an_error_page_never_a_5xx(
    page: Page, site: Site, path: str, status: int, field: str | None
) -> None:
    response = await page.goto(site.url(path))
    assert response is not None and response.status == status
    assert "text/html" in (await response.header_value("content-type") or "")
    if field is not None:
        await expect(page.locator(".error code")).to_have_text(field)


async def test_a_search_without_results_and_a_quiet_period_say_so(page: Page, site: Site) -> None:
    await page.goto(site.url("/web/?q=火星探测"))
    await expect(page.locator(".empty")).to_contain_text("没有符合条件的产品。")
    await expect(page.locator(".pager")).to_have_count(0)
    await page.goto(site.url("/web/disclosure?from=2030-01"))
    await expect(page.locator(".totals dd").first).to_have_text("0")
    await expect(page.locator("svg.chart .empty").first).to_have_text("该期间没有许可。")


async def test_a_suspended_listing_shows_it_is_suspended_until_reinstated(
    page: Page, site: Site
) -> None:
    await page.goto(site.url("/web/listings/" + site.world.listings["L2"].id))
    await expect(page.locator(".badges .status-suspended")).to_have_text("已暂停")
    await expect(page.get_by_text("暂停，直至恢复").first).to_be_visible()
    await expect(page.locator(".badges .grade-important")).to_have_text("重要数据")
    await expect(page.locator(".timeline li").first).to_contain_text("暂停")


async def test_the_stylesheet_is_cached_for_a_year_under_its_versioned_address(site: Site) -> None:
    page_html = await (await site.client.get("/web/")).text()
    match = re.search(r'href="(/web/static/style\.css\?v=[0-9a-f]{12})"', page_html)
    assert match is not None
    versioned = await site.client.get(match[1])
    assert versioned.status == 200 and versioned.content_type == "text/css"
    assert versioned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    stale = await site.client.get("/web/static/style.css?v=000000000000")
    assert stale.headers["Cache-Control"] == "no-cache"
    for missing in ("/web/static/nothing.css", "/web/static/..%2f__init__.py"):
        response = await site.client.get(missing)
        assert response.status == 404 and response.content_type == "text/html"


async def test_the_root_leads_to_the_catalogue(site: Site) -> None:
    for path in ("/", "/web"):
        response = await site.client.get(path, allow_redirects=False)
        assert response.status == 302 and response.headers["Location"] == "/web/"


HOSTILE_VALUES = (
    "",
    " ",
    "交通",
    "<script>alert(1)</script>",
    "x" * 3000,
    "-1",
    "1e9",
    "99999999999999999999999",
    "\x00",
    "１２",
    "0x" + "g" * 64,
    "2026-00",
    "%ff",
)


@pytest.mark.parametrize(
    ("path", "names"),
    [
        ("/web/", (*SEARCH_PARAMETERS, "lang", "back", "bogus")),
        ("/web/disclosure", ("from", "to", "listings", "lang", "bogus")),
        ("/web/listings/" + "0x" + "ab" * 32, ("lang", "bogus")),
    ],
)
async def test_no_parameter_makes_a_page_fail_or_echo_markup(
    site: Site, path: str, names: tuple[str, ...]
) -> None:
    """Every parameter with every hostile value, alone and given twice: a page or a 400/404
    page, HTML, never a 5xx, never the markup it was sent."""
    for name in names:
        for value in HOSTILE_VALUES:
            for times in (1, 2):
                params = [(name, value)] * times
                response = await site.client.get(path, params=params)
                body = await response.text()
                assert response.status in (200, 400, 404), (name, value, times, body[:300])
                assert response.content_type == "text/html", (name, value)
                assert "<script>alert" not in body, (name, value)
