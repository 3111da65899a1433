"""HTML pages of heartbeats: the list (per client), one heartbeat with its ping URL, run-time
chart and ping log, the form, and the buttons (pause, resume, new URL, delete).

Thin by design: heartbeats are fetched through openmsp.heartbeats.queries (another client's
heartbeat is a 404) and changed through openmsp.heartbeats.actions.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openmsp.accounts.roles import Perm
from openmsp.assets.queries import assets_visible_to
from openmsp.core.errors import Conflict, ValidationFailed
from openmsp.heartbeats import actions, forms, queries
from openmsp.heartbeats.models import Heartbeat
from openmsp.heartbeats.schemas import ping_url
from openmsp.tenants.queries import clients_visible_to, sites_visible_to
from openmsp.web.actor import actor_of
from openmsp.web.pages import apply_error, page, require_perm, viewer_zone

GET_POST = require_http_methods(["GET", "POST"])
PAGE_SIZE = 50
_ALIASES = {"site_id": "site", "asset_id": "asset"}


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@require_GET
@page
def heartbeat_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    user: Any = request.user
    clients = clients_visible_to(actor).only("pk", "name").order_by("name")
    client_id = _int(request.GET.get("client"))
    client = next((c for c in clients if c.pk == client_id), None)
    state = request.GET.get("state")
    state = state if state in Heartbeat.State.values else None
    qs = queries.filter_heartbeats(
        queries.heartbeats_visible_to(actor),
        client_id=client.pk if client else None,
        state=state,
        q=request.GET.get("q", "").strip() or None,
    ).order_by("client__name", "name", "pk")
    page_obj = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page_obj": page_obj,
        "rows": [(hb, hb.next_expected_at()) for hb in page_obj.object_list],
        "clients": clients if user.is_msp_staff else [],
        "client": client,
        "current_client": client,
        "state": state,
        "states": Heartbeat.State.choices,
        "q": request.GET.get("q", ""),
        "show_client": user.is_msp_staff and client is None,
    }
    return render(request, "heartbeats/heartbeat_list.html", context)


def _form(request: HttpRequest, hb: Heartbeat | None) -> forms.HeartbeatForm:
    actor = actor_of(request)
    sites, assets = sites_visible_to(actor), assets_visible_to(actor)
    if hb is not None:
        initial: dict[str, Any] = {n: getattr(hb, n) for n in forms.HeartbeatForm.model_fields}
        initial["tags"] = ", ".join(hb.tags or [])
        return forms.HeartbeatForm(
            request.POST or None,
            sites=sites.filter(client=hb.client),
            assets=assets.filter(client=hb.client),
            initial=initial,
        )
    initial = {"kind": Heartbeat.Kind.PERIOD, "period_seconds": 86400, "grace_seconds": 3600,
               "time_zone": "Asia/Seoul"}  # fmt: skip
    chosen = _int(request.GET.get("client"))
    if chosen is not None:
        initial["client"] = chosen
    return forms.HeartbeatForm(
        request.POST or None,
        clients=clients_visible_to(actor),
        sites=sites,
        assets=assets,
        initial=initial,
    )


def _form_page(
    request: HttpRequest, form: forms.HeartbeatForm, hb: Heartbeat | None
) -> HttpResponse:
    title = _("Edit heartbeat") if hb else _("New heartbeat")
    context = {
        "form": form,
        "heartbeat": hb,
        "title": title,
        "current_client": hb.client if hb else None,
    }
    return render(
        request, "heartbeats/heartbeat_form.html", context, status=422 if form.errors else 200
    )


@GET_POST
@page
def heartbeat_create(request: HttpRequest) -> HttpResponse:
    require_perm(request, Perm.WORK)
    form = _form(request, None)
    if request.method == "POST" and form.is_valid():
        fields = form.changes()
        try:
            hb = actions.create_heartbeat(
                actor=actor_of(request),
                client=form.cleaned_data["client"],
                name=fields.pop("name"),
                **fields,
            )
        except (ValidationFailed, Conflict) as exc:
            apply_error(form, exc, aliases=_ALIASES)
        else:
            messages.success(request, _("Heartbeat “%(name)s” created.") % {"name": hb.name})
            return redirect("heartbeat_detail", hb.pk)
    return _form_page(request, form, None)


@GET_POST
@page
def heartbeat_edit(request: HttpRequest, heartbeat_id: int) -> HttpResponse:
    hb = queries.get_heartbeat(actor_of(request), heartbeat_id)
    require_perm(request, Perm.WORK)
    form = _form(request, hb)
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_heartbeat(actor=actor_of(request), heartbeat=hb, changes=form.changes())
        except (ValidationFailed, Conflict) as exc:
            apply_error(form, exc, aliases=_ALIASES)
        else:
            messages.success(request, _("Heartbeat saved."))
            return redirect("heartbeat_detail", hb.pk)
    return _form_page(request, form, hb)


def _chart_data(hb: Heartbeat) -> dict[str, Any]:
    runs = queries.recent_runs(hb)
    return {
        "labels": [run.at.isoformat() for run in runs],
        "durations": [run.duration.total_seconds() if run.duration else None for run in runs],
        "failed": [run.kind == "fail" for run in runs],
    }


@require_GET
@page
def heartbeat_detail(request: HttpRequest, heartbeat_id: int) -> HttpResponse:
    hb = queries.get_heartbeat(actor_of(request), heartbeat_id)
    pings = Paginator(queries.pings_of(hb), PAGE_SIZE).get_page(request.GET.get("page"))
    url = ping_url(hb)
    context = {
        "heartbeat": hb,
        "current_client": hb.client,
        "ping_url": url,
        "next_expected": hb.next_expected_at(),
        "page_obj": pings,
        "runs": list(queries.recent_runs(hb, limit=20))[::-1],
        "chart": _chart_data(hb),
        "viewer_tz": str(viewer_zone(request)),
        "crontab_line": f"{hb.cron or '30 2 * * *'} /usr/local/bin/erp-export.sh && curl -fsS -m 10 --retry 5 -o /dev/null {url}",
        "wrapped": (
            f"curl -fsS -m 10 --retry 5 -o /dev/null {url}/start\n"
            "/usr/local/bin/erp-export.sh\n"
            f"curl -fsS -m 10 --retry 5 -o /dev/null {url}/$?"
        ),
    }
    return render(request, "heartbeats/heartbeat_detail.html", context)


def _button(request: HttpRequest, heartbeat_id: int, change: Any, done: str) -> HttpResponse:
    actor = actor_of(request)
    hb = queries.get_heartbeat(actor, heartbeat_id)
    change(actor=actor, heartbeat=hb)
    messages.success(request, done)
    return redirect("heartbeat_detail", hb.pk)


@require_POST
@page
def heartbeat_pause(request: HttpRequest, heartbeat_id: int) -> HttpResponse:
    return _button(request, heartbeat_id, actions.pause_heartbeat, _("Heartbeat paused."))


@require_POST
@page
def heartbeat_resume(request: HttpRequest, heartbeat_id: int) -> HttpResponse:
    return _button(request, heartbeat_id, actions.resume_heartbeat, _("Heartbeat resumed."))


@require_POST
@page
def heartbeat_new_key(request: HttpRequest, heartbeat_id: int) -> HttpResponse:
    return _button(
        request,
        heartbeat_id,
        actions.regenerate_key,
        _("New ping URL; the old one no longer works."),
    )


@require_POST
@page
def heartbeat_delete(request: HttpRequest, heartbeat_id: int) -> HttpResponse:
    actor = actor_of(request)
    hb = queries.get_heartbeat(actor, heartbeat_id)
    actions.delete_heartbeat(actor=actor, heartbeat=hb)
    messages.success(request, _("Heartbeat “%(name)s” deleted.") % {"name": hb.name})
    return redirect("heartbeat_list")
