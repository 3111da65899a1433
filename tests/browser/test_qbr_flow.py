"""The quarterly business review in a real browser: MSP staff generate the review of a client's
quarter, edit its agenda and record the review meeting with an action item; the client's user
then finds it in the portal (in Korean), read-only, with the charts drawn. The scheduled review:
turned on in the contract's communication plan, mailed by the quarterly run, sent again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from openmsp.core.actor import Actor
from openmsp.reports import qbr, qbr_jobs
from openmsp.reports.models import ActionItem, Qbr
from openmsp.reports.tests.conftest import drain
from openmsp.tenants import actions as tenant_actions
from openmsp.tenants.models import BusinessCalendar
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


def test_staff_turn_on_the_scheduled_review_see_it_mailed_and_send_it_again(
    live_server,
    browser_page,
    msp_owner,
    client_a,
    smtp,
):
    """The communication plan editor shows the QBR settings; after the scheduled run the list
    shows the run as mailed (through a real SMTP server), and "Send again" queues it."""
    page, base = browser_page, live_server.url
    system = Actor.system("test")
    calendar = BusinessCalendar.objects.get(client=client_a)
    contract = tenant_actions.create_contract(
        actor=system, client=client_a, name="MSA", start_date=dt.date(2025, 1, 1),
        calendar=calendar, report_recipients=["it@hanbit.example"],
    )  # fmt: skip
    speaking(msp_owner, "en")
    sign_in(page, base, msp_owner.email)
    page.goto(f"{base}/clients/{client_a.pk}/contracts/{contract.pk}/edit/")
    page.get_by_label("E-mail the quarterly review").check()
    page.get_by_label("Quarterly review recipients").fill("ceo@hanbit.example")
    page.get_by_label("Days after the quarter").fill("0")
    page.get_by_role("button", name="Save contract").click()
    expect(page.locator("#contract-qbr-plan")).to_have_text(
        "E-mailed 0 days after the quarter → ceo@hanbit.example"
    )

    assert qbr_jobs.run() == {"enqueued": 1, "retried": 0}  # the quarter before this one
    drain()
    [message] = smtp.messages
    assert message["To"] == "ceo@hanbit.example"
    page.locator(".shell-nav a", has_text="Quarterly reviews").click()
    row = page.locator("#qbr-runs-table tbody tr").first
    expect(row).to_have_attribute("data-state", "mailed")
    expect(row.locator(".run-state")).to_have_text("Mailed")
    expect(row).to_contain_text("ceo@hanbit.example")
    row.get_by_role("button", name="Send again").click()
    expect(page.locator("#flash")).to_contain_text("queued to be sent again")
    row = page.locator("#qbr-runs-table tbody tr").first
    expect(row).to_have_attribute("data-state", "queued")
    expect(row.get_by_role("button", name="Send again")).to_have_count(0)
    drain()
    page.reload()
    expect(page.locator("#qbr-runs-table tbody tr").first).to_have_attribute("data-state", "mailed")
    assert len(smtp.messages) == 2
