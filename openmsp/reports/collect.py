"""Read one client's month from the database into the pure inputs of `figures`, and compute.

Only rows of the one client are read (the caller has already decided the actor may see it).
Everything is read as of the period's end: events after it are ignored, open problems and
running clocks are judged at the end instant, so a past month regenerates to the same figures.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Q

from openmsp.alerts import maintenance as mw
from openmsp.alerts import notify
from openmsp.alerts.models import MaintenanceWindow, Problem, ProblemEvent
from openmsp.assets.models import Asset
from openmsp.heartbeats.models import Heartbeat
from openmsp.interfaces.models import Interface, InterfaceRun
from openmsp.metrics.models import Rollup1h, Series
from openmsp.monitoring.models import Check
from openmsp.reports import figures as fg
from openmsp.servicedesk import actions as desk_actions
from openmsp.servicedesk import clocks, sla
from openmsp.servicedesk.models import Ticket, TicketEvent
from openmsp.tenants.models import Client, Contract

CAPACITY_HISTORY_DAYS = 30


def period_bounds(client: Client, month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The month in the client's time zone, as UTC instants [start, end)."""
    zone = zoneinfo.ZoneInfo(client.time_zone or "Asia/Seoul")
    first = month.replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    start = dt.datetime.combine(first, dt.time(), zone).astimezone(dt.UTC)
    end = dt.datetime.combine(nxt, dt.time(), zone).astimezone(dt.UTC)
    return start, end


def compute(client: Client, month: dt.date, now: dt.datetime) -> dict[str, Any]:
    """The figures of *month*; a month still running is computed up to *now* (and marked so)."""
    start, end = period_bounds(client, month)
    complete = end <= now
    end = min(end, now)
    contract = clocks.active_contract(client.pk, month.replace(day=1))
    target = float(contract.availability_target if contract else Decimal("99.9"))
    horizon = settings.OPENMSP_REPORT_CAPACITY_HORIZON_DAYS
    local_start = month.replace(day=1)
    local_end = (local_start + dt.timedelta(days=32)).replace(day=1)
    return {
        "client": {"id": client.pk, "name": client.name, "time_zone": client.time_zone},
        "period": {
            "month": f"{local_start:%Y-%m}",
            "start": start.isoformat(),
            "end": end.isoformat(),
            "complete": complete,
        },
        "contract": None if contract is None else {"id": contract.pk, "name": contract.name},
        "availability": fg.availability(
            start,
            end,
            subjects=_subjects(client),
            problems=_problems(client, start, end),
            target=target,
            first_day=local_start,
        ),
        "tickets": fg.tickets(start, end, _tickets(client, start, end, contract)),
        "interfaces": fg.interfaces(start, end, _interfaces(client, start, end)),
        "capacity": {
            "horizon_days": horizon,
            "rows": fg.capacity(end, _usage(client, end), horizon),
        },
        "assets": fg.assets(local_start, local_end, _assets(client)),
    }


def _subjects(client: Client) -> list[fg.Subject]:
    out = [
        fg.Subject(f"monitoring.check:{pk}", name, "service")
        for pk, name in Check.objects.filter(client=client).values_list("pk", "name")
    ]
    out += [
        fg.Subject(f"heartbeats.heartbeat:{pk}", name, "service")
        for pk, name in Heartbeat.objects.filter(client=client).values_list("pk", "name")
    ]
    out += [
        fg.Subject(f"interfaces.interface:{pk}", name, "interface")
        for pk, name in Interface.objects.filter(client=client).values_list("pk", "name")
    ]
    return out


def _problems(client: Client, start: dt.datetime, end: dt.datetime) -> list[fg.ProblemHistory]:
    rows = list(
        Problem.objects.filter(client=client, first_seen_at__lt=end)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gt=start))
        .select_related("asset")
        .prefetch_related("asset__tags")
        .order_by("pk")
    )
    steps: dict[int, list[tuple[dt.datetime, str, str]]] = {p.pk: [] for p in rows}
    for pid, at, state, severity in (
        ProblemEvent.objects.filter(problem__in=rows, at__lt=end)
        .order_by("problem_id", "at", "pk")
        .values_list("problem_id", "at", "state", "severity")
    ):
        steps[pid].append((at, state, severity))
    windows = [  # each window's occurrences once, not once per problem it covers
        (notify.scope_of(w), mw.occurrences(notify.spec_of(w), start, end))
        for w in MaintenanceWindow.objects.filter(
            Q(ends_at__isnull=True) | Q(ends_at__gt=start),
            client=client,
            counts_against_availability=False,
        )
    ]
    out = []
    for p in rows:
        subject = _subject_of(p)
        excluded = [s for scope, spans in windows if mw.covers(scope, subject) for s in spans]
        out.append(
            fg.ProblemHistory(
                problem_id=p.pk,
                title=p.title,
                subject=f"{p.object_type}:{p.object_id}",
                subject_label=p.title,
                asset_id=p.asset_id,
                asset_label=p.asset.name if p.asset else "",
                steps=steps[p.pk],
                excluded=excluded,
            )
        )
    return out


