"""SLA policies on stored tickets: which policy applied and why, recomputation when policies
change, the 75 % warning and the escalation ladder firing exactly once (also with two job runs
at the same time on PostgreSQL), and the ladder's reassign/raise priority in the history.

Around-the-clock policy, so instants are plain arithmetic: opened 10:00 UTC, resolution target
100 minutes -> warning at 10:75 % = 11:15, due 11:40."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import connection

from openmsp.core.actor import Actor
from openmsp.notifications.models import OutboxMessage
from openmsp.servicedesk import actions, clocks, escalation, policy_actions
from openmsp.servicedesk.models import SlaFiring, Ticket, TicketEvent

SYSTEM = Actor.system("test")
T0 = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)


def minutes(n: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=n)


def fresh(t: Any) -> Ticket:
    row: Ticket = Ticket.objects.select_related("client", "category").get(pk=t.pk)
    return row


@pytest.fixture
def ladder_policy(client_a: Any, tech_a: Any) -> Any:
    return policy_actions.save_policy(
        actor=SYSTEM, name="Fast lane", client=client_a,
        clocks_spec={
            "resolution": {
                "target_minutes": 100, "calendar": "24x7", "warn_percent": 75,
                "steps": [
                    {"offset_minutes": -10, "action": "notify", "user": tech_a},
                    {"offset_minutes": 0, "action": "raise_priority"},
                    {"offset_minutes": 10, "action": "reassign", "user": tech_a},
                ],
            },
        },
    )  # fmt: skip


def test_the_ticket_records_which_policy_applied_and_the_conditions_it_matched(
    db: None, client_a: Any, tech_a: Any, open_as: Any, time_machine: Any
) -> None:
    time_machine.move_to(T0, tick=False)
    category = actions_category(client_a, "Network")
    policy_actions.save_policy(
        actor=SYSTEM, name="Network P4", category=category, priorities=["P4"],
        clocks_spec={"first_response": {"target_minutes": 30, "calendar": "24x7"}},
    )  # fmt: skip
    t = open_as(tech_a, client_a, category=category)
    t = fresh(t)
    why = t.sla_state["policy"]
    assert t.sla_policy is not None
    assert t.sla_policy.name == "Network P4"
    assert why["reason"] == "sla_policy"
    assert why["matched"] == {"client": client_a.name, "priority": "P4", "category": "Network"}
    assert t.first_response_due == minutes(30)
    assert t.resolution_due is None  # the policy sets no resolution target


def actions_category(client: Any, name: str) -> Any:
    from openmsp.servicedesk.models import Category

    return Category.objects.create(client=client, name=name)


def test_changing_a_policy_recomputes_open_tickets_and_no_match_falls_back(
    db: None, client_a: Any, tech_a: Any, open_as: Any, time_machine: Any
) -> None:
    time_machine.move_to(T0, tick=False)
    t = open_as(tech_a, client_a)
    assert fresh(t).sla_state["policy"]["reason"] == "no_contract"
    p = policy_actions.save_policy(
        actor=SYSTEM,
        name="All",
        clocks_spec={"resolution": {"target_minutes": 60, "calendar": "24x7"}},
    )
    assert fresh(t).resolution_due == minutes(60)
    policy_actions.save_policy(
        actor=SYSTEM, policy=p, name="All", priorities=["P1"],
        clocks_spec={"resolution": {"target_minutes": 60, "calendar": "24x7"}},
    )  # fmt: skip
    t = fresh(t)
    assert t.sla_policy_id is None
    assert t.resolution_due is None
    assert t.sla_state["policy"]["reason"] == "no_contract"


def test_the_warning_at_75_percent_fires_once(
    db: None, client_a: Any, tech_a: Any, open_as: Any, time_machine: Any
) -> None:
    time_machine.move_to(T0, tick=False)
    policy_actions.save_policy(
        actor=SYSTEM, name="Warn only", client=client_a,
        clocks_spec={"resolution": {"target_minutes": 100, "calendar": "24x7"}},
    )  # default 75 %  # fmt: skip
    t = open_as(tech_a, client_a)
    actions.assign(actor=SYSTEM, ticket=t, assignee=tech_a)
    assert fresh(t).sla_action_due == minutes(75)
    assert escalation.run(minutes(74)) == 0
    time_machine.move_to(minutes(76), tick=False)
    assert escalation.run() == 1
    assert escalation.run() == 0  # the job runs again: nothing new
    warnings = TicketEvent.objects.filter(ticket=t, kind=TicketEvent.Kind.SLA_WARNING)
    assert warnings.count() == 1
    mail = OutboxMessage.objects.get(idempotency_key__startswith=f"sla:{t.pk}:resolution")
    assert mail.recipients == [tech_a.email]
    assert fresh(t).sla_action_due is None


def test_each_ladder_step_fires_once_and_reassign_and_raise_priority_show_in_the_history(
    db: None, client_a: Any, tech_a: Any, open_as: Any, time_machine: Any, ladder_policy: Any
) -> None:
    time_machine.move_to(T0, tick=False)
    t = open_as(tech_a, client_a)
    assert fresh(t).assignee is None
    time_machine.move_to(minutes(91), tick=False)
    assert escalation.run() == 2  # the warning (11:15) and the -10 min notify (11:30)
    time_machine.move_to(minutes(111), tick=False)
    assert escalation.run() == 2  # raise priority at due, reassign at +10
    assert escalation.run() == 0
    t = fresh(t)
    assert t.priority == "P3"
    assert t.assignee == tech_a
    kinds = list(TicketEvent.objects.filter(ticket=t).values_list("kind", "actor_label"))
    assert (TicketEvent.Kind.PRIORITY_CHANGED, "system:sla") in kinds
    assert (TicketEvent.Kind.ASSIGNED, "system:sla") in kinds
    steps = TicketEvent.objects.filter(ticket=t, kind=TicketEvent.Kind.SLA_STEP)
    assert sorted(e.data["offset_minutes"] for e in steps) == [-10, 0, 10]
    assert SlaFiring.objects.filter(ticket=t).count() == 4


def test_page_oncall_calls_the_hook_and_says_so_when_nobody_is_paged(
    db: None, client_a: Any, tech_a: Any, open_as: Any, time_machine: Any
) -> None:
    from openmsp.servicedesk import hooks

    time_machine.move_to(T0, tick=False)
    policy_actions.save_policy(
        actor=SYSTEM, name="Page", client=client_a,
        clocks_spec={"resolution": {"target_minutes": 10, "calendar": "24x7", "warn_percent": 0,
                                    "steps": [{"offset_minutes": 0, "action": "page_oncall"}]}},
    )  # fmt: skip
    t = open_as(tech_a, client_a)
    time_machine.move_to(minutes(11), tick=False)
    assert escalation.run() == 1
    assert SlaFiring.objects.get(ticket=t).outcome.startswith("not paged")
    paged: list[tuple[str, str]] = []

    def pager(ticket: Ticket, clock: str, step: Any) -> str:
        paged.append((ticket.number, clock))
        return "paged the on-call person"

    previous = hooks._pager  # the on-call app's, when installed
    hooks.register_oncall_pager(pager)
    try:
        other = open_as(tech_a, client_a, subject="second")
        time_machine.move_to(minutes(22), tick=False)
        assert escalation.run() == 1
    finally:
        hooks.register_oncall_pager(previous)
    assert paged == [(other.number, "resolution")]
    assert SlaFiring.objects.get(ticket=other).outcome == "paged the on-call person"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_concurrent_runs_fire_each_step_once(
    client_a: Any, tech_a: Any, open_as: Any, time_machine: Any, ladder_policy: Any
) -> None:
    time_machine.move_to(T0, tick=False)
    tickets = [open_as(tech_a, client_a, subject=f"t{i}") for i in range(6)]
    time_machine.move_to(minutes(111), tick=False)
    barrier = threading.Barrier(2)
    counts: list[int] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            counts.append(escalation.run())
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    # Three steps each; the warning is moot once the clock has breached (the run came late).
    assert sum(counts) == 3 * len(tickets)
    for t in tickets:
        assert SlaFiring.objects.filter(ticket=t).count() == 3
        assert TicketEvent.objects.filter(ticket=t, kind=TicketEvent.Kind.SLA_STEP).count() == 3
    assert escalation.run() == 0
    assert clocks.due_tickets(minutes(111)) == []  # breached clocks are marked by the deadline job
