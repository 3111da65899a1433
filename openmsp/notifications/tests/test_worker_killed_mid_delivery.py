"""Outbox durability with real processes: a delivery worker is killed with SIGKILL while the
SMTP server is slow to answer; the message still arrives, exactly once, through a second worker
once the first one's lease expires. The webhook variant shows the honest limit: a receiver that
took the request before the worker died sees it again, with the same idempotency key."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from openmsp.notifications.tests.peers import HttpPeer, SmtpPeer
from tests.e2e import ROOT, Database, openmsp, wait_for

pytestmark = pytest.mark.slow
LEASE = 3

SEED = """
import datetime as dt
from django.utils import timezone
from openmsp.core import spine
from openmsp.core.actor import Actor
from openmsp.notifications import actions, dispatch
from openmsp.tenants import actions as tenants

system = Actor.system("test")
client = tenants.create_client(actor=system, name="Hanbit Logistics", code="hanbit", language="en")
config = {kind_config}
channel = actions.create_channel(
    actor=system, client=client, name="noc", kind="{kind}", config=config,
    secret="a-very-long-signing-secret-123" if "{kind}" == "webhook" else "",
)
actions.create_route(actor=system, client=client, name="all", is_default=True,
                     channels=[channel], group_wait_seconds=0)
spine.problem_changed(spine.ProblemChange(
    problem_id=7, client_id=client.pk, fingerprint="check:monitoring.check:7:http",
    kind="firing", severity="critical", title="ERP web is down", summary="HTTP 503",
    at=timezone.now(),
))
assert dispatch.flush_due_groups(now=timezone.now() + dt.timedelta(seconds=1)) == 1
"""


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    with Database(tmp_path) as db:
        openmsp(db, "migrate", "--no-input")
        yield db


class Worker:
    def __init__(self, db: Database, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "openmsp.cli", "deliver_notifications", "--tick", "0.2"],
            env={**db.env(), **env},
            cwd=ROOT,
            start_new_session=True,
        )

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)


def _seed(db: Database, kind: str, config: str) -> None:
    openmsp(db, "shell", "-c", SEED.replace("{kind_config}", config).replace("{kind}", kind))


def _outbox(db: Database) -> tuple[str, int]:
    [(status, attempts)] = db.query("SELECT status, attempts FROM notifications_outboxmessage")
    return status, attempts


def _log(db: Database) -> list[tuple[int, object]]:
    rows = db.query("SELECT number, ok FROM notifications_deliveryattempt ORDER BY number")
    return [(n, None if ok is None else bool(ok)) for n, ok in rows]


def test_a_mail_whose_worker_is_killed_mid_delivery_arrives_exactly_once(database) -> None:
    with SmtpPeer() as smtp:
        env = {
            "OPENMSP_SMTP_HOST": "127.0.0.1",
            "OPENMSP_SMTP_PORT": str(smtp.port),
            "OPENMSP_SMTP_STARTTLS": "false",
            "OPENMSP_NOTIFY_LEASE_SECONDS": str(LEASE),
        }
        _seed(database, "email", '{"recipients": ["noc@hanbit.example"]}')
        smtp.sink.stall.armed = True  # the server stalls before answering RCPT TO
        first = Worker(database, env)
        try:
            assert smtp.sink.stall.reached.wait(120), "the worker never reached the SMTP server"
            first.kill()  # mid-delivery: connected, envelope half sent, nothing accepted
        finally:
            first.stop()
        smtp.sink.stall.armed = False
        smtp.sink.stall.release.set()
        assert _outbox(database) == ("sending", 1), "the dead worker's claim is still held"

        second = Worker(database, env)
        try:
            wait_for(lambda: _outbox(database)[0] == "sent", 120, "the second worker to send")
        finally:
            second.stop()
        assert len(smtp.messages) == 1
        assert smtp.messages[0]["Subject"].startswith("[FIRING:1] Hanbit Logistics")
        assert _outbox(database) == ("sent", 2)
        assert _log(database) == [(1, None), (2, True)], "attempt 1 died, attempt 2 delivered"


def test_a_webhook_taken_by_the_receiver_before_the_kill_comes_again_with_the_same_key(
    database,
) -> None:
    with HttpPeer() as http:
        env = {"OPENMSP_NOTIFY_LEASE_SECONDS": str(LEASE)}
        _seed(database, "webhook", f'{{"url": "{http.url}/hook"}}')
        http.stall.armed = True  # the receiver has the request but is slow to answer
        first = Worker(database, env)
        try:
            assert http.stall.reached.wait(120), "the worker never reached the receiver"
            first.kill()
        finally:
            first.stop()
        http.stall.armed = False
        http.stall.release.set()

        second = Worker(database, env)
        try:
            wait_for(lambda: _outbox(database)[0] == "sent", 120, "the second worker to send")
        finally:
            second.stop()
        keys = [r.headers["X-OpenMSP-Idempotency-Key"] for r in http.requests()]
        assert len(keys) == 2, "at least once: the receiver saw the request twice"
        assert len(set(keys)) == 1, "recognisably the same message both times"
        assert _outbox(database) == ("sent", 2)
