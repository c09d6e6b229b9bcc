"""Rejecting a licensee's request on the review desk, in a real browser: from the queue's
"reject" button through the form and the confirmation (which shows exactly what will be
recorded) to the outcome; the queue then shows the request rejected with its reason, and so
does the licensee's own view in the API; confirming twice records once; granting it afterwards
is refused, saying why; an empty reason is a 400 page naming ``reason``; a visitor is sent to
sign in, a user without the reviewer's role gets a 403 page, a form without its CSRF token too.

Granting an exclusive licence of public data (the outcome of an open auction) from the queue's
grant form: only a public-data listing's form offers it; the outcome page and the public
listing page show it exclusive, until when, with its references, the listing page never the
licensee; a bad or missing reference, a listing that is not public data or a term too long for
an exclusive licence is the API's 422 shown beside the field on the form again, the values kept,
in the page's language, and nothing is sent.

The nodes and helpers are :mod:`tests.web.test_staff_pages`' (SH's node with its operator key).
"""

from __future__ import annotations

import re
from typing import Any

from eth_utils import keccak
from playwright.async_api import Page, expect

from node.api.participant_auth import sign_request
from node.api.staff_auth import CSRF_HEADER
from node.store.staff import sent_transaction
from node.store.submissions import get_licence_request
from node.web.formats import when
from onelist.chain.connection import address_of
from onelist.chain.samples import DAY, sample_record, sample_terms
from onelist.codes import exchange_code
from tests.node.conftest import CATALOGUE
from tests.web.test_staff_pages import Nodes, indexed, nodes, request_licence, sign_in

__all__ = ["nodes"]

REASON = "结算未在约定期限内完成（合同 2026-SH-0412），被许可方已书面撤回"
QUEUE = "/web/desk/licence-requests"


APPROVAL_REF = "0x" + keccak(text="衡阳市数据局批复 2026-17").hex()
AUCTION_REF = "0x" + keccak(text="公开竞价记录 2026-SH-A-0031").hex()


async def _requested(
    nodes: Nodes, name: str, *, policy: dict[str, Any] | None = None, **terms_changes: Any
) -> dict[str, Any]:
    """A product listed at SH (its policy changed by ``policy``) and a pending request of
    keys[7] (a registered licensee) to license it from SH (its terms changed by
    ``terms_changes``): the node's answer to ``POST /licence-requests``, with the terms."""
    c = nodes.consortium
    record = sample_record(address_of(c.keys[5]), name, **(policy or {}))
    listed, _ = c.client.list(c.keys[1], c.keys[5], "SH", record, CATALOGUE)
    terms = sample_terms(
        listed, 1, address_of(c.keys[7]), exchange_code("SH"), c.client.now(), **terms_changes
    )
    await indexed(nodes.sh, c)
    return {**await request_licence(nodes, c.keys[7], terms), "terms": terms}


#: A listing of public data (有条件开放) whose envelope admits a term of up to 2,000 days.
PUBLIC_DATA = {"openClass": 1, "maxTermDays": 2000}


async def _licensees_view(nodes: Nodes, request_id: int) -> dict[str, Any]:
    """``GET /licence-requests/{id}`` signed by the licensee: what it sees of its request."""
    c = nodes.consortium
    path = f"/licence-requests/{request_id}"
    headers = sign_request(c.keys[7], "GET", path, b"", c.deployment.chain_id)
    response = await nodes.sh.client.get(path, headers=headers)
    answer: dict[str, Any] = await response.json()
    assert response.status == 200, answer
    return answer


async def _to_confirmation(page: Page, request_id: int, reason: str) -> dict[str, str]:
    """From the queue's row of ``request_id``, through the form to the confirmation; the
    confirmation form's hidden fields."""
    item = page.locator(f'[data-licence-request="{request_id}"]')
    await expect(item).to_contain_text("待授予")
    await item.get_by_role("link", name="驳回").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"驳回许可申请 · #{request_id}")
    await page.get_by_label("理由").fill(reason)
    await page.get_by_role("button", name="核对后驳回").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("确认将要记录的内容")
    confirm = page.locator(f"form[action$='{QUEUE}/{request_id}/reject']")
    fields: dict[str, str] = await confirm.locator("input[type=hidden]").evaluate_all(
        "inputs => Object.fromEntries(inputs.map(i => [i.name, i.value]))"
    )
    return fields


