"""Several workers draining the outbox at once never deliver a message twice, and group flushes
racing each other produce one message per group."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from openmsp.notifications import actions, dispatch, outbox
from openmsp.notifications.models import OutboxMessage
from openmsp.notifications.tests.conftest import change, later
from openmsp.notifications.tests.factories import SYSTEM, route, webhook_channel

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks between connections: PostgreSQL (SQLite has one writer at a time)",
    ),
]


def _in_threads(target, n: int = 4) -> None:
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            target(i)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors


def test_four_workers_deliver_thirty_messages_each_exactly_once(client_a, http_peer):
    channel = webhook_channel(client_a, http_peer.url)
    for _ in range(30):
        actions.send_test(actor=SYSTEM, channel=channel)
    _in_threads(lambda i: outbox.deliver_due(worker=f"w{i}"))
    keys = Counter(r.headers["X-OpenMSP-Idempotency-Key"] for r in http_peer.requests())
    assert len(keys) == 30
    assert set(keys.values()) == {1}
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}


def test_racing_flushes_write_one_message_per_group(client_a):
    route(client_a, webhook_channel(client_a, "https://hooks.example/x"), group_by=["env"], is_default=True)  # fmt: skip
    for env in ("a", "b", "c", "d", "e"):
        change(client_a, labels={"env": env})
    moment = later(31)
    _in_threads(lambda i: dispatch.flush_due_groups(now=moment))
    assert OutboxMessage.objects.count() == 5
