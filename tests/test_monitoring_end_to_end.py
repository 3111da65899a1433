"""The whole monitoring chain, with real peers on 127.0.0.1 and every hop real:

    HTTP server fails ─▶ poller claim loop ─▶ spine.observe ─▶ Problem lifecycle (hold-down)
      ─▶ spine.problem_changed ─▶ routing + grouping ─▶ outbox ─▶ `deliver_notifications`
      ─▶ aiosmtpd mailbox and a webhook receiver (HMAC checked)

and back again when the server recovers. Then the same for a heartbeat that goes silent, driven
by the late-detection job. Transactions are real (transaction=True): the sinks must work inside
the committing transaction of the source, as they do in production.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from typing import Any, cast

import pytest
from django.core.management import call_command
from django.test import Client as HttpClient
from django.utils import timezone

from openmsp.accounts.models import User
from openmsp.alerts.models import Problem
from openmsp.core import spine
from openmsp.core.actor import Actor
from openmsp.heartbeats import actions as heartbeat_actions
from openmsp.heartbeats import ping_actions
from openmsp.heartbeats.models import Heartbeat, Ping
from openmsp.integrations import webhook
from openmsp.monitoring.models import Check
from openmsp.monitoring.tests.conftest import due_now, make_check
from openmsp.monitoring.tests.peers import HttpPeer as FlakyServer
from openmsp.monitoring.tests.peers import Observed, run_poller_until
from openmsp.notifications import dispatch
from openmsp.notifications.models import OutboxMessage
from openmsp.notifications.tests.factories import SECRET, email_channel, route, webhook_channel
from openmsp.notifications.tests.peers import HttpPeer as Receiver
from openmsp.notifications.tests.peers import Received, SmtpPeer
from openmsp.tenants import actions as tenant_actions
from openmsp.tenants.models import Client
from tests.e2e import wait_for

pytestmark = pytest.mark.django_db(transaction=True)
SYSTEM = Actor.system("test")
GROUP_INTERVAL = 5  # the smallest a route allows: the resolved message waits this long


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SmtpPeer]:
    """A real SMTP server on 127.0.0.1; the installation's mail settings point at it."""
    with SmtpPeer() as peer:
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", peer.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = ""
        settings.DEFAULT_FROM_EMAIL = "OpenMSP <noc@msp.example>"
        yield peer


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as peer:
        yield peer


@pytest.fixture
def site() -> Iterator[FlakyServer]:
    peer = FlakyServer()
    yield peer
    peer.stop()


@pytest.fixture
def routed(client_a: Client, smtp_server: SmtpPeer, receiver: Receiver) -> None:
    """Client A's routing rule: critical problems go to the NOC mailbox and the ops webhook.
    The client reads English here (texts in Korean: openmsp/notifications/tests/
    test_recipient_language.py)."""
    tenant_actions.update_client(actor=Actor.system("test"), client=client_a, changes={"language": "en"})  # fmt: skip
    mail = email_channel(client_a, "noc@hanbit.example")
    hook = webhook_channel(client_a, receiver.url + "/hook")
    route(
        client_a, mail, hook, name="Critical", severities=["critical"],
        group_wait_seconds=0, group_interval_seconds=GROUP_INTERVAL,
    )  # fmt: skip


# --- driving the chain with the real jobs ------------------------------------------------------


@pytest.fixture
def observed() -> Iterator[Observed]:
    sink = Observed()
    spine.register_observation_sink(sink)
    yield sink
    spine.unregister_observation_sink(sink)


@pytest.fixture
def poll(observed: Observed) -> Callable[[list[Check]], None]:
    """Make the checks due and run the real poller until each has been observed once more.

    The poller's stop condition runs inside its event loop, so it counts what the spine saw
    (monitoring's collecting sink, next to the real lifecycle sink) rather than querying."""

    def once(checks: list[Check]) -> None:
        wanted = {c.pk: len(observed.of(c.pk)) + 1 for c in checks}
        for check in checks:
            due_now(check)
        run_poller_until(lambda: all(len(observed.of(pk)) >= n for pk, n in wanted.items()))

    return once


def states(checks: list[Check]) -> list[str]:
    problems = {p.object_id: p.state for p in Problem.objects.filter(source="check")}
    return [problems.get(str(c.pk), "none") for c in checks]


def deliver_until(condition: Any, what: str) -> Any:
    """Run the flush job and the outbox delivery loop (one batch a round) until *condition*."""

    def round_() -> Any:
        dispatch.flush_due_groups()
        call_command("deliver_notifications", "--once")
        return condition()

    return wait_for(round_, GROUP_INTERVAL + 15, what, every=0.25)


def mails_with(smtp: SmtpPeer, prefix: str) -> list[EmailMessage]:
    # The peer parses with email.policy.default: every message is an EmailMessage.
    return [cast(EmailMessage, m) for m in smtp.messages if str(m["Subject"]).startswith(prefix)]


def hooks_with(receiver: Receiver, status: str) -> list[Received]:
    return [r for r in receiver.requests() if r.json()["status"] == status]


def assert_signed(hook: Received) -> None:
    assert webhook.verify(SECRET, hook.headers, hook.body), "the HMAC signature must verify"
    assert not webhook.verify("not-the-channel-secret-0000", hook.headers, hook.body)
    assert hook.headers["X-OpenMSP-Idempotency-Key"] == hook.json()["idempotency_key"]


