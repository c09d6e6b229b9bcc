"""The staff pages in a real browser (Debian's Chromium driven by Playwright): a reviewer
approves a provider's signed submission and sees it listed; a regulator filters the audit trail,
exports it as CSV and suspends a listing, which the catalogue then shows suspended; a visitor
who is not signed in is refused the desk and the explorer; a form without its CSRF token is a
403 page, a missing reason a 400 page naming the field.

Two nodes over the module's own chain: SH's (operator key keys[1]: the desk sends with it) and
the national regulator's (keys[4]: suspensions). Staff accounts are made with the function
``onelist node user add`` uses; submissions come through the participants' real signed API.
"""

from __future__ import annotations

import asyncio
import csv
import io
import itertools
import json
import re
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from eth_utils import keccak
from playwright.async_api import Page, expect

from listing.accounts import import_account
from listing.manifest import manifest_from_data
from listing.onchain import to_json
from listing.signing import sign_listing
from node.api.app import create_app
from node.api.keys import STORE
from node.api.participant_auth import sign_request
from node.api.staff_auth import CSRF_HEADER, add_staff_user
from node.store.submissions import get_submission, participant
from onelist.chain.connection import address_of
from onelist.chain.samples import sample_record, sample_terms
from onelist.codes import exchange_code
from tests.node.conftest import CATALOGUE, Consortium, node_config
from tests.unit.listing.manifests import edited, h

Client = TestClient[web.Request, web.Application]
PASSWORD = "correct horse battery"
N = 1 << 10  # cheap scrypt for tests
LEGAL_BASIS = "《数据安全法》第二十一条；国家数据局 2026 年第 17 号案卷"
_seq = itertools.count()


@dataclass
class Node:
    client: Client
    base: str

    def url(self, path: str) -> str:
        return self.base + path

    @property
    def engine(self) -> Any:
        return self.client.app[STORE].engine


@dataclass
class Nodes:
    consortium: Consortium
    sh: Node
    regulator: Node
    listed_id: str  # listed at SH before the tests, for the regulator to suspend


def _keystore(tmp: Path, key: str, secret: str) -> dict[str, str]:
    entry = import_account(tmp / "keystore", bytes.fromhex(key[2:]), secret, scrypt_n=16)
    passphrase = tmp / "passphrase"
    passphrase.write_text(secret + "\n")
    return {"operator_keystore": str(entry.path), "operator_passphrase_file": str(passphrase)}


@pytest.fixture(scope="module")
async def nodes(
    consortium: Consortium, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Nodes]:
    """SH's node (alice: reviewer; ada: admin) and the regulator's (rita: auditor and
    regulator officer; alice: reviewer), on 127.0.0.1, caught up with a chain that holds one
    listing."""
    c = consortium
    record = sample_record(address_of(c.keys[5]), "web-staff-suspend-me")
    listed, _ = c.client.list(c.keys[1], c.keys[5], "SH", record, CATALOGUE)
    sh_tmp = tmp_path_factory.mktemp("web-staff-sh")
    reg_tmp = tmp_path_factory.mktemp("web-staff-regulator")
    sh_config = node_config(c, sh_tmp, **_keystore(sh_tmp, c.keys[1], "operator secret"))
    reg_config = node_config(
        c,
        reg_tmp,
        organisation="regulator",
        **_keystore(reg_tmp, c.keys[4], "regulator secret"),
    )
    async with (
        TestClient(TestServer(create_app(sh_config), host="127.0.0.1")) as sh,
        TestClient(TestServer(create_app(reg_config), host="127.0.0.1")) as reg,
    ):
        add_staff_user(sh.app[STORE].engine, "alice", PASSWORD, ["reviewer"], n=N)
        add_staff_user(sh.app[STORE].engine, "ada", PASSWORD, ["admin"], n=N)
        add_staff_user(reg.app[STORE].engine, "alice", PASSWORD, ["reviewer"], n=N)
        add_staff_user(
            reg.app[STORE].engine, "rita", PASSWORD, ["auditor", "regulator_officer"], n=N
        )
        nodes = Nodes(
            c,
            Node(sh, str(sh.make_url("")).rstrip("/")),
            Node(reg, str(reg.make_url("")).rstrip("/")),
            "0x" + listed.hex(),
        )
        await indexed(nodes.sh, c)
        await indexed(nodes.regulator, c)
        yield nodes