async def test_a_reviewer_rejects_a_licence_request_through_the_confirmation(
    page: Page, nodes: Nodes
) -> None:
    created = await _requested(nodes, "web-licence-reject-me")
    request_id = created["request_id"]
    licensee = address_of(nodes.consortium.keys[7])
    await sign_in(page, nodes.sh, "alice", QUEUE)
    await _to_confirmation(page, request_id, REASON)

    confirmation = page.locator("#confirmation")
    await expect(confirmation).to_contain_text(f"#{request_id}")
    await expect(confirmation).to_contain_text(licensee)
    await expect(confirmation).to_contain_text(created["licence_id"])
    await expect(page.locator("#new-status")).to_have_text("已驳回")
    await expect(page.locator("#reason-recorded")).to_have_text(REASON)
    await expect(page.locator("#call-title")).to_contain_text("pending → rejected")
    # Nothing is recorded before the confirmation.
    row = get_licence_request(nodes.sh.engine, request_id)
    assert row is not None and row.status == "pending" and row.reason is None

    await page.get_by_role("button", name="确认驳回").click()
    await expect(page.get_by_text("许可申请已驳回。")).to_be_visible()
    await expect(page.locator("#already")).to_have_count(0)
    await expect(page.locator("#reason")).to_have_text(REASON)
    await expect(page.locator(f"#request-status-{request_id}")).to_have_text("已驳回")

    # The queue shows it rejected, with its reason, and offers no grant.
    await page.locator("#queue-link").click()
    await expect(page).to_have_url(re.compile(r"status=rejected"))
    item = page.locator(f'[data-licence-request="{request_id}"]')
    await expect(item.locator(".badge")).to_have_text("已驳回")
    await expect(item).to_contain_text(REASON)
    await expect(item.get_by_role("button", name="授予许可")).to_have_count(0)
    await expect(item.get_by_role("link", name="驳回")).to_have_count(0)
    # So does the licensee's own view of its request, in the API.
    seen = await _licensees_view(nodes, request_id)
    assert seen["status"] == "rejected" and seen["reason"] == REASON
    # And in English.
    await page.goto(nodes.sh.url(f"{QUEUE}?status=rejected&lang=en"))
    await expect(item.locator(".badge")).to_have_text("Rejected")
    await expect(item).to_contain_text("Reason")


async def test_confirming_twice_rejects_once_and_a_grant_afterwards_is_refused(
    page: Page, nodes: Nodes
) -> None:
    created = await _requested(nodes, "web-licence-reject-twice")
    request_id = created["request_id"]
    await sign_in(page, nodes.sh, "alice", QUEUE)
    item = page.locator(f'[data-licence-request="{request_id}"]')
    await expect(item.get_by_role("button", name="授予许可")).to_be_visible()
    # Meanwhile, in another tab of the same reviewer, the request is rejected.
    desk = await page.context.new_page()
    await desk.goto(nodes.sh.url(QUEUE))
    fields = await _to_confirmation(desk, request_id, REASON)
    await desk.get_by_role("button", name="确认驳回").click()
    await expect(desk.get_by_text("许可申请已驳回。")).to_be_visible()
    first = get_licence_request(nodes.sh.engine, request_id)
    assert first is not None and first.status == "rejected" and first.reason == REASON

    # The same confirmation again (the back button, a double click): nothing new is recorded.
    again = await desk.request.post(nodes.sh.url(f"{QUEUE}/{request_id}/reject"), form=fields)
    assert again.status == 200
    html = await again.text()
    assert "该申请此前已驳回，此次未再记录" in html and REASON in html
    # Even a confirmation carrying another reason leaves the first on record.
    other = await desk.request.post(
        nodes.sh.url(f"{QUEUE}/{request_id}/reject"), form={**fields, "reason": "另一个理由"}
    )
    assert other.status == 200 and "此前已驳回" in await other.text()
    assert get_licence_request(nodes.sh.engine, request_id) == first
    # A fresh form for it is refused: only a pending request is rejected.
    await desk.goto(nodes.sh.url(f"{QUEUE}/{request_id}/reject"))
    await expect(desk.locator(".status-code")).to_have_text("409")
    await expect(desk.locator(".error .message")).to_contain_text("只能驳回待授予的申请")
    await desk.close()

    # The first tab still shows the grant form: granting is refused, saying why.
    await item.get_by_label("已收到结算款项").check()
    async with page.expect_response(lambda r: r.url.endswith("/grant")) as answer:
        await item.get_by_role("button", name="授予许可").click()
    assert (await answer.value).status == 409
    await expect(page.locator(".notice.bad")).to_have_text(
        f"许可申请 #{request_id} 已驳回，不能授予。驳回理由：{REASON}"
    )
    assert sent_transaction(nodes.sh.engine, f"grant:{created['licence_id'].lower()}") is None
    assert get_licence_request(nodes.sh.engine, request_id) == first


