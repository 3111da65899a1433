"""The service desk, end to end in a real browser: a client user opens a ticket in the portal,
a technician finds it in the queue and replies, and the client user sees the reply and the
ticket's new status."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conftest import make_user
from openmsp.accounts.roles import Role
from openmsp.servicedesk.models import Ticket
from openmsp.web.testing import compiled_translations, speaking  # noqa: F401
from tests.browser.test_foundation_flow import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("compiled_translations"),
]


@pytest.fixture
def tech_a(client_a):
    return make_user(
        "tech-a@msp.example", Role.TECHNICIAN, all_clients=False, assigned_clients=[client_a]
    )


def test_a_client_user_opens_a_ticket_a_technician_replies_and_the_client_sees_it(
    live_server, browser_page, bob, tech_a
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

    page.context.clear_cookies()
    sign_in(page, base, bob.email)
    page.locator(".shell-nav a", has_text="Tickets").click()
    row = page.locator(f"#ticket-table tr[data-ticket='{ticket.pk}']")
    expect(row.locator(".ticket-status")).to_have_text("Open")
    row.get_by_role("link", name=ticket.subject).click()
    expect(page.locator("#conversation")).to_contain_text("a replacement ships today")