async def indexed(node: Node, consortium: Consortium, timeout: float = 30) -> None:
    """Wait until the node has indexed the chain's present head."""
    head = consortium.w3.eth.block_number
    deadline = time.monotonic() + timeout
    while True:
        state = await (await node.client.get("/status")).json()
        if state["indexed"] is not None and state["indexed"] >= head:
            return
        assert time.monotonic() < deadline, f"the node did not index block {head}: {state}"
        await asyncio.sleep(0.05)


async def submit(nodes: Nodes, title: str, **changes: Any) -> dict[str, Any]:
    """The provider's (keys[5]) submission through ``POST /submissions``, signed as a wallet
    would sign it; the node's answer."""
    c = nodes.consortium
    provider = c.keys[5]
    data = edited(
        {
            "provider": address_of(provider),
            "home_exchange": "SH",
            "fingerprint": h(f"web staff dataset {next(_seq)}"),
            "product_ref": f"WEB-STAFF-{next(_seq)}",
            "catalogue.title": title,
            **changes,
        }
    )
    signature = sign_listing(
        manifest_from_data(data),
        bytes.fromhex(provider[2:]),
        chain_id=c.deployment.chain_id,
        registry=c.deployment.address("ListingRegistry"),
        deadline=c.client.deadline(),
        exchange_indexes=c.client.exchange_indexes(),
    )
    body = json.dumps({"manifest": data, "signature": signature}).encode()
    headers = sign_request(provider, "POST", "/submissions", body, c.deployment.chain_id)
    headers["Content-Type"] = "application/json"
    response = await nodes.sh.client.post("/submissions", data=body, headers=headers)
    answer: dict[str, Any] = await response.json()
    assert response.status == 201, answer
    return {**answer, "manifest": data}


async def sign_in(page: Page, node: Node, username: str, start: str) -> None:
    """Open ``start``, which sends a visitor to the sign-in page, and sign in there."""
    await page.goto(node.url(start))
    await expect(page).to_have_url(re.compile(r"/web/staff/sign-in\?next="))
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(PASSWORD)
    await page.get_by_role("button", name="登录", exact=True).click()
    await expect(page).to_have_url(node.url(start))


# ----------------------------------------------------------------------------- the desk


async def test_a_reviewer_approves_a_submission_and_sees_it_listed(
    page: Page, nodes: Nodes
) -> None:
    title = "杭州公交客流数据"
    created = await submit(nodes, title)
    await sign_in(page, nodes.sh, "alice", "/web/desk")
    nav = page.get_by_role("navigation", name="主导航")
    await expect(nav.get_by_role("link", name="审核台")).to_be_visible()
    await expect(nav.get_by_role("link", name="审计追踪")).to_have_count(0)

    item = page.locator(f'[data-submission="{created["submission_id"]}"]')
    await expect(item).to_contain_text(title)
    await expect(item).to_contain_text("待审核")
    await item.get_by_role("link").first.click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    await expect(page.get_by_text("首个版本，无上一版本。")).to_be_visible()

    await page.get_by_role("button", name="批准挂牌").click()
    await expect(page.locator("#status")).to_have_text("已挂牌", timeout=60_000)
    await expect(page.get_by_text("已挂牌上链。")).to_be_visible()
    tx_hash = await page.locator("#tx-hash").text_content()
    receipt = nodes.consortium.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
    assert receipt["status"] == 1
    await expect(page.locator("#tx-block")).to_have_text(str(receipt["blockNumber"]))
    listing_id = created["listing_id"].lower()
    await expect(page.locator("#listing-link")).to_have_text(listing_id)

    await indexed(nodes.sh, nodes.consortium)
    await page.locator("#listing-link").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(title)
    await page.goto(nodes.sh.url("/web/?q=" + title))
    await expect(page.locator(".result").first.get_by_role("link")).to_have_text(title)


