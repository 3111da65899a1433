"""Generating, regenerating and e-mailing reports. Atomic, audited, take the acting user."""

from __future__ import annotations

import datetime as dt
import re
from email.message import EmailMessage
from email.utils import formatdate

from django.db import transaction
from django.utils import timezone

from openmsp.accounts.roles import Perm
from openmsp.core import audit
from openmsp.core.actions import require
from openmsp.core.actor import Actor
from openmsp.core.errors import PermissionDenied, ValidationFailed
from openmsp.integrations.smtp import (
    FileTransport,
    MailTransport,
    SmtpServer,
    SmtpTransport,
    clean_recipients,
)
from openmsp.reports import collect, pdf
from openmsp.reports import summary as sm
from openmsp.reports.models import Report
from openmsp.tenants.models import Client

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(value: object, *, today: dt.date, field: str = "month") -> dt.date:
    """'2026-10' -> 2026-10-01; a malformed, impossible or future month is a 422 naming it."""
    text = str(value or "").strip()
    match = _MONTH.match(text)
    if not match or not 1 <= int(match[2]) <= 12 or int(match[1]) < 2000:
        raise ValidationFailed(
            f"'{text}' is not a month: write it as YYYY-MM, e.g. 2026-10.", field=field
        )
    month = dt.date(int(match[1]), int(match[2]), 1)
    if month > today.replace(day=1):
        raise ValidationFailed(
            f"{text} has not begun yet: choose this month or an earlier one.", field=field
        )
    return month


def _staff_only(actor: Actor) -> None:
    require(actor, Perm.WORK)
    if actor.user is not None and not actor.user.is_msp_staff:
        raise PermissionDenied("Only MSP staff generate reports.")


def generate(
    *, actor: Actor, client: Client, month: dt.date, now: dt.datetime | None = None
) -> Report:
    """Compute the month's figures, write the summary and the PDF, store them (replacing an
    earlier version of the same month's report)."""
    _staff_only(actor)
    now = now or timezone.now()
    figures = collect.compute(client, month, now)
    language = sm.language_of(client.language)
    summary = sm.sentences(figures, language)
    document = pdf.render(figures, summary, language)
    with transaction.atomic():
        report = (
            Report.objects.select_for_update()
            .filter(client=client, kind=Report.Kind.MONTHLY, period_start=month)
            .first()
        )
        before = None if report is None else {"figures": report.figures}
        if report is None:
            report = Report(client=client, kind=Report.Kind.MONTHLY, period_start=month)
        report.period_end = (month + dt.timedelta(days=32)).replace(day=1)
        report.language = language
        report.figures = figures
        report.summary = summary
        report.pdf = document
        report.generated_by = actor.label[:300]
        report.save()
        audit.record(
            actor=actor,
            action="report.generate" if before is None else "report.regenerate",
            obj=report,
            before=None if before is None else {"changed": before["figures"] != figures},
            after={"month": report.month, "pdf_bytes": len(document)},
        )
    return report


def recipients_of(client: Client, on: dt.date) -> list[str]:
    from openmsp.servicedesk.clocks import active_contract

    contract = active_contract(client.pk, on)
    if contract is None:
        return []
    return clean_recipients(contract.report_recipients, field="report_recipients")


def email(
    *, actor: Actor, report: Report, recipients: list[str], transport: MailTransport | None = None
) -> Report:
    """Send the report with its PDF attached through the installation's SMTP server."""
    _staff_only(actor)
    to = clean_recipients(recipients, field="recipients")
    if not to:
        raise ValidationFailed(
            "The report has no recipients: add some to the contract.", field="recipients"
        )
    server = SmtpServer.from_settings()
    message = EmailMessage()
    title = sm.title(report.language)
    message["Subject"] = f"{title} · {report.client.name} · {report.month}"
    message["From"] = server.sender
    message["To"] = ", ".join(to)
    message["Date"] = formatdate(localtime=False)
    message.set_content("\n".join([f"{title} {report.month}", "", *report.summary]))
    message.add_attachment(
        bytes(report.pdf),
        maintype="application",
        subtype="pdf",
        filename=f"report-{report.client.code or report.client_id}-{report.month}.pdf",
    )
    sender = transport or (SmtpTransport(server) if server.host else FileTransport(server.file_dir))
    result = sender.send(message)
    with transaction.atomic():
        report.emailed_at = timezone.now()
        report.emailed_to = to
        report.save(update_fields=["emailed_at", "emailed_to", "updated_at"])
        audit.record(
            actor=actor, action="report.email", obj=report, after={"to": to, "result": result}
        )
    return report