async def test_an_empty_or_too_long_reason_is_a_400_page_naming_it(
    page: Page, nodes: Nodes
) -> None:
    created = await _requested(nodes, "web-licence-reject-no-reason")
    request_id = created["request_id"]
    await sign_in(page, nodes.sh, "alice", f"{QUEUE}/{request_id}/reject")
    # Spaces pass the browser's own check; the API's says a reason is required.
    await page.get_by_label("理由").fill("   ")
    async with page.expect_response(lambda r: r.url.endswith("/reject/confirm")) as answer:
        await page.get_by_role("button", name="核对后驳回").click()
    assert (await answer.value).status == 400
    await expect(page.locator(".status-code")).to_have_text("400")
    await expect(page.locator(".error code")).to_have_text("reason")

    await page.goto(nodes.sh.url(f"{QUEUE}/{request_id}/reject"))
    token = await page.locator("input[name=csrf_token]").first.get_attribute("value")
    for path in (f"{QUEUE}/{request_id}/reject/confirm", f"{QUEUE}/{request_id}/reject"):
        for reason in ("", "x" * 1001):
            posted = await page.request.post(
                nodes.sh.url(path), form={"csrf_token": str(token), "reason": reason}
            )
            assert posted.status == 400, (path, len(reason))
            assert "<code>reason</code>" in await posted.text()
    missing = await page.request.post(
        nodes.sh.url(f"{QUEUE}/999999/reject/confirm"),
        form={"csrf_token": str(token), "reason": REASON},
    )
    assert missing.status == 404
    row = get_licence_request(nodes.sh.engine, request_id)
    assert row is not None and row.status == "pending"


async def test_a_visitor_signs_in_first_and_others_are_refused(page: Page, nodes: Nodes) -> None:
    created = await _requested(nodes, "web-licence-reject-refused")
    request_id = created["request_id"]
    form = f"{QUEUE}/{request_id}/reject"
    # A visitor who is not signed in is sent to the sign-in page, and back afterwards.
    response = await page.goto(nodes.sh.url(form))
    assert response is not None and response.request.redirected_from is not None
    await expect(page).to_have_url(re.compile(r"/web/staff/sign-in\?next="))
    posted = await page.request.post(nodes.sh.url(form), form={"reason": REASON}, max_redirects=0)
    assert posted.status == 303 and posted.headers["location"] == "/web/staff/sign-in"
    await page.get_by_label("用户名").fill("alice")
    await page.get_by_label("密码").fill("correct horse battery")
    await page.get_by_role("button", name="登录", exact=True).click()
    await expect(page).to_have_url(nodes.sh.url(form))

    # Without its CSRF token the confirmation records nothing: a 403 page.
    await page.get_by_label("理由").fill(REASON)
    await page.locator("form[action$='/reject/confirm'] input[name=csrf_token]").evaluate(
        "input => input.remove()"
    )
    async with page.expect_response(lambda r: r.url.endswith("/reject/confirm")) as answer:
        await page.get_by_role("button", name="核对后驳回").click()
    assert (await answer.value).status == 403
    forged = await page.request.post(nodes.sh.url(form), form={"reason": REASON})
    assert forged.status == 403

    # An admin of the same node (registrations only) may not reject.
    await page.context.clear_cookies()
    await sign_in(page, nodes.sh, "ada", "/web/desk/participants")
    refused = await page.goto(nodes.sh.url(form))
    assert refused is not None and refused.status == 403
    await expect(page.get_by_text("审核台仅供交易所节点的审核员使用")).to_be_visible()
    row = get_licence_request(nodes.sh.engine, request_id)
    assert row is not None and row.status == "pending"