async def test_approving_an_already_listed_dataset_shows_the_chains_refusal(
    page: Page, nodes: Nodes
) -> None:
    """Two submissions of one dataset wait in the queue; the first is listed, the second is
    refused on chain (DuplicateFingerprintRefused) and the page says so, with its transaction."""
    first = await submit(nodes, "重复数据集（第一份）")
    second = await submit(
        nodes, "重复数据集（第二份）", fingerprint=first["manifest"]["fingerprint"]
    )
    await sign_in(page, nodes.sh, "alice", f"/web/desk/submissions/{first['submission_id']}")
    await page.get_by_role("button", name="批准挂牌").click()
    await expect(page.locator("#status")).to_have_text("已挂牌", timeout=60_000)
    await page.goto(nodes.sh.url(f"/web/desk/submissions/{second['submission_id']}"))
    await page.get_by_role("button", name="批准挂牌").click()
    await expect(page.locator("#status")).to_have_text("已驳回", timeout=60_000)
    outcome = page.locator("section.outcome")
    await expect(outcome).to_contain_text("DuplicateFingerprintRefused")
    await expect(page.locator("#tx-hash")).to_have_text(re.compile(r"^0x[0-9a-f]{64}$"))
    await expect(page.get_by_role("button", name="批准挂牌")).to_have_count(0)


async def test_a_new_version_shows_beside_the_previous_one(page: Page, nodes: Nodes) -> None:
    first = await submit(nodes, "宁波港集装箱吞吐数据")
    client = nodes.sh.client
    signed = await client.post("/staff/sign-in", json={"username": "alice", "password": PASSWORD})
    csrf = (await signed.json())["csrf_token"]
    approved = await client.post(
        f"/staff/submissions/{first['submission_id']}/approve", headers={CSRF_HEADER: csrf}
    )
    assert (await approved.json())["status"] == "listed"
    await indexed(nodes.sh, nodes.consortium)
    listing_id = (await approved.json())["listing_id"]
    second = await submit(
        nodes,
        "宁波港集装箱吞吐数据（2026 版）",
        **{
            "version": 2,
            "listing_id": listing_id,
            "fingerprint": first["manifest"]["fingerprint"],
            "product_ref": first["manifest"]["product_ref"],
            "usage.max_term_days": 730,
        },
    )
    await sign_in(page, nodes.sh, "alice", f"/web/desk/submissions/{second['submission_id']}")
    await expect(page.get_by_text(re.compile(r"与上一版本（第 1 版"))).to_be_visible()
    changed = page.locator("table.diff tr.diff-changed")
    await expect(changed).to_have_count(3)  # version, title, longest term
    term = page.locator("table.diff tr", has=page.locator("code", has_text="usage.max_term_days"))
    await expect(term).to_have_class(re.compile("diff-changed"))
    await expect(term.locator("td").nth(0)).to_have_text("365")
    await expect(term.locator("td").nth(1)).to_have_text("730")


async def test_a_form_without_its_csrf_token_is_a_403_page(page: Page, nodes: Nodes) -> None:
    created = await submit(nodes, "无令牌的驳回")
    path = f"/web/desk/submissions/{created['submission_id']}"
    await sign_in(page, nodes.sh, "alice", path)
    await page.get_by_label("理由").fill("证据不全")
    await page.locator("form[action$='/reject'] input[name=csrf_token]").evaluate(
        "input => input.remove()"
    )
    async with page.expect_response(lambda r: r.url.endswith("/reject")) as answer:
        await page.get_by_role("button", name="驳回").click()
    assert (await answer.value).status == 403
    await expect(page.locator(".status-code")).to_have_text("403")
    await expect(page.get_by_role("heading", level=1)).to_have_text("无权访问或表单已失效")
    sub = get_submission(nodes.sh.engine, created["submission_id"])
    assert sub is not None and sub.status == "pending_review"


async def test_a_rejection_without_a_reason_is_a_400_page_naming_it(
    page: Page, nodes: Nodes
) -> None:
    created = await submit(nodes, "没有理由的驳回")
    await sign_in(page, nodes.sh, "alice", f"/web/desk/submissions/{created['submission_id']}")
    async with page.expect_response(lambda r: r.url.endswith("/reject")) as answer:
        await page.get_by_role("button", name="驳回").click()
    assert (await answer.value).status == 400
    await expect(page.locator(".error code")).to_have_text("reason")
    sub = get_submission(nodes.sh.engine, created["submission_id"])
    assert sub is not None and sub.status == "pending_review"


# ----------------------------------------------------------------------------- registrations


