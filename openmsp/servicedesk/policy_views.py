"""The SLA policy editor: the ordered list (move up/down, delete) and the policy form (conditions,
per-clock targets, calendars, warning and escalation ladder). MSP staff only; thin: reads through
queries.policies_visible_to, writes through policy_actions."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openmsp.accounts.queries import users_visible_to
from openmsp.accounts.roles import Perm
from openmsp.assets.models import Asset
from openmsp.core.actor import Actor
from openmsp.core.errors import NotFound, OpenMSPError, PermissionDenied
from openmsp.servicedesk import policy_actions, queries
from openmsp.servicedesk.models import CLOCKS, SlaPolicy, SlaPolicyClock, SlaStep, Ticket
from openmsp.tenants.queries import calendars_visible_to, clients_visible_to, contracts_visible_to
from openmsp.web.actor import actor_of
from openmsp.web.pages import page

GET_POST = require_http_methods(["GET", "POST"])
EMPTY_STEP_ROWS = 3
CLOCK_NAMES = {
    "first_response": gettext_lazy("First response"),
    "next_response": gettext_lazy("Next response"),
    "resolution": gettext_lazy("Resolution"),
}


def _staff_actor(request: HttpRequest) -> Actor:
    if not getattr(request.user, "is_msp_staff", False):
        raise NotFound("No such page.")  # the portal has no SLA policies
    return actor_of(request)


def _can_manage(request: HttpRequest) -> bool:
    user: Any = request.user
    return bool(user.has_perm_to(Perm.CONTRACT_MANAGE))


@require_GET
@page
def policy_list(request: HttpRequest) -> HttpResponse:
    actor = _staff_actor(request)
    rows = list(queries.policies_visible_to(actor))
    return render(
        request,
        "servicedesk/policy_list.html",
        {"policies": rows, "can_manage": _can_manage(request), "clock_names": CLOCK_NAMES},
    )


def _choices_context(actor: Actor) -> dict[str, Any]:
    return {
        "clients": clients_visible_to(actor).order_by("name"),
        "contracts": contracts_visible_to(actor).order_by("client__name", "name"),
        "categories": queries.categories_visible_to(actor).order_by("client__name", "name"),
        "calendars": calendars_visible_to(actor).order_by("name"),
        "teams": queries.teams_visible_to(actor).order_by("client__name", "name"),
        "users": users_visible_to(actor).filter(client__isnull=True, is_active=True),
        "priorities": Ticket.Priority.choices,
        "types": Ticket.Type.choices,
        "criticalities": Asset.Criticality.choices,
        "actions": SlaStep.Action.choices,
        "clock_names": list(CLOCK_NAMES.items()),
    }


def _initial(policy: SlaPolicy | None) -> dict[str, Any]:
    if policy is None:
        return {"name": "", "clocks": {}, "steps": [], "priorities": [], "ticket_types": [],
                "asset_criticalities": []}  # fmt: skip
    clocks = {
        c.clock: {
            "target_minutes": c.target_minutes,
            "warn_percent": c.warn_percent,
            "calendar": c.calendar_mode,
            "calendar_id": c.calendar_id,
        }
        for c in policy.clocks.all()
    }
    return {
        "name": policy.name, "client_id": policy.client_id, "contract_id": policy.contract_id,
        "category_id": policy.category_id, "priorities": policy.priorities,
        "ticket_types": policy.ticket_types, "asset_criticalities": policy.asset_criticalities,
        "clocks": clocks, "steps": list(policy.steps.all()),
    }  # fmt: skip


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _pick(qs: Any, raw: str | None, field: str) -> Any:
    pk = _int(raw)
    if raw and pk is None:
        raise _bad(field)
    if pk is None:
        return None
    obj = qs.filter(pk=pk).first()
    if obj is None:
        raise _bad(field)
    return obj


def _bad(field: str) -> OpenMSPError:
    from openmsp.core.errors import ValidationFailed

    return ValidationFailed(_("Choose one from the list."), field=field)


def _fields(actor: Actor, post: QueryDict) -> dict[str, Any]:
    """The form's POST as policy_actions.save_policy arguments (ids checked against visibility)."""
    calendars = calendars_visible_to(actor)
    users = users_visible_to(actor).filter(client__isnull=True)
    clocks: dict[str, Any] = {}
    for name in CLOCKS:
        raw = post.get(f"{name}_target", "").strip()
        if not raw:
            continue
        minutes = _int(raw)
        choice = post.get(f"{name}_calendar", "contract")
        calendar = None
        if choice.startswith("calendar:"):
            calendar = _pick(calendars, choice.split(":", 1)[1], f"clocks.{name}.calendar_id")
            choice = SlaPolicyClock.CalendarMode.CALENDAR
        clocks[name] = {
            "target_minutes": minutes if minutes is not None else raw,
            "calendar": choice, "calendar_obj": calendar,
            "warn_percent": _int(post.get(f"{name}_warn")) if post.get(f"{name}_warn", "") != "" else 75,
            "steps": [],
        }  # fmt: skip
    rows = zip(
        post.getlist("step_clock"), post.getlist("step_offset"), post.getlist("step_action"),
        post.getlist("step_user"), post.getlist("step_team"), strict=False,
    )  # fmt: skip
    for i, (clock, offset, action, user, team) in enumerate(rows):
        if offset.strip() == "" and not action:
            continue  # an empty row of the form
        if clock not in clocks:
            from openmsp.core.errors import ValidationFailed

            raise ValidationFailed(
                _("A step needs a target on its clock."), field=f"clocks.{clock}.steps.{i}"
            )
        clocks[clock]["steps"].append({
            "offset_minutes": _int(offset) if _int(offset) is not None else offset,
            "action": action,
            "user": _pick(users, user, f"clocks.{clock}.steps.{i}.user_id"),
            "team": _pick(queries.teams_visible_to(actor), team, f"clocks.{clock}.steps.{i}.team_id"),
        })  # fmt: skip
    return {
        "name": post.get("name", ""),
        "client": _pick(clients_visible_to(actor), post.get("client"), "client"),
        "contract": _pick(contracts_visible_to(actor), post.get("contract"), "contract"),
        "category": _pick(queries.categories_visible_to(actor), post.get("category"), "category"),
        "priorities": post.getlist("priorities"),
        "ticket_types": post.getlist("ticket_types"),
        "asset_criticalities": post.getlist("asset_criticalities"),
        "clocks_spec": clocks,
    }


