"""Another role for a registered participant on the staff desk, in a real browser: an admin
makes a licensee a provider from the participants page through the form and the confirmation
(which shows the roles it holds and what ``Consortium.grantParticipantRoles`` will get); the
outcome page says so and the index then holds both roles; confirming twice sends once. A role
already held, and a participant another exchange registered, are the contract's refusals said
in the page's language (Chinese, English), the values entered kept and nothing sent; a bad
account, an unregistered one and no role ticked show the error beside the field; a form
without its CSRF token is a 403 page. The pages fit a 360 px window.

The nodes and helpers are :mod:`tests.web.test_staff_pages`' (SH's node with its operator key).
"""

from __future__ import annotations

import re
import secrets

from playwright.async_api import Page, expect

from node.store.staff import sent_transaction
from node.store.submissions import participant
from onelist.chain.connection import address_of
from onelist.codes import ParticipantRole
from tests.web.test_staff_pages import Nodes, indexed, nodes, sign_in

__all__ = ["nodes"]

PARTICIPANTS = "/web/desk/participants"
ROLES = PARTICIPANTS + "/roles"


async def _licensee(nodes: Nodes) -> str:
    """A new account SH registered as a licensee (the operator key the node sends with), once
    the node indexed it."""
    c = nodes.consortium
    account = address_of("0x" + secrets.token_hex(32))
    c.client.register_participant(c.keys[1], account, int(ParticipantRole.licensee))
    await indexed(nodes.sh, c)
    return account


async def _review(page: Page, account: str, *roles: str) -> None:
    """Fill the add-a-role form and ask for the confirmation."""
    await page.get_by_label("账户地址").fill(account)
    for role in roles:
        await page.get_by_label(role).check()
    await page.get_by_role("button", name="核对后提交").click()


async def _fits_a_phone(page: Page) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, (page.url, width)


async def test_an_admin_makes_a_licensee_a_provider_through_the_confirmation(
    page: Page, nodes: Nodes
) -> None:
    c = nodes.consortium
    account = await _licensee(nodes)
    await page.set_viewport_size({"width": 360, "height": 780})
    await sign_in(page, nodes.sh, "ada", PARTICIPANTS)
    await page.locator("#add-role").click()
    await expect(page).to_have_url(nodes.sh.url(ROLES))
    await expect(page.get_by_role("heading", level=1)).to_have_text("添加角色")
    await _fits_a_phone(page)

    await _review(page, account.lower(), "数商（提供方）")
    confirmation = page.locator("#confirmation")
    await expect(page.locator("#call-title")).to_have_text("Consortium.grantParticipantRoles")
    await expect(confirmation).to_contain_text(account)  # checksummed, as the API sends it
    await expect(confirmation).to_contain_text("roles = 1")
    await expect(page.locator("#held")).to_have_text("被许可方")
    await expect(page.locator("#adding")).to_have_text("数商（提供方）")
    await expect(page.locator("#registered-by")).to_have_text("SH")
    await _fits_a_phone(page)
    fields: dict[str, str | float | bool] = await page.locator(
        f"form[action$='{ROLES}'] input[type=hidden]"
    ).evaluate_all("inputs => Object.fromEntries(inputs.map(i => [i.name, i.value]))")
    # Nothing is sent before the confirmation.
    assert sent_transaction(nodes.sh.engine, f"roles:{account}:1") is None

    await page.get_by_role("button", name="确认添加角色").click()
    await expect(page.get_by_text("已为参与方添加角色，已上链。")).to_be_visible(timeout=60_000)
    await expect(page.locator("#account")).to_have_text(account)
    await expect(page.locator("#added")).to_have_text("数商（提供方）")
    await expect(page.locator("#roles")).to_have_text("被许可方、数商（提供方）")
    await _fits_a_phone(page)
    tx_hash = await page.locator("#tx-hash").text_content()
    receipt = c.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
    assert receipt["status"] == 1
    await expect(page.locator("#tx-block")).to_have_text(str(receipt["blockNumber"]))
    await indexed(nodes.sh, c)
    row = participant(nodes.sh.engine, account)
    assert row is not None and row.roles == ParticipantRole.provider | ParticipantRole.licensee

    # The same confirmation again (the back button, a double click) follows the first
    # transaction: nothing is sent twice.
    again = await page.request.post(nodes.sh.url(ROLES), form=fields)
    assert again.status == 200
    html = await again.text()
    assert "已为参与方添加角色" in html and str(tx_hash) in html


