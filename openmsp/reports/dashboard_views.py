"""Dashboards, mounted at /dashboards/: every client at a glance for MSP staff, and one client's
dashboard (the staff's drill-down, and the client portal's own dashboard). Thin: reads through
openmsp.reports.overview and the scoped queries; nothing is written."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET

from openmsp.alerts.cards import health_of
from openmsp.alerts.lifecycle import OPEN_STATES
from openmsp.alerts.queries import problems_visible_to
from openmsp.core.errors import NotFound, ValidationFailed
from openmsp.reports import overview
from openmsp.reports.queries import reports_visible_to
from openmsp.servicedesk.queries import tickets_visible_to
from openmsp.tenants.queries import clients_visible_to, get_visible
from openmsp.web.actor import actor_of
from openmsp.web.pages import page

LIST_LIMIT = 15
CLOCK_LABELS = {"first_response": _lazy("First response"), "next_response": _lazy("Next response"),
                "resolution": _lazy("Resolution")}  # fmt: skip


@require_GET
@page
def msp_dashboard(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    user: Any = request.user
    if not user.is_msp_staff:  # a client user's dashboard is their own client's
        client = clients_visible_to(actor).first()
        if client is None:
            raise NotFound("No such client.")
        return redirect("client_dashboard", client_id=client.pk)
    error, status = "", 200
    try:
        sort = overview.parse_sort(request.GET.get("sort"))
    except ValidationFailed:
        error = _("'%(sort)s' is not a sort order; use one of: %(sorts)s.") % {
            "sort": (request.GET.get("sort") or "")[:40],
            "sorts": ", ".join(overview.SORTS),
        }
        sort, status = "worst", 422
    rows = overview.clients_at_a_glance(actor, sort=sort)
    context = {
        "rows": rows,
        "sort": sort,
        "sorts": list(overview.SORTS),
        "states": overview.OPEN_TICKET_STATES,
        "error": error,
    }
    return render(request, "reports/msp_dashboard.html", context, status=status)


@require_GET
@page
def client_dashboard(request: HttpRequest, client_id: int) -> HttpResponse:
    actor = actor_of(request)
    client = get_visible(actor, clients_visible_to(actor), field="pk", pk=client_id)
    month = overview.client_month(client)
    a, t = month["availability"], month["tickets"]
    sla = [(name, str(CLOCK_LABELS[name]), c) for name, c in t["sla"].items()]
    charts = {
        "trend": {
            "labels": [d["day"] for d in a["trend"]],
            "values": [d["availability"] for d in a["trend"]],
            "target": a["target"],
        },
        "volume": {
            "labels": [w["from"] for w in t["weekly_volume"]],
            "opened": [w["opened"] for w in t["weekly_volume"]],
            "resolved": [w["resolved"] for w in t["weekly_volume"]],
        },
        "sla": {
            "labels": [label for _n, label, _c in sla],
            "values": [c["attainment"] for *_x, c in sla],
        },
    }
    open_tickets = tickets_visible_to(actor).filter(
        client=client, status__category__in=overview.OPEN_TICKET_STATES, merged_into__isnull=True
    )
    context = {
        "client": client,
        "current_client": client,
        "month": month,
        "a": a,
        "sla_rows": sla,
        "charts": charts,
        "health": health_of(actor, client.pk),
        "tickets": list(open_tickets.order_by("next_due", "-created_at")[:LIST_LIMIT]),
        "ticket_count": open_tickets.count(),
        "problems": list(
            problems_visible_to(actor)
            .filter(client=client, state__in=OPEN_STATES, suppressed_by__isnull=True)
            .order_by("severity", "-fired_at", "-pk")[:LIST_LIMIT]
        ),
        "latest_report": reports_visible_to(actor).filter(client=client).first(),
        "now": timezone.now(),
    }
    return render(request, "reports/client_dashboard.html", context)
