"""SLA policies in a real browser: the MSP owner creates a policy in the editor (client and
priority conditions, 24x7 targets, a ladder step), moves it above another, a ticket that matches
opens, its page says "Policy … applied because …", and the queue shows its clock badges."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from openmsp.core.actor import Actor
from openmsp.servicedesk import actions as desk_actions
from openmsp.servicedesk import policy_actions
from openmsp.web.testing import compiled_translations, speaking  # noqa: F401
from tests.browser.test_foundation_flow import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("compiled_translations"),
]


def test_the_owner_creates_a_policy_and_a_matching_ticket_shows_it_and_its_badges(
    live_server, browser_page, msp_owner, client_a
):
    page, base = browser_page, live_server.url
    speaking(msp_owner, "en")
    policy_actions.save_policy(
        actor=Actor.system("test"), name="Catch-all",
        clocks_spec={"resolution": {"target_minutes": 9000, "calendar": "24x7"}},
    )  # fmt: skip
    sign_in(page, base, msp_owner.email)
    page.goto(f"{base}/tickets/")
    page.get_by_role("button", name="SLA policies").click()
    page.get_by_role("button", name="New SLA policy").click()
    page.fill("input[name=name]", "Hanbit urgent desk")
    page.select_option("#sla-policy-form select[name=client]", label=client_a.name)
    page.check("input[name=priorities][value=P4]")
    page.fill("input[name=first_response_target]", "45")
    page.select_option("select[name=first_response_calendar]", "24x7")
    page.fill("input[name=resolution_target]", "240")
    page.select_option("select[name=resolution_calendar]", "24x7")
    page.locator("#sla-steps select[name=step_clock]").first.select_option("resolution")
    page.locator("#sla-steps input[name=step_offset]").first.fill("-30")
    page.locator("#sla-steps select[name=step_action]").first.select_option("notify")
    page.click("#save-policy")
    expect(page.locator("main")).to_contain_text("SLA policy saved")

    page.locator(".breadcrumb").get_by_role("link", name="SLA policies").click()
    rows = page.locator("#sla-policies tbody tr")
    expect(rows.nth(1)).to_contain_text("Hanbit urgent desk")
    rows.nth(1).get_by_role("button", name="Move up").click()
    expect(page.locator("#sla-policies tbody tr").first).to_contain_text("Hanbit urgent desk")
    expect(page.locator("#sla-policies tbody tr").first).to_contain_text("-30")

    ticket = desk_actions.open_ticket(
        actor=Actor(user=msp_owner), client=client_a, subject="Scanner offline", body="Down."
    )
    page.goto(f"{base}/tickets/{ticket.pk}/")
    expect(page.locator("#sla-policy")).to_have_text(
        f"Policy Hanbit urgent desk applied because client is {client_a.name}, priority is P4."
    )
    page.goto(f"{base}/tickets/?ordering=next_due")
    row = page.locator(f"tr[data-ticket='{ticket.pk}']")
    expect(row.locator("[data-clock=first_response]")).to_have_attribute("data-state", "running")
    expect(row.locator("[data-clock=first_response]")).to_contain_text("FR 4")
    # 240 working minutes, less the seconds since it opened, 24x7.
    expect(row.locator("[data-clock=resolution]")).to_contain_text(
        re.compile(r"RES (3h5\dm|4h00m)")
    )
