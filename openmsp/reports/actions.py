"""Generating, regenerating and e-mailing reports. Atomic, audited, take the acting user."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from django.db import transaction
from django.utils import timezone

from openmsp.accounts.roles import Perm
from openmsp.core import audit
from openmsp.core.actions import full_clean, require, save_changed, save_created
from openmsp.core.actor import Actor
from openmsp.core.errors import Conflict, PermissionDenied, ValidationFailed
from openmsp.integrations.smtp import (
    FileTransport,
    MailTransport,
    SmtpServer,
    SmtpTransport,
    clean_recipients,
)
from openmsp.reports import collect, pdf, qbr_collect, qbr_pdf
from openmsp.reports import figures as fg
from openmsp.reports import qbr_text as qtext
from openmsp.reports import summary as sm
from openmsp.reports.models import ActionItem, Meeting, Qbr, QbrRun, Report, RootCause
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
    title = sm.title(report.language)
    result = _send(
        subject=f"{title} · {report.client.name} · {report.month}",
        body="\n".join([f"{title} {report.month}", "", *report.summary]),
        document=bytes(report.pdf),
        filename=f"report-{report.client.code or report.client_id}-{report.month}.pdf",
        to=to,
        transport=transport,
    )
    with transaction.atomic():
        report.emailed_at = timezone.now()
        report.emailed_to = to
        report.save(update_fields=["emailed_at", "emailed_to", "updated_at"])
        audit.record(
            actor=actor, action="report.email", obj=report, after={"to": to, "result": result}
        )
    return report


def _send(
    *, subject: str, body: str, document: bytes, filename: str, to: list[str],
    transport: MailTransport | None,
) -> str:  # fmt: skip
    """One e-mail with a PDF attached, through the installation's SMTP server (or the file
    transport when no server is configured); returns what the transport said."""
    server = SmtpServer.from_settings()
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = server.sender
    message["To"] = ", ".join(to)
    message["Date"] = formatdate(localtime=False)
    message.set_content(body)
    message.add_attachment(document, maintype="application", subtype="pdf", filename=filename)
    sender = transport or (SmtpTransport(server) if server.host else FileTransport(server.file_dir))
    return sender.send(message)


# --- Quarterly business review -----------------------------------------------------------------

AGENDA_MAX = 10_000


def generate_qbr(
    *, actor: Actor, client: Client, quarter: dt.date, now: dt.datetime | None = None
) -> Qbr:
    """Compute the quarter's figures and (unless staff have edited it) its agenda; generating a
    quarter again replaces the figures and keeps the meetings."""
    _staff_only(actor)
    now = now or timezone.now()
    language = sm.language_of(client.language)
    figures = qbr_collect.compute(client, quarter, now, language)
    open_actions = ActionItem.objects.filter(
        client=client, done=False, meeting__qbr__quarter_start__lt=quarter
    ).count()
    agenda = "\n".join(qtext.agenda(figures, language, open_actions=open_actions))
    with transaction.atomic():
        review = (
            Qbr.objects.select_for_update().filter(client=client, quarter_start=quarter).first()
        )
        created = review is None
        if review is None:
            review = Qbr(client=client, quarter_start=quarter)
        changed = review.figures != figures
        review.quarter_end = fg._add_months(quarter, 3)
        review.language = language
        review.figures = figures
        if not review.agenda_edited:
            review.agenda = agenda
        review.generated_by = actor.label[:300]
        review.save()
        audit.record(
            actor=actor,
            action="qbr.generate" if created else "qbr.regenerate",
            obj=review,
            before=None if created else {"changed": changed},
            after={"quarter": review.quarter, "recurring": len(figures["recurring"])},
        )
    return review


def update_agenda(*, actor: Actor, review: Qbr, agenda: str) -> Qbr:
    _staff_only(actor)
    text = "\n".join(line.rstrip() for line in str(agenda).replace("\r\n", "\n").split("\n"))
    if len(text) > AGENDA_MAX:
        raise ValidationFailed(
            f"The agenda is too long: at most {AGENDA_MAX} characters.", field="agenda"
        )
    with transaction.atomic():
        before = audit.snapshot(review)
        review.agenda = text.strip()
        review.agenda_edited = True
        return save_changed(actor, review, before, action="qbr.agenda")


def set_root_cause(*, actor: Actor, review: Qbr, fingerprint: str, text: str) -> RootCause:
    """A technician's root cause for one of the review's recurring problems (kept per client
    and fingerprint, so later reviews show it too)."""
    _staff_only(actor)
    known = {r["fingerprint"] for r in review.figures.get("recurring", [])}
    if fingerprint not in known:
        raise ValidationFailed(
            "That is not one of this review's recurring problems.", field="fingerprint"
        )
    text = str(text).strip()
    if not text:
        raise ValidationFailed("Write the root cause.", field="root_cause")
    if len(text) > 5000:
        raise ValidationFailed(
            "The root cause is too long: at most 5000 characters.", field="root_cause"
        )
    with transaction.atomic():
        row: RootCause | None = RootCause.objects.filter(
            client=review.client, fingerprint=fingerprint
        ).first()
        if row is None:
            row = RootCause(client=review.client, fingerprint=fingerprint, text=text)
            row.updated_by = actor.label[:300]
            return save_created(actor, row, action="qbr.root_cause")
        before = audit.snapshot(row)
        row.text, row.updated_by = text, actor.label[:300]
        return save_changed(actor, row, before, action="qbr.root_cause")


def root_causes(review: Qbr) -> dict[str, str]:
    prints = [r["fingerprint"] for r in review.figures.get("recurring", [])]
    rows = RootCause.objects.filter(client_id=review.client_id, fingerprint__in=prints)
    return dict(rows.values_list("fingerprint", "text"))


def _clean_item(item: ActionItem) -> None:
    item.title, item.owner = item.title.strip(), item.owner.strip()
    if not item.title:
        raise ValidationFailed("Write what is to be done.", field="title")
    if not item.owner:
        raise ValidationFailed("Name who owns the action.", field="owner")


def record_meeting(
    *,
    actor: Actor,
    review: Qbr,
    held_on: dt.date,
    attendees: list[str],
    decisions: str = "",
    notes: str = "",
    action_items: Sequence[Mapping[str, Any]] | None = None,
) -> Meeting:
    _staff_only(actor)
    names = [a.strip() for a in attendees if a.strip()]
    if not names:
        raise ValidationFailed("Name at least one attendee.", field="attendees")
    with transaction.atomic():
        meeting = Meeting(
            client=review.client, qbr=review, held_on=held_on, attendees="\n".join(names),
            decisions=decisions.strip(), notes=notes.strip(),
        )  # fmt: skip
        save_created(actor, meeting, action="qbr.meeting")
        for spec in action_items or []:
            add_action_item(actor=actor, meeting=meeting, **spec)
    return meeting


def add_action_item(
    *, actor: Actor, meeting: Meeting, title: str, owner: str, due_on: dt.date | None = None
) -> ActionItem:
    _staff_only(actor)
    item = ActionItem(
        client=meeting.client, meeting=meeting, title=title, owner=owner, due_on=due_on
    )
    _clean_item(item)
    with transaction.atomic():
        return save_created(actor, item, action="qbr.action_item")


def update_action_item(*, actor: Actor, item: ActionItem, changes: dict[str, object]) -> ActionItem:
    _staff_only(actor)
    with transaction.atomic():
        before = audit.snapshot(item)
        for name, value in changes.items():
            if name not in {"title", "owner", "due_on", "done"}:
                raise ValidationFailed(f"'{name}' cannot be changed here.", field=name)
            setattr(item, name, value)
        _clean_item(item)
        if "done" in changes:
            item.done_at = (item.done_at or timezone.now()) if item.done else None
        full_clean(item)
        return save_changed(actor, item, before, action="qbr.action_item_update")


# --- The scheduled QBR's e-mail (openmsp.reports.qbr_jobs) -------------------------------------


def email_qbr(
    *, actor: Actor, run: QbrRun, review: Qbr, recipients: list[str],
    transport: MailTransport | None = None,
) -> QbrRun:  # fmt: skip
    """Render the review's PDF as it stands (agenda, root causes, meetings), mail it to the
    plan's recipients in the review's language and keep that PDF on the run: the archive."""
    _staff_only(actor)
    to = clean_recipients(recipients, field="qbr_recipients")
    if not to:
        raise ValidationFailed(
            "The communication plan names no one to send the quarterly review to: add "
            "quarterly review or report recipients to the contract.",
            field="qbr_recipients",
        )
    meetings = Meeting.objects.filter(qbr=review).prefetch_related("action_items")
    document = qbr_pdf.render(review, root_causes(review), list(meetings))
    client = review.client
    result = _send(
        subject=f"{qtext.title(review.language)} · {client.name} · {review.quarter}",
        body="\n".join(
            qtext.mail_body(review.language, client.name, review.quarter, review.agenda_items)
        ),
        document=document,
        filename=f"qbr-{client.code or client.pk}-{review.quarter}.pdf",
        to=to,
        transport=transport,
    )
    with transaction.atomic():
        now = timezone.now()
        QbrRun.objects.filter(pk=run.pk).update(
            qbr=review, pdf=document, emailed_at=now, emailed_to=to, state=QbrRun.State.MAILED,
            error="", finished_at=now, updated_at=now,
        )  # fmt: skip
        run.refresh_from_db()
        audit.record(
            actor=actor, action="qbr.email", obj=run,
            after={"quarter": review.quarter, "to": to, "result": result},
        )  # fmt: skip
    return run


def resend_qbr(*, actor: Actor, run: QbrRun) -> QbrRun:
    """Staff send a scheduled review again (after fixing the recipients, or after a meeting):
    the run goes back to the queue with fresh attempts and is mailed by a worker."""
    from openmsp.reports import qbr_jobs  # the job module imports this one

    _staff_only(actor)
    busy = (QbrRun.State.QUEUED, QbrRun.State.RUNNING, QbrRun.State.GENERATED)  # a worker has it
    with transaction.atomic():
        claimed = (
            QbrRun.objects.filter(pk=run.pk)
            .exclude(state__in=busy)
            .update(state=QbrRun.State.QUEUED, attempts=0, error="", emailed_at=None,
                    updated_at=timezone.now())
        )  # fmt: skip
        if not claimed:
            raise Conflict("This review is already queued to be sent: wait for it to finish.")
        qbr_jobs.qbr_for_client.enqueue(run.client_id, run.quarter.isoformat())
        run.refresh_from_db()
        audit.record(actor=actor, action="qbr.resend", obj=run, after={"quarter": run.label})
    return run
