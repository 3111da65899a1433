"""The on-call calendar as positioned bars: pure layout of shifts already computed by `build`."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from openmsp.oncall import build
from openmsp.oncall.models import Schedule

PALETTE = 8


@dataclass(frozen=True)
class Bar:
    left: float  # percent of the period
    width: float
    label: str
    title: str
    tone: int  # a colour per person; -1 for a gap
    source: str


@dataclass(frozen=True)
class Row:
    label: str
    bars: list[Bar]
    final: bool = False


def _pct(t: dt.datetime, start: dt.datetime, total: float) -> float:
    return round((t - start).total_seconds() / total * 100, 3)


def _bars(
    shifts: Sequence[build.Shift], start: dt.datetime, end: dt.datetime, zone: zoneinfo.ZoneInfo,
    gaps: bool,
) -> list[Bar]:  # fmt: skip
    total = (end - start).total_seconds()
    out, cursor = [], start
    for s in shifts:
        if gaps and s.start > cursor:
            out.append(_gap(cursor, s.start, start, total, zone))
        name = str(s.user) if s.user else "?"
        span = f"{s.start.astimezone(zone):%m-%d %H:%M} – {s.end.astimezone(zone):%m-%d %H:%M}"
        out.append(Bar(_pct(s.start, start, total), _pct(s.end, s.start, total), name,
                       f"{name} · {span}", (s.user.pk % PALETTE) if s.user else 0, s.source))  # fmt: skip
        cursor = s.end
    if gaps and cursor < end:
        out.append(_gap(cursor, end, start, total, zone))
    return out


def _gap(a: dt.datetime, b: dt.datetime, start: dt.datetime, total: float, zone: Any) -> Bar:
    span = f"{a.astimezone(zone):%m-%d %H:%M} – {b.astimezone(zone):%m-%d %H:%M}"
    return Bar(_pct(a, start, total), _pct(b, a, total), "", span, -1, "gap")


def calendar(schedule: Schedule, start: dt.datetime, days: int) -> dict[str, Any]:
    zone = zoneinfo.ZoneInfo(schedule.time_zone)
    end = start + dt.timedelta(days=days)
    rows = [
        Row(layer.name or f"#{layer.position + 1}", _bars(shifts, start, end, zone, gaps=False))
        for layer, shifts in build.layer_shifts(schedule, start, end)
    ]
    final = build.shifts(schedule, start, end)
    rows.append(Row("final", _bars(final, start, end, zone, gaps=True), final=True))
    total = (end - start).total_seconds()
    ticks = []
    day = start.astimezone(zone).date()
    for _ in range(days + 1):
        at = dt.datetime.combine(day, dt.time(), tzinfo=zone)
        if start <= at < end:
            ticks.append({"left": _pct(at, start, total), "label": f"{day:%m-%d}",
                          "weekday": day.weekday()})  # fmt: skip
        day += dt.timedelta(days=1)
    return {"rows": rows, "ticks": ticks, "start": start, "end": end, "shifts": final}
