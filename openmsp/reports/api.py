"""REST endpoints for reports: the archive, one report's figures, generating a month.

Reading needs only to see the client; generating is MSP staff's (Perm.WORK). Another client's
report is a 404. The PDF is served by the UI at /reports/<id>/pdf/."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from openmsp.accounts.auth import actor_from
from openmsp.core.apiutils import endpoint, fetch_ref, page, path_object
from openmsp.reports import actions
from openmsp.reports.models import Report
from openmsp.reports.queries import get_report, reports_visible_to
from openmsp.reports.schemas import ReportDetailOut, ReportIn, ReportPage, ReportQuery
from openmsp.tenants.queries import clients_visible_to

router = Router()
TAG = "reports"

path_object("report_id", get_report)


@endpoint(router, "GET", "/reports", "List reports", tag=TAG, ok={200: ReportPage})
def list_reports(request: HttpRequest, query: Query[ReportQuery]) -> dict[str, Any]:
    """Reports of the clients you may see, newest month first."""
    qs = reports_visible_to(actor_from(request))
    if query.client_id is not None:
        qs = qs.filter(client_id=query.client_id)
    return page(request, qs, query)


@endpoint(router, "POST", "/reports", "Generate a monthly report", tag=TAG, ok={201: ReportDetailOut}, errors=(403,))  # fmt: skip
def create_report(request: HttpRequest, payload: ReportIn) -> Status[Report]:
    """Computes the month's figures and PDF; generating a month again replaces its report (the
    figures of a past month come out the same)."""
    actor = actor_from(request)
    client = fetch_ref(clients_visible_to(actor), "client", "client_id", payload.client_id)
    assert client is not None
    month = actions.parse_month(payload.month, today=timezone.localdate())
    report = actions.generate(actor=actor, client=client, month=month)
    return Status(201, get_report(actor, report.pk))


@endpoint(router, "GET", "/reports/{report_id}", "Get a report", tag=TAG, ok={200: ReportDetailOut}, errors=(404,))  # fmt: skip
def get_one_report(request: HttpRequest, report_id: int) -> Report:
    return get_report(actor_from(request), report_id)
