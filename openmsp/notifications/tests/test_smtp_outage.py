"""The SMTP server is down for 30 minutes: a real aiosmtpd on 127.0.0.1 is stopped, the worker
keeps trying on its backoff (30 s, 1 min, 2 min … simulated with time-machine), messages queued
during the outage wait too, and when the server listens again every message arrives exactly once
(one Message-ID each) within one backoff step; none is marked failed, none is lost."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from openmsp.notifications import dispatch, outbox
from openmsp.notifications.models import OutboxMessage
from openmsp.notifications.tests.conftest import change
from openmsp.notifications.tests.factories import email_channel, route
from openmsp.notifications.tests.peers import SmtpPeer

pytestmark = pytest.mark.django_db
S = OutboxMessage.Status
T0 = dt.datetime(2026, 12, 2, 1, 0, tzinfo=dt.UTC)
OUTAGE = dt.timedelta(minutes=30)
TICK = dt.timedelta(seconds=15)  # how often the worker looks for due messages


def _worker_runs_until(clock: Any, until: dt.datetime) -> None:
    """The worker and the group scheduler, every TICK of simulated time."""
    while clock.now() < until:
        clock.shift(TICK)
        dispatch.flush_due_groups()
        outbox.deliver_due(worker="w1")


class _Clock:
    def __init__(self, traveller: Any) -> None:
        self.traveller = traveller

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def shift(self, delta: dt.timedelta) -> None:
        self.traveller.shift(delta)


def test_mail_queued_while_the_smtp_server_is_down_for_30_minutes_arrives_once_after(
    client_a: Any, client_b: Any, smtp_peer: SmtpPeer, time_machine: Any
) -> None:
    time_machine.move_to(T0, tick=False)
    clock = _Clock(time_machine)
    for client, mailbox in ((client_a, "noc@hanbit.example"), (client_b, "ops@blue.example")):
        route(client, email_channel(client, mailbox), is_default=True)
    firing = change(client_a, title="ERP web is down")
    change(client_b, title="Backup failed")

    smtp_peer.controller.stop()  # the mail server goes away before anything was sent
    down_at = clock.now()
    _worker_runs_until(clock, down_at + dt.timedelta(minutes=10))
    # A change during the outage: its message is queued behind the failing ones.
    change(client_a, problem_id=firing.problem_id, kind="resolved", title="ERP web is down")
    _worker_runs_until(clock, down_at + OUTAGE)

    assert smtp_peer.messages == []
    queued = list(OutboxMessage.objects.order_by("pk"))
    assert len(queued) == 3, "two firing messages and the resolution, all waiting"
    assert all(m.status == S.PENDING for m in queued), [(m.status, m.last_error) for m in queued]
    assert all(m.attempts >= 2 for m in queued), "each was retried during the outage"
    assert all("refused" in m.last_error.lower() or "connect" in m.last_error.lower()
               for m in queued), [m.last_error for m in queued]  # fmt: skip

    # The same server comes back on the same port.
    restarted = Controller(smtp_peer.sink, hostname="127.0.0.1", port=smtp_peer.port)
    restarted.start()
    smtp_peer.controller = restarted  # the fixture stops it at the end
    up_at = clock.now()
    longest_wait = max(m.next_attempt_at for m in OutboxMessage.objects.all()) - up_at
    _worker_runs_until(clock, up_at + longest_wait + TICK)

    delivered = smtp_peer.messages
    assert len(delivered) == 3
    assert len({m["Message-ID"] for m in delivered}) == 3, "a message was sent twice"
    assert sorted(m["To"] for m in delivered) == sorted(
        ["noc@hanbit.example", "noc@hanbit.example", "ops@blue.example"]
    )
    assert any("RESOLVED" in m["Subject"] for m in delivered)
    sent = list(OutboxMessage.objects.all())
    assert all(m.status == S.SENT for m in sent)
    assert all(m.sent_at - up_at <= dt.timedelta(minutes=16) for m in sent), (
        "each was delivered at its next backoff step after the server returned"
    )

    # Later runs of the worker send nothing again.
    _worker_runs_until(clock, clock.now() + dt.timedelta(hours=2))
    assert len(smtp_peer.messages) == 3
