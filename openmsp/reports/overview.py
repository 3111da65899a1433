"""The dashboards' reads: every visible client at a glance (MSP staff), and one client's month so
far (the drill-down and the client portal).

`clients_at_a_glance` reads all clients with a fixed number of aggregate queries whatever their
number (one per figure, grouped by client; no query per client), so the page costs the same for
5 clients as for 500. Everything is scoped by the actor's visible clients: a technician limited
to some clients sees only those.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from openmsp.alerts.lifecycle import OPEN_STATES
from openmsp.alerts.models import Problem
from openmsp.assets.models import Asset
from openmsp.core.actor import Actor
from openmsp.core.errors import ValidationFailed
from openmsp.reports import collect
from openmsp.reports import figures as fg
from openmsp.servicedesk.clocks import DUE_COLUMN, active_contract
from openmsp.servicedesk.models import SlaFiring, Ticket
from openmsp.tenants.models import Client, Contract
from openmsp.tenants.queries import clients_visible_to, scope

OPEN_TICKET_STATES = ("new", "open", "pending")
DEFAULT_TARGET = 99.9


def sla_breached() -> Q:
    """An open ticket with a clock that ran out: stored as breached by the deadline job, or
    due already and not yet looked at by it."""
    q = Q()
    for clock, column in DUE_COLUMN.items():
        q |= Q(**{f"sla_state__{clock}__state": "breached"}) | Q(
            **{f"{column}__lte": timezone.now()}
        )
    return q


def sla_warned() -> Q:
    """A running clock (its due column set, not yet reached) whose warning has fired."""
    now = timezone.now()
    q = Q()
    for clock, column in DUE_COLUMN.items():
        fired = SlaFiring.objects.filter(ticket_id=OuterRef("pk"), clock=clock, key="warning")
        q |= Q(**{f"{column}__gt": now}) & Q(Exists(fired))
    return q


@dataclass
class ClientRow:
    client: Client
    critical: int = 0
    warning: int = 0
    sla_warning: int = 0
    sla_breached: int = 0
    tickets: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OPEN_TICKET_STATES, 0))
    offline: int = 0
    hosts: int = 0
    availability: float | None = None
    target: float = DEFAULT_TARGET

    @property
    def open_tickets(self) -> int:
        return sum(self.tickets.values())

    @property
    def below_target(self) -> bool:
        return self.availability is not None and self.availability < self.target

    @property
    def health(self) -> str:
        if self.sla_breached or self.critical or self.below_target:
            return "critical"
        if self.sla_warning or self.warning or self.offline:
            return "warning"
        return "ok"


def _worst(r: ClientRow) -> tuple[Any, ...]:
    avail = 100.0 if r.availability is None else r.availability
    return (
        -r.sla_breached, -r.critical, not r.below_target, -r.offline, -r.sla_warning, -r.warning,
        avail, r.client.name,
    )  # fmt: skip


SORTS: dict[str, Any] = {
    "worst": _worst,
    "name": lambda r: (r.client.name.casefold(), r.client.pk),
    "problems": lambda r: (-r.critical, -r.warning, r.client.name),
    "sla": lambda r: (-r.sla_breached, -r.sla_warning, r.client.name),
    "tickets": lambda r: (-r.open_tickets, r.client.name),
    "offline": lambda r: (-r.offline, r.client.name),
    "availability": lambda r: (100.0 if r.availability is None else r.availability, r.client.name),
}


def parse_sort(value: str | None) -> str:
    sort = (value or "worst").strip()
    if sort not in SORTS:
        raise ValidationFailed(
            f"'{sort[:40]}' is not a sort order; use one of: {', '.join(SORTS)}.", field="sort"
        )
    return sort


def month_start(client: Client, now: dt.datetime) -> tuple[dt.date, dt.datetime]:
    zone = zoneinfo.ZoneInfo(client.time_zone or "Asia/Seoul")
    first = now.astimezone(zone).date().replace(day=1)
    return first, collect.period_bounds(client, first)[0]


def targets_of(client_ids: list[int], on: dt.date) -> dict[int, float]:
    """The availability target of each client's contract in force on *on* (one query; the same
    rule as servicedesk.clocks.active_contract: the newest started, not yet ended)."""
    out: dict[int, float] = {}
    rows = (
        Contract.objects.filter(client_id__in=client_ids, start_date__lte=on)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=on))
        .order_by("client_id", "-start_date", "-pk")
        .values_list("client_id", "availability_target")
    )
    for client_id, target in rows:
        out.setdefault(client_id, float(target if target is not None else Decimal("99.9")))
    return out


def clients_at_a_glance(actor: Actor, *, sort: str = "worst") -> list[ClientRow]:
    now = timezone.now()
    clients = list(
        clients_visible_to(actor)
        .exclude(status=Client.Status.OFFBOARDED)
        .only("pk", "name", "code", "time_zone", "status")
    )
    rows = {c.pk: ClientRow(c) for c in clients}
    ids = list(rows)
    if not ids:
        return []
    problems = scope(actor, Problem.objects.filter(client_id__in=ids, state__in=OPEN_STATES))
    for client_id, severity, n in (
        problems.filter(suppressed_by__isnull=True)
        .values_list("client_id", "severity")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        if severity in ("critical", "warning"):
            setattr(rows[client_id], severity, n)
    tickets = scope(
        actor,
        Ticket.objects.filter(
            client_id__in=ids, status__category__in=OPEN_TICKET_STATES, merged_into__isnull=True
        ),
    )
    breached, warned = sla_breached(), sla_warned()
    for client_id, category, n, n_breached, n_warned in (
        tickets.values_list("client_id", "status__category")
        .annotate(
            n=Count("pk"),
            breached=Count("pk", filter=breached),
            warned=Count("pk", filter=warned & ~breached),
        )
        .order_by()
    ):
        row = rows[client_id]
        row.tickets[category] = n
        row.sla_breached += n_breached
        row.sla_warning += n_warned
    assets = scope(actor, Asset.objects.filter(client_id__in=ids, retired_at__isnull=True))
    for client_id, total, offline in (
        assets.values_list("client_id")
        .annotate(total=Count("pk"), offline=Count("pk", filter=Q(status=Asset.Status.OFFLINE)))
        .order_by()
    ):
        rows[client_id].hosts, rows[client_id].offline = total, offline
    _availability(rows, now)
    return sorted(rows.values(), key=SORTS[sort])


def _availability(rows: dict[int, ClientRow], now: dt.datetime) -> None:
    """This month so far for every client: the same computation as the monthly report, with
    every client's subjects, problems and maintenance read at once."""
    periods = {pk: (month_start(r.client, now)[1], now) for pk, r in rows.items()}
    targets = targets_of(list(rows), timezone.localdate(now))
    subjects = collect.subjects_of(list(rows))
    problems = collect.problems_of(periods)
    for pk, row in rows.items():
        row.target = targets.get(pk, DEFAULT_TARGET)
        start, end = periods[pk]
        if not subjects[pk] and not problems[pk]:
            continue  # nothing monitored: no figure rather than a flattering 100 %
        a = fg.availability(
            start, end, subjects=subjects[pk], problems=problems[pk], target=row.target
        )
        row.availability = a["overall"]


def client_month(client: Client, now: dt.datetime | None = None) -> dict[str, Any]:
    """One client's month so far: availability with its daily trend, tickets and SLA
    attainment per clock (the monthly report's own figures, computed up to now)."""
    now = now or timezone.now()
    first, start = month_start(client, now)
    contract = active_contract(client.pk, first)
    target = float(contract.availability_target) if contract else DEFAULT_TARGET
    subjects = collect.subjects_of([client.pk])[client.pk]
    problems = collect.problems_of({client.pk: (start, now)})[client.pk]
    return {
        "month": f"{first:%Y-%m}",
        "monitored": bool(subjects or problems),
        "availability": fg.availability(
            start, now, subjects=subjects, problems=problems, target=target, first_day=first
        ),
        "tickets": fg.tickets(start, now, collect.tickets_of(client, start, now, contract)),
    }
