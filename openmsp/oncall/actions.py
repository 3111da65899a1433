"""Changes to on-call schedules, layers and overrides: checked, saved and audited atomically.

Callers pass a schedule fetched through `openmsp.oncall.queries`; people a body names are
checked here to be active MSP staff who may work for the schedule's client.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction

from openmsp.accounts.models import User
from openmsp.accounts.roles import Perm
from openmsp.core import audit
from openmsp.core.actions import full_clean, require
from openmsp.core.actor import Actor
from openmsp.core.errors import Conflict, ValidationFailed
from openmsp.oncall import build, queries, rotation
from openmsp.oncall.models import Layer, LayerMember, Override, Schedule
from openmsp.tenants.models import Client

MAX_LAYERS = 10
MAX_MEMBERS = 50
MAX_WINDOWS = 20
MAX_HOURS = 24 * 365
MAX_OVERRIDE = dt.timedelta(days=366)
SCHEDULE_FIELDS = {"name", "description", "time_zone", "client"}


def _require(actor: Actor) -> None:
    require(actor, Perm.ONCALL_MANAGE)
    queries.require_staff(actor)


def schedule_state(schedule: Schedule) -> dict[str, Any]:
    data = audit.snapshot(schedule)
    data["layers"] = [
        {
            "name": layer.name,
            "kind": layer.kind,
            "hours": layer.hours,
            "start": layer.start.isoformat(),
            "restrictions": layer.restrictions,
            "members": [m.user_id for m in layer.members.all()],
        }
        for layer in schedule.layers.prefetch_related("members").order_by("position")
    ]
    return data


def _check_zone(name: str) -> None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(
            f"'{name}' is not an IANA time zone (for example Asia/Seoul).", field="time_zone"
        ) from None


def _check_person(user: User, client: Client | None, field: str) -> None:
    if not queries.eligible_people(client).filter(pk=user.pk).exists():
        scope = " who may work for this schedule's client" if client else ""
        raise ValidationFailed(f"{user.email} is not active MSP staff{scope}.", field=field)


def clean_windows(raw: Any, field: str) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or len(raw) > MAX_WINDOWS:
        raise ValidationFailed(f"At most {MAX_WINDOWS} restriction windows.", field=field)
    out = []
    for i, spec in enumerate(raw):
        where = f"{field}.{i}"
        if not isinstance(spec, Mapping) or set(spec) != {"weekdays", "start", "end"}:
            raise ValidationFailed("A window has exactly weekdays, start and end.", field=where)
        days = spec["weekdays"]
        if (
            not isinstance(days, list)
            or not days
            or not all(isinstance(d, int) and 0 <= d <= 6 for d in days)
        ):
            raise ValidationFailed(
                "weekdays lists days 0 (Monday) to 6 (Sunday).", field=f"{where}.weekdays"
            )
        times = []
        for key in ("start", "end"):
            try:
                times.append(dt.time.fromisoformat(str(spec[key])))
            except ValueError:
                raise ValidationFailed("A time is HH:MM.", field=f"{where}.{key}") from None
        if times[0] == times[1]:
            raise ValidationFailed(
                "A window's start and end differ (leave out the restriction for all day).",
                field=where,
            )
        out.append(
            {
                "weekdays": sorted(set(days)),
                "start": f"{times[0]:%H:%M}",
                "end": f"{times[1]:%H:%M}",
            }
        )
    return out


def _check_layer(spec: Mapping[str, Any], index: int, client: Client | None) -> dict[str, Any]:
    field = f"layers.{index}"
    kind = spec.get("kind", rotation.WEEKLY)
    if kind not in Layer.Kind.values:
        raise ValidationFailed("kind is daily, weekly or custom.", field=f"{field}.kind")
    hours = int(spec.get("hours") or 0)
    if kind == rotation.CUSTOM and not 1 <= hours <= MAX_HOURS:
        raise ValidationFailed(
            f"A custom rotation lasts 1 to {MAX_HOURS} hours.", field=f"{field}.hours"
        )
    start = spec.get("start")
    if not isinstance(start, dt.datetime) or start.tzinfo is None:
        raise ValidationFailed("start is an instant with a UTC offset.", field=f"{field}.start")
    members = list(spec.get("members") or [])
    if not 1 <= len(members) <= MAX_MEMBERS:
        raise ValidationFailed(
            f"A layer has 1 to {MAX_MEMBERS} people.", field=f"{field}.member_ids"
        )
    for user in members:
        _check_person(user, client, f"{field}.member_ids")
    return {
        "name": str(spec.get("name") or "")[:100],
        "kind": kind,
        "hours": hours if kind == rotation.CUSTOM else 0,
        "start": start,
        "restrictions": clean_windows(spec.get("restrictions") or [], f"{field}.restrictions"),
        "members": members,
    }


def _set_layers(schedule: Schedule, layers: Sequence[Mapping[str, Any]]) -> None:
    if len(layers) > MAX_LAYERS:
        raise ValidationFailed(f"A schedule has at most {MAX_LAYERS} layers.", field="layers")
    cleaned = [_check_layer(spec, i, schedule.client) for i, spec in enumerate(layers)]
    schedule.layers.all().delete()
    for position, spec in enumerate(cleaned):
        members = spec.pop("members")
        row = Layer.objects.create(schedule=schedule, position=position, **spec)
        LayerMember.objects.bulk_create(
            LayerMember(layer=row, position=i, user=u) for i, u in enumerate(members)
        )
        build.layer(row, schedule.time_zone)  # rotation's own checks, as a last guard


def _clean(schedule: Schedule) -> None:
    _check_zone(schedule.time_zone)
    full_clean(schedule)


@transaction.atomic
def create_schedule(
    *,
    actor: Actor,
    name: str,
    time_zone: str = "Asia/Seoul",
    description: str = "",
    client: Client | None = None,
    layers: Sequence[Mapping[str, Any]] = (),
) -> Schedule:
    _require(actor)
    schedule = Schedule(name=name, time_zone=time_zone, description=description, client=client)
    _clean(schedule)
    schedule.save()
    _set_layers(schedule, layers)
    audit.record(
        actor=actor, action="oncall_schedule.created", obj=schedule, after=schedule_state(schedule)
    )
    return schedule


@transaction.atomic
def update_schedule(
    *,
    actor: Actor,
    schedule: Schedule,
    changes: Mapping[str, Any],
    layers: Sequence[Mapping[str, Any]] | None = None,
) -> Schedule:
    """`layers`, when given, replaces every layer (the body is the whole ladder, in order)."""
    _require(actor)
    before = schedule_state(schedule)
    for name, value in changes.items():
        if name not in SCHEDULE_FIELDS:
            raise ValidationFailed(f"'{name}' cannot be changed here.", field=name)
        setattr(schedule, name, value)
    _clean(schedule)
    schedule.save()
    if layers is not None:
        _set_layers(schedule, layers)
    elif "client" in changes:
        for layer in schedule.layers.all():
            for m in layer.members.select_related("user"):
                _check_person(m.user, schedule.client, "client_id")
    after = schedule_state(schedule)
    if after != before:
        changed = sorted(k for k in after if after[k] != before.get(k))
        audit.record(
            actor=actor,
            action="oncall_schedule.changed",
            obj=schedule,
            before={k: before.get(k) for k in changed},
            after={k: after[k] for k in changed},
        )
    return schedule


@transaction.atomic
def delete_schedule(*, actor: Actor, schedule: Schedule) -> None:
    _require(actor)
    audit.record(
        actor=actor,
        action="oncall_schedule.deleted",
        obj=schedule,
        before=schedule_state(schedule),
    )
    schedule.delete()


@transaction.atomic
def add_override(
    *,
    actor: Actor,
    schedule: Schedule,
    user: User,
    start: dt.datetime,
    end: dt.datetime,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Override:
    _require(actor)
    from django.utils import timezone

    now = now or timezone.now()
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationFailed("start and end are instants with a UTC offset.", field="start")
    if end <= start:
        raise ValidationFailed("The override must end after it starts.", field="end")
    if end <= now:
        raise ValidationFailed("The override ends in the past; nothing would change.", field="end")
    if end - start > MAX_OVERRIDE:
        raise ValidationFailed("An override lasts at most 366 days.", field="end")
    _check_person(user, schedule.client, "user_id")
    clash = schedule.overrides.filter(user=user, start__lt=end, end__gt=start).first()
    if clash is not None:
        raise Conflict(
            f"{user.email} already covers {clash.start:%Y-%m-%d %H:%M}–{clash.end:%Y-%m-%d %H:%M} "
            "UTC in this schedule; change that override instead.",
            field="start",
        )
    override = Override(schedule=schedule, user=user, start=start, end=end, reason=reason)
    full_clean(override)
    override.save()
    audit.record(
        actor=actor,
        action="oncall_override.created",
        obj=override,
        after=audit.snapshot(override),
    )
    return override


@transaction.atomic
def delete_override(*, actor: Actor, override: Override) -> None:
    _require(actor)
    audit.record(
        actor=actor,
        action="oncall_override.deleted",
        obj=override,
        before=audit.snapshot(override),
    )
    override.delete()
