"""The service desk, end to end in a real browser: a client user opens a ticket in the portal,
a technician finds it in the queue and replies — the first-response clock shows met — then
puts it on "waiting on customer" and the resolution clock pauses; the client user sees the reply
and the ticket's new status. The contract's targets run around the clock, so the test does not
depend on the hour it runs at."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from conftest import make_user
from openmsp.accounts.roles import Role
from openmsp.core.actor import Actor
from openmsp.servicedesk.models import Ticket
from openmsp.tenants import actions as tenant_actions
from openmsp.web.testing import compiled_translations, speaking  # noqa: F401
from tests.browser.test_foundation_flow import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("compiled_translations"),
]


@pytest.fixture
def contract(client_a):
    return tenant_actions.create_contract(
        actor=Actor.system("test"), client=client_a, name="Managed service", start_date=dt.date(2026, 1, 1),
        support_hours="24x7",
        sla_targets=[{"priority": p, "first_response_minutes": 60, "resolution_minutes": 480} for p in ("P1", "P2", "P3", "P4")],
    )  # fmt: skip


def clock(page, n):
    return page.locator("#sla-clocks dd").nth(n)


@pytest.fixture
def tech_a(client_a):
    return make_user(
        "tech-a@msp.example", Role.TECHNICIAN, all_clients=False, assigned_clients=[client_a]
    )


def test_a_client_user_opens_a_ticket_a_technician_replies_and_the_client_sees_it(
    live_server, browser_page, bob, tech_a, contract
):
    page, base = browser_page, live_server.url
    speaking(bob, "en")
    speaking(tech_a, "en")

    sign_in(page, base, bob.email)
    page.locator(".shell-nav a", has_text="Tickets").click()
    expect(page.locator("main h1")).to_have_text("My tickets")
    page.get_by_role("button", name="New ticket").click()
    page.fill("#id_subject", "Label printer offline")
    page.fill("#id_body", "The warehouse label printer shows E42 since 9:00.")
    page.click("#open-ticket")
    expect(page.locator("main h1")).to_contain_text("Label printer offline")
    expect(page.locator("#ticket-status")).to_have_text("New")
    ticket = Ticket.objects.get(subject="Label printer offline")
    assert ticket.source == "portal"

    page.context.clear_cookies()
    sign_in(page, base, tech_a.email)
    page.locator(".shell-nav a", has_text="Tickets").click()
    row = page.locator(f"#ticket-table tr[data-ticket='{ticket.pk}']")
    expect(row).to_contain_text("Label printer offline")
    row.get_by_role("link", name=ticket.number).click()
    page.fill("#id_body", "Power-cycle it please; a replacement ships today.")
    page.click("#send-reply")
    expect(page.locator("#conversation")).to_contain_text("a replacement ships today")
    expect(page.locator("#ticket-status")).to_have_text("Open")
    expect(clock(page, 0)).to_have_attribute("data-clock-state", "met")
    expect(clock(page, 0)).to_contain_text("met")
    expect(clock(page, 2)).to_have_attribute("data-clock-state", "running")
    due_before = clock(page, 2).locator("time").get_attribute("datetime")

    page.select_option("#ticket-controls select[name=status]", "waiting_on_customer")
    page.click("#ticket-controls button[type=submit]")
    expect(page.locator("#ticket-status")).to_have_text("Waiting on customer")
    expect(clock(page, 2)).to_have_attribute("data-clock-state", "paused")
    expect(clock(page, 2)).to_contain_text("paused")
    ticket.refresh_from_db()
    assert ticket.resolution_due is None  # the deadline job leaves a paused clock alone
    assert due_before is not None

    page.select_option("#ticket-controls select[name=status]", "open")
    page.click("#ticket-controls button[type=submit]")
    expect(clock(page, 2)).to_have_attribute("data-clock-state", "running")
    due_after = clock(page, 2).locator("time").get_attribute("datetime")
    assert due_after is not None
    assert dt.datetime.fromisoformat(due_after) >= dt.datetime.fromisoformat(due_before)

    page.context.clear_cookies()
    sign_in(page, base, bob.email)
    page.locator(".shell-nav a", has_text="Tickets").click()
    row = page.locator(f"#ticket-table tr[data-ticket='{ticket.pk}']")
    expect(row.locator(".ticket-status")).to_have_text("Open")
    row.get_by_role("link", name=ticket.subject).click()
    expect(page.locator("#conversation")).to_contain_text("a replacement ships today")
