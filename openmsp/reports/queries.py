"""Tenant-scoped reads of reports: a client user sees only their client's; another client's
report is a NotFound (404), as if it did not exist."""

from __future__ import annotations

from django.db.models import QuerySet

from openmsp.core.actor import Actor
from openmsp.core.errors import NotFound
from openmsp.reports.models import Report
from openmsp.tenants.queries import scope


def reports_visible_to(actor: Actor) -> QuerySet[Report]:
    return scope(actor, Report.objects.select_related("client")).defer("pdf")


def get_report(actor: Actor, report_id: int | str) -> Report:
    try:
        report: Report = scope(actor, Report.objects.select_related("client")).get(pk=report_id)
    except (Report.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound("No such report.") from None
    return report
