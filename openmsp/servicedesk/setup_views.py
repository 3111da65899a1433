"""The desk's set-up pages: ticket statuses (name, category, which SLA clocks each pauses), teams
and categories. MSP staff only (the portal has none: 404); changes need the contract-manage
permission. Thin: reads through queries, writes through setup_actions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from openmsp.accounts.queries import users_visible_to
from openmsp.core.errors import NotFound, OpenMSPError, PermissionDenied
from openmsp.servicedesk import queries, setup_actions
from openmsp.servicedesk.models import TicketStatus
from openmsp.servicedesk.policy_views import CLOCK_NAMES, _can_manage, _pick, _staff_actor
from openmsp.tenants.queries import clients_visible_to
from openmsp.web.pages import page

GET_POST = require_http_methods(["GET", "POST"])


def _fetch(qs: Any, pk: int, what: str) -> Any:
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise NotFound(f"No such {what}.")
    return obj


def _write(request: HttpRequest) -> None:
    if not _can_manage(request):
        raise PermissionDenied(_("Your role does not allow changing the desk's set-up."))


def _render(request: HttpRequest, kind: str, obj: Any, error: Any, status: int) -> HttpResponse:
    actor = _staff_actor(request)
    lists = {
        "status": queries.statuses_visible_to(actor).select_related("client"),
        "team": queries.teams_visible_to(actor).prefetch_related("members"),
        "category": queries.categories_visible_to(actor),
    }
    context = {
        "kind": kind, "obj": obj, "error": error, "rows": lists[kind],
        "can_manage": _can_manage(request), "categories": TicketStatus.Category.choices,
        "clock_names": list(CLOCK_NAMES.items()),
        "clients": clients_visible_to(actor).order_by("name"),
        "users": users_visible_to(actor).filter(client__isnull=True, is_active=True),
        "member_ids": set(obj.members.values_list("pk", flat=True)) if kind == "team" and obj else set(),
    }  # fmt: skip
    return render(request, "servicedesk/desk_setup.html", context, status=status)


def _save(request: HttpRequest, kind: str, obj: Any) -> HttpResponse:
    actor = _staff_actor(request)
    if request.method != "POST":
        return _render(request, kind, obj, None, 200)
    _write(request)
    post = request.POST
    try:
        if kind == "status":
            pauses = post.getlist("pauses")
            setup_actions.save_status(
                actor=actor, status=obj, name=post.get("name", ""),
                category=post.get("category", ""), pauses=pauses, code=post.get("code", ""),
            )  # fmt: skip
        elif kind == "team":
            members = [
                _pick(users_visible_to(actor), pk, "members") for pk in post.getlist("members")
            ]
            setup_actions.save_team(
                actor=actor, team=obj, name=post.get("name", ""), members=members,
                client=_pick(clients_visible_to(actor), post.get("client"), "client"),
            )  # fmt: skip
        else:
            setup_actions.save_category(
                actor=actor, category=obj, name=post.get("name", ""),
                client=_pick(clients_visible_to(actor), post.get("client"), "client"),
            )  # fmt: skip
    except OpenMSPError as exc:
        return _render(request, kind, obj, exc, 422)
    messages.success(request, _("Saved."))
    return redirect(f"desk_{kind}_list")


@GET_POST
@page
def status_list(request: HttpRequest) -> HttpResponse:
    return _save(request, "status", None)


@GET_POST
@page
def status_edit(request: HttpRequest, status_id: int) -> HttpResponse:
    actor = _staff_actor(request)
    return _save(request, "status", _fetch(queries.statuses_visible_to(actor), status_id, "status"))


@GET_POST
@page
def team_list(request: HttpRequest) -> HttpResponse:
    return _save(request, "team", None)


@GET_POST
@page
def team_edit(request: HttpRequest, team_id: int) -> HttpResponse:
    actor = _staff_actor(request)
    return _save(request, "team", _fetch(queries.teams_visible_to(actor), team_id, "team"))


@GET_POST
@page
def category_list(request: HttpRequest) -> HttpResponse:
    return _save(request, "category", None)


@GET_POST
@page
def category_edit(request: HttpRequest, category_id: int) -> HttpResponse:
    actor = _staff_actor(request)
    qs = queries.categories_visible_to(actor)
    return _save(request, "category", _fetch(qs, category_id, "category"))
