"""The deadline job's batched path (per-run caches, per-chunk reads, one array UPDATE per chunk)
must store exactly what the plain per-ticket recompute stores, and cost a fixed number of
queries per chunk. The tickets are varied on purpose: a Seoul calendar with a lunch break, Korean
public holidays and a closed day; a Berlin night shift across the DST change; pauses, replies,
customer messages, resolve/reopen and priority changes at seeded random instants."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest

from openmsp.core.actor import Actor
from openmsp.servicedesk import clocks
from openmsp.servicedesk.models import Ticket, TicketEvent
from openmsp.tenants import actions as tenant_actions

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
KST = dt.timezone(dt.timedelta(hours=9))
START = dt.datetime(2026, 2, 27, 9, 0, tzinfo=KST)  # a Friday; 3월 2일 is 삼일절's substitute
NOW = dt.datetime(2026, 3, 31, 12, 0, tzinfo=KST)  # after Berlin's spring-forward (29 March)
WRITTEN = ("sla_state", *clocks.WRITTEN)
K = TicketEvent.Kind


@pytest.fixture
def contracts(client_a: Any, client_b: Any) -> None:
    seoul = tenant_actions.create_calendar(
        actor=SYSTEM, client=client_a, name="Seoul, lunch break", time_zone="Asia/Seoul",
        intervals=[(d, s, e) for d in range(5) for s, e in ((540, 720), (780, 1080))],
    )  # fmt: skip
    tenant_actions.add_special_day(
        actor=SYSTEM, calendar=seoul, date=dt.date(2026, 3, 12), name="Company day"
    )
    night = tenant_actions.create_calendar(
        actor=SYSTEM, client=client_b, name="Berlin nights", time_zone="Europe/Berlin",
        holiday_country="",
        intervals=[(d, s, e) for d in range(7) for s, e in ((0, 360), (1320, 1440))],
    )  # fmt: skip
    for client, calendar in ((client_a, seoul), (client_b, night)):
        tenant_actions.create_contract(
            actor=SYSTEM, client=client, name=f"Terms {calendar.name}",
            start_date=dt.date(2026, 1, 1), calendar=calendar, support_hours="calendar",
            sla_targets=[
                {"priority": "P1", "first_response_minutes": 30, "resolution_minutes": 240, "always_open": True},
                {"priority": "P2", "first_response_minutes": 60, "resolution_minutes": 600, "next_response_minutes": 90},
                {"priority": "P3", "first_response_minutes": 120, "resolution_minutes": 960, "next_response_minutes": 240},
                {"priority": "P4", "first_response_minutes": 480, "resolution_minutes": 2400},
            ],
        )  # fmt: skip


def _history(ticket: Ticket, rnd: random.Random, created: dt.datetime) -> None:
    """A few events after creation at random instants (seconds included), as the actions would
    record them; the ticket's priority follows its last change."""
    at, priority = created, ticket.priority
    statuses = ["open", "waiting_on_customer", "waiting_on_third_party", "scheduled", "open"]
    for _ in range(rnd.randrange(7)):
        at += dt.timedelta(seconds=rnd.randrange(60, 3 * 86400))
        if at >= NOW:
            break
        kind = rnd.choice([K.STATUS_CHANGED, K.PUBLIC_REPLY_BY_STAFF, K.CUSTOMER_MESSAGE, K.RESOLVED, K.REOPENED, K.PRIORITY_CHANGED])  # fmt: skip
        data: dict[str, Any] = {}
        if kind == K.STATUS_CHANGED:
            data = {"to": rnd.choice(statuses)}
        elif kind == K.PRIORITY_CHANGED:
            data = {"from": priority, "to": rnd.choice(["P1", "P2", "P3", "P4"])}
            priority = data["to"]
        TicketEvent.objects.create(client_id=ticket.client_id, ticket=ticket, kind=kind, at=at, data=data)  # fmt: skip
    Ticket.objects.filter(pk=ticket.pk).update(priority=priority)


def _seed(client_a: Any, client_b: Any, tech: Any, open_as: Any, time_machine: Any) -> list[Ticket]:
    rnd = random.Random(20261202)
    made = []
    for n in range(36):
        # Half of them recent, so some clocks still run or sit paused within their targets.
        created = NOW - dt.timedelta(seconds=rnd.randrange(rnd.choice([2, 30]) * 86400))
        time_machine.move_to(created, tick=False)
        priority = rnd.choice(["P1", "P2", "P3", "P4"])
        ticket = open_as(tech, client_a if n % 3 else client_b)
        Ticket.objects.filter(pk=ticket.pk).update(priority=priority)
        ticket.priority = priority
        _history(ticket, rnd, created)
        made.append(ticket)
    time_machine.move_to(NOW, tick=False)
    # All of them due, whatever their clocks say: the job recomputes every one.
    Ticket.objects.filter(pk__in=[t.pk for t in made]).update(first_response_due=START)
    return made


def _stored(ticket: Ticket) -> tuple[Any, ...]:
    return tuple(Ticket.objects.filter(pk=ticket.pk).values_list(*WRITTEN).get())


def test_the_batched_job_stores_exactly_what_a_plain_recompute_stores(
    contracts, client_a, client_b, msp_owner, open_as, time_machine, monkeypatch
):
    made = _seed(client_a, client_b, msp_owner, open_as, time_machine)
    monkeypatch.setattr(clocks, "CHUNK", 5)  # several chunks, the last one short

    assert clocks.run_deadlines(NOW) == len(made)
    batched = {t.pk: _stored(t) for t in made}
    for t in made:
        clocks.recompute(Ticket.objects.get(pk=t.pk), NOW)  # no run: fresh reads, own UPDATE
        assert _stored(t) == batched[t.pk], t.pk

    # The set is varied enough to mean something: these states all occur.
    states = {s[0].get(c, {}).get("state") for s in batched.values() for c in clocks.DUE_COLUMN}
    assert {"running", "paused", "met", "breached"} <= states, states
    calendars = {s[0]["policy"].get("calendar") for s in batched.values()}
    assert {"Seoul, lunch break", "Berlin nights", "24x7"} <= calendars


def test_the_deadline_job_costs_a_fixed_number_of_queries_per_chunk(
    contracts, client_a, msp_owner, open_as, time_machine, monkeypatch
):
    """Per chunk: a savepoint, the tickets, their events, linked assets and fired steps, the
    one UPDATE, the savepoint's release. What tickets share (contracts, targets, statuses,
    policies) is read once per run, so three chunks cost two more chunks' worth than one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    time_machine.move_to(START, tick=False)
    made = [open_as(msp_owner, client_a) for _ in range(6)]
    time_machine.move_to(NOW, tick=False)
    monkeypatch.setattr(clocks, "CHUNK", 2)
    clocks.run_deadlines(NOW)  # what was due by now is breached; then only what we set is due
    counts = []
    for tickets in (made[:2], made):  # one chunk, then three
        Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(first_response_due=START)
        with CaptureQueriesContext(connection) as queries:
            assert clocks.run_deadlines(NOW) == len(tickets)
        counts.append(len(queries))
        updates = [q for q in queries.captured_queries if 'UPDATE "servicedesk_ticket"' in q["sql"]]
        assert len(updates) == len(tickets) // 2  # one write per chunk, not one per ticket
    assert counts[1] - counts[0] == 2 * 7
