"""HTML pages of the service desk: the technician's queue (filters, sort, paging, saved views,
bulk changes), the ticket page (conversation, reply/note, status, priority, assignee,
attachments, SLA clocks), and the client portal (the same URLs, rendered for client users).

Thin: tickets come from openmsp.servicedesk.queries (another client's ticket is a 404) and
change through openmsp.servicedesk.actions.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openmsp.accounts.queries import users_visible_to
from openmsp.accounts.roles import Perm
from openmsp.core.errors import OpenMSPError, ValidationFailed
from openmsp.core.middleware import SANDBOX_CSP
from openmsp.core.paging import SearchPaginator
from openmsp.servicedesk import actions, clocks, queries, time_views, watch_actions
from openmsp.servicedesk.forms import EntryForm, TicketForm
from openmsp.servicedesk.models import CsatSurvey, Ticket, TicketStatus
from openmsp.tenants.queries import clients_visible_to
from openmsp.web.actor import actor_of
from openmsp.web.pages import apply_error, page, require_perm

GET_POST = require_http_methods(["GET", "POST"])
PAGE_SIZE = 25
FILTERS = ("status", "priority", "assignee", "team", "client", "q", "open", "ordering")

# The seeded statuses' names, translated (a status an MSP adds shows its own name).
STATUS_NAMES = {
    "new": gettext_lazy("New"),
    "open": gettext_lazy("Open"),
    "waiting_on_customer": gettext_lazy("Waiting on customer"),
    "waiting_on_third_party": gettext_lazy("Waiting on third party"),
    "scheduled": gettext_lazy("Scheduled"),
    "resolved": gettext_lazy("Resolved"),
    "closed": gettext_lazy("Closed"),
}


def status_label(status: TicketStatus) -> str:
    return (
        str(STATUS_NAMES.get(status.code, status.name)) if status.client_id is None else status.name
    )


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _staff(request: HttpRequest) -> bool:
    return bool(getattr(request.user, "is_msp_staff", False))


def _queue(request: HttpRequest, params: QueryDict) -> Any:
    actor = actor_of(request)
    assignee = params.get("assignee", "")
    qs = queries.filter_tickets(
        queries.tickets_visible_to(actor),
        status=params.get("status") or None,
        priority=params.get("priority")
        if params.get("priority") in Ticket.Priority.values
        else None,
        assignee_id=request.user.pk if assignee == "me" else _int(assignee),
        unassigned=assignee == "none",
        team_id=_int(params.get("team")),
        client_id=_int(params.get("client")),
        q=params.get("q", "").strip()[:200] or None,
        open_only=params.get("open", "1" if _staff(request) else "") == "1",
    )
    return queries.order_tickets(qs, params.get("ordering", "-created_at"))


@require_GET
@page
def ticket_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    qs = _queue(request, request.GET)
    if request.GET.get("q", "").strip():
        # A search reads its page's ids and a capped count in one query (core.paging).
        visible = queries.tickets_visible_to(actor)
        paginator: Paginator[Ticket] = SearchPaginator(
            qs, PAGE_SIZE, rows=lambda ids: visible.filter(pk__in=ids)
        )
    else:
        paginator = Paginator(qs, PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    tickets = list(page_obj.object_list)
    specs = clocks.calendar_specs([t.sla_state or {} for t in tickets])
    now = timezone.now()
    rows = [(t, status_label(t.status), badges(t, now, specs)) for t in tickets]
    context: dict[str, Any] = {"page_obj": page_obj, "rows": rows, "now": timezone.now()}
    if not _staff(request):
        return render(request, "servicedesk/portal_list.html", context)
    context.update(
        filters={k: request.GET.get(k, "") for k in FILTERS},
        open_default=request.GET.get("open", "1"),
        statuses=[(s.code, status_label(s)) for s in actions.statuses_for(None)],
        priorities=Ticket.Priority.choices,
        # The filters' options as (value, label) pairs: a desk of 100 clients has 200 teams,
        # and model instances for each option cost more than the rest of the page.
        clients=[
            (str(pk), name)
            for pk, name in clients_visible_to(actor).order_by("name").values_list("pk", "name")
        ],
        teams=[
            (str(pk), f"{client} · {name}")
            for pk, name, client in queries.teams_visible_to(actor).values_list(
                "pk", "name", "client__name"
            )
        ],
        technicians=_technicians(request),
        saved_views=queries.saved_views_of(actor),
        orderings=[
            ("-created_at", _("Newest")), ("created_at", _("Oldest")),
            ("priority", _("Priority")), ("-updated_at", _("Recently updated")),
            ("resolution_due", _("Resolution due")), ("next_due", _("Next due")),
        ],
        current_query=request.GET.urlencode(),
    )  # fmt: skip
    return render(request, "servicedesk/queue.html", context)


def _technicians(request: HttpRequest) -> Any:
    return (
        users_visible_to(actor_of(request))
        .filter(is_active=True, client__isnull=True)
        .exclude(role="auditor")
        .order_by("full_name", "email")
    )


@GET_POST
@page
def ticket_create(request: HttpRequest) -> HttpResponse:
    require_perm(request, Perm.WORK)
    actor = actor_of(request)
    staff = _staff(request)
    clients = clients_visible_to(actor)
    form = TicketForm(request.POST or None, clients=clients, staff=staff)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        client = (
            data["client"]
            if staff
            else clients.filter(pk=getattr(request.user, "client_id", 0)).first()
        )
        try:
            if client is None:
                raise ValidationFailed("Choose a client.", field="client")
            t = actions.open_ticket(
                actor=actor, client=client, subject=data["subject"], body=data["body"],
                type=data.get("type") or "incident", impact=data.get("impact") or 3,
                urgency=data.get("urgency") or 3, source="web" if staff else "portal",
            )  # fmt: skip
        except OpenMSPError as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("Ticket %(number)s opened.") % {"number": t.number})
            return redirect("ticket_detail", t.pk)
    status = 422 if form.errors else 200
    return render(
        request, "servicedesk/ticket_form.html", {"form": form, "staff": staff}, status=status
    )


def _clock(state: dict[str, Any] | None) -> dict[str, Any] | None:
    """One clock of the ticket's stored `sla_state` (openmsp.servicedesk.clocks), for display."""
    if not state:
        return None
    shown = state.get("breached_at") or state.get("due") or state.get("stopped_at")
    remaining = state.get("remaining_seconds")
    return {
        "state": state.get("state"),
        "due": parse_datetime(shown) if shown else None,
        "breached": state.get("state") == "breached" or state.get("met") is False,
        "paused": state.get("state") == "paused",
        "met": state.get("met") is True,
        "remaining_minutes": remaining // 60 if isinstance(remaining, int) else None,
    }


