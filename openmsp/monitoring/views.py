"""HTML pages of synthetic checks: the list (per client), the editor with "test now" (htmx), and
the check page with its latency chart and recent results.

Thin: checks come from monitoring.queries (another client's check is a 404), changes go through
monitoring.actions. The chart reuses the fleet's Chart.js loader (assets/fleet.js), which reads
the JSON of `check_latency_data`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openmsp.accounts.roles import Perm
from openmsp.assets import queries as asset_queries
from openmsp.assets.queries import assets_visible_to
from openmsp.core import netguard
from openmsp.core.actor import Actor
from openmsp.core.errors import OpenMSPError
from openmsp.monitoring import actions, forms, queries
from openmsp.monitoring.models import Check
from openmsp.monitoring.probes.specs import AGENT_KINDS, unmask
from openmsp.monitoring.trial import try_check
from openmsp.tenants.queries import clients_visible_to
from openmsp.web.actor import actor_of
from openmsp.web.pages import apply_error, page, require_perm

PAGE_SIZE = 50
RECENT = 50
CHART_SPAN = dt.timedelta(hours=24)
GET_POST = require_http_methods(["GET", "POST"])
COMMON = ("name", "target", "interval_seconds", "timeout_seconds", "retries", "enabled",
          "failures_to_fire", "hold_down_seconds", "successes_to_recover", "recovery_seconds",
          "flap_threshold")  # fmt: skip


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@require_GET
@page
def check_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    client_id = _int(request.GET.get("client"))
    filters = queries.CheckFilters(client_id=client_id, q=request.GET.get("q") or None)
    qs = queries.filter_checks(queries.checks_visible_to(actor), filters).order_by(
        "client__name", "name", "pk"
    )
    page_obj = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    client = clients_visible_to(actor).filter(pk=client_id).first() if client_id else None
    context = {
        "page_obj": page_obj,
        "client": client,
        "clients": list(clients_visible_to(actor).order_by("name")),
        "q": filters.q or "",
        "kinds": Check.Kind.choices,
        "can_edit": request.user.has_perm_to(Perm.WORK),  # type: ignore[union-attr]
    }
    return render(request, "monitoring/check_list.html", context)


def _client_choices(actor: Actor) -> list[tuple[int, str]]:
    return [(c.pk, c.name) for c in clients_visible_to(actor).order_by("name")]


def _forms(
    request: HttpRequest, kind: str, check: Check | None
) -> tuple[forms.CheckForm, django_forms.Form]:
    actor = actor_of(request)
    data = request.POST if request.method == "POST" else None
    initial: dict[str, Any] = {
        "client": _int(request.GET.get("client")),
        "asset": _int(request.GET.get("asset")),
    }
    settings_initial = forms.settings_defaults(kind)
    if check is not None:
        initial = {name: getattr(check, name) for name in COMMON}
        initial.update({"client": check.client_id, "tags": ", ".join(check.tags or []),
                        "asset": check.asset_id, "network_scope": check.network_scope})  # fmt: skip
        settings_initial = forms.settings_initial(kind, check.settings or {})
    hosts = _host_choices(actor) if kind in AGENT_KINDS else None
    common = forms.CheckForm(
        data,
        initial=initial,
        clients=_client_choices(actor),
        assets=hosts,
        scopes=netguard.scopes_for(actor),
    )
    spec_form = forms.settings_form_class(kind)(data, initial=settings_initial, prefix="s")
    if check is not None:
        common.fields["client"].disabled = True
    return common, spec_form


def _host_choices(actor: Actor) -> list[tuple[int, str]]:
    hosts = assets_visible_to(actor).select_related("client").order_by("client__name", "name")
    return [(a.pk, f"{a.client.name} — {a.name}") for a in hosts[:1000]]


def _values(
    common: forms.CheckForm, spec_form: django_forms.Form, kind: str, actor: Actor | None = None
) -> dict[str, Any]:
    values = {name: common.cleaned_data[name] for name in COMMON}
    if kind in AGENT_KINDS and actor is not None:
        asset_id = common.cleaned_data.get("asset")
        values["asset"] = assets_visible_to(actor).filter(pk=asset_id).first() if asset_id else None
    values["tags"] = common.cleaned_data["tags"]
    if common.cleaned_data.get("network_scope"):
        values["network_scope"] = common.cleaned_data["network_scope"]
    values["settings"] = forms.settings_from(kind, spec_form.cleaned_data)
    return values


def _editor(request: HttpRequest, kind: str, check: Check | None) -> HttpResponse:
    actor = actor_of(request)
    common, spec_form = _forms(request, kind, check)
    if request.method == "POST" and common.is_valid() and spec_form.is_valid():
        values = _values(common, spec_form, kind, actor)
        try:
            if check is None:
                client = clients_visible_to(actor).get(pk=common.cleaned_data["client"])
                check = actions.create_check(actor=actor, client=client, kind=kind, **values)
            else:
                actions.update_check(actor=actor, check=check, changes=values)
        except OpenMSPError as exc:
            field = (exc.field or "").removeprefix("settings.")
            target = spec_form if field in spec_form.fields else common
            apply_error(target, exc, aliases={exc.field or "": field})
        else:
            messages.success(request, _("The check is saved."))
            return redirect("check_detail", check.pk)
    title = _("Edit check") if check else _("New check")
    context = {"common": common, "spec_form": spec_form, "kind": kind, "check": check,
               "title": title, "kind_label": Check.Kind(kind).label,
               "agent_kind": kind in AGENT_KINDS}  # fmt: skip
    return render(request, "monitoring/check_form.html", context)


@GET_POST
@page
def check_create(request: HttpRequest) -> HttpResponse:
    require_perm(request, Perm.WORK)
    kind = request.GET.get("kind", "")
    if kind not in Check.Kind.values:
        kinds = Check.Kind.choices
        if request.GET.get("asset"):  # from a host page: what its agent can check
            kinds = [(v, label) for v, label in kinds if v in AGENT_KINDS]
        context = {"kinds": kinds, "client": _int(request.GET.get("client")) or "",
                   "asset": _int(request.GET.get("asset")) or ""}  # fmt: skip
        return render(request, "monitoring/check_kind.html", context)
    return _editor(request, kind, None)


@GET_POST
@page
def check_edit(request: HttpRequest, check_id: int) -> HttpResponse:
    check = queries.get_check(actor_of(request), check_id)
    require_perm(request, Perm.WORK)
    return _editor(request, check.kind, check)


@require_POST
@page
def check_test(request: HttpRequest) -> HttpResponse:
    """The editor's "test now": run the probe of what the form holds, show the result."""
    require_perm(request, Perm.WORK)
    kind = request.POST.get("kind", "")
    if kind not in Check.Kind.values:
        return render(
            request, "monitoring/includes/test_result.html", {"error": _("Choose a kind.")}
        )
    if kind in AGENT_KINDS:
        message = _(
            "The host's agent runs this check; its first result arrives within the interval."
        )
        return render(request, "monitoring/includes/test_result.html", {"error": message})
    check_id = _int(request.POST.get("check"))
    check = queries.get_check(actor_of(request), check_id) if check_id else None
    common, spec_form = _forms(request, kind, check)
    context: dict[str, Any] = {}
    if not (spec_form.is_valid() and common.is_valid()):
        errors = list(spec_form.errors.items()) + list(common.errors.items())
        context["error"] = f"{errors[0][0]}: {errors[0][1][0]}"
    else:
        values = _values(common, spec_form, kind)
        if check is not None:
            values["settings"] = unmask(kind, values["settings"], check.settings or {})
        try:
            scope = netguard.scope_for(
                actor_of(request),
                values.get("network_scope"),
                check.network_scope if check else None,
            )
            target, spec = actions.validated_spec(
                kind, values["target"], values["settings"], scope=scope
            )
        except OpenMSPError as exc:
            context["error"] = f"{exc.field}: {_(exc.message)}"
        else:
            state = check.probe_state if check else None
            context["result"] = try_check(
                kind, target, spec, values["timeout_seconds"], state, scope=scope
            )
    return render(request, "monitoring/includes/test_result.html", context)


