"""The quarterly business review's figures, computed from plain data (no ORM): trends of the
three monthly reports' figures, recurring problems, capacity and lifecycle recommendations,
utilisation, the cost view and the generated agenda. `qbr_collect.py` reads the database.

The monthly figures themselves are not recomputed here: the QBR takes the three months'
`collect.compute` results (the same code as the monthly report) and only combines them. Like
`figures`, nothing reads the clock: a past quarter regenerates to the same figures.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openmsp.alerts import availability as av
from openmsp.core.errors import ValidationFailed
from openmsp.reports import figures as fg

Span = tuple[dt.datetime, dt.datetime]
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)

RECURRING_MINIMUM = 2  # occurrences in the quarter that make a problem "recurring"
RECURRING_LIMIT = 10
OVER_USED_PERCENT = 80.0  # CPU above this for at least half the hours measured: over-used
UNDER_USED_PERCENT = 10.0  # CPU p95 below this: under-used
MINIMUM_HOURS = 24  # fewer hourly averages than this say nothing about a host


def parse_quarter(value: object, *, today: dt.date, field: str = "quarter") -> dt.date:
    """'2026-Q3' (or 2026Q3) -> 2026-07-01; malformed or not yet begun is a 422 naming it."""
    text = str(value or "").strip()
    match = _QUARTER.match(text)
    if not match or int(match[1]) < 2000:
        raise ValidationFailed(
            f"'{text}' is not a quarter: write it as YYYY-Qn, e.g. 2026-Q3.", field=field
        )
    start = dt.date(int(match[1]), 3 * (int(match[2]) - 1) + 1, 1)
    if start > today:
        raise ValidationFailed(
            f"{text} has not begun yet: choose this quarter or an earlier one.", field=field
        )
    return start


def quarter_of(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def months_of(start: dt.date) -> list[dt.date]:
    return [fg._add_months(start, i) for i in range(3)]


def label(start: dt.date) -> str:
    return f"{start.year}-Q{(start.month - 1) // 3 + 1}"


# --- Trends of the monthly figures ---------------------------------------------------------------


def csat(ratings: Sequence[str]) -> dict[str, Any] | None:
    """Answered surveys of a month: share of "good" ratings; None when nobody answered."""
    if not ratings:
        return None
    good = sum(1 for r in ratings if r == "good")
    return {
        "answered": len(ratings),
        "good": good,
        "percent": round(100.0 * good / len(ratings), 2),
    }


def trends(months: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One row per month from its monthly figures, and the quarter's own availability: the
    counted and down minutes of the three months added up (not an average of percentages)."""
    rows = []
    counted = down = 0.0
    for f in months:
        a, t = f["availability"], f["tickets"]
        services = [r for r in a["rows"] if r["kind"] != "host"] or a["rows"]
        counted += sum(r["counted_minutes"] for r in services)
        down += sum(r["down_minutes"] for r in services)
        rows.append(
            {
                "month": f["period"]["month"],
                "availability": a["overall"],
                "target": a["target"],
                "down_minutes": a["down_minutes"],
                "opened": t["opened"],
                "resolved": t["resolved"],
                "sla": {name: c["attainment"] for name, c in t["sla"].items()},
                "breached": sum(c["breached"] for c in t["sla"].values()),
                "csat": f.get("csat"),
            }
        )
    overall = 100.0 if counted <= 0 else round(100.0 * (counted - down) / counted, 4)
    target = rows[-1]["target"] if rows else 99.9
    return {
        "months": rows,
        "availability": overall,
        "target": target,
        "met": overall >= target,
        "down_minutes": round(down, 2),
        "opened": sum(r["opened"] for r in rows),
        "resolved": sum(r["resolved"] for r in rows),
        "breached": sum(r["breached"] for r in rows),
    }


# --- Recurring problems --------------------------------------------------------------------------


@dataclass(frozen=True)
class ProblemFacts:
    problem_id: int
    fingerprint: str
    rule: str
    subject_label: str  # the monitored object: "ERP web", or the asset's name
    title: str
    steps: Sequence[tuple[dt.datetime, str, str]]  # (at, state after, severity), in order


def recurring(
    start: dt.datetime,
    end: dt.datetime,
    problems: Sequence[ProblemFacts],
    *,
    minimum: int = RECURRING_MINIMUM,
    limit: int = RECURRING_LIMIT,
) -> list[dict[str, Any]]:
    """Problems by fingerprint: an occurrence is one stretch of firing (or acknowledged) time
    inside the quarter, whether the problem reopened or came back as a new row; the duration is
    their total. Those that happened at least `minimum` times, most frequent first."""
    groups: dict[str, list[ProblemFacts]] = defaultdict(list)
    for p in problems:
        groups[p.fingerprint].append(p)
    rows: list[dict[str, Any]] = []
    for fingerprint, ps in groups.items():
        spans: list[Span] = []
        for p in ps:
            down, degraded = av.problem_spans(list(p.steps), end)
            spans += av.clip(down + degraded, start, end)
        merged = av.union(spans)
        if len(merged) < minimum:
            continue
        last = max(ps, key=lambda p: (p.steps[-1][0] if p.steps else start, p.problem_id))
        rows.append(
            {
                "fingerprint": fingerprint,
                "rule": last.rule,
                "object": last.subject_label,
                "title": last.title,
                "occurrences": len(merged),
                "total_minutes": round(av.seconds(merged) / 60.0, 2),
                "first": merged[0][0].isoformat(),
                "last": merged[-1][0].isoformat(),
                "problem_ids": sorted(p.problem_id for p in ps),
            }
        )
    rows.sort(key=lambda r: (-r["occurrences"], -r["total_minutes"], r["fingerprint"]))
    return rows[:limit]


