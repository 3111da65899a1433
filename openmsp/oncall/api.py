"""REST endpoints for on-call: schedule CRUD, overrides, "who is on call now", computed shifts.

MSP staff only: a client user's token gets 403 on the lists and 404 on any schedule. Changing
needs Perm.ONCALL_MANAGE.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from openmsp.accounts.auth import actor_from
from openmsp.core.actor import Actor
from openmsp.core.apiutils import check_query_params, endpoint, fetch_ref, page, path_object, search
from openmsp.core.errors import ValidationFailed
from openmsp.oncall import actions, build, queries
from openmsp.oncall.models import Override, Schedule
from openmsp.oncall.schemas import (
    LayerIn,
    NowOut,
    OverrideIn,
    OverrideOut,
    ScheduleIn,
    ScheduleOut,
    SchedulePage,
    SchedulePatch,
    ScheduleQuery,
    ShiftsOut,
    ShiftsQuery,
)
from openmsp.tenants.queries import clients_visible_to

router = Router()
TAG = "on-call"
READ = (403, 404)
WRITE = (403, 404, 409)
MAX_RANGE = dt.timedelta(days=92)
DEFAULT_RANGE = dt.timedelta(days=14)

path_object("schedule_id", queries.get_schedule)


def _people(actor: Actor) -> Any:
    return queries.eligible_people(None)


def _layers(actor: Actor, layers: list[LayerIn]) -> list[dict[str, Any]]:
    out = []
    for i, layer in enumerate(layers):
        data = layer.model_dump()
        ids = data.pop("member_ids")
        # A person may appear twice in a rotation (A, B, A), so fetch each id in order.
        found = {u.pk: u for u in _people(actor).filter(pk__in=ids)}
        missing = [pk for pk in ids if pk not in found]
        if missing:
            raise ValidationFailed(
                f"No such staff user (id {missing[0]}).", field=f"layers.{i}.member_ids"
            )
        data["members"] = [found[pk] for pk in ids]
        out.append(data)
    return out


def _one(actor: Actor, schedule_id: int) -> Schedule:
    return queries.get_schedule(actor, schedule_id)


@endpoint(router, "GET", "/oncall/schedules", "List on-call schedules", tag=TAG, ok={200: SchedulePage}, errors=(403,))  # fmt: skip
def list_schedules(request: HttpRequest, query: Query[ScheduleQuery]) -> dict[str, Any]:
    actor = actor_from(request)
    queries.require_staff(actor)
    qs = search(queries.schedules_visible_to(actor), query.q, ["name"]).order_by("name", "pk")
    return page(request, qs.prefetch_related("layers__members"), query)


@endpoint(router, "POST", "/oncall/schedules", "Create an on-call schedule", tag=TAG, ok={201: ScheduleOut}, errors=(403, 409))  # fmt: skip
def create_schedule(request: HttpRequest, payload: ScheduleIn) -> Status[Schedule]:
    """Layers are listed bottom first: a later layer sits above and wins where it has someone."""
    actor = actor_from(request)
    queries.require_staff(actor)
    client = fetch_ref(clients_visible_to(actor), "client", "client_id", payload.client_id)
    schedule = actions.create_schedule(
        actor=actor,
        name=payload.name,
        description=payload.description,
        time_zone=payload.time_zone,
        client=client,
        layers=_layers(actor, payload.layers),
    )
    return Status(201, _one(actor, schedule.pk))


@endpoint(router, "GET", "/oncall/schedules/{schedule_id}", "Get an on-call schedule", tag=TAG, ok={200: ScheduleOut}, errors=READ)  # fmt: skip
def get_one_schedule(request: HttpRequest, schedule_id: int) -> Schedule:
    return _one(actor_from(request), schedule_id)


@endpoint(router, "PATCH", "/oncall/schedules/{schedule_id}", "Change an on-call schedule", tag=TAG, ok={200: ScheduleOut}, errors=WRITE)  # fmt: skip
def update_schedule(request: HttpRequest, schedule_id: int, payload: SchedulePatch) -> Schedule:
    """Only the fields sent change; `layers`, when sent, replaces every layer."""
    actor = actor_from(request)
    schedule = _one(actor, schedule_id)
    sent = payload.model_dump(exclude_unset=True)
    layers = _layers(actor, payload.layers) if "layers" in sent else None
    sent.pop("layers", None)
    if "client_id" in sent:
        sent["client"] = fetch_ref(
            clients_visible_to(actor), "client", "client_id", sent.pop("client_id")
        )
    actions.update_schedule(actor=actor, schedule=schedule, changes=sent, layers=layers)
    return _one(actor, schedule_id)


@endpoint(router, "DELETE", "/oncall/schedules/{schedule_id}", "Delete an on-call schedule", tag=TAG, ok={204: None}, errors=WRITE)  # fmt: skip
def delete_schedule(request: HttpRequest, schedule_id: int) -> Status[None]:
    """With its layers and overrides; routes that paged it stop doing so."""
    actor = actor_from(request)
    actions.delete_schedule(actor=actor, schedule=_one(actor, schedule_id))
    return Status(204, None)


def _now_out(entry: build.OnCall) -> dict[str, Any]:
    return {
        "schedule_id": entry.schedule.pk,
        "schedule_name": entry.schedule.name,
        "user": entry.user,
        "source": entry.source,
        "until": entry.until,
    }


@endpoint(router, "GET", "/oncall/schedules/{schedule_id}/now", "Who is on call now in a schedule", tag=TAG, ok={200: NowOut}, errors=READ)  # fmt: skip
def schedule_now(request: HttpRequest, schedule_id: int) -> dict[str, Any]:
    return _now_out(build.on_call(_one(actor_from(request), schedule_id), timezone.now()))


@endpoint(router, "GET", "/oncall/now", "Who is on call now, in every schedule", tag=TAG, ok={200: list[NowOut]}, errors=(403,))  # fmt: skip
def everyone_now(request: HttpRequest) -> list[dict[str, Any]]:
    actor = actor_from(request)
    queries.require_staff(actor)
    check_query_params(request)
    return [_now_out(e) for e in queries.on_call_now(actor, timezone.now())]


@endpoint(router, "GET", "/oncall/schedules/{schedule_id}/shifts", "Computed shifts for a period", tag=TAG, ok={200: ShiftsOut}, errors=READ)  # fmt: skip
def schedule_shifts(
    request: HttpRequest, schedule_id: int, query: Query[ShiftsQuery]
) -> dict[str, Any]:
    """The final answer over [start, end): overrides over layers, merged where the same person
    stays on call from the same source; gaps are simply absent."""
    check_query_params(request, ShiftsQuery)
    schedule = _one(actor_from(request), schedule_id)
    start = query.start or timezone.now()
    end = query.end or start + DEFAULT_RANGE
    if end <= start:
        raise ValidationFailed("end must be after start.", field="end")
    if end - start > MAX_RANGE:
        raise ValidationFailed("A range spans at most 92 days.", field="end")
    return {
        "schedule_id": schedule.pk,
        "start": start,
        "end": end,
        "shifts": build.shifts(schedule, start, end),
    }


@endpoint(router, "GET", "/oncall/schedules/{schedule_id}/overrides", "Current and future overrides", tag=TAG, ok={200: list[OverrideOut]}, errors=READ)  # fmt: skip
def list_overrides(request: HttpRequest, schedule_id: int) -> list[Override]:
    schedule = _one(actor_from(request), schedule_id)
    return list(queries.upcoming_overrides(schedule, timezone.now()))


@endpoint(router, "POST", "/oncall/schedules/{schedule_id}/overrides", "Add an override", tag=TAG, ok={201: OverrideOut}, errors=WRITE)  # fmt: skip
def add_override(request: HttpRequest, schedule_id: int, payload: OverrideIn) -> Status[Override]:
    """`user_id` covers [start, end); it wins over every layer, and over older overrides."""
    actor = actor_from(request)
    schedule = _one(actor, schedule_id)
    user = fetch_ref(_people(actor), "staff user", "user_id", payload.user_id)
    assert user is not None
    override = actions.add_override(
        actor=actor,
        schedule=schedule,
        user=user,
        start=payload.start,
        end=payload.end,
        reason=payload.reason,
    )
    return Status(201, override)


@endpoint(router, "DELETE", "/oncall/schedules/{schedule_id}/overrides/{override_id}", "Remove an override", tag=TAG, ok={204: None}, errors=WRITE)  # fmt: skip
def delete_override(request: HttpRequest, schedule_id: int, override_id: int) -> Status[None]:
    actor = actor_from(request)
    override = queries.get_override(_one(actor, schedule_id), override_id)
    actions.delete_override(actor=actor, override=override)
    return Status(204, None)
