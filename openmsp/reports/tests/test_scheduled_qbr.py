"""The scheduled quarterly business review: for each client whose communication plan e-mails it,
the review of the quarter just ended is generated once, its PDF mailed in the client's language
to the plan's recipients through a real SMTP server and archived on the run; a failure is
recorded with its reason and retried; staff can send it again."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from typing import Any

import pytest
from django_tasks_db.models import DBTaskResult

from openmsp.core.actor import Actor
from openmsp.core.errors import Conflict
from openmsp.notifications.tests.peers import SmtpPeer
from openmsp.reports import actions, qbr_jobs
from openmsp.reports.models import Qbr, QbrRun
from openmsp.reports.tests.conftest import AFTER_QUARTER, KST, QUARTER, SYSTEM, drain
from openmsp.tenants import actions as tenant_actions
from openmsp.tenants.models import BusinessCalendar, Client, Contract

pytestmark = pytest.mark.django_db(transaction=True)  # the real worker, drained several times


def plan(client: Client, **changes: Any) -> Contract:
    contract = Contract.objects.get(client=client)
    return tenant_actions.update_contract(actor=SYSTEM, contract=contract, changes=changes)


@pytest.fixture
def on(quarter: dict[str, Any]) -> dict[str, Any]:
    """Client A's plan e-mails the review three days after each quarter to its CEO."""
    plan(quarter["client"], qbr_email=True, qbr_recipients=["ceo@hanbit.example"], qbr_delay_days=3)
    return quarter


@pytest.fixture
def off_b(client_b: Client) -> Client:
    """Client B has a contract whose plan sends monthly reports but not the review."""
    tenant_actions.create_contract(
        actor=SYSTEM, client=client_b, name="B 2026", start_date=dt.date(2026, 1, 1),
        calendar=BusinessCalendar.objects.get(client=client_b), report_recipients=["it@saebom.example"],
    )  # fmt: skip
    return client_b


def qbr_jobs_queued() -> Any:
    return DBTaskResult.objects.filter(task_path__endswith="qbr_jobs.qbr_for_client")


def test_the_quarterly_run_mails_the_ended_quarters_review_with_its_pdf_exactly_once(
    on: dict[str, Any], off_b: Client, smtp: SmtpPeer
) -> None:
    assert qbr_jobs.run(now=AFTER_QUARTER) == {"enqueued": 1, "retried": 0}  # B has it off
    assert qbr_jobs.run(now=AFTER_QUARTER) == {"enqueued": 0, "retried": 0}  # a second tick
    assert Qbr.objects.count() == 0  # the periodic job computes nothing itself
    assert qbr_jobs_queued().count() == 1
    drain()

    run = QbrRun.objects.get()
    review = Qbr.objects.get()
    assert (run.client, run.quarter, run.state, run.attempts) == (
        on["client"],
        QUARTER,
        "mailed",
        1,
    )
    assert (run.qbr, run.error, run.emailed_to) == (review, "", ["ceo@hanbit.example"])
    assert review.figures["trends"]["availability"] == 99.7823
    [message] = smtp.messages
    assert isinstance(message, EmailMessage)
    assert message["To"] == "ceo@hanbit.example"
    assert message["Subject"] == "분기 업무 검토 (QBR) · Hanbit Logistics · 2026-Q4"
    body = message.get_body(("plain",))
    assert body is not None
    assert "Hanbit Logistics의 2026-Q4 분기 업무 검토 보고서를 첨부합니다." in body.get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "qbr-hanbit-2026-Q4.pdf"
    assert attachment.get_content() == bytes(run.pdf)  # the archive holds what was sent
    assert bytes(run.pdf).startswith(b"%PDF")

    assert not QbrRun.objects.filter(client=off_b).exists()
    assert qbr_jobs.run(now=AFTER_QUARTER + dt.timedelta(days=1)) == {"enqueued": 0, "retried": 0}
    assert qbr_jobs.run_client(on["client"].pk, QUARTER) == "skipped"  # a duplicate delivery
    drain()
    assert len(smtp.messages) == 1

    figures = review.figures
    again = actions.generate_qbr(actor=SYSTEM, client=on["client"], quarter=QUARTER)
    assert again.figures == figures  # regenerating the past quarter gives the same


