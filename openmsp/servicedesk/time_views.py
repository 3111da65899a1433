"""Time on tickets in the UI: the ticket page's time panel (manual entry, timer) and the staff
totals page (/tickets/time/). Client users get 404 for all of it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from openmsp.accounts.roles import Perm
from openmsp.core.errors import OpenMSPError
from openmsp.servicedesk import queries, timekeeping
from openmsp.servicedesk.models import Ticket
from openmsp.tenants.queries import clients_visible_to
from openmsp.web.actor import actor_of
from openmsp.web.pages import page, require_perm


def _staff_ticket(request: HttpRequest, ticket_id: int) -> Ticket:
    t = queries.get_ticket(actor_of(request), ticket_id)
    if not getattr(request.user, "is_msp_staff", False):
        raise Http404("No such ticket.")
    require_perm(request, Perm.WORK)
    return t


def panel_context(request: HttpRequest, t: Ticket) -> dict[str, Any]:
    """What the ticket page shows staff about time (see ticket_detail.html)."""
    actor = actor_of(request)
    entries = list(timekeeping.entries_of(actor, t)[:200])
    return {
        "time_entries": entries,
        "time_total": sum(e.minutes for e in entries),
        "timer": timekeeping.running_timer(actor, t),
        "work_types": settings.SD_WORK_TYPES,
        "today": timezone.localdate().isoformat(),
    }


def _minutes(raw: str | None) -> Any:
    try:
        return int(raw or "")
    except ValueError:
        return raw  # the action names the field


@require_POST
@page
def time_log(request: HttpRequest, ticket_id: int) -> HttpResponse:
    t = _staff_ticket(request, ticket_id)
    try:
        timekeeping.log_time(
            actor=actor_of(request), ticket=t, minutes=_minutes(request.POST.get("minutes")),
            date=parse_date(request.POST.get("date") or "") or None,
            work_type=request.POST.get("work_type", ""), billable=request.POST.get("billable") == "1",
            note=request.POST.get("note", "")[:1000],
        )  # fmt: skip
    except (OpenMSPError, ValueError) as exc:
        messages.error(request, _(getattr(exc, "message", "Give the date the work was done.")))
    else:
        messages.success(request, _("Time logged."))
    return redirect("ticket_detail", t.pk)


@require_POST
@page
def timer(request: HttpRequest, ticket_id: int) -> HttpResponse:
    t = _staff_ticket(request, ticket_id)
    actor = actor_of(request)
    try:
        if request.POST.get("action") == "start":
            timekeeping.start_timer(actor=actor, ticket=t)
            messages.success(request, _("Timer started."))
        else:
            entry = timekeeping.stop_timer(
                actor=actor, ticket=t, work_type=request.POST.get("work_type", ""),
                billable=request.POST.get("billable") == "1", note=request.POST.get("note", "")[:1000],
            )  # fmt: skip
            messages.success(request, _("Timer stopped: %(minutes)d min logged.") % {"minutes": entry.minutes})  # fmt: skip
    except OpenMSPError as exc:
        messages.error(request, _(exc.message))
    return redirect("ticket_detail", t.pk)


def _date(raw: str | None) -> dt.date | None:
    try:
        return parse_date(raw or "")
    except ValueError:
        return None


@require_GET
@page
def time_totals(request: HttpRequest) -> HttpResponse:
    if not getattr(request.user, "is_msp_staff", False):
        raise Http404("No such page.")
    actor = actor_of(request)
    start, end = _date(request.GET.get("start")), _date(request.GET.get("end"))
    client_id = request.GET.get("client", "")
    cid = int(client_id) if client_id.isdigit() and len(client_id) < 12 else None
    per_client = timekeeping.totals_per_client(actor, start=start, end=end)
    if cid is not None:
        per_client = [t for t in per_client if t.client_id == cid]
    context = {
        "per_client": per_client,
        "per_contract": timekeeping.totals_per_contract(actor, client_id=cid),
        "clients": clients_visible_to(actor).only("pk", "name").order_by("name"),
        "start": start, "end": end, "client_id": cid,
    }  # fmt: skip
    return render(request, "servicedesk/time_totals.html", context)