async def test_the_apis_own_reject_route_answers_as_before(nodes: Nodes) -> None:
    """``POST /staff/licence-requests/{id}/reject`` over the same function the pages call: a
    reason is required, the same reason again is a 200 changing nothing, another reason a 409
    that keeps the first (the pages' ``once`` takes any reason), a grant afterwards is a 409
    naming the rejection."""
    created = await _requested(nodes, "web-licence-reject-api")
    request_id = created["request_id"]
    client = nodes.sh.client
    signed = await client.post(
        "/staff/sign-in", json={"username": "alice", "password": "correct horse battery"}
    )
    headers = {CSRF_HEADER: (await signed.json())["csrf_token"]}
    path = f"/staff/licence-requests/{request_id}/reject"
    empty = await client.post(path, json={"reason": " "}, headers=headers)
    assert empty.status == 400 and (await empty.json())["field"] == "reason"
    first = await client.post(path, json={"reason": REASON}, headers=headers)
    body = await first.json()
    assert first.status == 200, body
    assert body["status"] == "rejected" and body["reason"] == REASON
    again = await client.post(path, json={"reason": REASON}, headers=headers)
    assert again.status == 200 and await again.json() == body
    second = await client.post(path, json={"reason": "另一个理由"}, headers=headers)
    assert second.status == 409 and (await second.json())["code"] == "already_rejected"
    kept = get_licence_request(nodes.sh.engine, request_id)
    assert kept is not None and kept.reason == REASON
    missing = await client.post(
        "/staff/licence-requests/999999/reject", json={"reason": REASON}, headers=headers
    )
    assert missing.status == 404
    granted = await client.post(
        "/staff/licences", json={"licence_request_id": request_id}, headers=headers
    )
    assert granted.status == 409 and "was rejected" in (await granted.json())["message"]


async def test_the_rejection_pages_fit_a_phone(page: Page, nodes: Nodes) -> None:
    created = await _requested(nodes, "web-licence-reject-phone")
    request_id = created["request_id"]
    await page.set_viewport_size({"width": 360, "height": 780})
    await sign_in(page, nodes.sh, "alice", QUEUE)
    await page.goto(nodes.sh.url(f"{QUEUE}/{request_id}/reject"))
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    await page.goto(nodes.sh.url(QUEUE))
    await _to_confirmation(page, request_id, REASON)  # the screenshot's page
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360


async def _exclusive_form(
    page: Page, request_id: int, approval: str, auction: str, *, status: int
) -> None:
    """Tick the exclusive option of ``request_id``'s grant form (the queue's, or the form page
    shown again), type both references, tick the settlement box and grant; the answer's
    status is ``status``."""
    form = page.locator(f"form[action$='{QUEUE}/{request_id}/grant']")
    await form.locator(f"#exclusive-{request_id}").check()
    await form.locator(f"#approval_ref-{request_id}").fill(approval)
    await form.locator(f"#auction_ref-{request_id}").fill(auction)
    await form.locator("input[name=settled]").check()
    async with page.expect_response(lambda r: r.url.endswith("/grant")) as answer:
        await form.locator("button[type=submit]").click()
    assert (await answer.value).status == status