def _subject_of(p: Problem) -> mw.Subject:
    """notify.subject_of, from the prefetched tags (it queries them, once per problem)."""
    a = p.asset
    return mw.Subject(
        fingerprint=p.fingerprint,
        asset_id=p.asset_id,
        site_id=a.site_id if a else None,
        asset_tags=frozenset(t.name for t in a.tags.all()) if a else frozenset(),
        labels={str(k): str(v) for k, v in (p.labels or {}).items()},
    )


def _tickets(
    client: Client, start: dt.datetime, end: dt.datetime, contract: Contract | None
) -> list[fg.TicketFacts]:
    rows = (
        Ticket.objects.filter(client=client, created_at__lt=end, merged_into__isnull=True)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=start))
        .select_related("category")
        .order_by("pk")
    )
    tickets = list(rows)
    history: dict[int, list[TicketEvent]] = {t.pk: [] for t in tickets}
    for event in TicketEvent.objects.filter(
        client=client, ticket__in=rows.values("pk"), at__lt=end
    ).order_by("ticket_id", "at", "pk"):
        history[event.ticket_id].append(event)
    pauses = {s.code: frozenset(s.pauses or []) for s in desk_actions.statuses_for(client.pk)}
    out = []
    # One batch run: contracts, targets and SLA policies read once for all the month's tickets.
    with clocks.batch_run():
        judged = [
            (t, clocks.engine_events(t, contract, history=history[t.pk], pauses=pauses)[:2])
            for t in tickets
        ]
    for t, (events, policy) in judged:
        results = sla.compute(events, policy, end) if policy else {}
        facts_clocks = [
            fg.Clock(name, r.met, r.elapsed_seconds, r.target_seconds, r.stopped_at, r.breached_at)
            for name, r in sorted(results.items())
        ]
        resolved = t.resolved_at if t.resolved_at is not None and t.resolved_at < end else None
        out.append(
            fg.TicketFacts(
                number=t.number,
                subject=t.subject,
                priority=t.priority,
                category=t.category.name if t.category else "",
                created_at=t.created_at,
                resolved_at=resolved,
                clocks=facts_clocks,
            )
        )
    return out


def _interfaces(client: Client, start: dt.datetime, end: dt.datetime) -> list[fg.InterfaceFacts]:
    ifaces = list(Interface.objects.filter(client=client).order_by("pk"))
    runs: dict[int, list[tuple[dt.datetime, int, int]]] = {i.pk: [] for i in ifaces}
    for iid, started, processed, failed in InterfaceRun.objects.filter(
        interface__in=ifaces, started_at__gte=start, started_at__lt=end
    ).values_list("interface_id", "started_at", "processed", "failed"):
        runs[iid].append((started, processed, failed))
    return [
        fg.InterfaceFacts(i.name, i.cron, i.time_zone, i.start_grace_minutes, runs[i.pk])
        for i in ifaces
    ]


def _usage(client: Client, end: dt.datetime) -> list[fg.UsageSeries]:
    since = end - dt.timedelta(days=CAPACITY_HISTORY_DAYS)
    series = {
        s.pk: s
        for s in Series.objects.filter(client=client, name="disk.used_percent").select_related(
            "asset"
        )
    }
    points: dict[int, list[tuple[dt.datetime, float]]] = {pk: [] for pk in series}
    for sid, bucket, total, count in (
        Rollup1h.objects.filter(series_id__in=list(series), bucket__gte=since, bucket__lt=end)
        .order_by("series_id", "bucket")
        .values_list("series_id", "bucket", "sum", "count")
    ):
        if count:
            points[sid].append((bucket, total / count))
    return [
        fg.UsageSeries(s.asset.name, f"disk {s.labels.get('mount', '')}".strip(), points[pk])
        for pk, s in sorted(series.items())
    ]


def _assets(client: Client) -> list[fg.AssetFacts]:
    zone = zoneinfo.ZoneInfo(client.time_zone or "Asia/Seoul")
    return [
        fg.AssetFacts(
            name=a.name,
            role=a.role,
            os=a.os_name,
            warranty_until=a.warranty_until,
            end_of_life=a.end_of_life,
            created=a.created_at.astimezone(zone).date(),
            retired=a.retired_at.astimezone(zone).date() if a.retired_at else None,
        )
        for a in Asset.objects.filter(client=client).order_by("pk")
    ]