SHORT = {
    "first_response": gettext_lazy("FR"),
    "next_response": gettext_lazy("NR"),
    "resolution": gettext_lazy("RES"),
}


def _duration(minutes: int) -> str:
    sign, minutes = ("-" if minutes < 0 else ""), abs(minutes)
    hours, rest = divmod(minutes, 60)
    return f"{sign}{hours}h{rest:02d}m" if hours else f"{sign}{rest}m"


def badges(t: Ticket, now: Any, specs: dict[int, Any]) -> list[dict[str, Any]]:
    """The compact clock badges of the queue: per clock that applies, its state, due time and
    working time left at `now`."""
    out = []
    for code, short in SHORT.items():
        clock = _clock((t.sla_state or {}).get(code))
        if clock is None or clock["state"] == "not_applicable":
            continue
        seconds = clocks.live_remaining(t.sla_state or {}, code, now, specs)
        left = None if seconds is None else seconds // 60
        if left is not None and left < 0 and clock["state"] == "running":
            clock["state"] = "breached"  # ran out since the deadline job last looked
        out.append({
            "code": code, "short": short, "state": clock["state"], "due": clock["due"],
            "left": _duration(left) if left is not None and clock["state"] in ("running", "paused", "breached") else "",
        })  # fmt: skip
    return out


CONDITION_NAMES = {
    "client": gettext_lazy("client"),
    "contract": gettext_lazy("contract"),
    "priority": gettext_lazy("priority"),
    "category": gettext_lazy("category"),
    "type": gettext_lazy("type"),
    "asset_criticality": gettext_lazy("linked asset criticality"),
}


