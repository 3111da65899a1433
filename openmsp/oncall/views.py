"""HTML pages of on-call: the list with "on call now", a schedule with its calendar, the forms.

MSP staff only (a client user gets 403 on the list and 404 on any schedule). Schedules are
fetched through openmsp.oncall.queries and changed through openmsp.oncall.actions.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from openmsp.accounts.roles import Perm
from openmsp.core.errors import Conflict, ValidationFailed
from openmsp.oncall import actions, forms, queries, timeline
from openmsp.oncall.models import Schedule
from openmsp.tenants.queries import clients_visible_to
from openmsp.web.actor import actor_of
from openmsp.web.pages import apply_error, page, require_perm

GET_POST = require_http_methods(["GET", "POST"])
_ALIASES = {"time_zone": "time_zone", "user_id": "user", "client_id": "client"}


def _staff(request: HttpRequest) -> None:
    queries.require_staff(actor_of(request))


def _layer_alias(exc: ValidationFailed | Conflict) -> None:
    # "layers.0.member_ids" -> the form's first person field; "layers.0.hours" -> hours.
    if exc.field and exc.field.startswith("layers."):
        tail = exc.field.split(".", 2)[-1]
        exc.field = {"member_ids": "member_0", "restrictions": "weekdays"}.get(
            tail.split(".")[0], tail.split(".")[0]
        )


@require_GET
@page
def schedule_list(request: HttpRequest) -> HttpResponse:
    _staff(request)
    actor = actor_of(request)
    now = timezone.now()
    context = {
        "now_rows": queries.on_call_now(actor, now),
        "now": now,
    }
    return render(request, "oncall/schedule_list.html", context)


def _start_of_today(schedule: Schedule) -> dt.datetime:
    zone = zoneinfo.ZoneInfo(schedule.time_zone)
    today = timezone.now().astimezone(zone).date()
    return dt.datetime.combine(today, dt.time(), tzinfo=zone)


@require_GET
@page
def schedule_detail(request: HttpRequest, schedule_id: int) -> HttpResponse:
    actor = actor_of(request)
    schedule = queries.get_schedule(actor, schedule_id)
    weeks = request.GET.get("weeks", "2")
    weeks_n = int(weeks) if weeks in {"2", "3", "4"} else 2
    now = timezone.now()
    from openmsp.oncall import build

    people = queries.eligible_people(schedule.client)
    context = {
        "schedule": schedule,
        "weeks": weeks_n,
        "calendar": timeline.calendar(schedule, _start_of_today(schedule), 7 * weeks_n),
        "current": build.on_call(schedule, now),
        "overrides": queries.upcoming_overrides(schedule, now),
        "layers": schedule.layers.prefetch_related("members__user").order_by("position"),
        "override_form": forms.OverrideForm(people=people),
        "zone": zoneinfo.ZoneInfo(schedule.time_zone),
    }
    return render(request, "oncall/schedule_detail.html", context)


@GET_POST
@page
def schedule_create(request: HttpRequest) -> HttpResponse:
    _staff(request)
    require_perm(request, Perm.ONCALL_MANAGE)
    actor = actor_of(request)
    clients = clients_visible_to(actor).order_by("name")
    form = forms.ScheduleForm(
        request.POST or None,
        clients=clients,
        people=queries.eligible_people(None),
        initial={"time_zone": "Asia/Seoul", "kind": "weekly"},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            schedule = actions.create_schedule(
                actor=actor,
                name=d["name"],
                time_zone=d["time_zone"],
                description=d["description"],
                client=d["client"],
                layers=[form.layer_spec(d["time_zone"])],
            )
        except (ValidationFailed, Conflict) as exc:
            _layer_alias(exc)
            apply_error(form, exc, aliases=_ALIASES)
        else:
            messages.success(request, _("Schedule created."))
            return redirect("oncall_schedule_detail", schedule.pk)
    status = 422 if form.errors else 200
    context = {"form": form, "title": _("New on-call schedule")}
    return render(request, "oncall/schedule_form.html", context, status=status)


@GET_POST
@page
def layer_create(request: HttpRequest, schedule_id: int) -> HttpResponse:
    actor = actor_of(request)
    schedule = queries.get_schedule(actor, schedule_id)
    require_perm(request, Perm.ONCALL_MANAGE)
    form = forms.LayerForm(
        request.POST or None,
        people=queries.eligible_people(schedule.client),
        initial={"kind": "weekly"},
    )
    if request.method == "POST" and form.is_valid():
        existing = [
            {
                **{k: v for k, v in layer.items() if k != "members"},
                "members": [m.user for m in row.members.select_related("user")],
            }
            for row, layer in _layer_specs(schedule)
        ]
        try:
            actions.update_schedule(
                actor=actor,
                schedule=schedule,
                changes={},
                layers=[*existing, form.layer_spec(schedule.time_zone)],
            )
        except (ValidationFailed, Conflict) as exc:
            _layer_alias(exc)
            apply_error(form, exc, aliases=_ALIASES)
        else:
            messages.success(request, _("Layer added."))
            return redirect("oncall_schedule_detail", schedule.pk)
    context = {"form": form, "schedule": schedule, "title": _("Add a layer")}
    return render(request, "oncall/schedule_form.html", context, status=422 if form.errors else 200)


def _layer_specs(schedule: Schedule) -> list[tuple[Any, dict[str, Any]]]:
    return [
        (
            row,
            {
                "name": row.name,
                "kind": row.kind,
                "hours": row.hours,
                "start": row.start,
                "restrictions": row.restrictions,
            },
        )
        for row in schedule.layers.order_by("position")
    ]


@require_POST
@page
def schedule_delete(request: HttpRequest, schedule_id: int) -> HttpResponse:
    actor = actor_of(request)
    schedule = queries.get_schedule(actor, schedule_id)
    require_perm(request, Perm.ONCALL_MANAGE)
    actions.delete_schedule(actor=actor, schedule=schedule)
    messages.success(request, _("Schedule deleted."))
    return redirect("oncall_schedule_list")


@GET_POST
@page
def override_create(request: HttpRequest, schedule_id: int) -> HttpResponse:
    actor = actor_of(request)
    schedule = queries.get_schedule(actor, schedule_id)
    require_perm(request, Perm.ONCALL_MANAGE)
    form = forms.OverrideForm(request.POST or None, people=queries.eligible_people(schedule.client))
    if request.method == "POST" and form.is_valid():
        start, end = form.span(schedule.time_zone)
        try:
            actions.add_override(
                actor=actor,
                schedule=schedule,
                user=form.cleaned_data["user"],
                start=start,
                end=end,
                reason=form.cleaned_data["reason"],
            )
        except (ValidationFailed, Conflict) as exc:
            apply_error(form, exc, aliases=_ALIASES)
        else:
            messages.success(request, _("Override added."))
            return redirect("oncall_schedule_detail", schedule.pk)
    context = {"form": form, "schedule": schedule, "title": _("Add an override")}
    return render(request, "oncall/override_form.html", context, status=422 if form.errors else 200)


@require_POST
@page
def override_delete(request: HttpRequest, schedule_id: int, override_id: int) -> HttpResponse:
    actor = actor_of(request)
    schedule = queries.get_schedule(actor, schedule_id)
    override = queries.get_override(schedule, override_id)
    require_perm(request, Perm.ONCALL_MANAGE)
    actions.delete_override(actor=actor, override=override)
    messages.success(request, _("Override removed."))
    return redirect("oncall_schedule_detail", schedule.pk)
