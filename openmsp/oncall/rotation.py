"""Rotation arithmetic for on-call schedules, free of the ORM.

Daily and weekly rotations hand off at a local wall-clock time in the layer's
time zone, so a 09:00 hand-off in Europe/Berlin stays at 09:00 across DST
changes (the UTC instant moves). Custom rotations count fixed elapsed hours
from the layer's start, because "every 12 hours" is a duration, not a time of day.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

DAILY = "daily"
WEEKLY = "weekly"
CUSTOM = "custom"


@dataclass(frozen=True)
class Window:
    """A local-time window on given weekdays (0=Monday); may cross midnight."""

    weekdays: frozenset[int]
    start: dt.time
    end: dt.time

    def contains(self, local: dt.datetime) -> bool:
        t = local.time().replace(tzinfo=None)
        if self.start < self.end:
            return local.weekday() in self.weekdays and self.start <= t < self.end
        # Crosses midnight: the early-morning part belongs to the previous day's window.
        if t >= self.start:
            return local.weekday() in self.weekdays
        if t < self.end:
            return (local.weekday() - 1) % 7 in self.weekdays
        return False


@dataclass(frozen=True)
class Layer:
    users: tuple[str, ...]
    start: dt.datetime  # first hand-off, aware
    kind: str = WEEKLY
    hours: int = 0  # length for CUSTOM
    tz: str = "Asia/Seoul"
    restriction: tuple[Window, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        if not self.users:
            raise ValueError("users must not be empty")
        if self.kind not in (DAILY, WEEKLY, CUSTOM):
            raise ValueError("kind must be daily, weekly or custom")
        if self.kind == CUSTOM and self.hours <= 0:
            raise ValueError("hours must be positive for a custom rotation")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)


@dataclass(frozen=True)
class Override:
    user: str
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class Shift:
    user: str
    start: dt.datetime
    end: dt.datetime
    source: str  # "layer:<index>" or "override"


def _period_index(layer: Layer, instant: dt.datetime) -> int | None:
    if instant < layer.start:
        return None
    if layer.kind == CUSTOM:
        return int((instant - layer.start) // dt.timedelta(hours=layer.hours))
    zone = layer.zone
    anchor = layer.start.astimezone(zone)
    local = instant.astimezone(zone)
    day = local.date()
    if local.time().replace(tzinfo=None) < anchor.time().replace(tzinfo=None):
        day -= dt.timedelta(days=1)
    length = 1 if layer.kind == DAILY else 7
    return (day - anchor.date()).days // length


def layer_user_at(layer: Layer, instant: dt.datetime) -> str | None:
    index = _period_index(layer, instant)
    if index is None:
        return None
    if layer.restriction:
        local = instant.astimezone(layer.zone)
        if not any(w.contains(local) for w in layer.restriction):
            return None
    return layer.users[index % len(layer.users)]


def override_at(overrides: Sequence[Override], instant: dt.datetime) -> Override | None:
    # The last-listed (most recently created) override wins when they overlap.
    for o in reversed(overrides):
        if o.start <= instant < o.end:
            return o
    return None


def on_call_at(
    layers: Sequence[Layer], overrides: Sequence[Override], instant: dt.datetime
) -> tuple[str, str] | None:
    """(user, source) on call at `instant`; layers later in the list sit higher."""
    o = override_at(overrides, instant)
    if o is not None:
        return o.user, "override"
    for i in range(len(layers) - 1, -1, -1):
        user = layer_user_at(layers[i], instant)
        if user is not None:
            return user, f"layer:{i}"
    return None


def _local_boundaries(layer: Layer, start: dt.datetime, end: dt.datetime) -> set[dt.datetime]:
    """Every instant in [start, end) where this layer's answer may change."""
    zone = layer.zone
    out = {layer.start}
    if layer.kind == CUSTOM:
        step = dt.timedelta(hours=layer.hours)
        n = max(0, int((start - layer.start) // step))
        t = layer.start + n * step
        while t < end:
            out.add(t)
            t += step
    times = [layer.start.astimezone(zone).time().replace(tzinfo=None)]
    for w in layer.restriction:
        times += [w.start, w.end]
    day = start.astimezone(zone).date() - dt.timedelta(days=1)
    last = end.astimezone(zone).date() + dt.timedelta(days=1)
    while day <= last:
        for t0 in times:
            out.add(dt.datetime.combine(day, t0, tzinfo=zone).astimezone(dt.UTC))
        day += dt.timedelta(days=1)
    return out


def shifts(
    layers: Sequence[Layer],
    overrides: Sequence[Override],
    start: dt.datetime,
    end: dt.datetime,
) -> list[Shift]:
    """Effective on-call shifts over [start, end), merged where the person stays the same."""
    if end <= start:
        return []
    cuts = {start, end}
    for layer in layers:
        cuts |= _local_boundaries(layer, start, end)
    for o in overrides:
        cuts |= {o.start, o.end}
    points = sorted(c.astimezone(dt.UTC) for c in cuts if start <= c <= end)
    result: list[Shift] = []
    for a, b in itertools.pairwise(points):
        if a == b:
            continue
        who = on_call_at(layers, overrides, a)
        if who is None:
            continue
        user, source = who
        if (
            result
            and result[-1].user == user
            and result[-1].source == source
            and result[-1].end == a
        ):
            result[-1] = Shift(user, result[-1].start, b, source)
        else:
            result.append(Shift(user, a, b, source))
    return result
