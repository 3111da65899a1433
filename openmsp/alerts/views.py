"""HTML pages of problems: the board (staff across clients, client users their own), one
problem with its timeline and the acknowledge form, the maintenance calendar, Alertmanager
receiver tokens. Thin: fetch through openmsp.alerts.queries, change through actions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openmsp.accounts.roles import Perm
from openmsp.alerts import actions, forms, queries
from openmsp.alerts.models import Problem
from openmsp.assets.models import Asset
from openmsp.assets.queries import assets_visible_to, get_asset
from openmsp.core.errors import Conflict, ValidationFailed
from openmsp.tenants.queries import clients_visible_to, sites_visible_to
from openmsp.web.actor import actor_of
from openmsp.web.pages import apply_error, page, require_perm

PAGE_SIZE = 50
GET_POST = require_http_methods(["GET", "POST"])
STATE_RANK = Case(
    When(state="firing", then=Value(0)),
    When(state="pending", then=Value(1)),
    When(state="acknowledged", then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)
SEVERITY_RANK = Case(When(severity="critical", then=Value(0)), default=Value(1), output_field=IntegerField())  # fmt: skip


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _flag(value: str | None) -> bool | None:
    return {"1": True, "0": False}.get(value or "")


def _filters(request: HttpRequest) -> queries.ProblemFilters:
    get = request.GET
    state = get.get("state", "open")
    return queries.ProblemFilters(
        client_id=_int(get.get("client")),
        state=state if state in ("open", *Problem.State.values) else None,
        severity=get.get("severity") if get.get("severity") in Problem.Severity.values else None,
        source=get.get("source", "").strip() or None,
        suppressed=_flag(get.get("suppressed")),
        in_maintenance=_flag(get.get("maintenance")),
        q=get.get("q", "").strip() or None,
    )


@require_GET
@page
def problem_board(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    user: Any = request.user
    filters = _filters(request)
    qs = queries.filter_problems(queries.problems_visible_to(actor), filters)
    qs = qs.order_by(STATE_RANK, SEVERITY_RANK, "-last_seen_at", "-pk")
    page_obj = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    clients = clients_visible_to(actor).only("pk", "name").order_by("name")
    sources = (
        queries.problems_visible_to(actor)
        .order_by("source")
        .values_list("source", flat=True)
        .distinct()
    )
    context = {
        "page_obj": page_obj,
        "filters": filters,
        "state_choice": request.GET.get("state", "open"),
        "clients": clients if user.is_msp_staff else [],
        "show_client": user.is_msp_staff and filters.client_id is None,
        "states": Problem.State.choices,
        "severities": Problem.Severity.choices,
        "sources": sources,
        "now": timezone.now(),
    }
    return render(request, "alerts/problem_board.html", context)


EVENT_LABELS = {
    "opened": gettext_lazy("Opened"),
    "fired": gettext_lazy("Fired"),
    "resolved": gettext_lazy("Resolved"),
    "reopened": gettext_lazy("Reopened"),
    "flapping": gettext_lazy("Flapping"),
    "stable": gettext_lazy("Stable again"),
    "severity": gettext_lazy("Severity changed"),
    "acknowledged": gettext_lazy("Acknowledged"),
    "unacknowledged": gettext_lazy("Acknowledgement withdrawn"),
    "ack_expired": gettext_lazy("Acknowledgement expired"),
    "comment": gettext_lazy("Comment"),
}
STATE_LABELS = dict(Problem.State.choices)


def _suppressing_asset(request: HttpRequest, problem: Problem) -> Asset | None:
    """The parent asset whose down problem suppresses this one (same client, so visible)."""
    parent = problem.suppressed_by
    if parent is None or parent.asset_id is None:
        return None
    return (
        assets_visible_to(actor_of(request), include_retired=True)
        .filter(pk=parent.asset_id)
        .first()
    )


def _problem_page(request: HttpRequest, problem: Problem, **forms_: Any) -> HttpResponse:
    events = list(queries.timeline(problem))
    for event in events:
        event.label = EVENT_LABELS.get(event.kind, event.kind)  # type: ignore[attr-defined]
        event.state_label = STATE_LABELS.get(event.state, event.state)  # type: ignore[attr-defined]
    context = {
        "problem": problem,
        "events": events,
        "ack_form": forms_.get("ack_form") or forms.AcknowledgeForm(),
        "comment_form": forms_.get("comment_form") or forms.CommentForm(),
        "current_client": problem.client,
        "parent_asset": _suppressing_asset(request, problem),
        "may_resolve": problem.is_open
        and (problem.external or problem.source in actions.MANUAL_SOURCES),
        "now": timezone.now(),
    }
    invalid = any(f.errors for f in forms_.values() if f is not None)
    return render(request, "alerts/problem_detail.html", context, status=422 if invalid else 200)


@require_GET
@page
def problem_detail(request: HttpRequest, problem_id: int) -> HttpResponse:
    return _problem_page(request, queries.get_problem(actor_of(request), problem_id))


@require_POST
@page
def problem_acknowledge(request: HttpRequest, problem_id: int) -> HttpResponse:
    actor = actor_of(request)
    problem = queries.get_problem(actor, problem_id)
    require_perm(request, Perm.WORK)
    form = forms.AcknowledgeForm(request.POST)
    if form.is_valid():
        try:
            actions.acknowledge(
                actor=actor,
                problem=problem,
                comment=form.cleaned_data["comment"],
                expires_at=form.cleaned_data["expires_at"],
            )
        except (ValidationFailed, Conflict) as exc:
            apply_error(form, exc)
        else:
            messages.success(request, _("Problem acknowledged."))
            return redirect("problem_detail", problem.pk)
    return _problem_page(request, problem, ack_form=form)


@require_POST
@page
def problem_unacknowledge(request: HttpRequest, problem_id: int) -> HttpResponse:
    actor = actor_of(request)
    problem = queries.get_problem(actor, problem_id)
    try:
        actions.unacknowledge(actor=actor, problem=problem)
    except Conflict as exc:
        messages.error(request, _(exc.message))
    else:
        messages.success(request, _("Acknowledgement withdrawn."))
    return redirect("problem_detail", problem.pk)


@require_POST
@page
def problem_comment(request: HttpRequest, problem_id: int) -> HttpResponse:
    actor = actor_of(request)
    problem = queries.get_problem(actor, problem_id)
    require_perm(request, Perm.WORK)
    form = forms.CommentForm(request.POST)
    if form.is_valid():
        try:
            actions.comment(actor=actor, problem=problem, text=form.cleaned_data["comment"])
        except ValidationFailed as exc:
            apply_error(form, exc)
        else:
            return redirect("problem_detail", problem.pk)
    return _problem_page(request, problem, comment_form=form)


@require_POST
@page
def problem_resolve(request: HttpRequest, problem_id: int) -> HttpResponse:
    actor = actor_of(request)
    problem = queries.get_problem(actor, problem_id)
    try:
        actions.resolve(actor=actor, problem=problem, comment=request.POST.get("comment", ""))
    except (Conflict, ValidationFailed) as exc:
        messages.error(request, _(exc.message))
    else:
        messages.success(request, _("Problem resolved."))
    return redirect("problem_detail", problem.pk)


# --- Maintenance calendar -----------------------------------------------------------------------


@GET_POST
@page
def maintenance_list(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    user: Any = request.user
    clients = clients_visible_to(actor).order_by("name")
    form = None
    if user.has_perm_to(Perm.ALERTS_MANAGE):
        form = forms.WindowForm(
            request.POST or None,
            clients=clients,
            sites=sites_visible_to(actor).order_by("client__name", "name"),
            assets=assets_visible_to(actor).order_by("client__name", "name"),
        )
    if request.method == "POST":
        require_perm(request, Perm.ALERTS_MANAGE)
        assert form is not None
        if form.is_valid():
            try:
                window = actions.create_window(
                    actor=actor, client=form.cleaned_data["client"], **form.changes()
                )
            except (ValidationFailed, Conflict) as exc:
                apply_error(form, exc)
            else:
                messages.success(
                    request, _("Maintenance window “%(name)s” saved.") % {"name": window.name}
                )
                return redirect("maintenance_list")
    windows = queries.windows_visible_to(actor).order_by("-ends_at", "-pk")
    client_id = _int(request.GET.get("client"))
    if client_id is not None:
        windows = windows.filter(client_id=client_id)
    page_obj = Paginator(windows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page_obj": page_obj,
        "form": form,
        "now": timezone.now(),
        "show_client": user.is_msp_staff,
    }
    status = 422 if form is not None and form.errors else 200
    return render(request, "alerts/maintenance_list.html", context, status=status)


@require_POST
@page
def maintenance_delete(request: HttpRequest, maintenance_window_id: int) -> HttpResponse:
    actor = actor_of(request)
    window = queries.get_window(actor, maintenance_window_id)
    actions.delete_window(actor=actor, window=window)
    messages.success(request, _("Maintenance window deleted."))
    return redirect("maintenance_list")


# --- Alertmanager receiver tokens ---------------------------------------------------------------


@GET_POST
@page
def alertmanager_tokens(request: HttpRequest) -> HttpResponse:
    require_perm(request, Perm.ALERTS_MANAGE)
    actor = actor_of(request)
    form = forms.AlertmanagerTokenForm(
        request.POST or None, clients=clients_visible_to(actor).order_by("name")
    )
    secret = None
    if request.method == "POST" and form.is_valid():
        try:
            _token, secret = actions.create_alertmanager_token(
                actor=actor, client=form.cleaned_data["client"], name=form.cleaned_data["name"]
            )
        except ValidationFailed as exc:
            apply_error(form, exc)
        else:
            form = forms.AlertmanagerTokenForm(clients=clients_visible_to(actor).order_by("name"))
    context = {
        "tokens": queries.alertmanager_tokens_visible_to(actor).order_by("-pk")[:200],
        "form": form,
        "secret": secret,
        "webhook_path": "/api/v1/alertmanager/webhook",
    }
    return render(
        request, "alerts/alertmanager_tokens.html", context, status=422 if form.errors else 200
    )


@require_POST
@page
def alertmanager_token_revoke(request: HttpRequest, alertmanager_token_id: int) -> HttpResponse:
    actor = actor_of(request)
    token = queries.get_alertmanager_token(actor, alertmanager_token_id)
    actions.revoke_alertmanager_token(actor=actor, token=token)
    messages.success(request, _("Token revoked."))
    return redirect("alertmanager_tokens")


# --- Dependencies -------------------------------------------------------------------------------


def _dependency_tab(
    request: HttpRequest, asset: Asset, form: forms.DependencyForm | None, status: int = 200
) -> HttpResponse:
    from openmsp.assets.views import render_tab

    actor = actor_of(request)
    link = queries.parent_link(asset)
    children = queries.children_of(asset)
    down = queries.down_problems(actor, [c.pk for c in children] + ([link.parent_id] if link else []))  # fmt: skip
    context = {
        "link": link,
        "parent_down": down.get(link.parent_id) if link else None,
        "children": [(child, down.get(child.pk)) for child in children],
        "form": form,
    }
    return render_tab(request, asset, "dependencies", context, status=status)


def _parent_choices(request: HttpRequest, asset: Asset) -> Any:
    return (
        assets_visible_to(actor_of(request))
        .filter(client_id=asset.client_id)
        .exclude(pk=asset.pk)
        .order_by("name", "pk")
    )


@GET_POST
@page
def asset_dependencies(request: HttpRequest, asset_id: int) -> HttpResponse:
    """The host page's Dependencies tab: what the asset depends on, what depends on it; staff
    with the alerts permission set or replace the parent here."""
    actor = actor_of(request)
    asset = get_asset(actor, asset_id)
    user: Any = request.user
    form = None
    if user.has_perm_to(Perm.ALERTS_MANAGE):
        form = forms.DependencyForm(request.POST or None, parents=_parent_choices(request, asset))
    if request.method != "POST":
        return _dependency_tab(request, asset, form)
    require_perm(request, Perm.ALERTS_MANAGE)
    assert form is not None
    if form.is_valid():
        try:
            actions.set_dependency(actor=actor, child=asset, parent=form.cleaned_data["parent"])
        except ValidationFailed as exc:
            apply_error(form, exc, aliases={"parent_id": "parent"})
        else:
            messages.success(request, _("Dependency saved."))
            return redirect("asset_dependencies", asset.pk)
    return _dependency_tab(request, asset, form, status=422)


@require_POST
@page
def dependency_remove(request: HttpRequest, asset_parent_id: int) -> HttpResponse:
    actor = actor_of(request)
    dependency = queries.get_dependency(actor, asset_parent_id)
    actions.remove_dependency(actor=actor, dependency=dependency)
    messages.success(request, _("Dependency removed."))
    return redirect("asset_dependencies", dependency.child_id)


@require_GET
@page
def dependency_tree(request: HttpRequest) -> HttpResponse:
    """Every client's dependency trees (or one client's: ?client=ID), parents above children,
    with the assets that are down now marked."""
    actor = actor_of(request)
    user: Any = request.user
    client_id = _int(request.GET.get("client"))
    context = {
        "forest": queries.dependency_forest(actor, client_id),
        "clients": clients_visible_to(actor).only("pk", "name").order_by("name")
        if user.is_msp_staff
        else [],
        "client_id": client_id,
    }
    return render(request, "alerts/dependency_tree.html", context)
