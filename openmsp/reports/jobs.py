"""The scheduled run (daily, apps.py): last month's report for every client whose contract's
communication plan asks for one, generated once and e-mailed once to the contract's recipients.

Idempotent: a report already generated for the month is not regenerated, one already e-mailed
is not sent again, so a rerun after a crash only finishes what is missing. Each client is its
own transaction: one client's failure (a bad address, an SMTP outage) does not stop the others.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo

from django.utils import timezone

from openmsp.core.actor import Actor
from openmsp.core.errors import OpenMSPError
from openmsp.core.jobs import periodic_task
from openmsp.integrations.smtp import MailTransport
from openmsp.reports import actions, schedule
from openmsp.reports.models import Report
from openmsp.servicedesk.clocks import active_contract
from openmsp.tenants.models import Client

log = logging.getLogger("openmsp.reports")
ACTOR = Actor.system("reports")


def run(now: dt.datetime | None = None, transport: MailTransport | None = None) -> dict[str, int]:
    now = now or timezone.now()
    done = {"generated": 0, "emailed": 0, "failed": 0}
    for client in Client.objects.filter(status="active").order_by("pk"):
        today = now.astimezone(zoneinfo.ZoneInfo(client.time_zone or "Asia/Seoul")).date()
        month = schedule.previous_month(today)
        contract = active_contract(client.pk, month)
        if contract is None or not schedule.is_due(contract.report_frequency, month):
            continue
        try:
            _one(client, month, now, done, transport)
        except (OpenMSPError, OSError) as exc:
            done["failed"] += 1
            log.warning("report of %s for %s failed: %s", client.code, month, exc)
    return done


def _one(
    client: Client,
    month: dt.date,
    now: dt.datetime,
    done: dict[str, int],
    transport: MailTransport | None,
) -> None:
    report = Report.objects.filter(
        client=client, kind=Report.Kind.MONTHLY, period_start=month
    ).first()
    if report is None or not report.figures.get("period", {}).get("complete"):
        report = actions.generate(actor=ACTOR, client=client, month=month, now=now)
        done["generated"] += 1
    if report.emailed_at is None:
        to = actions.recipients_of(client, month)
        if to:
            actions.email(actor=ACTOR, report=report, recipients=to, transport=transport)
            done["emailed"] += 1


@periodic_task
def monthly_reports() -> dict[str, int]:
    return run()
