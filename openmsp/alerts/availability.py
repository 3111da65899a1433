"""Availability of a check (a fingerprint) or an asset over any period, from the problems'
state history.

The pure part, `compute()`, takes intervals: a critical problem firing or acknowledged is *down*,
a warning one is *degraded* (it does not count against availability); maintenance windows that
do not count against availability are cut out of the counted time (and their down time with it).
`of()` reads those intervals from the timeline (ProblemEvent rows record the state after each
change, so the history is a step function) and the client's maintenance windows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from openmsp.alerts import maintenance as mw
from openmsp.alerts import notify, queries
from openmsp.alerts.models import MaintenanceWindow, Problem, ProblemEvent
from openmsp.assets.queries import get_asset
from openmsp.core.actor import Actor

Span = tuple[dt.datetime, dt.datetime]
DOWN_STATES = ("firing", "acknowledged")


@dataclass(frozen=True)
class Availability:
    period_seconds: float
    counted_seconds: float
    down_seconds: float
    degraded_seconds: float

    @property
    def percent(self) -> float:
        if self.counted_seconds <= 0:
            return 100.0
        return 100.0 * (self.counted_seconds - self.down_seconds) / self.counted_seconds

    def as_dict(self) -> dict[str, float]:
        return {
            "period_seconds": self.period_seconds,
            "counted_seconds": self.counted_seconds,
            "down_seconds": self.down_seconds,
            "degraded_seconds": self.degraded_seconds,
            "availability": round(self.percent, 4),
        }


def union(spans: Iterable[Span]) -> list[Span]:
    merged: list[Span] = []
    for a, b in sorted(s for s in spans if s[0] < s[1]):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def subtract(spans: Iterable[Span], holes: Iterable[Span]) -> list[Span]:
    out: list[Span] = []
    cut = union(holes)
    for a, b in union(spans):
        pieces = [(a, b)]
        for h0, h1 in cut:
            pieces = [
                p for x, y in pieces for p in ((x, min(y, h0)), (max(x, h1), y)) if p[0] < p[1]
            ]
        out.extend(pieces)
    return out


def clip(spans: Iterable[Span], start: dt.datetime, end: dt.datetime) -> list[Span]:
    return [(max(a, start), min(b, end)) for a, b in spans if max(a, start) < min(b, end)]


def seconds(spans: Iterable[Span]) -> float:
    return sum((b - a).total_seconds() for a, b in union(spans))


def compute(
    start: dt.datetime,
    end: dt.datetime,
    *,
    down: Sequence[Span],
    degraded: Sequence[Span] = (),
    excluded: Sequence[Span] = (),
) -> Availability:
    excluded_c = union(clip(excluded, start, end))
    down_c = subtract(clip(down, start, end), excluded_c)
    degraded_c = subtract(subtract(clip(degraded, start, end), excluded_c), down_c)
    period = (end - start).total_seconds()
    return Availability(
        period_seconds=period,
        counted_seconds=period - seconds(excluded_c),
        down_seconds=seconds(down_c),
        degraded_seconds=seconds(degraded_c),
    )


# --- Reading the history ------------------------------------------------------------------------


def problem_steps(
    rows: Sequence[Problem], end: dt.datetime
) -> dict[int, list[tuple[dt.datetime, str, str]]]:
    """Each problem's (at, state, severity) events before *end*, oldest first, in one query."""
    steps: dict[int, list[tuple[dt.datetime, str, str]]] = {p.pk: [] for p in rows}
    for pid, at, state, severity in (
        ProblemEvent.objects.filter(problem__in=rows, at__lt=end)
        .order_by("problem_id", "at", "pk")
        .values_list("problem_id", "at", "state", "severity")
    ):
        steps[pid].append((at, state, severity))
    return steps


def problem_spans(
    events: Sequence[tuple[dt.datetime, str, str]], until: dt.datetime
) -> tuple[list[Span], list[Span]]:
    """(down, degraded) spans of one problem from its (at, state, severity) steps."""
    down: list[Span] = []
    degraded: list[Span] = []
    for i, (at, state, severity) in enumerate(events):
        nxt = events[i + 1][0] if i + 1 < len(events) else until
        if state in DOWN_STATES and at < nxt:
            (down if severity == "critical" else degraded).append((at, nxt))
    return down, degraded


def of(
    actor: Actor,
    *,
    start: dt.datetime,
    end: dt.datetime,
    fingerprint: str | None = None,
    asset_id: int | None = None,
) -> Availability:
    problems = queries.problems_visible_to(actor).filter(
        Q(resolved_at__isnull=True) | Q(resolved_at__gt=start), first_seen_at__lt=end
    )
    if asset_id is not None:
        get_asset(actor, asset_id)  # 404 for an asset the actor may not see
        problems = problems.filter(asset_id=asset_id)
    else:
        problems = problems.filter(fingerprint=fingerprint)
    rows = list(problems)
    now = timezone.now()
    down: list[Span] = []
    degraded: list[Span] = []
    steps = problem_steps(rows, end)
    for problem in rows:
        d, g = problem_spans(steps[problem.pk], min(end, now))
        down += d
        degraded += g
    return compute(start, end, down=down, degraded=degraded, excluded=_excluded(rows, start, end))


def _excluded(rows: list[Problem], start: dt.datetime, end: dt.datetime) -> list[Span]:
    """Maintenance of the problems' client that covers them and does not count."""
    if not rows:
        return []
    windows = MaintenanceWindow.objects.filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=start),
        client_id=rows[0].client_id,
        counts_against_availability=False,
    )
    spans: list[Span] = []
    for window in windows:
        if any(mw.covers(notify.scope_of(window), notify.subject_of(p, p.asset)) for p in rows):
            spans += mw.occurrences(notify.spec_of(window), start, end)
    return spans
