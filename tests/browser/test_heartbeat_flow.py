"""Heartbeats, end to end in a real browser: an MSP owner creates a heartbeat in the UI, a job
pings its URL over real HTTP (httpx against the live server), the owner sees it up with the run
listed and charted; when the job falls silent past its deadline it shows as late."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from openmsp.heartbeats.models import Heartbeat
from openmsp.heartbeats.ping_actions import detect_late
from openmsp.web.testing import compiled_translations, speaking  # noqa: F401
from tests.browser.test_foundation_flow import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("compiled_translations"),
]


def test_an_owner_creates_a_heartbeat_a_job_pings_it_and_it_goes_late_when_silent(
    live_server, browser_page, msp_owner, client_a, settings
):
    page, base = browser_page, live_server.url
    settings.SITE_URL = base  # the page shows ping URLs of this server
    speaking(msp_owner, "en")
    sign_in(page, base, msp_owner.email)

    page.locator(".shell-nav a", has_text="Heartbeats").click()
    expect(page.locator("main h1")).to_have_text("Heartbeats")
    page.get_by_role("button", name="New heartbeat").click()
    page.select_option("#id_client", str(client_a.pk))
    page.fill("#id_name", "ERP nightly export")
    page.select_option("#id_kind", "period")
    page.fill("#id_period_seconds", "60")
    page.fill("#id_grace_seconds", "5")
    page.fill("#id_tags", "erp, nightly")
    page.click("#save-heartbeat")
    expect(page.locator("main h1")).to_contain_text("ERP nightly export")
    expect(page.locator("main h1 .badge")).to_have_attribute("data-state", "new")

    # The job: start, work, report its exit status, over real HTTP.
    url = page.locator("#ping-url").inner_text().strip()
    assert url.startswith(f"{base}/ping/")
    assert httpx.get(f"{url}/start", timeout=10).text == "OK"
    done = httpx.post(f"{url}/0", content=b"exported 42 rows", timeout=10)
    assert done.status_code == 200
    assert done.text == "OK"

    page.reload()
    expect(page.locator("main h1 .badge")).to_have_attribute("data-state", "up")
    expect(page.locator("#run-table tbody tr")).to_have_count(1)
    expect(page.locator("#run-table")).to_contain_text("Success")
    expect(page.locator("#ping-log")).to_contain_text("exported 42 rows")
    expect(page.locator("#run-chart")).to_have_attribute("data-points", "1")

    # Silence past period + grace: the late detector (the scheduler's job) flags it.
    hb = Heartbeat.objects.get(name="ERP nightly export")
    assert hb.alert_after is not None
    assert detect_late(now=hb.alert_after) == [(hb.pk, "late")]
    page.locator(".shell-nav a", has_text="Heartbeats").click()
    row = page.locator(f"#heartbeat-table tr[data-heartbeat='{hb.pk}']")
    expect(row.locator(".badge")).to_have_attribute("data-state", "late")
    expect(row).to_contain_text("Late")

    # The next ping brings it back.
    assert httpx.get(url, timeout=10).text == "OK"
    page.reload()
    expect(row.locator(".badge")).to_have_attribute("data-state", "up")
