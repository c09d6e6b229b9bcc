"""Browser tests of the node's web pages: Debian's Chromium driven by Playwright.

- The browser is ``/usr/bin/chromium`` (``./onelist.sh test`` installs Debian's package when it
  is missing), never one that ``playwright install`` downloads: the machines are offline but
  for the package registries. One browser per session; each test gets a fresh context (its own
  cookies, so a language chosen in one test never leaks into the next) and page.
- Playwright's *async* API, on the session's event loop (pytest-asyncio, auto mode, session
  loop scope): the node under test is an aiohttp server on that same loop, so the browser's
  requests and the server's answers interleave in one thread. The sync API would block the
  loop the server runs on (or need the server in another thread with its own loop and
  database connections), and it refuses to start inside a running loop.
- The node is the real application over the node tests' chain and the catalogue tests'
  listings (:func:`tests.node.test_api_catalogue.world`: 衡阳市交通出行数据 and seven others,
  grants in two months, one suspended, one delisted), imported rather than copied.
- Every test leaves a screenshot of its final page in ``test-output/<test name>/final.png``,
  pass or fail.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from playwright.async_api import Browser, ConsoleMessage, Page, Response, async_playwright

from node.api.app import create_app
from tests.node.conftest import Consortium, caught_up, consortium, node_config
from tests.node.test_api_catalogue import World, world

__all__ = ["Site", "browser", "consortium", "page", "site", "world"]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
OUTPUT = Path(__file__).resolve().parents[2] / "test-output"

Client = TestClient[web.Request, web.Application]


class Site:
    """The node under test: its base URL and the listings its index holds."""

    def __init__(self, client: Client, world: World) -> None:
        self.client = client
        self.world = world
        self.base = str(client.make_url("")).rstrip("/")

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run ./onelist.sh test, or apt-get install chromium")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture(scope="module")
async def site(
    consortium: Consortium, world: World, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Site]:
    """SH's node over SQLite on 127.0.0.1 (a free port), caught up with the world."""
    config = node_config(consortium, tmp_path_factory.mktemp("web"))
    async with TestClient(TestServer(create_app(config), host="127.0.0.1")) as client:
        await caught_up(client)
        yield Site(client, world)


def _folder(name: str) -> str:
    """A test's name as a folder name (parametrised ids keep their words, not their slashes)."""
    return re.sub(r"[^\w.\-\[\]]+", "_", name)


@pytest.fixture
async def page(browser: Browser, request: pytest.FixtureRequest) -> AsyncIterator[Page]:
    """A fresh page (a desktop-sized window) whose final state is saved as a screenshot.
    Parametrise it indirectly to change the context, e.g. ``{"java_script_enabled": False}``."""
    options: dict[str, Any] = {"viewport": {"width": 1280, "height": 900}, "locale": "zh-CN"}
    options.update(getattr(request, "param", {}))
    context = await browser.new_context(**options)
    tab = await context.new_page()
    fetched: list[str] = []
    failed: list[str] = []
    errors: list[str] = []

    def on_response(response: Response) -> None:
        # A page's own status is the test's business (a 404 page is meant); its parts must load.
        if response.status >= 400 and response.request.resource_type != "document":
            failed.append(f"{response.status} {response.url}")

    def on_console(message: ConsoleMessage) -> None:
        # The browser reports each failed load here too: on_response has those.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    context.on("request", lambda r: fetched.append(r.url))
    context.on("response", on_response)
    tab.on("console", on_console)
    try:
        yield tab
    finally:
        folder = OUTPUT / _folder(request.node.name)
        folder.mkdir(parents=True, exist_ok=True)
        try:
            await tab.screenshot(path=str(folder / "final.png"), full_page=True)
        finally:
            await context.close()
    # Every page works offline: nothing is fetched from anywhere but the node, no part of a
    # page is missing, and nothing (a style the CSP blocks, a script) fails in the console.
    elsewhere = [url for url in fetched if urlsplit(url).hostname not in ("127.0.0.1", None)]
    assert not elsewhere, f"fetched from elsewhere than the node: {elsewhere}"
    assert not failed, f"parts of the page failed to load: {failed}"
    assert not errors, f"the browser's console shows errors: {errors}"