async def test_an_admin_registers_a_participant_through_the_confirmation(
    page: Page, nodes: Nodes
) -> None:
    c = nodes.consortium
    account = address_of("0x" + secrets.token_hex(32))  # a new licensee, never registered
    await sign_in(page, nodes.sh, "ada", "/web/desk/participants")
    nav = page.get_by_role("navigation", name="主导航")
    await expect(nav.get_by_role("link", name="登记参与方")).to_be_visible()
    await expect(nav.get_by_role("link", name="审核台")).to_have_count(0)
    await expect(nav.get_by_role("link", name="许可申请")).to_have_count(0)

    await page.get_by_label("账户地址").fill(account.lower())
    await page.get_by_label("被许可方").check()
    await page.get_by_label("身份核验凭据").fill("91310000MA1FL8XX3K / 核验单 2026-118")
    await page.get_by_role("button", name="核对后提交").click()
    confirmation = page.locator("#confirmation")
    await expect(confirmation).to_contain_text(account)  # checksummed, as the API sends it
    await expect(confirmation).to_contain_text("roles = 2")
    await page.get_by_role("button", name="确认登记").click()
    await expect(page.get_by_text("参与方已登记上链。")).to_be_visible(timeout=60_000)
    tx_hash = await page.locator("#tx-hash").text_content()
    receipt = c.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
    assert receipt["status"] == 1
    await expect(page.locator("#tx-block")).to_have_text(str(receipt["blockNumber"]))
    await indexed(nodes.sh, c)
    registered = participant(nodes.sh.engine, account)
    assert registered is not None and registered.registered_by == "SH" and registered.roles == 2

    # One registered before (the provider): the contract's refusal, named, with the API's 409.
    await page.goto(nodes.sh.url("/web/desk/participants"))
    await page.get_by_label("账户地址").fill(address_of(c.keys[5]))
    await page.get_by_label("数商（提供方）").check()
    await page.get_by_label("身份核验凭据").fill("91310000MA1FL8XX3K / 复核")
    await page.get_by_role("button", name="核对后提交").click()
    async with page.expect_response(lambda r: r.url.endswith("/web/desk/participants")) as sent:
        await page.get_by_role("button", name="确认登记").click()
    assert (await sent.value).status == 409
    await expect(page.locator(".notice.bad")).to_contain_text("ConsortiumParticipantExists")


# ----------------------------------------------------------------------------- licences


async def request_licence(nodes: Nodes, licensee: str, terms: dict[str, Any]) -> dict[str, Any]:
    """The licensee's request through ``POST /licence-requests``, signed as a wallet would
    sign it; the node's answer."""
    c = nodes.consortium
    body = json.dumps(
        {
            "listing_id": "0x" + bytes(terms["listingId"]).hex(),
            "terms": to_json(terms),
            "acceptance": "0x" + c.client.sign_acceptance(licensee, terms).hex(),
        }
    ).encode()
    headers = sign_request(licensee, "POST", "/licence-requests", body, c.deployment.chain_id)
    headers["Content-Type"] = "application/json"
    response = await nodes.sh.client.post("/licence-requests", data=body, headers=headers)
    answer: dict[str, Any] = await response.json()
    assert response.status == 201, answer
    return answer


async def test_a_licence_request_granted_on_the_desk_counts_in_the_listings_totals(
    page: Page, nodes: Nodes
) -> None:
    c = nodes.consortium
    record = sample_record(address_of(c.keys[5]), "web-staff-licence")
    listed, _ = c.client.list(c.keys[1], c.keys[5], "SH", record, CATALOGUE)
    licensee = c.keys[7]  # a licensee the fixture chain registered
    terms = sample_terms(listed, 1, address_of(licensee), exchange_code("SH"), c.client.now())
    await indexed(nodes.sh, c)
    created = await request_licence(nodes, licensee, terms)

    await sign_in(page, nodes.sh, "alice", "/web/desk/licence-requests")
    item = page.locator(f'[data-licence-request="{created["request_id"]}"]')
    await expect(item).to_contain_text("待授予")
    await expect(item).to_contain_text("科学研究")
    await expect(item).to_contain_text("¥20,000")
    await item.get_by_label("已收到结算款项").check()
    await item.get_by_role("button", name="授予许可").click()
    await expect(page.get_by_text("许可已授予上链。")).to_be_visible(timeout=60_000)
    await expect(page.locator("#licence-id")).to_have_text(created["licence_id"])
    licence_id = bytes.fromhex(created["licence_id"][2:])
    assert c.client.licences.functions.inForce(licence_id).call()

    await indexed(nodes.sh, c)
    await page.locator("#listing-link").click()
    trading = page.locator("section[aria-labelledby=h-trading] dl")
    await expect(trading).to_contain_text(re.compile(r"许可\s*1\s*许可收入\s*¥20,000"))
    await page.goto(nodes.sh.url("/web/desk/licence-requests?status=granted"))
    await expect(item).to_contain_text("已授予")
    await expect(item.get_by_role("button", name="授予许可")).to_have_count(0)


