"""The public pages in a real browser: search in Chinese and open a listing, filter and page,
switch to English, the disclosure's charts, a phone's width, an unknown listing."""

from __future__ import annotations

from playwright.async_api import Page, expect

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
