"""The monthly report's figures, computed from plain data (no ORM): availability, tickets and SLA
attainment, interfaces, capacity, assets. `collect.py` reads the database into these inputs.

Every function is deterministic in its inputs and takes the period explicitly; nothing reads the
clock, so regenerating a past month gives the same figures.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from croniter import croniter

from openmsp.alerts import availability as av

Span = tuple[dt.datetime, dt.datetime]


# --- Availability --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProblemHistory:
    problem_id: int
    title: str
    subject: str  # "monitoring.check:12" — what is monitored
    subject_label: str
    asset_id: int | None
    asset_label: str
    steps: Sequence[tuple[dt.datetime, str, str]]  # (at, state after, severity), in order
    excluded: Sequence[Span] = ()  # maintenance that covers this problem and does not count


@dataclass(frozen=True)
class Subject:
    key: str
    label: str
    kind: str  # service | host | interface


def _minutes(seconds: float) -> float:
    return round(seconds / 60.0, 2)


def availability(
    start: dt.datetime,
    end: dt.datetime,
    *,
    subjects: Sequence[Subject],
    problems: Sequence[ProblemHistory],
    target: float,
    first_day: dt.date | None = None,
) -> dict[str, Any]:
    """Per monitored subject and per host: availability, downtime minutes and the incidents behind
    them; a daily trend of the whole client; the overall figure against the contract target."""
    by_subject: dict[str, list[ProblemHistory]] = {s.key: [] for s in subjects}
    labels = {s.key: (s.label, s.kind) for s in subjects}
    hosts: dict[str, list[ProblemHistory]] = {}
    for p in problems:
        by_subject.setdefault(p.subject, []).append(p)
        labels.setdefault(p.subject, (p.subject_label, "service"))
        if p.asset_id is not None:
            key = f"assets.asset:{p.asset_id}"
            hosts.setdefault(key, []).append(p)
            labels.setdefault(key, (p.asset_label, "host"))
    rows = [_row(k, labels[k], ps, start, end, target) for k, ps in by_subject.items()]
    rows += [_row(k, labels[k], ps, start, end, target) for k, ps in hosts.items()]
    rows.sort(key=lambda r: (r["availability"], r["label"], r["key"]))
    subject_spans = [r.pop("_spans") for r in rows if r["kind"] != "host"]
    for r in rows:
        r.pop("_spans", None)
    # Hosts are a second view of the same downtime: the overall figure is the services' (the
    # hosts' only when nothing else is monitored), so no minute is counted twice.
    services = [r for r in rows if r["kind"] != "host"] or rows
    counted = sum(r["counted_minutes"] for r in services)
    down = sum(r["down_minutes"] for r in services)
    overall = 100.0 if counted <= 0 else round(100.0 * (counted - down) / counted, 4)
    return {
        "target": target,
        "overall": overall,
        "met": overall >= target,
        "down_minutes": round(down, 2),
        "rows": rows,
        "below_target": [r["label"] for r in rows if not r["met"]],
        "trend": _trend(start, end, subject_spans, first_day or start.date()),
    }


def _spans(
    p: ProblemHistory, start: dt.datetime, end: dt.datetime
) -> tuple[list[Span], list[Span]]:
    down, degraded = av.problem_spans(list(p.steps), end)
    return av.clip(down, start, end), av.clip(degraded, start, end)


def _row(
    key: str,
    label_kind: tuple[str, str],
    problems: Sequence[ProblemHistory],
    start: dt.datetime,
    end: dt.datetime,
    target: float,
) -> dict[str, Any]:
    down: list[Span] = []
    degraded: list[Span] = []
    excluded: list[Span] = []
    incidents = []
    for p in problems:
        d, g = _spans(p, start, end)
        down += d
        degraded += g
        excluded += list(p.excluded)
        lost = av.seconds(av.subtract(d, av.clip(p.excluded, start, end)))
        if lost > 0:
            incidents.append(
                {"problem_id": p.problem_id, "title": p.title, "down_minutes": _minutes(lost)}
            )
    result = av.compute(start, end, down=down, degraded=degraded, excluded=excluded)
    percent = round(result.percent, 4)
    cut = av.union(av.clip(excluded, start, end))
    spans = (cut, av.subtract(down, cut))
    return {
        "_spans": spans,
        "key": key,
        "label": label_kind[0],
        "kind": label_kind[1],
        "availability": percent,
        "met": percent >= target,
        "counted_minutes": _minutes(result.counted_seconds),
        "excluded_minutes": _minutes(result.period_seconds - result.counted_seconds),
        "down_minutes": _minutes(result.down_seconds),
        "degraded_minutes": _minutes(result.degraded_seconds),
        "incidents": sorted(incidents, key=lambda i: (-i["down_minutes"], i["problem_id"])),
    }


def _trend(
    start: dt.datetime,
    end: dt.datetime,
    subject_spans: list[tuple[list[Span], list[Span]]],
    first_day: dt.date,
) -> list[dict[str, Any]]:
    """Availability of all monitored subjects together, per 24 hours from the period's start
    (the client's local days), labelled with the local date. Each subject's excluded and counted
    down spans were cut once for the month; a day only clips them."""
    days: list[dict[str, Any]] = []
    day = start
    while day < end:
        nxt = min(day + dt.timedelta(days=1), end)
        length = (nxt - day).total_seconds()
        counted = down = 0.0
        for excluded, lost in subject_spans:
            counted += length - av.seconds(av.clip(excluded, day, nxt))
            down += av.seconds(av.clip(lost, day, nxt))
        percent = 100.0 if counted <= 0 else 100.0 * (counted - down) / counted
        label = first_day + dt.timedelta(days=len(days))
        days.append({"day": label.isoformat(), "availability": round(percent, 4)})
        day = nxt
    return days


# --- Tickets and SLA -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    name: str
    met: bool | None
    elapsed_seconds: int
    target_seconds: int | None
    stopped_at: dt.datetime | None
    breached_at: dt.datetime | None


@dataclass(frozen=True)
class TicketFacts:
    number: str
    subject: str
    priority: str
    category: str
    created_at: dt.datetime
    resolved_at: dt.datetime | None
    clocks: Sequence[Clock] = field(default_factory=tuple)


CLOCK_NAMES = ("first_response", "next_response", "resolution")


def _inside(at: dt.datetime | None, start: dt.datetime, end: dt.datetime) -> bool:
    return at is not None and start <= at < end


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (a figure a client can check by hand: it is one of the values)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[rank - 1]


def tickets(start: dt.datetime, end: dt.datetime, facts: Sequence[TicketFacts]) -> dict[str, Any]:
    opened = [t for t in facts if _inside(t.created_at, start, end)]
    resolved = [t for t in facts if _inside(t.resolved_at, start, end)]
    return {
        "opened": len(opened),
        "resolved": len(resolved),
        "opened_by_priority": _count(t.priority for t in opened),
        "opened_by_category": _count(t.category or "-" for t in opened),
        "resolved_by_priority": _count(t.priority for t in resolved),
        "resolved_by_category": _count(t.category or "-" for t in resolved),
        "sla": {name: _clock_figures(name, start, end, facts) for name in CLOCK_NAMES},
        "weekly_volume": _weekly(start, end, opened, resolved),
    }


def _count(values: Iterable[str]) -> dict[str, int]:
    return dict(sorted(Counter(values).items()))


def _clock_figures(
    name: str, start: dt.datetime, end: dt.datetime, facts: Sequence[TicketFacts]
) -> dict[str, Any]:
    """A clock counts in the month it was decided: met when it stopped in the month, breached
    when the breach happened in the month (whether or not it has stopped since)."""
    met: list[tuple[TicketFacts, Clock]] = []
    breached: list[tuple[TicketFacts, Clock]] = []
    for t in facts:
        for c in t.clocks:
            if c.name != name:
                continue
            if c.met is False or (c.breached_at is not None and c.met is None):
                if _inside(c.breached_at, start, end):
                    breached.append((t, c))
            elif c.met is True and _inside(c.stopped_at, start, end):
                met.append((t, c))
    decided = len(met) + len(breached)
    elapsed = [c.elapsed_seconds / 60.0 for _, c in met + breached if c.stopped_at is not None]
    return {
        "decided": decided,
        "met": len(met),
        "breached": len(breached),
        "attainment": None if decided == 0 else round(100.0 * len(met) / decided, 2),
        "mean_minutes": None if not elapsed else round(sum(elapsed) / len(elapsed), 2),
        "p90_minutes": None if not elapsed else round(percentile(elapsed, 90) or 0.0, 2),
        "breaches": [
            {
                "ticket": t.number,
                "subject": t.subject,
                "priority": t.priority,
                "breached_at": c.breached_at.isoformat() if c.breached_at else None,
                "elapsed_minutes": round(c.elapsed_seconds / 60.0, 2),
                "target_minutes": None if c.target_seconds is None else c.target_seconds // 60,
            }
            for t, c in sorted(breached, key=lambda tc: (tc[1].breached_at or start, tc[0].number))
        ],
    }


def _weekly(
    start: dt.datetime, end: dt.datetime, opened: list[TicketFacts], resolved: list[TicketFacts]
) -> list[dict[str, Any]]:
    weeks = []
    at = start
    while at < end:
        nxt = min(at + dt.timedelta(days=7), end)
        weeks.append(
            {
                "from": at.date().isoformat(),
                "opened": sum(1 for t in opened if at <= t.created_at < nxt),
                "resolved": sum(1 for t in resolved if t.resolved_at and at <= t.resolved_at < nxt),
            }
        )
        at = nxt
    return weeks


# --- Interfaces ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class InterfaceFacts:
    name: str
    cron: str
    time_zone: str
    grace_minutes: int
    runs: Sequence[tuple[dt.datetime, int, int]]  # (started_at, processed, failed)


def interfaces(
    start: dt.datetime, end: dt.datetime, facts: Sequence[InterfaceFacts]
) -> list[dict[str, Any]]:
    rows = []
    for f in facts:
        runs = [r for r in f.runs if start <= r[0] < end]
        slots = _slots(f, start, end)
        grace = dt.timedelta(minutes=f.grace_minutes)
        on_time = sum(1 for s in slots if any(s <= r[0] <= s + grace for r in runs))
        rows.append(
            {
                "name": f.name,
                "runs": len(runs),
                "records": sum(r[1] for r in runs),
                "failed_records": sum(r[2] for r in runs),
                "failed_runs": sum(1 for r in runs if r[2] > 0),
                "scheduled": len(slots),
                "on_time": on_time,
                "on_time_percent": None if not slots else round(100.0 * on_time / len(slots), 2),
            }
        )
    return sorted(rows, key=lambda r: r["name"])


def _slots(f: InterfaceFacts, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    if not f.cron or not croniter.is_valid(f.cron):
        return []
    import zoneinfo

    zone = zoneinfo.ZoneInfo(f.time_zone or "UTC")
    it = croniter(f.cron, (start - dt.timedelta(seconds=1)).astimezone(zone))
    slots: list[dt.datetime] = []
    for _ in range(5000):  # an every-minute schedule is not an interface a report lists by slot
        at: dt.datetime = it.get_next(dt.datetime).astimezone(dt.UTC)
        if at >= end:
            break
        slots.append(at)
    return slots


# --- Capacity ------------------------------------------------------------------------------------


def linear_fit(points: Sequence[tuple[float, float]]) -> tuple[float, float] | None:
    """Least squares (slope, intercept) of (x, y); None with fewer than two distinct x."""
    n = len(points)
    if n < 2:
        return None
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx == 0:
        return None
    slope = sum((x - mx) * (y - my) for x, y in points) / sxx
    return slope, my - slope * mx


@dataclass(frozen=True)
class UsageSeries:
    asset: str
    resource: str  # "disk /data"
    points: Sequence[tuple[dt.datetime, float]]  # used percent over time


def capacity(
    end: dt.datetime, series: Sequence[UsageSeries], horizon_days: int
) -> list[dict[str, Any]]:
    """Resources whose linear trend reaches 100 % within `horizon_days` of the period's end."""
    rows = []
    for s in series:
        pts = [((t - end).total_seconds() / 86400.0, v) for t, v in s.points if t < end]
        fit = linear_fit(pts)
        if fit is None or fit[0] <= 0:
            continue
        slope, intercept = fit  # intercept: the trend's value at the period's end (x = 0)
        days = (100.0 - intercept) / slope
        if days <= horizon_days:
            rows.append(
                {
                    "asset": s.asset,
                    "resource": s.resource,
                    "used_percent": round(max(0.0, min(100.0, intercept)), 1),
                    "growth_per_day": round(slope, 3),
                    "days_until_full": max(0, math.floor(days)),
                }
            )
    return sorted(rows, key=lambda r: (r["days_until_full"], r["asset"], r["resource"]))


# --- Assets --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssetFacts:
    name: str
    role: str
    os: str
    warranty_until: dt.date | None
    end_of_life: dt.date | None
    created: dt.date
    retired: dt.date | None


def _add_months(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 + months, 12)
    return dt.date(day.year + y, m + 1, 1)


def assets(start: dt.date, end: dt.date, facts: Sequence[AssetFacts]) -> dict[str, Any]:
    """Counts of assets in service at the period's end; lifecycle dates within 6 / 12 months."""
    live = [a for a in facts if a.created < end and (a.retired is None or a.retired >= end)]
    in6, in12 = _add_months(end, 6), _add_months(end, 12)

    def due(attr: str, until: dt.date) -> list[dict[str, str]]:
        return [
            {"name": a.name, "date": getattr(a, attr).isoformat()}
            for a in sorted(live, key=lambda a: (getattr(a, attr) or end, a.name))
            if getattr(a, attr) is not None and getattr(a, attr) < until
        ]

    return {
        "total": len(live),
        "by_role": _count(a.role for a in live),
        "by_os": _count(a.os or "-" for a in live),
        "warranty_6m": due("warranty_until", in6),
        "warranty_12m": due("warranty_until", in12),
        "eol_6m": due("end_of_life", in6),
        "eol_12m": due("end_of_life", in12),
        "added": sum(1 for a in facts if start <= a.created < end),
        "retired": sum(1 for a in facts if a.retired is not None and start <= a.retired < end),
    }