# --- Utilisation ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class HostUsage:
    asset: str
    hourly: Sequence[float]  # CPU percent, one average per hour of the quarter that has data


def utilisation(hosts: Sequence[HostUsage]) -> list[dict[str, Any]]:
    """Hosts consistently over-used (CPU at or above 80 % in at least half the hours measured)
    or under-used (CPU p95 below 10 %)."""
    rows = []
    for h in hosts:
        if len(h.hourly) < MINIMUM_HOURS:
            continue
        busy = sum(1 for v in h.hourly if v >= OVER_USED_PERCENT) / len(h.hourly)
        p95 = fg.percentile(list(h.hourly), 95) or 0.0
        state = "over" if busy >= 0.5 else "under" if p95 < UNDER_USED_PERCENT else ""
        if state:
            rows.append(
                {
                    "asset": h.asset,
                    "state": state,
                    "mean": round(sum(h.hourly) / len(h.hourly), 1),
                    "p95": round(p95, 1),
                    "busy_percent": round(100.0 * busy, 1),
                    "hours": len(h.hourly),
                }
            )
    return sorted(rows, key=lambda r: (r["state"], r["asset"]))


# --- Cost ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContractMonth:
    month: dt.date
    name: str
    billing_model: str
    rate: Decimal
    currency: str
    included_hours: Decimal | None
    devices: int  # assets in service on the month's last day
    users: int  # the client's contacts


@dataclass(frozen=True)
class TimeFacts:
    day: dt.date
    minutes: int
    billable: bool
    category: str  # the ticket's category
    work_type: str


def _fee(c: ContractMonth, billable_minutes: int) -> Decimal:
    match c.billing_model:
        case "per_device":
            return c.rate * c.devices
        case "per_user":
            return c.rate * c.users
        case "time_and_materials":
            return c.rate * Decimal(billable_minutes) / 60
        case _:  # fixed_monthly, block_hours: the rate is the month's fee
            return c.rate


def cost(
    contracts: Sequence[ContractMonth | None],
    months: Sequence[dt.date],
    entries: Sequence[TimeFacts],
) -> dict[str, Any]:
    """The contract fee of each month (from the contract in force on its first day), and the
    time the service desk recorded, billable and not, by ticket category and by work type."""

    def month_of(day: dt.date) -> dt.date:
        return day.replace(day=1)

    billable_by_month: dict[dt.date, int] = defaultdict(int)
    for e in entries:
        if e.billable:
            billable_by_month[month_of(e.day)] += e.minutes
    fees = []
    total = Decimal(0)
    included = Decimal(0)
    for month, c in zip(months, contracts, strict=True):
        if c is None:
            fees.append({"month": f"{month:%Y-%m}", "contract": None, "model": "", "fee": 0.0})
            continue
        fee = _fee(c, billable_by_month[month]).quantize(Decimal("0.01"))
        total += fee
        included += c.included_hours or 0
        fees.append(
            {
                "month": f"{month:%Y-%m}",
                "contract": c.name,
                "model": c.billing_model,
                "fee": float(fee),
            }
        )
    currency = next((c.currency for c in contracts if c is not None), "KRW")
    billable = sum(e.minutes for e in entries if e.billable)
    return {
        "currency": currency,
        "fee": float(total),
        "fee_by_month": fees,
        "billable_minutes": billable,
        "non_billable_minutes": sum(e.minutes for e in entries if not e.billable),
        "included_hours": float(included) if included else None,
        "by_category": _split(entries, "category"),
        "by_work_type": _split(entries, "work_type"),
    }


def _split(entries: Sequence[TimeFacts], attr: str) -> list[dict[str, Any]]:
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for e in entries:
        out[getattr(e, attr) or "-"][0 if e.billable else 1] += e.minutes
    return [
        {"name": k, "billable_minutes": v[0], "non_billable_minutes": v[1]}
        for k, v in sorted(out.items(), key=lambda kv: (-(kv[1][0] + kv[1][1]), kv[0]))
    ]


def hours(minutes: float) -> str:
    return f"{minutes / 60.0:.1f}"


def money(amount: float, currency: str) -> str:
    whole = amount == math.floor(amount)
    return f"{amount:,.0f} {currency}" if whole else f"{amount:,.2f} {currency}"
