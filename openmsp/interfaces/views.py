"""HTML pages of interfaces: the list (per client, status per rule, last run, volume today), one
interface with its report URL, hourly volume chart and recent runs, the form and the buttons.

Thin: interfaces are fetched through openmsp.interfaces.queries (another client's is a 404) and
changed through openmsp.interfaces.actions. The report token is shown once, on the page that
answers the create or "new token" POST, never stored in a message or the session.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openmsp.accounts.models import User
from openmsp.accounts.roles import STAFF_ROLES, Perm
from openmsp.core.errors import Conflict, ValidationFailed
from openmsp.interfaces import actions, forms, queries
from openmsp.interfaces.models import Interface
from openmsp.interfaces.observe import TITLES
from openmsp.interfaces.schemas import report_url
from openmsp.tenants.queries import clients_visible_to
from openmsp.web.actor import actor_of
from openmsp.web.pages import apply_error, page, require_perm, viewer_zone

GET_POST = require_http_methods(["GET", "POST"])
PAGE_SIZE = 50
CHART_HOURS = 48


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _today_start(request: HttpRequest) -> dt.datetime:
    local = timezone.now().astimezone(viewer_zone(request))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


@require_GET
@page
def interface_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    user: Any = request.user
    clients = clients_visible_to(actor).only("pk", "name").order_by("name")
    client_id = _int(request.GET.get("client"))
    client = next((c for c in clients if c.pk == client_id), None)
    qs = queries.filter_interfaces(
        queries.interfaces_visible_to(actor),
        client_id=client.pk if client else None,
        q=request.GET.get("q", "").strip() or None,
    ).order_by("client__name", "name", "pk")
    page_obj = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    volumes = queries.volumes_since([i.pk for i in page_obj.object_list], _today_start(request))
    context = {
        "page_obj": page_obj,
        "rows": [(i, volumes.get(i.pk, 0), _statuses(i)) for i in page_obj.object_list],
        "clients": clients if user.is_msp_staff else [],
        "client": client,
        "current_client": client,
        "q": request.GET.get("q", ""),
        "show_client": user.is_msp_staff and client is None,
    }
    return render(request, "interfaces/interface_list.html", context)


def _statuses(iface: Interface) -> list[tuple[str, str, str]]:
    """(rule, status, title) of each judged rule, worst first."""
    order = {"critical": 0, "warning": 1, "ok": 2}
    items = [(r, s, _(TITLES.get(r, r))) for r, s in (iface.rule_status or {}).items()]
    return sorted(items, key=lambda x: (order.get(x[1], 3), x[0]))


def _staff() -> Any:
    return User.objects.filter(is_active=True, role__in=STAFF_ROLES).order_by("full_name", "email")


def _form(request: HttpRequest, iface: Interface | None) -> forms.InterfaceForm:
    if iface is not None:
        initial: dict[str, Any] = {n: getattr(iface, n) for n in forms.InterfaceForm.model_fields}
        initial["tags"] = ", ".join(iface.tags or [])
        return forms.InterfaceForm(request.POST or None, staff=_staff(), initial=initial)
    initial = {"time_zone": "Asia/Seoul", "start_grace_minutes": 15, "min_traffic_ratio": 0.3}
    chosen = _int(request.GET.get("client"))
    if chosen is not None:
        initial["client"] = chosen
    return forms.InterfaceForm(
        request.POST or None,
        clients=clients_visible_to(actor_of(request)),
        staff=_staff(),
        initial=initial,
    )


def _form_page(
    request: HttpRequest, form: forms.InterfaceForm, iface: Interface | None
) -> HttpResponse:
    context = {
        "form": form,
        "interface": iface,
        "title": _("Edit interface") if iface else _("New interface"),
        "current_client": iface.client if iface else None,
    }
    return render(
        request, "interfaces/interface_form.html", context, status=422 if form.errors else 200
    )


def _token_page(request: HttpRequest, iface: Interface, token: str) -> HttpResponse:
    context = {
        "interface": iface,
        "token": token,
        "current_client": iface.client,
        **_examples(token),
    }
    response = render(request, "interfaces/interface_token.html", context)
    response["Cache-Control"] = "no-store"
    return response


@GET_POST
@page
def interface_create(request: HttpRequest) -> HttpResponse:
    require_perm(request, Perm.WORK)
    form = _form(request, None)
    if request.method == "POST" and form.is_valid():
        fields = form.changes()
        try:
            iface, token = actions.create_interface(
                actor=actor_of(request),
                client=form.cleaned_data["client"],
                name=fields.pop("name"),
                code=fields.pop("code"),
                **fields,
            )
        except (ValidationFailed, Conflict) as exc:
            apply_error(form, exc)
        else:
            return _token_page(request, iface, token)
    return _form_page(request, form, None)


@GET_POST
@page
def interface_edit(request: HttpRequest, interface_id: int) -> HttpResponse:
    iface = queries.get_interface(actor_of(request), interface_id)
    require_perm(request, Perm.WORK)
    form = _form(request, iface)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_interface(
                actor=actor_of(request), interface=iface, changes=form.changes()
            )
        except (ValidationFailed, Conflict) as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("Interface saved."))
            return redirect("interface_detail", iface.pk)
    return _form_page(request, form, iface)


def _examples(token: str) -> dict[str, str]:
    body = (
        '{"runs": [{"run_id": "orders-20260302-0200", "started_at": "2026-03-02T02:00:00+09:00", '
        '"finished_at": "2026-03-02T02:04:10+09:00", "records_processed": 1250, '
        '"records_failed": 3, "failures_by_code": {"E-DUP": 3}, "latency_p95_ms": 180, '
        '"backlog_depth": 0, "oldest_message_age_s": 0}]}'
    )
    curl = (
        f"curl -fsS -m 10 --retry 5 -X POST {report_url()} \\\n"
        f'  -H "Authorization: Bearer {token}" \\\n'
        f"  -H 'Content-Type: application/json' \\\n  -d '{body}'"
    )
    return {"report_url": report_url(), "curl": curl}


def _chart(request: HttpRequest, iface: Interface) -> dict[str, Any]:
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    since = now - dt.timedelta(hours=CHART_HOURS - 1)
    rows = {hour: (p, f) for hour, p, f in queries.hourly_volume(iface, since)}
    hours = [since + dt.timedelta(hours=h) for h in range(CHART_HOURS)]
    return {
        "labels": [h.isoformat() for h in hours],
        "processed": [rows.get(h, (0, 0))[0] for h in hours],
        "failed": [rows.get(h, (0, 0))[1] for h in hours],
    }


@require_GET
@page
def interface_detail(request: HttpRequest, interface_id: int) -> HttpResponse:
    iface = queries.get_interface(actor_of(request), interface_id)
    runs = Paginator(queries.runs_of(iface), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "interface": iface,
        "current_client": iface.client,
        "statuses": _statuses(iface),
        "page_obj": runs,
        "chart": _chart(request, iface),
        "viewer_tz": str(viewer_zone(request)),
        "volume_today": queries.volumes_since([iface.pk], _today_start(request)).get(iface.pk, 0),
        **_examples(f"omi_{iface.token_prefix}…"),
    }
    return render(request, "interfaces/interface_detail.html", context)


def _pause(request: HttpRequest, interface_id: int, paused: bool) -> HttpResponse:
    actor = actor_of(request)
    iface = queries.get_interface(actor, interface_id)
    actions.set_paused(actor=actor, interface=iface, paused=paused)
    messages.success(request, _("Interface paused.") if paused else _("Interface resumed."))
    return redirect("interface_detail", iface.pk)


@require_POST
@page
def interface_pause(request: HttpRequest, interface_id: int) -> HttpResponse:
    return _pause(request, interface_id, True)


@require_POST
@page
def interface_resume(request: HttpRequest, interface_id: int) -> HttpResponse:
    return _pause(request, interface_id, False)


@require_POST
@page
def interface_new_token(request: HttpRequest, interface_id: int) -> HttpResponse:
    actor = actor_of(request)
    iface, token = actions.regenerate_token(
        actor=actor, interface=queries.get_interface(actor, interface_id)
    )
    return _token_page(request, iface, token)


@require_POST
@page
def interface_delete(request: HttpRequest, interface_id: int) -> HttpResponse:
    actor = actor_of(request)
    iface = queries.get_interface(actor, interface_id)
    actions.delete_interface(actor=actor, interface=iface)
    messages.success(request, _("Interface “%(name)s” deleted.") % {"name": iface.name})
    return redirect("interface_list")
