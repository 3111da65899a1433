"""A group that becomes due wakes a worker for that moment, and a flush that queued messages
wakes one to deliver them, so a page does not wait for the periodic ticks (which stay, as the
safety net). One wake-up per new deadline, not per problem."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from openmsp.notifications import jobs
from openmsp.notifications.models import OutboxMessage
from openmsp.notifications.tests.conftest import change
from openmsp.notifications.tests.factories import route, webhook_channel

pytestmark = pytest.mark.django_db(transaction=True)  # on_commit hooks must run


def _queued(task_name: str) -> list[DBTaskResult[Any, Any]]:
    return [r for r in DBTaskResult.objects.all() if r.task_path.endswith(f"jobs.{task_name}")]


def test_a_new_group_deadline_enqueues_one_flush_at_that_deadline(client_a):
    hook = webhook_channel(client_a, "https://hooks.example/x")
    route(client_a, hook, group_wait_seconds=20)
    with transaction.atomic():
        first = change(client_a)
        for _ in range(49):  # the same outage: joins the group, keeps its deadline
            change(client_a)

    flushes = _queued("flush")
    assert len(flushes) == 1
    waited = (flushes[0].run_after - first.at).total_seconds()
    assert 19 <= waited <= 21  # the group wait, not "now" and not the next tick


def test_with_no_group_wait_the_flush_runs_at_once_and_then_delivery(client_a):
    hook = webhook_channel(client_a, "https://hooks.example/x")
    route(client_a, hook, group_wait_seconds=0)
    change(client_a)

    flushes = _queued("flush")
    assert len(flushes) == 1
    assert DBTaskResult.objects.ready().filter(pk=flushes[0].pk).exists()  # due: runs at once

    assert jobs.flush.call() == 1  # what the worker runs
    assert OutboxMessage.objects.count() == 1
    assert len(_queued("deliver")) == 1  # and delivery is woken, not left for the tick


def test_a_flush_that_sent_nothing_wakes_no_delivery(client_a):
    assert jobs.flush.call() == 0
    assert _queued("deliver") == []