def policy_explanation(state: dict[str, Any]) -> str:
    """ "Policy X applied because priority is P1, category is Network." for the ticket page."""
    why = state.get("policy") or {}
    if why.get("reason") != "sla_policy":
        return ""
    matched = why.get("matched") or {}
    parts = [
        _("%(condition)s is %(value)s") % {"condition": CONDITION_NAMES.get(k, k), "value": v}
        for k, v in matched.items()
    ]
    because = ", ".join(parts) if parts else _("it has no conditions (it matches every ticket)")
    return _("Policy %(name)s applied because %(because)s.") % {
        "name": why.get("policy", ""), "because": because,
    }  # fmt: skip


@require_GET
@page
def ticket_detail(request: HttpRequest, ticket_id: int) -> HttpResponse:
    actor = actor_of(request)
    t = queries.get_ticket(actor, ticket_id)
    staff = _staff(request)
    sla_state = t.sla_state or {}
    context: dict[str, Any] = {
        "ticket": t,
        "current_client": t.client,
        "status_label": status_label(t.status),
        "entries": queries.entries_of(actor, t),
        "attachments": queries.attachments_of(actor, t).filter(entry__isnull=True),
        "form": EntryForm(),
        "staff": staff,
        "policy_explanation": policy_explanation(sla_state),
        "clocks": [
            (_("First response"), _clock(sla_state.get("first_response"))),
            (_("Next response"), _clock(sla_state.get("next_response"))),
            (_("Resolution"), _clock(sla_state.get("resolution"))),
        ],
    }
    watchers = list(t.watchers.order_by("full_name", "email"))
    context.update(
        watchers=watchers,
        watching=request.user in watchers,
    )
    if staff:
        watching_ids = {u.pk for u in watchers}
        context.update(
            watcher_candidates=[
                u for u in _watcher_candidates(request, t) if u.pk not in watching_ids
            ],
            statuses=[(s.code, status_label(s)) for s in actions.statuses_for(t.client_id)],
            priorities=Ticket.Priority.choices,
            technicians=_technicians(request),
            events=queries.events_of(t),
            mail=queries.mail_of(actor, t),
            can_manage_mail=request.user.has_perm_to(Perm.MAIL_MANAGE),  # type: ignore[union-attr]
            surveys=CsatSurvey.objects.filter(ticket=t)[:10],
            **time_views.panel_context(request, t),
        )
    return render(request, "servicedesk/ticket_detail.html", context)


@require_POST
@page
def ticket_reply(request: HttpRequest, ticket_id: int) -> HttpResponse:
    actor = actor_of(request)
    t = queries.get_ticket(actor, ticket_id)
    form = EntryForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Write a message."))
        return redirect("ticket_detail", t.pk)
    upload: Any = request.FILES.get("file")
    files = [upload] if upload is not None else []
    try:
        if form.cleaned_data.get("kind") == "note":
            actions.note(actor=actor, ticket=t, body=form.cleaned_data["body"], files=files)
            messages.success(request, _("Note added."))
        else:
            actions.reply(actor=actor, ticket=t, body=form.cleaned_data["body"], files=files)
            messages.success(request, _("Reply sent."))
    except ValidationFailed as exc:
        messages.error(request, _(exc.message))
    return redirect("ticket_detail", t.pk)