async def test_bad_registration_and_grant_forms_are_400_pages_naming_the_field(
    page: Page, nodes: Nodes
) -> None:
    await sign_in(page, nodes.sh, "alice", "/web/desk/participants")
    token = await page.locator("input[name=csrf_token]").first.get_attribute("value")
    posts = [
        ("/web/desk/participants/confirm", {"account": "0x12", "roles": "provider"}, "account"),
        (
            "/web/desk/participants/confirm",
            {"account": address_of(nodes.consortium.keys[8]), "identity_reference": "x"},
            "roles",
        ),
        (
            "/web/desk/participants",
            {"account": address_of(nodes.consortium.keys[8]), "roles": "provider"},
            "identity_reference",
        ),
        ("/web/desk/licence-requests/1/grant", {}, "settled"),
    ]
    for path, form, field in posts:
        answer = await page.request.post(
            nodes.sh.url(path), form={"csrf_token": str(token), **form}
        )
        assert answer.status == 400, (path, form)
        assert f"<code>{field}</code>" in await answer.text()
    missing = await page.request.post(
        nodes.sh.url("/web/desk/licence-requests/999999/grant"),
        form={"csrf_token": str(token), "settled": "yes"},
    )
    assert missing.status == 404
    # Without the token nothing is registered.
    forged = await page.request.post(
        nodes.sh.url("/web/desk/participants"),
        form={
            "account": address_of(nodes.consortium.keys[8]),
            "roles": "provider",
            "identity_reference": "x",
        },
    )
    assert forged.status == 403
    await page.goto(nodes.sh.url("/web/desk/licence-requests?status=bogus"))
    await expect(page.locator(".error code")).to_have_text("status")


# ----------------------------------------------------------------------------- the trail


async def test_a_regulator_filters_exports_and_suspends_a_listing(page: Page, nodes: Nodes) -> None:
    listing = nodes.listed_id
    await sign_in(page, nodes.regulator, "rita", "/web/audit")
    nav = page.get_by_role("navigation", name="主导航")
    await expect(nav.get_by_role("link", name="审核台")).to_have_count(0)

    await page.get_by_label("事件类型").select_option("Listed")
    await page.get_by_label("交易所代码").fill("SH")
    await page.get_by_role("button", name="筛选").click()
    await expect(page).to_have_url(re.compile(r"event=Listed"))
    rows = page.locator("table.events tbody tr")
    await expect(rows.first).to_be_visible()
    for name in await page.locator("table.events .event-name").all_text_contents():
        assert name == "Listed"
    row = page.locator("table.events tbody tr", has=page.locator(f"a[title='{listing}']"))
    await expect(row).to_have_count(1)

    async with page.expect_download() as info:
        await page.locator("#export-csv").click()
    download = await info.value
    assert download.suggested_filename.startswith("onelist-audit-regulator-")
    text = Path(await download.path()).read_text(encoding="utf-8")
    exported = list(csv.DictReader(io.StringIO(text)))
    assert exported and {e["event"] for e in exported} == {"Listed"}
    assert {e["acting_exchange"] for e in exported} == {"SH"}
    assert listing in {e["listing"] for e in exported}
    assert len(exported) == await rows.count()

    # The row's transaction page lists that transaction's events.
    await row.locator("td").nth(2).get_by_role("link").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("交易中的事件")
    await expect(page.locator("table.events .event-name")).to_have_text(["Listed"])

    await page.goto(nodes.regulator.url(f"/web/audit/suspend?scope=listing&subject={listing}"))
    await page.get_by_label("原因", exact=True).select_option("3")
    await page.get_by_label("法律依据").fill(LEGAL_BASIS)
    await page.get_by_role("button", name="核对后提交").click()
    confirmation = page.locator("#confirmation")
    await expect(confirmation).to_contain_text(listing)
    await expect(confirmation).to_contain_text("数据来源或权属争议 (3)")
    await expect(confirmation).to_contain_text("0x" + keccak(text=LEGAL_BASIS).hex())
    await expect(confirmation).to_contain_text("直至恢复")
    await page.get_by_role("button", name="确认暂停").click()
    await expect(page.get_by_text("暂停已上链。")).to_be_visible(timeout=60_000)
    await expect(page.locator("#tx-block")).to_have_text(re.compile(r"^\d+$"))
    await expect(page.locator("#reason")).to_have_text("数据来源或权属争议 (3)")

    await indexed(nodes.regulator, nodes.consortium)
    await page.locator("#subject-link").click()
    await expect(page.locator(".badges .status-suspended")).to_have_text("已暂停")
    await expect(page.locator("p.badge.status-suspended")).to_have_text("暂停，直至恢复")
    # The timeline names the reason, in the page's language, with its code.
    suspended = page.locator("ol.timeline li", has_text="暂停")
    await expect(suspended.first).to_contain_text("原因 数据来源或权属争议 (3)")
    # A public page's header shows who is signed in, and signs out too.
    header = page.locator("header.site")
    await expect(header.locator("#signed-in-as")).to_have_text("已登录：rita")
    await expect(header.get_by_role("button", name="退出登录")).to_be_visible()
    await page.goto(nodes.regulator.url(f"/web/listings/{listing}?lang=en"))
    await expect(page.locator("ol.timeline li", has_text="Suspended").first).to_contain_text(
        "reason Disputed data source or ownership (3)"
    )
    # So does the audit explorer's row of the suspension.
    await page.goto(nodes.regulator.url(f"/web/audit?event=Suspended&listing={listing}&lang=zh"))
    await expect(page.locator("table.events .reason")).to_have_text("原因: 数据来源或权属争议 (3)")


