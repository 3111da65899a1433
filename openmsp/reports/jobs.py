"""The scheduled run (daily, apps.py), split per client so it never blocks other work.

`monthly_reports` (the periodic job) only decides who is due: for each active client whose
contract's communication plan asks for last month's report, it creates a ReportRun row and
enqueues one durable job `report_for_client` in the same transaction; the row's unique
constraint makes that happen once per client and month. It is quick (a few queries per client,
no report computed), and the per-client jobs share the worker queue fairly with other tasks.

Each `report_for_client` claims its row (queued -> running, a conditional UPDATE: a duplicate
delivery finds nothing to claim), generates the report if missing (or stored while the month was
still running) and e-mails it once. A failure is recorded on the row (failed, with the error) and
touches no other client; the next daily run re-enqueues a failed run (up to MAX_ATTEMPTS), and
one left "running" by a crashed worker for more than STALE_AFTER.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections.abc import Callable

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from openmsp.core.actor import Actor
from openmsp.core.errors import OpenMSPError
from openmsp.core.jobs import periodic_task
from openmsp.integrations.smtp import MailTransport
from openmsp.reports import actions, schedule
from openmsp.reports.models import QbrRun, Report, ReportRun
from openmsp.servicedesk.clocks import active_contract, batch_run
from openmsp.tenants.models import Client

log = logging.getLogger("openmsp.reports")
ACTOR = Actor.system("reports")
MAX_ATTEMPTS = 3
STALE_AFTER = dt.timedelta(hours=1)
S = ReportRun.State
# States a worker holds a run in; one left there past STALE_AFTER was dropped by a crash. A QBR
# run is "generated" between storing the review and mailing it.
IN_PROGRESS = (S.RUNNING, QbrRun.State.GENERATED)


def due_months(now: dt.datetime) -> dict[int, dt.date]:
    """Active clients whose plan sends last month's report (in each client's time zone)."""
    out: dict[int, dt.date] = {}
    with batch_run():  # contracts read once per client, in one place
        for client in Client.objects.filter(status="active").order_by("pk"):
            today = now.astimezone(zoneinfo.ZoneInfo(client.time_zone or "Asia/Seoul")).date()
            month = schedule.previous_month(today)
            contract = active_contract(client.pk, month)
            if contract is not None and schedule.is_due(contract.report_frequency, month):
                out[client.pk] = month
    return out


def run(now: dt.datetime | None = None) -> dict[str, int]:
    """Enqueue one job per due client and month (once); returns how many were enqueued."""
    now = now or timezone.now()
    done = {"enqueued": 0, "retried": 0}
    due = due_months(now)
    known = {
        (r.client_id, r.month): r
        for r in ReportRun.objects.filter(client_id__in=list(due), month__in=set(due.values()))
    }
    for client_id, month in due.items():
        existing = known.get((client_id, month))
        if existing is None:
            done["enqueued"] += _enqueue_new(client_id, month)
        elif _requeue(existing, now):
            done["retried"] += 1
    return done


def _enqueue_new(client_id: int, month: dt.date) -> int:
    with transaction.atomic():  # the row and its job commit together, or neither does
        _row, created = ReportRun.objects.get_or_create(client_id=client_id, month=month)
        if created:
            report_for_client.enqueue(client_id, month.isoformat())
    return int(created)


def _requeue(row: ReportRun, now: dt.datetime) -> bool:
    return requeue(
        row, now, lambda: report_for_client.enqueue(row.client_id, row.month.isoformat())
    )


def requeue(row: ReportRun | QbrRun, now: dt.datetime, enqueue: Callable[[], object]) -> bool:
    """Put a failed run (attempts left) or one a crashed worker left running back in the queue,
    with its job, once: the UPDATE is conditional on the row as it was read."""
    retry = Q(state=S.FAILED, attempts__lt=MAX_ATTEMPTS) | Q(
        state__in=IN_PROGRESS, updated_at__lt=now - STALE_AFTER
    )
    with transaction.atomic():
        claimed = (
            type(row)
            .objects.filter(retry, pk=row.pk, updated_at=row.updated_at)
            .update(state=S.QUEUED, updated_at=now)
        )
        if claimed:
            enqueue()
    return bool(claimed)


def run_client(
    client_id: int, month: dt.date, *, now: dt.datetime | None = None,
    transport: MailTransport | None = None,
) -> str:  # fmt: skip
    """Claim and do one client's run; returns what became of it."""
    now = now or timezone.now()
    claimed = ReportRun.objects.filter(client_id=client_id, month=month, state=S.QUEUED).update(
        state=S.RUNNING, attempts=F("attempts") + 1, updated_at=now
    )
    if not claimed:
        return "skipped"  # done already, or another worker has it
    run_row = ReportRun.objects.select_related("client").get(client_id=client_id, month=month)
    try:
        _one(run_row.client, month, now, transport)
    except Exception as exc:
        finish(run_row, S.FAILED, f"{type(exc).__name__}: {exc}"[:2000])
        log.warning("report of %s for %s failed: %s", run_row.client.code, month, exc)
        if not isinstance(exc, OpenMSPError | OSError):
            raise  # a bug: recorded on the row, and the task shows it failed
        return "failed"
    finish(run_row, S.DONE, "")
    return "done"


def finish(row: ReportRun | QbrRun, state: str, error: str) -> None:
    type(row).objects.filter(pk=row.pk).update(
        state=state, error=error, finished_at=timezone.now(), updated_at=timezone.now()
    )


def _one(client: Client, month: dt.date, now: dt.datetime, transport: MailTransport | None) -> None:
    report = Report.objects.filter(
        client=client, kind=Report.Kind.MONTHLY, period_start=month
    ).first()
    if report is None or not report.figures.get("period", {}).get("complete"):
        report = actions.generate(actor=ACTOR, client=client, month=month, now=now)
    if report.emailed_at is None:
        to = actions.recipients_of(client, month)
        if to:
            actions.email(actor=ACTOR, report=report, recipients=to, transport=transport)


@periodic_task  # django_tasks' @task(), typed once in openmsp.core.jobs
def report_for_client(client_id: int, month: str) -> str:
    return run_client(client_id, dt.date.fromisoformat(month))


@periodic_task
def monthly_reports() -> dict[str, int]:
    return run()