def assert_outbox_drained() -> None:
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}


# --- the stories -------------------------------------------------------------------------------


def test_a_site_that_goes_down_is_told_once_by_mail_and_webhook_and_told_again_when_it_is_back(
    alice: User, client_a: Client, site: FlakyServer, smtp_server: SmtpPeer,
    receiver: Receiver, routed: None, poll: Callable[[list[Check]], None],
) -> None:  # fmt: skip
    hold = {"failures_to_fire": 2, "hold_down_seconds": 1, "successes_to_recover": 1}
    checks = [
        make_check(alice, client_a, kind="http", target=site.url, name="ERP web", **hold),
        make_check(alice, client_a, kind="http", target=site.url + "?api", name="ERP API", **hold),
    ]
    poll(checks)
    assert states(checks) == ["none", "none"]

    site.status = 503
    poll(checks)
    assert states(checks) == ["pending", "pending"], "one failure is not enough to fire"
    dispatch.flush_due_groups()
    assert OutboxMessage.objects.count() == 0, "nothing is told while a problem is pending"

    def fired() -> bool:  # the hold-down is real time: keep polling until it is over
        poll(checks)
        return states(checks) == ["firing", "firing"]

    wait_for(fired, 20, "both checks' problems to fire after the hold-down", every=0.2)

    deliver_until(lambda: mails_with(smtp_server, "[FIRING") and hooks_with(receiver, "firing"),
                  "the firing mail and webhook")  # fmt: skip
    [mail] = mails_with(smtp_server, "[FIRING")
    assert mail["To"] == "noc@hanbit.example"
    assert mail["Subject"] == "[FIRING:2] Hanbit Logistics · Critical", "one grouped message"
    problems = list(Problem.objects.filter(source="check").order_by("pk"))
    body = mail.get_content()
    assert all(f"/problems/{p.pk}/" in body for p in problems)
    [hook] = hooks_with(receiver, "firing")
    assert_signed(hook)
    payload = hook.json()
    assert sorted(p["problem_id"] for p in payload["problems"]) == [p.pk for p in problems]
    assert {p["severity"] for p in payload["problems"]} == {"critical"}
    assert "HTTP 503" in payload["problems"][0]["summary"]

    site.stop()  # down altogether now: still the same problems, told no more
    poll(checks)
    assert Problem.objects.filter(source="check").count() == 2
    site.status = 200
    site.start()
    poll(checks)
    assert states(checks) == ["resolved", "resolved"]

    deliver_until(lambda: mails_with(smtp_server, "[RESOLVED") and hooks_with(receiver, "resolved"),
                  "the resolved mail and webhook")  # fmt: skip
    [resolved_mail] = mails_with(smtp_server, "[RESOLVED")
    assert resolved_mail["Subject"] == "[RESOLVED:2] Hanbit Logistics · Critical"
    [resolved_hook] = hooks_with(receiver, "resolved")
    assert_signed(resolved_hook)
    assert len(smtp_server.messages) == 2, "nothing repeated"
    assert len(receiver.requests()) == 2, "nothing repeated"
    assert_outbox_drained()


def test_a_heartbeat_that_goes_late_is_told_and_its_next_ping_tells_it_is_back(
    client_a: Client, smtp_server: SmtpPeer, receiver: Receiver, routed: None
) -> None:
    hb = heartbeat_actions.create_heartbeat(
        actor=SYSTEM, client=client_a, name="nightly backup", period_seconds=60, grace_seconds=60
    )
    long_ago = timezone.now() - dt.timedelta(hours=1)
    ping_actions.record_ping(hb.ping_key, ping_actions.Signal(kind=Ping.Kind.SUCCESS, at=long_ago))

    assert ping_actions.detect_late() == [(hb.pk, "late")]  # the detector job's work
    problem = Problem.objects.get(source="heartbeat", object_id=str(hb.pk))
    assert (problem.state, problem.rule, problem.severity) == ("firing", "late", "critical")

    deliver_until(lambda: mails_with(smtp_server, "[FIRING") and hooks_with(receiver, "firing"),
                  "the late heartbeat's mail and webhook")  # fmt: skip
    [mail] = mails_with(smtp_server, "[FIRING")
    assert "nightly backup" in mail.get_content()
    [hook] = hooks_with(receiver, "firing")
    assert_signed(hook)
    assert hook.json()["problems"][0]["problem_id"] == problem.pk

    answer = HttpClient().get(f"/ping/{hb.ping_key}")  # the job runs again, through the endpoint
    assert answer.status_code == 200
    assert Heartbeat.objects.get(pk=hb.pk).state == Heartbeat.State.UP
    problem.refresh_from_db()
    assert problem.state == "resolved"

    deliver_until(lambda: mails_with(smtp_server, "[RESOLVED") and hooks_with(receiver, "resolved"),
                  "the heartbeat's resolved mail and webhook")  # fmt: skip
    assert_signed(hooks_with(receiver, "resolved")[0])
    assert len(smtp_server.messages) == 2
    assert len(receiver.requests()) == 2
    assert_outbox_drained()
