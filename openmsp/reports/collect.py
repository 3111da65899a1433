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
from openmsp.reports import utilization, work
from openmsp.servicedesk import actions as desk_actions
from openmsp.servicedesk import clocks, sla
from openmsp.servicedesk.models import CsatSurvey, Ticket, TicketEvent, TimeEntry
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
        "tickets": fg.tickets(start, end, tickets_of(client, start, end, contract)),
        "interfaces": fg.interfaces(start, end, _interfaces(client, start, end)),
        "csat": work.csat(start, end, _surveys(client, start, end)),
        "time": work.time_spent(_time_entries(client, local_start, local_end)),
        "capacity": {
            "horizon_days": horizon,
            "rows": fg.capacity(end, _usage(client, end), horizon),
            "utilization": utilization.judge(_host_usage(client, start, end)),
        },
        "assets": fg.assets(local_start, local_end, _assets(client)),
    }


def _subjects(client: Client) -> list[fg.Subject]:
    return subjects_of([client.pk]).get(client.pk, [])


def subjects_of(client_ids: list[int]) -> dict[int, list[fg.Subject]]:
    """The monitored subjects of several clients: three queries whatever their number."""
    out: dict[int, list[fg.Subject]] = {pk: [] for pk in client_ids}
    for model, prefix, kind in (
        (Check, "monitoring.check", "service"),
        (Heartbeat, "heartbeats.heartbeat", "service"),
        (Interface, "interfaces.interface", "interface"),
    ):
        rows = model.objects.filter(client_id__in=client_ids).order_by("pk")
        for client_id, pk, name in rows.values_list("client_id", "pk", "name"):
            out[client_id].append(fg.Subject(f"{prefix}:{pk}", name, kind))
    return out


def _problems(client: Client, start: dt.datetime, end: dt.datetime) -> list[fg.ProblemHistory]:
    return problems_of({client.pk: (start, end)}).get(client.pk, [])


def problems_of(
    periods: dict[int, tuple[dt.datetime, dt.datetime]],
) -> dict[int, list[fg.ProblemHistory]]:
    """The problems of several clients that overlap each client's period, with their timeline
    and the maintenance that covers them: a fixed number of queries whatever the number of
    clients (the dashboard reads every client's month at once)."""
    if not periods:
        return {}
    first = min(s for s, _ in periods.values())
    last = max(e for _, e in periods.values())
    rows = [
        p
        for p in Problem.objects.filter(client_id__in=list(periods), first_seen_at__lt=last)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gt=first))
        .select_related("asset")
        .prefetch_related("asset__tags")
        .order_by("pk")
        if p.first_seen_at < periods[p.client_id][1]
        and (p.resolved_at is None or p.resolved_at > periods[p.client_id][0])
    ]
    steps: dict[int, list[tuple[dt.datetime, str, str]]] = {p.pk: [] for p in rows}
    ends = {p.pk: periods[p.client_id][1] for p in rows}
    for pid, at, state, severity in (
        ProblemEvent.objects.filter(problem__in=[p.pk for p in rows], at__lt=last)
        .order_by("problem_id", "at", "pk")
        .values_list("problem_id", "at", "state", "severity")
    ):
        if at < ends[pid]:
            steps[pid].append((at, state, severity))
    windows: dict[int, list[tuple[Any, list[Any]]]] = {pk: [] for pk in periods}
    for w in MaintenanceWindow.objects.filter(  # each window's occurrences once, not per problem
        Q(ends_at__isnull=True) | Q(ends_at__gt=first),
        client_id__in=list(periods),
        counts_against_availability=False,
    ):
        start, end = periods[w.client_id]
        windows[w.client_id].append(
            (notify.scope_of(w), mw.occurrences(notify.spec_of(w), start, end))
        )
    out: dict[int, list[fg.ProblemHistory]] = {pk: [] for pk in periods}
    for p in rows:
        subject = _subject_of(p)
        excluded = [
            s for scope, spans in windows[p.client_id] if mw.covers(scope, subject) for s in spans
        ]
        out[p.client_id].append(
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


def tickets_of(
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


def _surveys(client: Client, start: dt.datetime, end: dt.datetime) -> list[work.SurveyFacts]:
    rows = CsatSurvey.objects.filter(client=client).filter(
        Q(sent_at__gte=start, sent_at__lt=end) | Q(answered_at__gte=start, answered_at__lt=end)
    )
    return [
        work.SurveyFacts(sent, answered, rating or "")
        for sent, answered, rating in rows.order_by("pk").values_list(
            "sent_at", "answered_at", "rating"
        )
    ]


def _time_entries(client: Client, first: dt.date, after: dt.date) -> list[work.TimeFacts]:
    rows = TimeEntry.objects.filter(client=client, date__gte=first, date__lt=after)
    return [
        work.TimeFacts(minutes, billable, work_type, category or "")
        for minutes, billable, work_type, category in rows.order_by("pk").values_list(
            "minutes", "billable", "work_type", "ticket__category__name"
        )
    ]


HOST_CPU = ("cpu.percent", {"cpu": "total"})
HOST_MEMORY = "mem.used_percent"


def _host_usage(
    client: Client, start: dt.datetime, end: dt.datetime
) -> list[utilization.HostUsage]:
    """Hourly means of each host's whole-machine CPU and memory over the month (two queries)."""
    series = [
        s
        for s in Series.objects.filter(
            client=client, name__in=[HOST_CPU[0], HOST_MEMORY], asset__retired_at__isnull=True
        ).select_related("asset")
        if s.name == HOST_MEMORY or s.labels == HOST_CPU[1]
    ]
    values: dict[int, list[float]] = {s.pk: [] for s in series}
    for sid, total, count in (
        Rollup1h.objects.filter(series_id__in=list(values), bucket__gte=start, bucket__lt=end)
        .order_by("series_id", "bucket")
        .values_list("series_id", "sum", "count")
    ):
        if count:
            values[sid].append(total / count)
    hosts: dict[int, dict[str, Any]] = {}
    for s in sorted(series, key=lambda s: (s.asset.name, s.pk)):
        host = hosts.setdefault(s.asset_id, {"asset": s.asset.name, "cpu": [], "memory": []})
        host["cpu" if s.name == HOST_CPU[0] else "memory"].extend(values[s.pk])
    return [utilization.HostUsage(h["asset"], h["cpu"], h["memory"]) for h in hosts.values()]


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
