"""Tenant-scoped reads of reports: a client user sees only their client's; another client's
report is a NotFound (404), as if it did not exist."""

from __future__ import annotations

from django.db.models import QuerySet

from openmsp.core.actor import Actor
from openmsp.core.errors import NotFound
from openmsp.reports.models import ActionItem, Meeting, Qbr, QbrRun, Report
from openmsp.tenants.queries import scope


def reports_visible_to(actor: Actor) -> QuerySet[Report]:
    return scope(actor, Report.objects.select_related("client")).defer("pdf")


def get_report(actor: Actor, report_id: int | str) -> Report:
    try:
        report: Report = scope(actor, Report.objects.select_related("client")).get(pk=report_id)
    except (Report.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound("No such report.") from None
    return report


def qbrs_visible_to(actor: Actor) -> QuerySet[Qbr]:
    return scope(actor, Qbr.objects.select_related("client"))


def get_qbr(actor: Actor, qbr_id: int | str) -> Qbr:
    try:
        review: Qbr = qbrs_visible_to(actor).get(pk=qbr_id)
    except (Qbr.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound("No such quarterly review.") from None
    return review


def meetings_of(actor: Actor, review: Qbr) -> QuerySet[Meeting]:
    return scope(actor, Meeting.objects.filter(qbr=review)).prefetch_related("action_items")


def get_meeting(actor: Actor, meeting_id: int | str) -> Meeting:
    try:
        meeting: Meeting = scope(actor, Meeting.objects.select_related("qbr", "client")).get(
            pk=meeting_id
        )
    except (Meeting.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound("No such meeting.") from None
    return meeting


def get_action_item(actor: Actor, item_id: int | str) -> ActionItem:
    try:
        item: ActionItem = scope(
            actor, ActionItem.objects.select_related("meeting__qbr", "client")
        ).get(pk=item_id)
    except (ActionItem.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound("No such action item.") from None
    return item


def qbr_runs_visible_to(actor: Actor) -> QuerySet[QbrRun]:
    return scope(actor, QbrRun.objects.select_related("client")).defer("pdf")


def get_qbr_run(actor: Actor, run_id: int | str, *, with_pdf: bool = False) -> QbrRun:
    qs = scope(actor, QbrRun.objects.select_related("client"))
    try:
        run: QbrRun = (qs if with_pdf else qs.defer("pdf")).get(pk=run_id)
    except (QbrRun.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound("No such scheduled review.") from None
    return run
