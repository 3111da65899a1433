"""Report pages: the archive (per client; a client user sees only their own), one report with
its charts, its PDF, and the staff's "generate" button. Thin: reads through queries, writes
through actions."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from openmsp.core.errors import ValidationFailed
from openmsp.reports import actions, queries
from openmsp.reports import summary as sm
from openmsp.reports.models import Report
from openmsp.tenants.queries import clients_visible_to, get_visible
from openmsp.web.actor import actor_of
from openmsp.web.pages import page, require_perm

PAGE_LIMIT = 200


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _list(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    actor = actor_of(request)
    user: Any = request.user
    clients = list(clients_visible_to(actor).only("pk", "name").order_by("name"))
    client_id = _int(request.GET.get("client") or request.POST.get("client"))
    client = next((c for c in clients if c.pk == client_id), None)
    qs = queries.reports_visible_to(actor).order_by("-period_start", "client__name", "pk")
    if client is not None:
        qs = qs.filter(client=client)
    context = {
        "reports": list(qs[:PAGE_LIMIT]),
        "clients": clients if user.is_msp_staff else [],
        "client": client,
        "current_client": client,
        "show_client": user.is_msp_staff and client is None,
        "can_generate": user.is_msp_staff and user.has_perm_to("work"),
        "month": request.POST.get("month") or timezone.localdate().strftime("%Y-%m"),
        "error": error,
    }
    return render(request, "reports/report_list.html", context, status=status)


@require_GET
@page
def report_list(request: HttpRequest) -> HttpResponse:
    return _list(request)


@require_POST
@page
def report_generate(request: HttpRequest) -> HttpResponse:
    require_perm(request, "work")
    actor = actor_of(request)
    client = get_visible(
        actor, clients_visible_to(actor), field="pk", pk=request.POST.get("client") or 0
    )
    try:
        month = actions.parse_month(request.POST.get("month"), today=timezone.localdate())
        report = actions.generate(actor=actor, client=client, month=month)
    except ValidationFailed as exc:
        return _list(request, error=exc.message, status=422)
    return redirect("report_detail", report_id=report.pk)


@require_GET
@page
def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    report = queries.get_report(actor_of(request), report_id)
    f = report.figures
    charts = {
        "trend": {
            "labels": [d["day"] for d in f["availability"]["trend"]],
            "values": [d["availability"] for d in f["availability"]["trend"]],
            "target": f["availability"]["target"],
        },
        "volume": {
            "labels": [w["from"] for w in f["tickets"]["weekly_volume"]],
            "opened": [w["opened"] for w in f["tickets"]["weekly_volume"]],
            "resolved": [w["resolved"] for w in f["tickets"]["weekly_volume"]],
        },
        "sla": {
            "labels": [_(n.replace("_", " ").capitalize()) for n in f["tickets"]["sla"]],
            "values": [c["attainment"] for c in f["tickets"]["sla"].values()],
        },
    }
    context = {
        "report": report,
        "f": f,
        "title": sm.title(report.language),
        "charts": charts,
        "sla_rows": list(f["tickets"]["sla"].items()),
        "current_client": report.client,
    }
    return render(request, "reports/report_detail.html", context)


@require_GET
@page
def report_pdf(request: HttpRequest, report_id: int) -> HttpResponse:
    report: Report = queries.get_report(actor_of(request), report_id)
    response = HttpResponse(bytes(report.pdf), content_type="application/pdf")
    name = f"report-{report.client.code or report.client_id}-{report.month}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
