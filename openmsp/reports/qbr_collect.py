"""Read one client's quarter from the database into the QBR's figures.

The three months come from `collect.compute`, the monthly report's own code, so a QBR's month
reads exactly like that month's report. What only a quarter needs (recurring problems, CPU
utilisation, time entries, the fee, CSAT) is read here; everything as of the quarter's end.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.db.models import Q

from openmsp.alerts import availability
from openmsp.alerts.models import Problem
from openmsp.assets.models import Asset
from openmsp.metrics.ingest import labels_key
from openmsp.metrics.models import Rollup1h, Series
from openmsp.reports import collect, qbr
from openmsp.reports import figures as fg
from openmsp.reports import qbr_text as text
from openmsp.servicedesk import clocks
from openmsp.servicedesk.models import CsatSurvey, TimeEntry
from openmsp.tenants.models import Client, Contact


def bounds(client: Client, quarter: dt.date) -> tuple[dt.datetime, dt.datetime]:
    months = qbr.months_of(quarter)
    return collect.period_bounds(client, months[0])[0], collect.period_bounds(client, months[2])[1]


def compute(client: Client, quarter: dt.date, now: dt.datetime, language: str) -> dict[str, Any]:
    months = qbr.months_of(quarter)
    start, end = bounds(client, quarter)
    end = min(end, now)
    monthly: list[dict[str, Any]] = []
    for month in months:
        m_start = collect.period_bounds(client, month)[0]
        if monthly and m_start >= end:
            break  # a month of a running quarter that has not begun
        f = collect.compute(client, month, now)
        f["csat"] = qbr.csat(_ratings(client, *collect.period_bounds(client, month), now))
        monthly.append(f)
    last = monthly[-1]
    local_end = fg._add_months(quarter, 3)
    assets = fg.assets(quarter, local_end, collect._assets(client))
    usage = qbr.utilisation(_cpu(client, start, end))
    entries = _time(client, quarter, local_end)
    contracts = [_contract_month(client, m) for m in months]
    figures: dict[str, Any] = {
        "client": {"id": client.pk, "name": client.name, "time_zone": client.time_zone},
        "period": {
            "quarter": qbr.label(quarter),
            "start": start.isoformat(),
            "end": end.isoformat(),
            "complete": end >= bounds(client, quarter)[1],
            "months": [f"{m:%Y-%m}" for m in months],
        },
        "trends": qbr.trends(monthly),
        "recurring": qbr.recurring(start, end, _problems(client, start, end)),
        "capacity": last["capacity"],
        "assets": assets,
        "utilisation": usage,
        "cost": qbr.cost(contracts, months, entries),
    }
    figures["recommendations"] = text.recommendations(
        assets=assets,
        capacity=last["capacity"]["rows"],
        utilisation=usage,
        quarter_end=local_end.isoformat(),
        language=language,
    )
    return figures


def _ratings(client: Client, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> list[str]:
    return list(
        CsatSurvey.objects.filter(
            client=client, answered_at__gte=start, answered_at__lt=min(end, now)
        )
        .exclude(rating="")
        .values_list("rating", flat=True)
    )


def _problems(client: Client, start: dt.datetime, end: dt.datetime) -> list[qbr.ProblemFacts]:
    rows = list(
        Problem.objects.filter(client=client, first_seen_at__lt=end)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gt=start))
        .select_related("asset")
        .order_by("pk")
    )
    steps = availability.problem_steps(rows, end)
    return [
        qbr.ProblemFacts(
            problem_id=p.pk,
            fingerprint=p.fingerprint,
            rule=p.rule,
            subject_label=p.asset.name if p.asset else p.object_id,
            title=p.title,
            steps=steps[p.pk],
        )
        for p in rows
    ]


def _cpu(client: Client, start: dt.datetime, end: dt.datetime) -> list[qbr.HostUsage]:
    series = {
        s.pk: s.asset.name
        for s in Series.objects.filter(
            client=client, name="cpu.percent", labels_key=labels_key({"cpu": "total"})
        ).select_related("asset")
    }
    hourly: dict[int, list[float]] = {pk: [] for pk in series}
    for sid, total, count in (
        Rollup1h.objects.filter(series_id__in=list(series), bucket__gte=start, bucket__lt=end)
        .order_by("series_id", "bucket")
        .values_list("series_id", "sum", "count")
    ):
        if count:
            hourly[sid].append(total / count)
    return [qbr.HostUsage(series[pk], hourly[pk]) for pk in sorted(series)]


def _time(client: Client, start: dt.date, end: dt.date) -> list[qbr.TimeFacts]:
    rows = (
        TimeEntry.objects.filter(client=client, date__gte=start, date__lt=end)
        .select_related("ticket__category")
        .order_by("date", "pk")
    )
    return [
        qbr.TimeFacts(
            day=e.date,
            minutes=e.minutes,
            billable=e.billable,
            category=e.ticket.category.name if e.ticket.category else "",
            work_type=e.work_type,
        )
        for e in rows
    ]


def _contract_month(client: Client, month: dt.date) -> qbr.ContractMonth | None:
    contract = clocks.active_contract(client.pk, month)
    if contract is None:
        return None
    zone = zoneinfo.ZoneInfo(client.time_zone or "Asia/Seoul")
    next_month = fg._add_months(month, 1)
    month_end = dt.datetime.combine(next_month, dt.time(), zone)
    devices = (
        Asset.objects.filter(client=client, created_at__lt=month_end)
        .filter(Q(retired_at__isnull=True) | Q(retired_at__gte=month_end))
        .count()
    )
    return qbr.ContractMonth(
        month=month,
        name=contract.name,
        billing_model=contract.billing_model,
        rate=contract.rate,
        currency=contract.currency,
        included_hours=contract.included_hours,
        devices=devices,
        users=Contact.objects.filter(client=client).count(),
    )
