"""The monthly report's service-desk work figures (pure): customer satisfaction and time spent.

CSAT counts the surveys *sent* in the month and the answers *received* in the month (a survey
sent on the 30th and answered on the 2nd counts as sent in one month, answered in the next);
the score is good answers / answers received; the response rate is the month's sent surveys
answered by the month's end / sent. Time spent sums the time entries dated in the month
(the date a technician gave, in the client's calendar), billable and not, per work type and per
ticket category. Only totals reach the report: no technician, no note (time entries themselves
stay staff-only).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SurveyFacts:
    sent_at: dt.datetime | None
    answered_at: dt.datetime | None
    rating: str  # "good" | "bad" | ""


@dataclass(frozen=True)
class TimeFacts:
    minutes: int
    billable: bool
    work_type: str
    category: str  # the ticket's category name, "" without one


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(100.0 * part / whole, 2)


def csat(start: dt.datetime, end: dt.datetime, surveys: Sequence[SurveyFacts]) -> dict[str, Any]:
    sent = [s for s in surveys if s.sent_at is not None and start <= s.sent_at < end]
    replied = sum(1 for s in sent if s.answered_at is not None and s.answered_at < end and s.rating)
    answered = [
        s
        for s in surveys
        if s.answered_at is not None and start <= s.answered_at < end and s.rating
    ]
    good = sum(1 for s in answered if s.rating == "good")
    return {
        "sent": len(sent),
        "answered": len(answered),
        "good": good,
        "bad": len(answered) - good,
        "score": _share(good, len(answered)),
        "response_rate": _share(replied, len(sent)),  # of the month's surveys, answered by its end
    }


def _grouped(entries: Sequence[TimeFacts], key: str) -> list[dict[str, Any]]:
    groups: dict[str, list[int]] = {}
    for e in entries:
        name = getattr(e, key) or "-"
        billable, other = groups.setdefault(name, [0, 0])
        groups[name] = (
            [billable + e.minutes, other] if e.billable else [billable, other + e.minutes]
        )
    rows = [
        {"name": name, "billable_minutes": b, "non_billable_minutes": n, "minutes": b + n}
        for name, (b, n) in groups.items()
    ]
    return sorted(rows, key=lambda r: (-r["minutes"], r["name"]))


def time_spent(entries: Sequence[TimeFacts]) -> dict[str, Any]:
    billable = sum(e.minutes for e in entries if e.billable)
    total = sum(e.minutes for e in entries)
    return {
        "minutes": total,
        "billable_minutes": billable,
        "non_billable_minutes": total - billable,
        "billable_share": _share(billable, total),
        "by_work_type": _grouped(entries, "work_type"),
        "by_category": _grouped(entries, "category"),
    }