@require_POST
@page
def ticket_update(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """The status, priority and assignee controls of the ticket page."""
    actor = actor_of(request)
    t = queries.get_ticket(actor, ticket_id)
    require_perm(request, Perm.WORK)
    try:
        if request.POST.get("status"):
            actions.change_status(actor=actor, ticket=t, status=request.POST["status"])
        if request.POST.get("priority"):
            actions.change_priority(actor=actor, ticket=t, priority=request.POST["priority"])
        if "assignee" in request.POST:
            assignee_id = _int(request.POST.get("assignee"))
            assignee = (
                users_visible_to(actor).filter(pk=assignee_id).first() if assignee_id else None
            )
            actions.assign(actor=actor, ticket=t, assignee=assignee)
    except ValidationFailed as exc:
        messages.error(request, _(exc.message))
    else:
        messages.success(request, _("Ticket updated."))
    return redirect("ticket_detail", t.pk)


def _watcher_candidates(request: HttpRequest, t: Ticket) -> list[Any]:
    """Who staff may add: the client's active users and the technicians working for it."""
    qs = users_visible_to(actor_of(request)).filter(is_active=True)
    qs = qs.filter(Q(client_id=t.client_id) | Q(client__isnull=True)).exclude(role="auditor")
    return [u for u in qs.order_by("full_name", "email")[:500] if watch_actions.may_watch(t, u)]


@require_POST
@page
def ticket_watchers(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """Add a watcher (staff), remove one (staff), or stop watching (anyone who sees it)."""
    actor = actor_of(request)
    t = queries.get_ticket(actor, ticket_id)
    user_id = _int(request.POST.get("user"))
    user = users_visible_to(actor).filter(pk=user_id).first() if user_id else None
    if user is None:
        messages.error(request, _("Choose a person."))
        return redirect("ticket_detail", t.pk)
    try:
        if request.POST.get("op") == "remove":
            watch_actions.remove_watcher(actor=actor, ticket=t, user=user)
            if user == request.user:
                messages.success(request, _("You no longer watch this ticket."))
                if not queries.tickets_visible_to(actor).filter(pk=t.pk).exists():
                    return redirect("ticket_list")
            else:
                messages.success(request, _("Watcher removed."))
        else:
            watch_actions.add_watcher(actor=actor, ticket=t, user=user)
            messages.success(request, _("Watcher added."))
    except ValidationFailed as exc:
        messages.error(request, _(exc.message))
    return redirect("ticket_detail", t.pk)


@require_POST
@page
def ticket_bulk(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    require_perm(request, Perm.WORK)
    ids = [i for i in (_int(v) for v in request.POST.getlist("ticket")) if i is not None]
    back = f"{redirect('ticket_list').url}?{request.POST.get('back', '')}"
    if not ids:
        messages.error(request, _("Choose tickets first."))
        return redirect(back)
    assignee: Any = False
    if request.POST.get("assignee"):
        assignee = (
            None
            if request.POST["assignee"] == "none"
            else users_visible_to(actor).filter(pk=_int(request.POST["assignee"]) or 0).first()
        )
    try:
        n = actions.bulk_update(
            actor=actor, tickets=queries.get_tickets(actor, ids),
            status=request.POST.get("status") or None,
            priority=request.POST.get("priority") if request.POST.get("priority") in Ticket.Priority.values else None,
            assignee=assignee,
        )  # fmt: skip
    except ValidationFailed as exc:
        messages.error(request, _(exc.message))
    else:
        messages.success(request, _("%(count)d tickets updated.") % {"count": n})
    return redirect(back)


OCTET_STREAM = "application/octet-stream"
# Types a browser cannot execute; anything else (text/html, image/svg+xml, …) goes out as bytes.
INLINE_SAFE_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "application/pdf", "text/plain", "text/csv",
     "application/zip", "application/json"}
)  # fmt: skip


@require_GET
@page
def attachment_download(request: HttpRequest, attachment_id: int) -> HttpResponse:
    """Only through here, after the ticket's visibility check; never a public media URL.

    Read whole (attachments are capped by OPENMSP_ATTACHMENT_MAX_BYTES), so no file handle
    outlives the request whatever the server does with the response."""
    att = queries.get_attachment(actor_of(request), attachment_id)
    with att.file.open("rb") as fh:
        data = fh.read()
    # Never rendered by the browser: HTML, SVG and the like would run as this site's pages.
    inert = att.content_type in INLINE_SAFE_TYPES
    response = HttpResponse(data, content_type=att.content_type if inert else OCTET_STREAM)
    response["Content-Disposition"] = content_disposition_header(True, att.name) or "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX_CSP
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@require_POST
@page
def saved_view_save(request: HttpRequest) -> HttpResponse:
    name = request.POST.get("name", "").strip()[:100]
    params = QueryDict(request.POST.get("query", ""))
    query = urlencode({k: params[k] for k in FILTERS if params.get(k)})
    if name:
        actions.save_view(actor=actor_of(request), name=name, query=query)
        messages.success(request, _("View saved."))
    return redirect(f"{redirect('ticket_list').url}?{query}")


@require_POST
@page
def saved_view_delete(request: HttpRequest) -> HttpResponse:
    view = queries.get_saved_view(actor_of(request), request.POST.get("view") or 0)
    actions.delete_view(actor=actor_of(request), view=view)
    messages.success(request, _("View deleted."))
    return redirect("ticket_list")
