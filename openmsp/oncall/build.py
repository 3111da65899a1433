"""Rows to `rotation` objects, and the answers the pages, the API and notifications need.

No arithmetic here: `rotation` decides who is on call; this module only loads rows, hands them
over and maps the user ids it returns back to users. Users are named by their id as text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from openmsp.accounts.models import User
from openmsp.oncall import rotation
from openmsp.oncall.models import Layer, Override, Schedule


def window(raw: Mapping[str, Any]) -> rotation.Window:
    return rotation.Window(
        weekdays=frozenset(int(d) for d in raw["weekdays"]),
        start=dt.time.fromisoformat(str(raw["start"])),
        end=dt.time.fromisoformat(str(raw["end"])),
    )


def layer(row: Layer, tz: str) -> rotation.Layer:
    return rotation.Layer(
        users=tuple(str(m.user_id) for m in row.members.all()),
        start=row.start,
        kind=row.kind,
        hours=row.hours,
        tz=tz,
        restriction=tuple(window(w) for w in row.restrictions or []),
    )


def layers_of(schedule: Schedule) -> list[rotation.Layer]:
    rows = schedule.layers.prefetch_related("members").order_by("position")
    return [layer(r, schedule.time_zone) for r in rows if r.members.all()]


def overrides_of(
    schedule: Schedule, start: dt.datetime, end: dt.datetime
) -> list[rotation.Override]:
    # Oldest first: rotation lets the last-listed (most recently created) one win.
    rows = Override.objects.filter(schedule=schedule, start__lt=end, end__gt=start).order_by("pk")
    return [rotation.Override(str(o.user_id), o.start, o.end) for o in rows]


def _users(ids: Iterable[str]) -> dict[str, User]:
    return {str(u.pk): u for u in User.objects.filter(pk__in={int(i) for i in ids})}


@dataclass(frozen=True)
class OnCall:
    schedule: Schedule
    user: User | None
    source: str  # "override", "layer:<index>" or "" (nobody)
    until: dt.datetime | None  # when this answer next changes, within the look-ahead


LOOKAHEAD = dt.timedelta(days=31)


def on_call(schedule: Schedule, at: dt.datetime) -> OnCall:
    layers = layers_of(schedule)
    overrides = overrides_of(schedule, at, at + LOOKAHEAD)
    who = rotation.on_call_at(layers, overrides, at)
    if who is None:
        return OnCall(schedule, None, "", None)
    ahead = rotation.shifts(layers, overrides, at, at + LOOKAHEAD)
    until = ahead[0].end if ahead else None
    user = _users([who[0]]).get(who[0])
    return OnCall(schedule, user, who[1], until if until != at + LOOKAHEAD else None)


@dataclass(frozen=True)
class Shift:
    user: User | None
    start: dt.datetime
    end: dt.datetime
    source: str


def _named(raw: Sequence[rotation.Shift]) -> list[Shift]:
    users = _users(s.user for s in raw)
    return [Shift(users.get(s.user), s.start, s.end, s.source) for s in raw]


def shifts(schedule: Schedule, start: dt.datetime, end: dt.datetime) -> list[Shift]:
    """The final result: who answers over [start, end)."""
    return _named(
        rotation.shifts(layers_of(schedule), overrides_of(schedule, start, end), start, end)
    )


def layer_shifts(
    schedule: Schedule, start: dt.datetime, end: dt.datetime
) -> list[tuple[Layer, list[Shift]]]:
    """Each layer on its own (no overrides, no layers above), for the calendar's rows."""
    out: list[tuple[Layer, list[Shift]]] = []
    for row in schedule.layers.prefetch_related("members").order_by("position"):
        if not row.members.all():
            out.append((row, []))
            continue
        raw = rotation.shifts([layer(row, schedule.time_zone)], [], start, end)
        out.append((row, _named(raw)))
    return out
