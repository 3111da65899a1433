"""Alertmanager-style grouping: one outage is one message per route per group interval; the
rest of the outage waits for the interval, open problems are repeated after the repeat
interval, and suppressed or in-maintenance changes are recorded but never sent."""

from __future__ import annotations

import time

import pytest
from django.db import transaction

from openmsp.notifications import dispatch
from openmsp.notifications.models import ChangeRecord, NotificationGroup, OutboxMessage
from openmsp.notifications.tests.conftest import change, later
from openmsp.notifications.tests.factories import email_channel, route, webhook_channel

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen_clock(time_machine):
    """Deadlines are compared with the clock: hold it still so a slow machine cannot drift."""
    time_machine.move_to(time_machine_now(), tick=False)


def time_machine_now():
    import datetime as dt

    return dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def _messages() -> list[OutboxMessage]:
    return list(OutboxMessage.objects.order_by("pk"))


def test_an_outage_of_1000_problems_is_one_message_per_route_per_group_interval(client_a):
    mail, hook = email_channel(client_a), webhook_channel(client_a, "https://hooks.example/x")
    route(client_a, mail, name="Mail everything", continue_matching=True, position=1)
    route(client_a, hook, name="Critical to the hook", severities=["critical"], position=2)

    started = time.perf_counter()
    with transaction.atomic():  # the lifecycle's transaction: one outage, one commit
        for _ in range(1000):
            change(client_a)
    elapsed = time.perf_counter() - started
    print(f"1000 changes routed and grouped in {elapsed:.2f}s")

    assert dispatch.flush_due_groups(now=later(31)) == 2
    messages = _messages()
    assert sorted(m.route.name for m in messages if m.route) == [
        "Critical to the hook",
        "Mail everything",
    ]
    assert all(len(m.payload["items"]) == 1000 for m in messages)
    assert messages[0].subject.startswith("[FIRING:1000]")

    # The outage goes on: 1,000 more failures within the group interval wait for it.
    for _ in range(1000):
        change(client_a)
    assert dispatch.flush_due_groups(now=later(31 + 299)) == 0
    assert len(_messages()) == 2
    assert dispatch.flush_due_groups(now=later(31 + 301)) == 2
    assert len(_messages()) == 4
    assert all(len(m.payload["items"]) == 2000 for m in _messages()[2:])


def test_groups_split_by_the_routes_group_by_labels(client_a):
    route(client_a, email_channel(client_a), group_by=["env"], is_default=True)
    for env in ("prod", "prod", "stage"):
        change(client_a, labels={"env": env})
    dispatch.flush_due_groups(now=later(31))
    subjects = sorted(m.subject for m in _messages())
    assert subjects == [
        "[FIRING:1] Hanbit Logistics · All problems (env=stage)",
        "[FIRING:2] Hanbit Logistics · All problems (env=prod)",
    ]


def test_open_problems_are_told_again_after_the_repeat_interval_and_resolution_ends_it(client_a):
    route(client_a, email_channel(client_a), is_default=True, repeat_interval_seconds=3600)
    fired = change(client_a)
    dispatch.flush_due_groups(now=later(31))
    assert dispatch.flush_due_groups(now=later(31 + 3599)) == 0
    assert dispatch.flush_due_groups(now=later(31 + 3601)) == 1
    assert [m.payload["status"] for m in _messages()] == ["firing", "firing"]

    change(client_a, fired.problem_id, kind="resolved")
    dispatch.flush_due_groups(now=later(31 + 3601 + 301))
    last = _messages()[-1]
    assert last.payload["status"] == "resolved"
    assert last.subject.startswith("[RESOLVED:1]")
    assert NotificationGroup.objects.get().flush_at is None, "nothing open: no more repeats"


def test_a_problem_that_fires_and_clears_within_the_group_wait_sends_nothing(client_a):
    route(client_a, email_channel(client_a), is_default=True)
    fired = change(client_a)
    change(client_a, fired.problem_id, kind="resolved")
    dispatch.flush_due_groups(now=later(31))
    assert _messages() == []


def test_suppressed_and_in_maintenance_changes_are_recorded_but_never_sent(client_a):
    route(client_a, email_channel(client_a), is_default=True)
    change(client_a, suppressed=True)
    change(client_a, in_maintenance=True)
    dispatch.flush_due_groups(now=later(10_000))
    assert _messages() == []
    outcomes = sorted(ChangeRecord.objects.values_list("outcome", flat=True))
    assert outcomes == ["maintenance", "suppressed"]


def test_a_change_no_route_takes_is_recorded_as_unrouted(client_a):
    route(client_a, email_channel(client_a), name="Only warnings", severities=["warning"])
    change(client_a, severity="critical")
    assert ChangeRecord.objects.get().outcome == "unrouted"
    dispatch.flush_due_groups(now=later(10_000))
    assert _messages() == []


def test_another_clients_problems_never_join_this_clients_groups(client_a, client_b):
    route(client_a, email_channel(client_a), is_default=True)
    route(client_b, email_channel(client_b, "ops@saebom.example"), is_default=True)
    change(client_a)
    change(client_b)
    dispatch.flush_due_groups(now=later(31))
    by_client = {m.client_id: m.payload["items"] for m in _messages()}
    assert set(by_client) == {client_a.pk, client_b.pk}
    assert all(len(items) == 1 for items in by_client.values())
