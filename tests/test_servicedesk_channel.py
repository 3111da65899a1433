"""A Problem opens a ticket through the service desk channel, and its resolution resolves it:
observations go through the real spine, routing, grouping and the outbox."""

from __future__ import annotations

import datetime as dt
from typing import Literal

import pytest
from django.utils import timezone

from openmsp.alerts.models import Problem
from openmsp.core import spine
from openmsp.core.actor import Actor
from openmsp.notifications import actions as notify_actions
from openmsp.notifications import dispatch, outbox
from openmsp.notifications.tests.factories import route
from openmsp.servicedesk.models import Ticket
from openmsp.tenants.models import Client

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


def observe(client: Client, status: Literal["ok", "critical"], at: dt.datetime) -> None:
    spine.observe(
        spine.Observation(
            client_id=client.pk, source="check", object_type="monitoring.check", object_id="erp",
            rule="http", status=status, observed_at=at, summary=f"ERP web {status}",
        )
    )  # fmt: skip


def send_all(at: dt.datetime) -> None:
    dispatch.flush_due_groups(now=at)
    outbox.deliver_due(worker="w1", now=at)


def test_a_problem_opens_a_ticket_and_its_resolution_resolves_it(client_a: Client) -> None:
    channel = notify_actions.create_channel(
        actor=SYSTEM, client=client_a, name="Desk", kind="ticket", config={}
    )
    route(client_a, channel, is_default=True, group_wait_seconds=1)
    start = timezone.now()
    observe(client_a, "critical", start)
    problem = Problem.objects.get(client=client_a)
    assert problem.state == "firing"
    send_all(start + dt.timedelta(minutes=1))
    ticket = Ticket.objects.get(client=client_a)
    assert ticket.source == "monitoring"
    assert ticket.source_ref == problem.fingerprint
    assert ticket.priority == "P1"

    # Recovery may need several good observations: poll the real state, with a bound.
    at = start
    for _ in range(20):
        at += dt.timedelta(minutes=1)
        observe(client_a, "ok", at)
        problem.refresh_from_db()
        if problem.state == "resolved":
            break
    assert problem.state == "resolved"
    send_all(at + dt.timedelta(minutes=10))
    ticket.refresh_from_db()
    assert ticket.status.category == "resolved"
    assert Ticket.objects.filter(client=client_a).count() == 1
