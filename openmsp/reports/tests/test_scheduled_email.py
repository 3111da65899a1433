"""The scheduled run: last month's report for each client whose contract's plan asks for one,
e-mailed with the PDF attached to the contract's recipients through a real SMTP server, once."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import pytest

from openmsp.notifications.tests.peers import SmtpPeer
from openmsp.reports import jobs
from openmsp.reports.models import Report
from openmsp.reports.tests.conftest import AFTER, MONTH, drain
from openmsp.tenants.models import Contract

pytestmark = pytest.mark.django_db(
    transaction=True
)  # the real worker closes its connection between runs


def test_the_monthly_run_mails_last_months_report_with_the_pdf_once(
    seeded: dict[str, Any], smtp: SmtpPeer, client_b: Any
) -> None:
    done = jobs.run(now=AFTER)
    assert done == {"enqueued": 1, "retried": 0}  # client B has no contract
    drain()
    report = Report.objects.get(client=seeded["client"])
    assert report.period_start == MONTH
    assert report.emailed_to == ["it@hanbit.example"]
    [received] = smtp.messages
    assert isinstance(received, EmailMessage)  # parsed with policy.default
    message = received
    assert message["To"] == "it@hanbit.example"
    assert "월간 서비스 보고서" in str(message["Subject"])
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "report-hanbit-2026-10.pdf"
    assert attachment.get_content() == bytes(report.pdf)

    assert jobs.run(now=AFTER) == {"enqueued": 0, "retried": 0}
    drain()
    assert len(smtp.messages) == 1


def test_a_quarterly_plan_skips_a_month_that_closes_no_quarter(
    seeded: dict[str, Any], smtp: SmtpPeer
) -> None:
    Contract.objects.filter(client=seeded["client"]).update(report_frequency="quarterly")
    assert jobs.run(now=AFTER) == {"enqueued": 0, "retried": 0}  # October
    drain()
    assert smtp.messages == []
