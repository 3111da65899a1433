"""Reports in a real browser: a client's user opens this month's service report in the portal
(in Korean), sees the charts drawn, and downloads the PDF."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from openmsp.core.actor import Actor
from openmsp.reports import actions
from openmsp.tenants import actions as tenant_actions
from openmsp.web.testing import compiled_translations, speaking  # noqa: F401
from tests.browser.test_foundation_flow import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("compiled_translations"),
]


def test_a_client_user_opens_this_months_report_and_downloads_the_pdf(
    live_server, browser_page, bob, client_a, client_b
):
    page, base = browser_page, live_server.url
    system = Actor.system("test")
    tenant_actions.update_client(actor=system, client=client_a, changes={"language": "ko"})
    client_a.refresh_from_db()
    month = timezone.localdate().replace(day=1)
    report = actions.generate(actor=system, client=client_a, month=month)
    actions.generate(actor=system, client=client_b, month=month)  # not Bob's: never listed
    speaking(bob, "ko")
    sign_in(page, base, bob.email)

    page.locator(".shell-nav a", has_text="서비스 보고서").click()
    rows = page.locator("#report-table tbody tr")
    expect(rows).to_have_count(1)
    rows.first.get_by_role("link", name=report.month).click()
    expect(page.locator("main h1")).to_contain_text(f"월간 서비스 보고서 · {report.month}")
    expect(page.locator("#report-summary li").first).to_contain_text("가용성은 100.000%")
    for chart in ("trend-chart", "volume-chart", "sla-chart"):
        expect(page.locator(f"#{chart}")).to_have_attribute("data-loaded", "true")

    with page.expect_download() as info:
        page.click("#download-pdf")
    download = info.value
    assert download.suggested_filename == f"report-hanbit-{report.month}.pdf"
    with open(download.path(), "rb") as fh:
        assert fh.read(5) == b"%PDF-"