async def test_a_role_already_held_or_another_exchanges_participant_is_refused(
    page: Page, nodes: Nodes
) -> None:
    account = await _licensee(nodes)
    await sign_in(page, nodes.sh, "ada", ROLES)
    await _review(page, account, "被许可方")
    await expect(page.locator("#held")).to_have_text("被许可方")
    async with page.expect_response(lambda r: r.url.endswith(ROLES)) as sent:
        await page.get_by_role("button", name="确认添加角色").click()
    assert (await sent.value).status == 409
    await expect(page.locator(".notice.bad")).to_have_text(
        "未完成： 该参与方已持有所选的全部角色，没有发送交易。"
    )
    await expect(page.locator("#refusal-detail")).to_contain_text("ConsortiumRolesAlreadyHeld")
    # The values entered are kept, to pick another role.
    await expect(page.get_by_label("账户地址")).to_have_value(account)
    await expect(page.get_by_label("被许可方")).to_be_checked()
    await expect(page.get_by_label("数商（提供方）")).not_to_be_checked()
    assert sent_transaction(nodes.sh.engine, f"roles:{account}:2") is None
    row = participant(nodes.sh.engine, account)
    assert row is not None and row.roles == ParticipantRole.licensee

    # SD registered keys[7]: only SD may widen it. In English this time.
    licensee = address_of(nodes.consortium.keys[7])
    await page.goto(nodes.sh.url(ROLES + "?lang=en"))
    await page.get_by_label("Account address").fill(licensee)
    await page.get_by_label("Provider").check()
    await page.get_by_role("button", name="Review before sending").click()
    await expect(page.locator("#registered-by")).to_have_text("SD")
    async with page.expect_response(lambda r: r.url.endswith(ROLES)) as sent:
        await page.get_by_role("button", name="Confirm the roles").click()
    assert (await sent.value).status == 409
    await expect(page.locator(".notice.bad")).to_contain_text(
        "Another exchange registered this participant: only the exchange that checked its "
        "identity may give it another role"
    )
    await expect(page.locator("#refusal-detail")).to_contain_text(
        "ConsortiumNotRegisteringExchange"
    )
    await expect(page.get_by_label("Account address")).to_have_value(licensee)
    await expect(page.get_by_label("Provider")).to_be_checked()
    assert sent_transaction(nodes.sh.engine, f"roles:{licensee}:1") is None


async def test_a_bad_account_or_no_role_shows_the_error_beside_the_field(
    page: Page, nodes: Nodes
) -> None:
    await sign_in(page, nodes.sh, "ada", ROLES)
    async with page.expect_response(lambda r: r.url.endswith("/roles/confirm")) as answer:
        await _review(page, "0x12", "数商（提供方）")
    assert (await answer.value).status == 400
    await expect(page.locator("#account-error")).to_have_text(
        "须为账户地址（0x 加 40 位十六进制）。"
    )
    await expect(page.get_by_label("账户地址")).to_have_value("0x12")
    await expect(page.get_by_label("数商（提供方）")).to_be_checked()
    await expect(page.locator("#confirm")).to_have_count(0)

    # An address no exchange registered: a 404, said beside the account.
    stranger = address_of("0x" + secrets.token_hex(32))
    async with page.expect_response(lambda r: r.url.endswith("/roles/confirm")) as answer:
        await _review(page, stranger)
    assert (await answer.value).status == 404
    await expect(page.locator("#account-error")).to_contain_text("本节点没有该地址的已登记参与方")
    await expect(page.get_by_label("账户地址")).to_have_value(stranger)

    # No role ticked, straight to the sending step: nothing is sent.
    token = await page.locator("input[name=csrf_token]").first.get_attribute("value")
    licensee = address_of(nodes.consortium.keys[7])
    for path in (ROLES + "/confirm", ROLES):
        posted = await page.request.post(
            nodes.sh.url(path), form={"csrf_token": str(token), "account": licensee}
        )
        assert posted.status == 400, path
        html = await posted.text()
        assert "请至少勾选一个角色。" in html and 'id="roles-error"' in html, path
    # Without the token nothing is sent.
    forged = await page.request.post(
        nodes.sh.url(ROLES), form={"account": licensee, "roles": "provider"}
    )
    assert forged.status == 403
    assert sent_transaction(nodes.sh.engine, f"roles:{licensee}:1") is None
    # In English, the field's error in English.
    await page.goto(nodes.sh.url(ROLES + "?lang=en"))
    await page.get_by_label("Account address").fill("not an address")
    await page.get_by_label("Licensee").check()
    await page.get_by_role("button", name="Review before sending").click()
    await expect(page.locator("#account-error")).to_have_text(
        re.compile(r"^Must be an account address")
    )