async def test_confirming_twice_suspends_once(page: Page, nodes: Nodes) -> None:
    """A second click on the confirmation (the back button, a double click) sends nothing new:
    the request id is made once, at the confirmation."""
    c = nodes.consortium
    record = sample_record(address_of(c.keys[5]), "web-staff-twice")
    listed, _ = c.client.list(c.keys[1], c.keys[5], "SH", record, CATALOGUE)
    listing = "0x" + listed.hex()
    await sign_in(page, nodes.regulator, "rita", f"/web/audit/suspend?subject={listing}")
    await page.get_by_label("原因", exact=True).select_option("4")
    await page.get_by_label("法律依据").fill(LEGAL_BASIS)
    await page.get_by_label("暂停至（北京时间）").fill("2099-12-31T00:00")
    await page.get_by_role("button", name="核对后提交").click()
    await expect(page.locator("#confirmation")).to_contain_text("2099-12-31 00:00")
    confirm = page.locator("form[action$='/web/audit/suspend']")
    fields = await confirm.locator("input[type=hidden]").evaluate_all(
        "inputs => Object.fromEntries(inputs.map(i => [i.name, i.value]))"
    )
    await page.get_by_role("button", name="确认暂停").click()
    await expect(page.get_by_text("暂停已上链。")).to_be_visible(timeout=60_000)
    first = await page.locator("#tx-link").text_content()
    again = await page.request.post(nodes.regulator.url("/web/audit/suspend"), form=fields)
    assert again.status == 200
    html = await again.text()
    assert "同一请求此前已发送" in html and str(first) in html
    suspended = c.client.consortium.events.Suspended().get_logs(
        from_block=0, argument_filters={"subject": listed}
    )
    assert len(suspended) == 1