async def test_an_exclusive_licence_of_public_data_is_granted_through_the_form(
    page: Page, nodes: Nodes
) -> None:
    c = nodes.consortium
    created = await _requested(nodes, "web-licence-exclusive", policy=PUBLIC_DATA)
    ordinary = await _requested(nodes, "web-licence-not-public")
    request_id, licensee = created["request_id"], address_of(c.keys[7])
    await sign_in(page, nodes.sh, "alice", QUEUE)
    # Only the public-data listing's grant form offers an exclusive licence.
    item = page.locator(f'[data-licence-request="{request_id}"]')
    await expect(item.get_by_label("公共数据独占许可（公开竞价结果）")).to_be_visible()
    await expect(item.get_by_label("批准文件哈希")).to_be_visible()
    await expect(item.get_by_label("公开竞价记录哈希")).to_be_visible()
    other = page.locator(f'[data-licence-request="{ordinary["request_id"]}"]')
    await expect(other.get_by_role("button", name="授予许可")).to_be_visible()
    await expect(other.locator("input[name=exclusive]")).to_have_count(0)

    await _exclusive_form(page, request_id, APPROVAL_REF, AUCTION_REF, status=200)
    await expect(page.get_by_text("独占许可已授予上链。")).to_be_visible(timeout=60_000)
    await expect(page.locator("#licence-id")).to_have_text(created["licence_id"])
    await expect(page.locator("#licence-kind")).to_have_text("公共数据独占许可")
    until = when(created["terms"]["end"])
    await expect(page.locator("#exclusive-until")).to_have_text(until)
    await expect(page.locator("#approval-ref")).to_have_text(APPROVAL_REF)
    await expect(page.locator("#auction-ref")).to_have_text(AUCTION_REF)
    licence_id = bytes.fromhex(created["licence_id"][2:])
    assert c.client.licences.functions.inForce(licence_id).call()
    row = get_licence_request(nodes.sh.engine, request_id)
    assert row is not None and row.status == "granted"

    # The public listing page shows the exclusive licence, until when, its approval; never
    # the licensee.
    await indexed(nodes.sh, c)
    await page.locator("#listing-link").click()
    await expect(page.get_by_text(f"独占许可期至 {until}")).to_be_visible()
    await expect(page.locator(f"code[title='{APPROVAL_REF}']").first).to_be_visible()
    html = (await page.content()).lower()
    assert licensee.lower() not in html and licensee[2:].lower() not in html
    # So does its entry in the catalogue (the newest at SH), with the day it ends.
    listing_path = page.url.split("?")[0].removeprefix(nodes.sh.url(""))
    await page.goto(nodes.sh.url("/web/?exchange=SH&sort=newest"))
    entry = page.locator("li", has=page.locator(f"a[href='{listing_path}']"))
    day = when(created["terms"]["end"], with_time=False)
    await expect(entry.get_by_text(f"独占许可期至 {day}")).to_be_visible()


