"""Problems in a real browser: a check's failure observed through the spine appears on the board;
a technician opens it, acknowledges it with a comment and an expiry, and sees the state change
(on the page, on the board, and in the problem's timeline)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from openmsp.alerts.models import Problem
from openmsp.core import spine
from openmsp.web.testing import compiled_translations, speaking  # noqa: F401
from tests.browser.test_foundation_flow import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("compiled_translations"),
]


def test_an_owner_sees_a_new_problem_on_the_board_and_acknowledges_it(
    live_server, browser_page, msp_owner, client_a
):
    page, base = browser_page, live_server.url
    speaking(msp_owner, "en")
    spine.observe(
        spine.Observation(
            client_id=client_a.pk,
            source="check",
            object_type="monitoring.check",
            object_id="erp-health",
            rule="http",
            status="critical",
            observed_at=timezone.now(),
            summary="HTTP 503 from https://erp.hanbit.example/health",
            title="ERP health check failing",
        )
    )
    problem = Problem.objects.get()

    sign_in(page, base, msp_owner.email)
    page.locator(".shell-nav a", has_text="Problems").click()
    row = page.locator(f"#problem-table tr[data-problem='{problem.pk}']")
    expect(row).to_contain_text("ERP health check failing")
    expect(row).to_contain_text("Hanbit Logistics")
    expect(row.locator("[data-state]")).to_have_text("Firing")

    row.get_by_role("link", name="ERP health check failing").click()
    expect(page).to_have_url(re.compile(rf"/problems/{problem.pk}/$"))
    expect(page.locator("#timeline")).to_contain_text("Fired")
    page.fill("#id_comment", "Restarting the ERP app pool")
    until = timezone.localtime(
        timezone.now() + dt.timedelta(hours=2), timezone.get_fixed_timezone(540)
    )
    page.fill("#id_expires_at", until.strftime("%Y-%m-%dT%H:%M"))
    page.click("#acknowledge")

    expect(page.locator("#problem-state [data-state]")).to_have_text("Acknowledged")
    expect(page.locator("#ack-by")).to_contain_text("Restarting the ERP app pool")
    expect(page.locator("#timeline")).to_contain_text("Acknowledged")
    problem.refresh_from_db()
    assert problem.state == "acknowledged"
    assert problem.acknowledged_by == msp_owner
    assert problem.ack_expires_at is not None

    page.locator(".shell-nav a", has_text="Problems").click()
    expect(row.locator("[data-state]")).to_have_text("Acknowledged")
    expect(row).to_contain_text("Olivia Owner")
