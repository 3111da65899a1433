"""Dashboards in a real browser: the MSP owner opens "clients at a glance", finds the client in
trouble first and drills into its dashboard (charts drawn); a client's user opens their own
dashboard in the portal from the "your systems" card."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from openmsp.alerts.models import Problem, ProblemEvent
from openmsp.assets import actions as asset_actions
from openmsp.core.actor import Actor
from openmsp.monitoring import actions as check_actions
from openmsp.servicedesk import actions as desk
from openmsp.web.testing import compiled_translations, speaking  # noqa: F401
from tests.browser.test_foundation_flow import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("compiled_translations"),
]
SYSTEM = Actor.system("test")


@pytest.fixture
def trouble(client_a, client_b):
    """Client A has a critical problem on its web check and an open ticket; B is quiet."""
    host = asset_actions.create_asset(actor=SYSTEM, client=client_a, name="erp-01")
    check = check_actions.create_check(actor=SYSTEM, client=client_a, kind="tcp", name="ERP web",
                                       target="127.0.0.1", settings={"port": 443}, asset=host)  # fmt: skip
    since = timezone.now() - dt.timedelta(minutes=30)
    p = Problem.objects.create(
        client=client_a, fingerprint=f"check:{check.pk}", source="check", rule="tcp",
        object_type="monitoring.check", object_id=str(check.pk), asset=host, title="ERP web down",
        severity="critical", state="firing", last_status="bad", first_seen_at=since,
        last_seen_at=since, fired_at=since,
    )  # fmt: skip
    ProblemEvent.objects.create(problem=p, at=since, kind="fired", state="firing",
                                severity="critical")  # fmt: skip
    desk.open_ticket(actor=SYSTEM, client=client_a, subject="ERP is down", body="-")
    return client_a


def test_staff_open_clients_at_a_glance_and_drill_into_a_client(
    live_server, browser_page, msp_owner, trouble, client_b
):
    page, base = browser_page, live_server.url
    speaking(msp_owner, "en")
    sign_in(page, base, msp_owner.email)
    page.locator(".shell-nav a", has_text="Overview").click()
    expect(page.locator("main h1")).to_have_text("Clients at a glance")
    rows = page.locator("#msp-dashboard tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_have_attribute("data-client", "hanbit")  # worst first
    expect(rows.first.locator('[data-count="critical"]')).to_contain_text("1")
    page.locator("#msp-dashboard thead a[data-sort=name]").click()
    expect(page.locator("#current-sort")).to_have_text("name")
    page.locator("#msp-dashboard tbody tr[data-client=hanbit] a").click()
    expect(page.locator("#client-dashboard-title")).to_contain_text("Hanbit Logistics")
    expect(page.locator("#open-ticket-count")).to_have_text("1")
    expect(page.locator("#open-problems")).to_contain_text("ERP web down")
    for chart in ("trend-chart", "sla-chart", "volume-chart"):
        expect(page.locator(f"#{chart}")).to_have_attribute("data-loaded", "true")


def test_a_client_user_opens_their_portal_dashboard_in_korean(
    live_server, browser_page, alice, trouble
):
    page, base = browser_page, live_server.url
    speaking(alice, "ko")
    sign_in(page, base, alice.email)
    expect(page.locator("#your-systems")).to_be_visible()
    page.click("#open-client-dashboard")
    expect(page.locator("#client-dashboard-title")).to_contain_text("Hanbit Logistics · 대시보드")
    expect(page.locator("main")).to_contain_text("이번 달 SLA 준수율")
    expect(page.locator("#client-health [data-count=critical]")).to_contain_text("1")
    expect(page.locator("#open-ticket-count")).to_have_text("1")
    expect(page.locator("#trend-chart")).to_have_attribute("data-loaded", "true")
