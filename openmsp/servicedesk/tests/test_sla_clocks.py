"""The SLA clocks of stored tickets: the contract's targets on its business calendar, derived
from the ticket's history by the actions and by the deadline job, stored in `sla_state` and the
indexed due columns. Instants are worked out by hand (Seoul, Mon-Fri 09:00-18:00, no lunch).

Tuesday 2026-03-10 10:00 KST (01:00 UTC) a ticket is opened; first response 120 working minutes,
resolution 960 (P4, business hours), P1 around the clock."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from openmsp.core.actor import Actor
from openmsp.servicedesk import actions, clocks
from openmsp.servicedesk.models import Ticket
from openmsp.tenants import actions as tenant_actions

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
KST = dt.timezone(dt.timedelta(hours=9))
T0 = dt.datetime(2026, 3, 10, 10, 0, tzinfo=KST)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=KST)


@pytest.fixture
def contract(client_a: Any) -> Any:
    office = tenant_actions.create_calendar(
        actor=SYSTEM, client=client_a, name="Seoul office",
        intervals=[(d, 9 * 60, 18 * 60) for d in range(5)], time_zone="Asia/Seoul",
    )  # fmt: skip
    business = {"first_response_minutes": 120, "resolution_minutes": 960}
    return tenant_actions.create_contract(
        actor=SYSTEM, client=client_a, name="Managed service 2026", start_date=dt.date(2026, 1, 1),
        calendar=office, support_hours="calendar",
        sla_targets=[
            {"priority": "P1", "first_response_minutes": 15, "resolution_minutes": 240, "always_open": True},
            *({"priority": p, **business} for p in ("P2", "P3", "P4")),
        ],
    )  # fmt: skip


def fresh(t: Ticket) -> Ticket:
    return Ticket.objects.get(pk=t.pk)


def test_the_contract_target_on_the_business_calendar_sets_the_due_columns(
    contract, client_a, tech_a, open_as, time_machine
):
    time_machine.move_to(T0, tick=False)
    t = fresh(open_as(tech_a, client_a))
    assert t.priority == "P4"
    assert t.first_response_due == at(10, 12)  # 10:00 + 2 working hours
    assert t.resolution_due == at(11, 17)  # 8 h on Tuesday (10-18), then 8 of Wednesday's 9
    assert t.sla_state["policy"]["contract"] == "Managed service 2026"
    assert t.sla_state["policy"]["calendar"] == "Seoul office"


def test_a_staff_reply_meets_first_response_and_a_pause_moves_resolution(
    contract, client_a, tech_a, open_as, time_machine
):
    time_machine.move_to(T0, tick=False)
    t = open_as(tech_a, client_a)
    tech = Actor(user=tech_a)

    time_machine.move_to(at(10, 10, 30), tick=False)
    actions.reply(actor=tech, ticket=t, body="Looking at it.")
    t = fresh(t)
    assert t.sla_state["first_response"]["state"] == "met"
    assert t.first_response_due is None  # nothing left to watch

    time_machine.move_to(at(10, 11), tick=False)  # 60 working minutes of resolution used
    actions.change_status(actor=tech, ticket=t, status="waiting_on_customer")
    t = fresh(t)
    assert t.sla_state["resolution"]["state"] == "paused"
    assert t.resolution_due is None

    time_machine.move_to(at(11, 11), tick=False)  # a day later
    actions.change_status(actor=tech, ticket=t, status="open")
    t = fresh(t)
    # 900 minutes left from Wed 11:00: 420 on Wednesday (11-18), 480 on Thursday (9-17).
    assert t.resolution_due == at(12, 17)
    assert t.sla_state["resolution"]["elapsed_seconds"] == 60 * 60


def test_a_priority_raised_to_p1_runs_around_the_clock(
    contract, client_a, tech_a, open_as, time_machine
):
    time_machine.move_to(at(10, 17, 50), tick=False)
    t = open_as(tech_a, client_a)
    time_machine.move_to(at(10, 17, 55), tick=False)  # 5 business minutes used
    actions.change_priority(actor=Actor(user=tech_a), ticket=t, priority="P1")
    t = fresh(t)
    assert t.priority == "P1"
    # 15-minute target, 5 already used: 10 minutes more, at night as by day.
    assert t.first_response_due == at(10, 18, 5)


def test_the_deadline_job_marks_breaches_once(contract, client_a, tech_a, open_as, time_machine):
    time_machine.move_to(T0, tick=False)
    t = open_as(tech_a, client_a)
    time_machine.move_to(at(10, 13), tick=False)  # an hour past the first-response due time

    assert clocks.due_tickets(at(10, 13)) == [t.pk]
    assert clocks.run_deadlines() == 1
    t = fresh(t)
    assert t.sla_state["first_response"]["state"] == "breached"
    assert t.sla_state["first_response"]["breached_at"] == at(10, 12).astimezone(dt.UTC).isoformat()
    assert t.first_response_due is None
    assert t.resolution_due == at(11, 17)  # still running
    assert clocks.run_deadlines() == 0  # found once, not at every run


def test_without_an_active_contract_no_clock_runs(client_a, tech_a, open_as):
    t = fresh(open_as(tech_a, client_a))
    assert t.sla_state["policy"]["reason"] == "no_contract"
    assert (t.first_response_due, t.resolution_due) == (None, None)


def test_the_deadline_jobs_batched_run_stores_what_one_by_one_recomputes(
    contract, client_a, tech_a, open_as, time_machine
):
    """run_deadlines reads contracts, targets, statuses and events once per run or chunk and
    writes in one executemany; each ticket must end exactly as a lone recompute leaves it."""
    tech = Actor(user=tech_a)
    time_machine.move_to(T0, tick=False)
    plain = open_as(tech_a, client_a)
    paused = open_as(tech_a, client_a)
    raised = open_as(tech_a, client_a)
    time_machine.move_to(at(10, 10, 30), tick=False)
    actions.change_status(actor=tech, ticket=paused, status="waiting_on_customer")
    actions.change_priority(actor=tech, ticket=raised, priority="P1")
    time_machine.move_to(at(12, 15), tick=False)  # Thursday: every first response overdue
    now = at(12, 15)
    tickets = [plain, paused, raised]
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(first_response_due=at(10, 11))

    assert clocks.run_deadlines(now) == 3
    batched = {t.pk: fresh(t) for t in tickets}
    for t in tickets:
        clocks.recompute(fresh(t), now)  # outside a run: every read fresh, its own UPDATE
        alone = fresh(t)
        assert alone.sla_state == batched[t.pk].sla_state
        assert alone.resolution_due == batched[t.pk].resolution_due
        assert alone.first_response_due == batched[t.pk].first_response_due is None
    assert batched[paused.pk].sla_state["resolution"]["state"] == "paused"
    assert batched[raised.pk].sla_state["first_response"]["state"] == "breached"


@pytest.mark.django_db(transaction=True)
def test_a_holiday_added_to_the_calendar_moves_open_tickets_due_times(
    contract, client_a, tech_a, open_as, time_machine
):
    """Editing the terms (here: Wednesday becomes a holiday) re-derives open tickets' clocks in
    the durable queue: the 960-minute resolution that ended Wednesday 17:00 now skips Wednesday."""
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    time_machine.move_to(T0, tick=False)
    t = open_as(tech_a, client_a)
    assert fresh(t).resolution_due == at(11, 17)
    queued = DBTaskResult.objects.filter(task_path__endswith="recompute_open_tickets")
    queued.delete()  # the contract's own creation asked for one too

    tenant_actions.add_special_day(
        actor=SYSTEM, calendar=contract.calendar, date=dt.date(2026, 3, 11), name="Company day"
    )
    assert queued.count() == 1
    call_command(
        "db_worker", batch=True, queue_name="*", startup_delay=False, verbosity=0, reload=False
    )
    assert queued.get().status == "SUCCESSFUL"
    t = fresh(t)
    assert t.resolution_due == at(12, 17)  # 8 h Tuesday, Wednesday closed, 8 h Thursday
    assert t.sla_state["resolution"]["state"] == "running"


def test_the_deadline_job_reads_a_chunk_in_the_same_number_of_queries_whatever_its_size(
    contract, client_a, client_b, msp_owner, open_as, time_machine
):
    """Per-ticket reads (linked assets, fired steps, events) are one query per chunk: a run over
    six due tickets of two clients costs what a run over two costs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    time_machine.move_to(T0, tick=False)
    tenant_actions.create_contract(
        actor=SYSTEM, client=client_b, name="B", start_date=dt.date(2026, 1, 1), support_hours="24x7",
        sla_targets=[{"priority": "P4", "first_response_minutes": 60, "resolution_minutes": 600}],
    )  # fmt: skip
    made = [open_as(msp_owner, c) for c in (client_a, client_b) for _ in range(3)]
    now = at(12, 15)
    clocks.run_deadlines(now)  # what was due by now is breached; then only what we set is due
    counts = []
    for tickets in (made[2:4], made):  # one of each client, then three of each
        Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(first_response_due=at(10, 11))
        with CaptureQueriesContext(connection) as queries:
            assert clocks.run_deadlines(now) == len(tickets)
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert all(fresh(t).sla_state["first_response"]["state"] == "breached" for t in made)