def _form(request: HttpRequest, policy: SlaPolicy | None) -> HttpResponse:
    actor = _staff_actor(request)
    if not _can_manage(request):
        raise PermissionDenied(_("Your role does not allow changing SLA policies."))
    initial, error, status = _initial(policy), None, 200
    if request.method == "POST":
        try:
            saved = policy_actions.save_policy(
                actor=actor, policy=policy, **_fields(actor, request.POST)
            )
        except OpenMSPError as exc:
            error, status = exc, 422
            initial = _initial(policy)
            initial["name"] = request.POST.get("name", "")
        else:
            messages.success(request, _("SLA policy saved; open tickets were recomputed."))
            return redirect("sla_policy_edit", saved.pk)
    context = {
        "policy": policy, "initial": initial, "error": error,
        "empty_steps": range(EMPTY_STEP_ROWS), **_choices_context(actor),
        "clock_rows": [(k, v, initial["clocks"].get(k)) for k, v in CLOCK_NAMES.items()],
    }  # fmt: skip
    return render(request, "servicedesk/policy_form.html", context, status=status)


@GET_POST
@page
def policy_create(request: HttpRequest) -> HttpResponse:
    return _form(request, None)


@GET_POST
@page
def policy_edit(request: HttpRequest, sla_policy_id: int) -> HttpResponse:
    policy = queries.get_policy(_staff_actor(request), sla_policy_id)
    return _form(request, policy)


@require_POST
@page
def policy_move(request: HttpRequest, sla_policy_id: int) -> HttpResponse:
    actor = _staff_actor(request)
    policy = queries.get_policy(actor, sla_policy_id)
    try:
        policy_actions.move_policy(
            actor=actor, policy=policy, direction=request.POST.get("direction", "")
        )
    except OpenMSPError as exc:
        messages.error(request, _(exc.message))
    return redirect("sla_policy_list")


@require_POST
@page
def policy_delete(request: HttpRequest, sla_policy_id: int) -> HttpResponse:
    actor = _staff_actor(request)
    policy = queries.get_policy(actor, sla_policy_id)
    policy_actions.delete_policy(actor=actor, policy=policy)
    messages.success(request, _("SLA policy deleted; open tickets were recomputed."))
    return redirect("sla_policy_list")
