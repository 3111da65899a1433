"""A ticket no SLA policy matches runs on its contract's targets (the fallback): it has no ladder,
but every clock warns at 75 % of its target like a policy clock's default, exactly once.

Around the clock (support hours 24x7), so instants are plain arithmetic: opened 10:00 UTC, first
response 40 minutes -> warning at 10:30; resolution 200 minutes -> warning at 12:30."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from openmsp.core.actor import Actor
from openmsp.notifications.models import OutboxMessage
from openmsp.servicedesk import actions, clocks, escalation
from openmsp.servicedesk.models import SlaFiring, Ticket, TicketEvent
from openmsp.tenants import actions as tenant_actions

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
T0 = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)


def minutes(n: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=n)


@pytest.fixture
def contract(client_a: Any) -> Any:
    return tenant_actions.create_contract(
        actor=SYSTEM, client=client_a, name="Around the clock", start_date=dt.date(2026, 1, 1),
        support_hours="24x7",
        sla_targets=[{"priority": p, "first_response_minutes": 40, "resolution_minutes": 200}
                     for p in ("P1", "P2", "P3", "P4")],
    )  # fmt: skip


def fresh(t: Any) -> Ticket:
    row: Ticket = Ticket.objects.select_related("client", "category").get(pk=t.pk)
    return row


def test_the_contract_fallback_warns_at_75_percent_of_each_clock_once(
    contract: Any, client_a: Any, tech_a: Any, open_as: Any, time_machine: Any
) -> None:
    time_machine.move_to(T0, tick=False)
    t = open_as(tech_a, client_a)
    actions.assign(actor=SYSTEM, ticket=t, assignee=tech_a)
    t = fresh(t)
    assert t.sla_state["policy"]["reason"] == "contract_target"
    assert t.sla_policy_id is None
    assert clocks.FALLBACK_WARN_PERCENT == 75
    assert t.sla_action_due == minutes(30)  # 75 % of the 40-minute first response
    assert escalation.run(minutes(29)) == 0
    time_machine.move_to(minutes(31), tick=False)
    assert escalation.run() == 1
    assert escalation.run() == 0
    assert fresh(t).sla_action_due == minutes(150)  # 75 % of the 200-minute resolution
    time_machine.move_to(minutes(151), tick=False)
    assert escalation.run() == 1
    warned = TicketEvent.objects.filter(ticket=t, kind=TicketEvent.Kind.SLA_WARNING)
    assert sorted(e.data["clock"] for e in warned) == ["first_response", "resolution"]
    assert sorted(SlaFiring.objects.filter(ticket=t).values_list("key", flat=True)) == [
        "warning",
        "warning",
    ]
    mail = OutboxMessage.objects.filter(idempotency_key__startswith=f"sla:{t.pk}:")
    assert sorted(m.idempotency_key.split(":")[2] for m in mail) == [
        "first_response",
        "resolution",
    ]
    assert all(m.recipients == [tech_a.email] for m in mail)
    assert fresh(t).sla_action_due is None


def test_a_fallback_clock_answered_before_its_warning_does_not_warn(
    contract: Any, client_a: Any, tech_a: Any, open_as: Any, time_machine: Any
) -> None:
    time_machine.move_to(T0, tick=False)
    t = open_as(tech_a, client_a)
    time_machine.move_to(minutes(10), tick=False)
    actions.reply(actor=Actor(user=tech_a), ticket=fresh(t), body="On it.")
    # First response met: only the resolution warning is left.
    assert fresh(t).sla_action_due == minutes(150)
