"""The audit explorer's licences in a real browser: a regulator's officer finds a granted
licence on the list (with its licensee and granting exchange), revokes it through the form and
the confirmation, and then sees it revoked on the list and on the public listing page's
timeline; confirming twice sends once.

The nodes are :mod:`tests.web.test_staff_pages`' (SH's and the national regulator's, keys[4]).
"""

from __future__ import annotations

import re

from eth_utils import keccak
from playwright.async_api import Page, expect

from onelist.chain.connection import address_of
from onelist.chain.samples import sample_record, sample_terms
from onelist.codes import exchange_code
from tests.node.conftest import CATALOGUE
from tests.web.test_staff_pages import LEGAL_BASIS, Nodes, indexed, nodes, sign_in

__all__ = ["nodes"]


def _list_and_grant(nodes: Nodes, name: str) -> tuple[str, str]:
    """A product listed at SH and granted once via ZJ to keys[7]: (listing id, licence id)."""
    c = nodes.consortium
    record = sample_record(address_of(c.keys[5]), name)
    listing, _ = c.client.list(c.keys[1], c.keys[5], "SH", record, CATALOGUE)
    terms = sample_terms(listing, 1, address_of(c.keys[7]), exchange_code("ZJ"), c.client.now())
    licence, _ = c.client.grant(c.keys[2], c.keys[7], terms, record)
    return "0x" + listing.hex(), "0x" + licence.hex()


async def _review_revocation(page: Page, nodes: Nodes, licence: str, reason: str) -> None:
    """From the list's row of ``licence``, through the form to the confirmation."""
    row = page.locator(f"tr[data-licence='{licence}']")
    await expect(row.locator("td.state")).to_have_text("有效")
    await row.get_by_role("link", name="撤销").click()
    await page.get_by_label("原因", exact=True).select_option(reason)
    await page.get_by_label("法律依据").fill(LEGAL_BASIS)
    await page.get_by_role("button", name="核对后提交").click()


async def test_a_regulator_revokes_a_licence_and_sees_it_revoked_everywhere(
    page: Page, nodes: Nodes
) -> None:
    c = nodes.consortium
    listing, licence = _list_and_grant(nodes, "web-licence-revoke-me")
    await indexed(nodes.regulator, c)
    await sign_in(page, nodes.regulator, "rita", "/web/audit/licences")
    await page.get_by_label("挂牌产品编号").fill(listing)
    await page.get_by_label("状态").select_option("active")
    await page.get_by_role("button", name="筛选").click()
    await expect(page).to_have_url(re.compile(r"state=active"))
    row = page.locator(f"tr[data-licence='{licence}']")
    await expect(row).to_have_count(1)
    licensee = address_of(c.keys[7])
    await expect(row.locator(f"code[title='{licensee}']")).to_have_count(1)
    await expect(row.locator("td").nth(3)).to_have_text("ZJ")

    await _review_revocation(page, nodes, licence, "4")
    confirmation = page.locator("#confirmation")
    await expect(confirmation).to_contain_text(licence)
    await expect(confirmation).to_contain_text(licensee)
    await expect(confirmation).to_contain_text("(reasonCode = 4)")
    await expect(confirmation).to_contain_text("0x" + keccak(text=LEGAL_BASIS).hex())
    await expect(page.locator("#call-title")).to_have_text("LicenceRegistry.revokeByRegulator")
    await page.get_by_role("button", name="确认撤销").click()
    await expect(page.get_by_text("撤销已上链。")).to_be_visible(timeout=60_000)
    await expect(page.locator("#tx-block")).to_have_text(re.compile(r"^\d+$"))
    assert not c.client.licences.functions.inForce(bytes.fromhex(licence[2:])).call()

    await indexed(nodes.regulator, c)
    await page.locator("#licences-link").click()
    row = page.locator(f"tr[data-licence='{licence}']")
    await expect(row.locator("td.state")).to_contain_text("已撤销")
    await expect(row.locator("td.state")).to_contain_text("国家安全或重要数据风险 (4)")
    await expect(row.get_by_role("link", name="撤销")).to_have_count(0)
    # Filtered by state, the list agrees.
    await page.goto(nodes.regulator.url(f"/web/audit/licences?listing={listing}&state=active"))
    await expect(page.locator("p.empty")).to_be_visible()

    # The public listing page's timeline shows the revocation (and no counterparty).
    await page.goto(nodes.regulator.url(f"/web/listings/{listing}"))
    await expect(page.locator("ol.timeline li", has_text="撤销许可")).to_have_count(1)
    assert licensee not in await page.content()


async def test_confirming_a_revocation_twice_revokes_once(page: Page, nodes: Nodes) -> None:
    c = nodes.consortium
    _, licence = _list_and_grant(nodes, "web-licence-twice")
    await indexed(nodes.regulator, c)
    await sign_in(page, nodes.regulator, "rita", "/web/audit/licences")
    await _review_revocation(page, nodes, licence, "6")
    confirm = page.locator(f"form[action$='/web/audit/licences/{licence}/revoke']")
    fields = await confirm.locator("input[type=hidden]").evaluate_all(
        "inputs => Object.fromEntries(inputs.map(i => [i.name, i.value]))"
    )
    await page.get_by_role("button", name="确认撤销").click()
    await expect(page.get_by_text("撤销已上链。")).to_be_visible(timeout=60_000)
    first = await page.locator("#tx-link").text_content()
    again = await page.request.post(
        nodes.regulator.url(f"/web/audit/licences/{licence}/revoke"), form=fields
    )
    assert again.status == 200
    html = await again.text()
    assert "同一请求此前已发送" in html and str(first) in html
    # A new request (a fresh confirmation) meets the contract's refusal, by name.
    fields["request_id"] = "web-a-new-one"
    refused = await page.request.post(
        nodes.regulator.url(f"/web/audit/licences/{licence}/revoke"), form=fields
    )
    assert refused.status == 409
    assert "LicenceRegistryNotActive" in await refused.text()


async def test_a_reviewer_is_refused_the_licences_and_their_revocation(
    page: Page, nodes: Nodes
) -> None:
    await sign_in(page, nodes.regulator, "alice", "/web/audit/licences")
    await expect(page.get_by_text("审计追踪仅供审计员和监管人员查看。")).to_be_visible()
    assert (await page.request.get(nodes.regulator.url("/web/audit/licences"))).status == 403
    form = nodes.regulator.url(f"/web/audit/licences/0x{'5a' * 32}/revoke")
    assert (await page.request.get(form)).status == 403
