"""The quarterly business review in a real browser: MSP staff generate the review of a client's
quarter, edit its agenda and record the review meeting with an action item; the client's user
then finds it in the portal (in Korean), read-only, with the charts drawn."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from openmsp.core.actor import Actor
from openmsp.reports import qbr
from openmsp.reports.models import ActionItem, Qbr
from openmsp.tenants import actions as tenant_actions
from openmsp.web.testing import compiled_translations, speaking  # noqa: F401
from tests.browser.test_foundation_flow import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("compiled_translations"),
]


def test_staff_prepare_a_review_and_record_the_meeting_and_the_client_reads_it(
    live_server, browser_page, msp_owner, bob, client_a, client_b
):
    page, base = browser_page, live_server.url
    tenant_actions.update_client(
        actor=Actor.system("test"), client=client_a, changes={"language": "ko"}
    )
    quarter = qbr.label(qbr.quarter_of(timezone.localdate()))
    due = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    speaking(msp_owner, "en")
    sign_in(page, base, msp_owner.email)

    page.locator(".shell-nav a", has_text="Quarterly reviews").click()
    form = page.locator("#qbr-generate-form")
    form.locator("select[name=client]").select_option(label=client_a.name)
    expect(form.locator("input[name=quarter]")).to_have_value(quarter)
    form.get_by_role("button", name="Generate review").click()
    expect(page.locator("main h1")).to_contain_text(f"분기 업무 검토 (QBR) · {quarter}")
    for chart in ("qbr-availability-chart", "qbr-volume-chart", "qbr-sla-chart", "qbr-csat-chart"):
        expect(page.locator(f"#{chart}")).to_have_attribute("data-loaded", "true")

    agenda = page.locator("#agenda-form textarea[name=agenda]")
    expect(agenda).to_contain_text("가용성")  # generated from the figures
    agenda.fill("인사와 소개\n가용성 검토\nNAS 교체 예산")
    page.get_by_role("button", name="Save agenda").click()
    expect(page.locator("#agenda-form textarea[name=agenda]")).to_have_value(
        "인사와 소개\n가용성 검토\nNAS 교체 예산"
    )

    page.locator("#qbr-meetings summary").click()
    meeting = page.locator("#meeting-form")
    meeting.locator("textarea[name=attendees]").fill("김 부장 (Hanbit)\nMSP 담당자")
    meeting.locator("textarea[name=decisions]").fill("NAS를 2분기에 교체한다")
    meeting.locator("input[name=action_title]").fill("NAS 견적 요청")
    meeting.locator("input[name=action_owner]").fill("김 부장")
    meeting.locator("input[name=action_due_on]").fill(due)
    meeting.get_by_role("button", name="Record meeting").click()
    row = page.locator(".meeting .action-items tbody tr").first
    expect(row).to_contain_text("NAS 견적 요청")
    expect(row).to_contain_text(due)
    review = Qbr.objects.get(client=client_a)
    assert review.agenda_edited
    assert ActionItem.objects.get(meeting__qbr=review).owner == "김 부장"

    page.context.clear_cookies()
    speaking(bob, "ko")
    sign_in(page, base, bob.email)
    page.locator(".shell-nav a", has_text="분기 업무 검토").click()
    rows = page.locator("#qbr-table tbody tr")
    expect(rows).to_have_count(1)
    rows.first.get_by_role("link", name=quarter).click()
    expect(page.locator("#agenda-items li")).to_have_text(
        ["인사와 소개", "가용성 검토", "NAS 교체 예산"]
    )
    expect(page.locator(".meeting")).to_contain_text("NAS를 2분기에 교체한다")
    expect(page.locator(".meeting .action-items")).to_contain_text("NAS 견적 요청")
    expect(page.locator("#agenda-form")).to_have_count(0)
    expect(page.locator("#meeting-form")).to_have_count(0)
    expect(page.locator(".meeting button")).to_have_count(0)
    expect(page.locator("#qbr-availability-chart")).to_have_attribute("data-loaded", "true")
    with page.expect_download() as info:
        page.click("#download-qbr-pdf")
    assert info.value.suggested_filename == f"qbr-hanbit-{quarter}.pdf"