async def test_a_refused_reinstatement_names_the_contracts_error_then_one_goes_through(
    page: Page, nodes: Nodes
) -> None:
    c = nodes.consortium
    record = sample_record(address_of(c.keys[5]), "web-staff-reinstate")
    listed, _ = c.client.list(c.keys[1], c.keys[5], "SH", record, CATALOGUE)
    listing = "0x" + listed.hex()

    async def reinstate() -> int:
        await page.goto(nodes.regulator.url(f"/web/audit/reinstate?subject={listing}"))
        # A code of the regulator's own, outside the vocabulary: the contracts take any uint16.
        await page.get_by_label("原因", exact=True).select_option("other")
        await page.get_by_label("其他原因代码").fill("4321")
        await page.get_by_label("法律依据").fill(LEGAL_BASIS)
        await page.get_by_role("button", name="核对后提交").click()
        await expect(page.locator("#confirmation")).to_contain_text(listing)
        await expect(page.locator("#confirmation")).to_contain_text("未列明的原因 (4321)")
        async with page.expect_response(lambda r: r.url.endswith("/audit/reinstate")) as sent:
            await page.get_by_role("button", name="确认恢复").click()
        answer = await sent.value
        await expect(page.locator("#outcome")).to_be_visible()
        return answer.status

    await sign_in(page, nodes.regulator, "rita", "/web/audit")
    assert await reinstate() == 409  # not suspended: the chain refuses, nothing changes
    await expect(page.locator(".notice.bad")).to_contain_text("OversightNotSuspended")
    c.client.send(c.client.consortium.functions.suspend(0, listed, 7, b"\1" * 32, 0), c.keys[4])
    assert await reinstate() == 200
    await expect(page.get_by_text("恢复已上链。")).to_be_visible()
    await indexed(nodes.regulator, c)
    await page.locator("#subject-link").click()
    await expect(page.locator(".badge.status-listed")).to_be_visible()
    await expect(page.locator(".badge.status-suspended")).to_have_count(0)


BAD_DESK = [
    ("/web/desk?status=bogus", 400, "status"),
    ("/web/desk?before=x", 400, "before"),
    ("/web/desk/submissions/abc", 404, None),
    ("/web/desk/submissions/999999", 404, None),
]
BAD_TRAIL = [
    ("/web/audit?actor=0x123", 400, "actor"),
    ("/web/audit?exchange=not-a-code", 400, "exchange"),
    ("/web/audit?event=Nonsense", 400, "event"),
    ("/web/audit?time_from=yesterday", 400, "time_from"),
    ("/web/audit?time_from=2026-01-02T00:00&time_to=2026-01-01T00:00", 400, "time_from"),
    ("/web/audit?cursor=bogus", 400, "cursor"),
    ("/web/audit?limit=100000", 400, "limit"),
    ("/web/audit/block/x", 404, None),
    ("/web/audit/tx/0x" + "ab" * 32, 400, "block"),
    ("/web/audit/tx/0x" + "ab" * 32 + "?block=x", 400, "block"),
    ("/web/audit/tx/0x12?block=1", 404, None),
    ("/web/audit/pause", 404, None),
]


async def _refused(page: Page, node: Node, cases: list[tuple[str, int, str | None]]) -> None:
    for path, status, field in cases:
        response = await page.goto(node.url(path))
        assert response is not None and response.status == status, path
        assert "text/html" in response.headers["content-type"], path
        await expect(page.locator(".status-code")).to_have_text(str(status))
        if field is not None:
            await expect(page.locator(".error code")).to_have_text(field)


async def test_bad_input_is_a_400_page_naming_the_field(page: Page, nodes: Nodes) -> None:
    await sign_in(page, nodes.sh, "alice", "/web/desk")
    await _refused(page, nodes.sh, BAD_DESK)
    await sign_in(page, nodes.regulator, "rita", "/web/audit")
    await _refused(page, nodes.regulator, BAD_TRAIL)
    # A suspension form the browser's own checks would stop, posted anyway.
    await page.goto(nodes.regulator.url("/web/audit/suspend"))
    token = await page.locator("input[name=csrf_token]").first.get_attribute("value")
    form = {
        "csrf_token": str(token),
        "scope": "listing",
        "subject": "0x12",
        "reason_code": "3",
        "legal_basis": LEGAL_BASIS,
    }
    for changes, field in (
        ({}, "subject"),
        ({"subject": nodes.listed_id, "reason_code": "70000"}, "reason_code"),
        ({"subject": nodes.listed_id, "reason_code": "other"}, "reason_code_other"),
        ({"subject": nodes.listed_id, "scope": "planet"}, "scope"),
        ({"subject": nodes.listed_id, "until": "soon"}, "until"),
    ):
        answer = await page.request.post(
            nodes.regulator.url("/web/audit/suspend/confirm"), form={**form, **changes}
        )
        assert answer.status == 400, changes
        assert f"<code>{field}</code>" in await answer.text()


