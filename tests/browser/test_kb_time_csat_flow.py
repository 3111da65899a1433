"""Knowledge base, time and satisfaction in a real browser: a client user typing a new ticket's
subject sees a matching knowledge-base article suggested; a technician logs time on the ticket
(manually and with the timer); the requester's one click on the CSAT mail's link (delivered
through a real SMTP server) is recorded."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import make_user
from openmsp.accounts.roles import Role
from openmsp.core.actor import Actor
from openmsp.knowledge import actions as kb_actions
from openmsp.notifications import outbox
from openmsp.servicedesk import actions, csat
from openmsp.servicedesk.models import CsatSurvey, Ticket, TimeEntry
from openmsp.web.testing import compiled_translations, speaking  # noqa: F401
from tests.browser.test_foundation_flow import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("compiled_translations"),
]
SYSTEM = Actor.system("test")


@pytest.fixture
def tech_a(client_a):
    return make_user("tech-a@msp.example", Role.TECHNICIAN, all_clients=False, assigned_clients=[client_a], full_name="Tina Tech")  # fmt: skip


def test_a_suggestion_while_typing_time_logged_and_a_csat_click_recorded(live_server, browser_page, bob, tech_a, client_a, smtp, settings):  # fmt: skip
    page, base = browser_page, live_server.url
    settings.SITE_URL = base
    speaking(bob, "en")
    speaking(tech_a, "en")
    kb_actions.create_article(actor=Actor(user=tech_a), title="Label printer shows E42", body="Open the cover and remove the jammed label.", language="en", status="published")  # fmt: skip
    csat.update_setting(actor=SYSTEM, client=client_a, enabled=True, sample_percent=100, delay_minutes=0)  # fmt: skip

    sign_in(page, base, bob.email)
    page.goto(f"{base}/tickets/new/")
    page.locator("#id_subject").press_sequentially("label printer", delay=20)
    suggestion = page.locator("#kb-suggestions a.kb-suggestion")
    expect(suggestion).to_have_text("Label printer shows E42")
    page.fill("#id_body", "E42 since 9:00.")
    page.click("#open-ticket")
    expect(page.locator("main h1")).to_contain_text("label printer")
    ticket = Ticket.objects.get(subject="label printer")

    page.context.clear_cookies()
    sign_in(page, base, tech_a.email)
    page.goto(f"{base}/tickets/{ticket.pk}/")
    page.click("#time-manual summary")
    page.fill("#time-minutes", "40")
    page.select_option("#time-work-type", "onsite")
    page.click("#time-save")
    expect(page.locator("#time-entries")).to_contain_text("40 min")
    page.click("#timer-start")
    expect(page.locator("#timer-running")).to_be_visible()
    page.click("#timer-stop")
    expect(page.locator("#time-entries tr")).to_have_count(2)
    assert sorted(TimeEntry.objects.values_list("work_type", flat=True)) == ["onsite", "remote"]

    actions.assign(actor=SYSTEM, ticket=ticket, assignee=tech_a)
    actions.change_status(actor=SYSTEM, ticket=ticket, status="resolved")
    assert csat.send_due(now=timezone.now()) == 1
    assert outbox.deliver_due(worker="browser-test") == (1, 0)
    [mail] = smtp.messages
    good = re.search(r"https?://\S+/csat/\S+/good", mail.get_content()).group(0)  # type: ignore[union-attr]
    page.context.clear_cookies()
    page.goto(good)
    expect(page.locator("#csat-recorded")).to_have_attribute("data-rating", "good")
    assert CsatSurvey.objects.get(ticket=ticket).rating == "good"

    sign_in(page, base, tech_a.email)
    page.goto(f"{base}/tickets/satisfaction/")
    expect(page.locator("#csat-chart")).to_have_attribute("data-loaded", "true")
    expect(page.locator("#csat-by-technician")).to_contain_text("Tina Tech")
