"""The scheduled quarterly business review (daily, apps.py), split per client like the monthly run.

`quarterly_reviews` (the periodic job) only decides who is due: an active client whose contract
(the one in force on the quarter's last day) e-mails the QBR, whose `meeting_cadence` closes a
period with that quarter, once `qbr_delay_days` have passed since the quarter ended (in the
client's time zone). For each it creates a QbrRun row and enqueues one durable job
`qbr_for_client` in the same transaction; the row's unique constraint makes that happen once per
client and quarter, however many schedulers run.

Each `qbr_for_client` claims its row (queued -> running), generates the review unless it is
stored already for the ended quarter (so a retry or a re-send keeps the figures; regenerating
gives the same anyway, everything is computed as of the quarter's end), marks it generated,
then renders the PDF and mails it to the plan's recipients (mailed). A failure is recorded on
the row with its reason and retried by the next daily run, up to jobs.MAX_ATTEMPTS; staff can
re-send from the review list (actions.resend_qbr).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import zoneinfo

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from openmsp.core.errors import OpenMSPError
from openmsp.core.jobs import periodic_task
from openmsp.integrations.smtp import MailTransport
from openmsp.reports import actions, qbr, schedule
from openmsp.reports import figures as fg
from openmsp.reports.jobs import ACTOR, finish, requeue
from openmsp.reports.models import Qbr, QbrRun
from openmsp.servicedesk.clocks import active_contract, batch_run
from openmsp.tenants.models import Client, Contract

log = logging.getLogger("openmsp.reports")
S = QbrRun.State


def previous_quarter(today: dt.date) -> dt.date:
    return qbr.quarter_of(qbr.quarter_of(today) - dt.timedelta(days=1))


def plan_of(client_id: int, quarter: dt.date) -> Contract | None:
    """The contract whose communication plan governs the quarter: the one on its last day."""
    return active_contract(client_id, fg._add_months(quarter, 3) - dt.timedelta(days=1))


def due_quarters(now: dt.datetime) -> dict[int, dt.date]:
    """Active clients whose plan sends the review of the quarter just ended, and it is time."""
    out: dict[int, dt.date] = {}
    with batch_run():  # contracts read once per client
        for client in Client.objects.filter(status="active").order_by("pk"):
            today = now.astimezone(zoneinfo.ZoneInfo(client.time_zone or "Asia/Seoul")).date()
            quarter = previous_quarter(today)
            contract = plan_of(client.pk, quarter)
            if contract is None or not contract.qbr_email:
                continue
            closes = schedule.is_due(contract.meeting_cadence, fg._add_months(quarter, 2))
            ended = fg._add_months(quarter, 3)
            if closes and today >= ended + dt.timedelta(days=contract.qbr_delay_days):
                out[client.pk] = quarter
    return out


def run(now: dt.datetime | None = None) -> dict[str, int]:
    """Enqueue one job per due client and quarter (once); returns how many were enqueued."""
    now = now or timezone.now()
    done = {"enqueued": 0, "retried": 0}
    due = due_quarters(now)
    known = {
        (r.client_id, r.quarter): r
        for r in QbrRun.objects.filter(
            client_id__in=list(due), quarter__in=set(due.values())
        ).defer("pdf")
    }
    for client_id, quarter in due.items():
        existing = known.get((client_id, quarter))
        if existing is None:
            done["enqueued"] += _enqueue_new(client_id, quarter)
        elif requeue(existing, now, functools.partial(_enqueue, client_id, quarter)):
            done["retried"] += 1
    return done


def _enqueue(client_id: int, quarter: dt.date) -> None:
    qbr_for_client.enqueue(client_id, quarter.isoformat())


def _enqueue_new(client_id: int, quarter: dt.date) -> int:
    with transaction.atomic():  # the row and its job commit together, or neither does
        _row, created = QbrRun.objects.get_or_create(client_id=client_id, quarter=quarter)
        if created:
            _enqueue(client_id, quarter)
    return int(created)


def run_client(
    client_id: int, quarter: dt.date, *, now: dt.datetime | None = None,
    transport: MailTransport | None = None,
) -> str:  # fmt: skip
    """Claim and do one client's review; returns what became of it."""
    now = now or timezone.now()
    claimed = QbrRun.objects.filter(client_id=client_id, quarter=quarter, state=S.QUEUED).update(
        state=S.RUNNING, attempts=F("attempts") + 1, updated_at=now
    )
    if not claimed:
        return "skipped"  # done already, or another worker has it
    row = (
        QbrRun.objects.select_related("client")
        .defer("pdf")
        .get(client_id=client_id, quarter=quarter)
    )
    try:
        _one(row, now, transport)
    except Exception as exc:
        finish(row, S.FAILED, f"{type(exc).__name__}: {exc}"[:2000])
        log.warning("QBR of %s for %s failed: %s", row.client.code, row.label, exc)
        if not isinstance(exc, OpenMSPError | OSError):
            raise  # a bug: recorded on the row, and the task shows it failed
        return "failed"
    return "mailed"


def _one(row: QbrRun, now: dt.datetime, transport: MailTransport | None) -> None:
    client, quarter = row.client, row.quarter
    review = Qbr.objects.filter(client=client, quarter_start=quarter).first()
    if review is None or not review.figures.get("period", {}).get("complete"):
        review = actions.generate_qbr(actor=ACTOR, client=client, quarter=quarter, now=now)
    QbrRun.objects.filter(pk=row.pk).update(qbr=review, state=S.GENERATED, updated_at=now)
    # A claimed run was never mailed: emailed_at is set only with the state "mailed", which is
    # never claimed, and a re-send clears it.
    contract = plan_of(client.pk, quarter)
    to = [] if contract is None else contract.review_recipients
    actions.email_qbr(actor=ACTOR, run=row, review=review, recipients=to, transport=transport)


@periodic_task  # django_tasks' @task(), typed once in openmsp.core.jobs
def qbr_for_client(client_id: int, quarter: str) -> str:
    return run_client(client_id, dt.date.fromisoformat(quarter))


@periodic_task
def quarterly_reviews() -> dict[str, int]:
    return run()