async def test_a_bad_exclusive_grant_is_shown_beside_its_field_and_nothing_is_sent(
    page: Page, nodes: Nodes
) -> None:
    c = nodes.consortium
    created = await _requested(nodes, "web-licence-exclusive-bad", policy=PUBLIC_DATA)
    request_id, licence_id = created["request_id"], created["licence_id"].lower()
    await sign_in(page, nodes.sh, "alice", QUEUE)
    heading = page.get_by_role("heading", level=1)
    approval, auction = (
        page.locator(f"#approval_ref-{request_id}"),
        page.locator(f"#auction_ref-{request_id}"),
    )
    cases = [
        # (approval typed, auction typed, the field refused, its error)
        ("0x1234", AUCTION_REF, "approval_ref", "须为 0x 加 64 位十六进制（32 字节哈希）。"),
        (APPROVAL_REF, "", "auction_ref", "独占许可须填写此哈希（0x 加 64 位十六进制）。"),
        ("0x" + "00" * 32, AUCTION_REF, "approval_ref", "不能为全零哈希。"),
    ]
    for typed_approval, typed_auction, field, message in cases:
        await _exclusive_form(page, request_id, typed_approval, typed_auction, status=422)
        await expect(heading).to_have_text(f"授予许可 · #{request_id}")
        await expect(page.locator(".notice.bad").first).to_have_text(
            "请更正下面标出的内容，尚未发送任何交易。"
        )
        await expect(page.locator(f"#{field}-{request_id}-error")).to_have_text(message)
        await expect(page.locator(f"#{field}-{request_id}")).to_have_attribute(
            "aria-invalid", "true"
        )
        # The entered values are kept.
        await expect(approval).to_have_value(typed_approval)
        await expect(auction).to_have_value(typed_auction)
        await expect(page.locator(f"#exclusive-{request_id}")).to_be_checked()
        await expect(page.locator("input[name=settled]")).to_be_checked()
        assert sent_transaction(nodes.sh.engine, f"grant:{licence_id}") is None
    row = get_licence_request(nodes.sh.engine, request_id)
    assert row is not None and row.status == "pending"
    # References typed without ticking the option: only an exclusive grant names them.
    await page.locator(f"#exclusive-{request_id}").uncheck()
    await approval.fill(APPROVAL_REF)
    await auction.fill(AUCTION_REF)
    async with page.expect_response(lambda r: r.url.endswith("/grant")) as answer:
        await page.get_by_role("button", name="授予许可").click()
    assert (await answer.value).status == 422
    await expect(page.locator(f"#approval_ref-{request_id}-error")).to_contain_text(
        "只有独占许可才填写此哈希"
    )
    assert sent_transaction(nodes.sh.engine, f"grant:{licence_id}") is None
    # The page fits a phone.
    await page.set_viewport_size({"width": 360, "height": 780})
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360

    # In English, the same refusal in English.
    await page.goto(nodes.sh.url(f"{QUEUE}/{request_id}/grant?lang=en"))
    await expect(heading).to_have_text(f"Grant a licence · #{request_id}")
    await _exclusive_form(page, request_id, "0x" + "zz" * 32, AUCTION_REF, status=422)
    await expect(page.locator(f"#approval_ref-{request_id}-error")).to_have_text(
        "Must be 0x and 64 hex digits (a 32-byte hash)."
    )
    await expect(approval).to_have_value("0x" + "zz" * 32)

    # Corrected on the form shown again, it is granted.
    await page.goto(nodes.sh.url(f"{QUEUE}/{request_id}/grant?lang=zh"))
    await _exclusive_form(page, request_id, APPROVAL_REF, AUCTION_REF, status=200)
    await expect(page.get_by_text("独占许可已授予上链。")).to_be_visible(timeout=60_000)
    assert c.client.licences.functions.inForce(bytes.fromhex(licence_id[2:])).call()


async def test_an_exclusive_grant_the_listing_or_its_term_refuses_is_shown_on_the_form(
    page: Page, nodes: Nodes
) -> None:
    """A form posted for a listing that is not public data (its queue row offers no exclusive
    option, so the post is made by hand), and a term longer than an exclusive licence may run:
    the API's 422 beside the exclusive option, nothing sent."""
    c = nodes.consortium
    private = await _requested(nodes, "web-licence-exclusive-private")
    long_term = await _requested(
        nodes,
        "web-licence-exclusive-long",
        policy=PUBLIC_DATA,
        end=c.client.now() + 1900 * DAY,
    )
    await sign_in(page, nodes.sh, "alice", QUEUE)
    token = await page.locator("input[name=csrf_token]").first.get_attribute("value")
    cases = [
        (private, "exclusive", "独占许可仅限公共数据，该产品不是公共数据。"),
        (long_term, "terms.end", "独占许可自起始日（或现在，取较早者）起最长 1826 天"),
    ]
    for created, _field, message in cases:
        request_id = created["request_id"]
        form = {
            "csrf_token": str(token),
            "settled": "yes",
            "exclusive": "yes",
            "approval_ref": APPROVAL_REF,
            "auction_ref": AUCTION_REF,
        }
        answer = await page.request.post(nodes.sh.url(f"{QUEUE}/{request_id}/grant"), form=form)
        assert answer.status == 422, created
        await page.set_content(await answer.text())
        await expect(page.locator(f"#exclusive-{request_id}-error")).to_contain_text(message)
        await expect(page.locator(f"#exclusive-{request_id}")).to_be_checked()
        await expect(page.locator(f"#approval_ref-{request_id}")).to_have_value(APPROVAL_REF)
        licence_id = created["licence_id"].lower()
        assert sent_transaction(nodes.sh.engine, f"grant:{licence_id}") is None
        row = get_licence_request(nodes.sh.engine, request_id)
        assert row is not None and row.status == "pending"