async def test_a_phone_sized_window_never_scrolls_sideways(page: Page, nodes: Nodes) -> None:
    """Wide tables scroll inside their own box; the page itself stays as wide as the phone."""
    created = await submit(nodes, "手机上审核的数据产品")
    await page.set_viewport_size({"width": 360, "height": 780})
    pages = [
        (
            nodes.sh,
            "alice",
            [
                "/web/desk",
                f"/web/desk/submissions/{created['submission_id']}",
                "/web/desk/licence-requests?status=all",
                "/web/desk/participants",
            ],
        ),
        (nodes.regulator, "rita", ["/web/audit", "/web/audit/block/1", "/web/audit/suspend"]),
    ]
    for node, username, paths in pages:
        await sign_in(page, node, username, paths[0])
        for path in paths:
            await page.goto(node.url(path))
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 360, (path, width)


# ----------------------------------------------------------------------------- who may see


async def test_a_signed_out_visitor_is_refused_the_desk_and_the_explorer(
    page: Page, nodes: Nodes
) -> None:
    for node, path in ((nodes.sh, "/web/desk"), (nodes.regulator, "/web/audit")):
        response = await page.goto(node.url(path))
        assert response is not None and response.request.redirected_from is not None
        await expect(page).to_have_url(re.compile(r"/web/staff/sign-in\?next="))
        await expect(page.get_by_role("heading", level=1)).to_have_text("工作人员登录")
        nav = page.get_by_role("navigation", name="主导航")
        await expect(nav.get_by_role("link", name="审核台")).to_have_count(0)
        await expect(nav.get_by_role("link", name="审计追踪")).to_have_count(0)
    # A form posted to the desk without a session goes to the sign-in page too, changing nothing.
    answer = await page.request.post(
        nodes.sh.url("/web/desk/submissions/1/approve"), max_redirects=0
    )
    assert answer.status == 303 and answer.headers["location"] == "/web/staff/sign-in"
    # The API's JSON and export routes stay closed as well.
    assert (await page.request.get(nodes.regulator.url("/audit/export.csv"))).status == 401


async def test_a_reviewer_is_refused_the_explorer_and_the_regulator_has_no_desk(
    page: Page, nodes: Nodes
) -> None:
    await sign_in(page, nodes.regulator, "alice", "/web/audit/suspend")
    await expect(page.locator(".status-code")).to_have_text("403")
    await page.goto(nodes.regulator.url("/web/audit"))
    await expect(page.locator(".status-code")).to_have_text("403")
    await page.goto(nodes.regulator.url("/web/desk"))
    await expect(page.locator(".status-code")).to_have_text("403")
    await expect(page.get_by_text("监管机构节点没有审核台")).to_be_visible()
    nav = page.get_by_role("navigation", name="主导航")
    await expect(nav.get_by_role("link", name="审核台")).to_have_count(0)


async def test_sign_in_refusals_and_sign_out(page: Page, nodes: Nodes) -> None:
    # A sign-in form posted from elsewhere carries no pre-session cookie: 403 (login CSRF).
    forged = await page.request.post(
        nodes.sh.url("/web/staff/sign-in"),
        form={"username": "alice", "password": PASSWORD, "csrf_token": "0" * 64},
    )
    assert forged.status == 403
    await page.goto(nodes.sh.url("/web/staff/sign-in"))
    await page.get_by_label("用户名").fill("alice")
    await page.get_by_label("密码").fill("not the password")
    await page.get_by_role("button", name="登录", exact=True).click()
    await expect(page.locator(".notice.bad")).to_have_text("用户名或密码错误。")
    await page.get_by_label("密码").fill(PASSWORD)
    await page.get_by_role("button", name="登录", exact=True).click()
    await expect(page).to_have_url(nodes.sh.url("/web/desk"))
    cookies = {c["name"]: c for c in await page.context.cookies()}
    session = cookies["onelist_session"]
    assert session["httpOnly"] and session["sameSite"] == "Strict"
    # Signing out from a public page: its header shows the session as the staff pages' do.
    await page.goto(nodes.sh.url("/web/disclosure"))
    await expect(page.locator("#signed-in-as")).to_have_text("已登录：alice")
    await page.get_by_role("button", name="退出登录").click()
    await expect(page.get_by_text("已退出登录。")).to_be_visible()
    await page.goto(nodes.sh.url("/web/disclosure"))
    await expect(page.locator("#signed-in-as")).to_have_count(0)
    await expect(page.get_by_role("link", name="工作人员登录")).to_be_visible()
    response = await page.goto(nodes.sh.url("/web/desk"))
    await expect(page).to_have_url(re.compile(r"/web/staff/sign-in\?next="))
    assert response is not None and response.headers["cache-control"] == "no-store"