def test_two_schedulers_that_both_found_no_run_enqueue_one_job(
    on: dict[str, Any], smtp: SmtpPeer
) -> None:
    client = on["client"]
    assert qbr_jobs._enqueue_new(client.pk, QUARTER) == 1
    assert qbr_jobs._enqueue_new(client.pk, QUARTER) == 0  # the other scheduler's attempt
    assert qbr_jobs_queued().count() == 1
    drain()
    assert len(smtp.messages) == 1


def test_the_review_waits_for_the_plans_delay_and_follows_the_meeting_cadence(
    on: dict[str, Any],
) -> None:
    client = on["client"]
    plan(client, qbr_delay_days=5)  # the quarter ended 2027-01-01 (KST): due on the 6th
    assert qbr_jobs.due_quarters(AFTER_QUARTER) == {}
    assert qbr_jobs.due_quarters(AFTER_QUARTER + dt.timedelta(days=1)) == {client.pk: QUARTER}
    in_q4 = dt.datetime(2026, 10, 10, 9, tzinfo=KST)  # the quarter just ended is Q3
    q3 = dt.date(2026, 7, 1)
    assert qbr_jobs.due_quarters(in_q4) == {client.pk: q3}
    plan(client, meeting_cadence="annual")  # an annual review: only after the fourth quarter
    assert qbr_jobs.due_quarters(in_q4) == {}
    assert qbr_jobs.due_quarters(AFTER_QUARTER + dt.timedelta(days=1)) == {client.pk: QUARTER}
    plan(client, qbr_email=False)
    assert qbr_jobs.due_quarters(AFTER_QUARTER + dt.timedelta(days=1)) == {}


def test_a_failure_is_recorded_with_its_reason_retried_and_staff_can_send_again(
    on: dict[str, Any], smtp: SmtpPeer, msp_owner: Any
) -> None:
    client = on["client"]
    tenant_actions.update_client(actor=SYSTEM, client=client, changes={"language": "en"})
    Contract.objects.filter(client=client).update(qbr_recipients=["not an address"])
    qbr_jobs.run(now=AFTER_QUARTER)
    drain()
    run = QbrRun.objects.get()
    assert (run.state, run.attempts) == ("failed", 1)
    assert "not an address" in run.error
    assert Qbr.objects.filter(client=client).exists()  # generated before the mail failed
    assert smtp.messages == []

    Contract.objects.filter(client=client).update(qbr_recipients=["ceo@hanbit.example"])
    assert qbr_jobs.run(now=AFTER_QUARTER) == {"enqueued": 0, "retried": 1}
    drain()
    run.refresh_from_db()
    assert (run.state, run.attempts, run.error) == ("mailed", 2, "")
    [first] = smtp.messages
    assert first["Subject"] == "Quarterly business review · Hanbit Logistics · 2026-Q4"

    actor = Actor(user=msp_owner)
    actions.resend_qbr(actor=actor, run=run)
    assert QbrRun.objects.get().state == "queued"
    with pytest.raises(Conflict):
        actions.resend_qbr(actor=actor, run=run)  # already queued: not twice
    drain()
    assert QbrRun.objects.get().state == "mailed"
    assert [m["To"] for m in smtp.messages] == ["ceo@hanbit.example"] * 2


def test_a_run_a_crashed_worker_left_generated_or_running_is_requeued_after_an_hour(
    on: dict[str, Any], smtp: SmtpPeer
) -> None:
    qbr_jobs.run(now=AFTER_QUARTER)
    QbrRun.objects.update(state="generated", updated_at=AFTER_QUARTER)  # died before the mail
    assert qbr_jobs.run(now=AFTER_QUARTER + dt.timedelta(minutes=30)) == {
        "enqueued": 0,
        "retried": 0,
    }
    assert qbr_jobs.run(now=AFTER_QUARTER + dt.timedelta(hours=2)) == {"enqueued": 0, "retried": 1}
    drain()
    assert QbrRun.objects.get().state == "mailed"
    assert len(smtp.messages) == 1