@require_GET
@page
def check_detail(request: HttpRequest, check_id: int) -> HttpResponse:
    check = queries.get_check(actor_of(request), check_id)
    context = {
        "check": check,
        "results": list(queries.results_of(check)[:RECENT]),
        "data_url": reverse("check_latency_data", args=[check.pk]),
        "can_edit": request.user.has_perm_to(Perm.WORK),  # type: ignore[union-attr]
    }
    return render(request, "monitoring/check_detail.html", context)


@require_POST
@page
def check_delete(request: HttpRequest, check_id: int) -> HttpResponse:
    actor = actor_of(request)
    check = queries.get_check(actor, check_id)
    actions.delete_check(actor=actor, check=check)
    messages.success(request, _("The check is deleted."))
    return redirect("check_list")


@require_GET
@page
def check_latency_data(request: HttpRequest, check_id: int) -> JsonResponse:
    """The last 24 hours of latency, in the shape assets/fleet.js draws."""
    check = queries.get_check(actor_of(request), check_id)
    end = timezone.now()
    start = end - CHART_SPAN
    rows = queries.results_of(check, since=start).filter(latency_ms__isnull=False)
    points = [[int(at.timestamp() * 1000), ms] for at, ms in rows.values_list("at", "latency_ms")]
    points.reverse()
    return JsonResponse({
        "start": int(start.timestamp() * 1000),
        "end": int(end.timestamp() * 1000),
        "resolution": "raw",
        "unit": "ms",
        "series": [{"label": _("Latency (ms)"), "points": points}],
    })  # fmt: skip


@require_GET
@page
def asset_checks(request: HttpRequest, asset_id: int) -> HttpResponse:
    """The host page's Checks tab: the checks of this host (its agent's and synthetic ones)."""
    from openmsp.assets.views import render_tab

    actor = actor_of(request)
    asset = asset_queries.get_asset(actor, asset_id)
    checks = queries.filter_checks(
        queries.checks_visible_to(actor), queries.CheckFilters(asset_id=asset.pk)
    ).order_by("name", "pk")
    context = {
        "checks": list(checks[:200]),
        "agent_kinds": AGENT_KINDS,
        "can_edit": request.user.has_perm_to(Perm.WORK),  # type: ignore[union-attr]
    }
    return render_tab(request, asset, "checks", context)
