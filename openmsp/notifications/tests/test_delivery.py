"""A problem fires; its grouped message leaves through the outbox to a real SMTP server and a
real webhook receiver; failures are retried with backoff, refusals are not, and a message whose
worker died is taken over once its lease expires."""

from __future__ import annotations

import pytest

from openmsp.integrations import webhook
from openmsp.notifications import dispatch, outbox
from openmsp.notifications.models import DeliveryAttempt, OutboxMessage
from openmsp.notifications.tests.conftest import change, later
from openmsp.notifications.tests.factories import SECRET, email_channel, route, webhook_channel

pytestmark = pytest.mark.django_db
S = OutboxMessage.Status


def test_a_firing_problem_reaches_the_clients_mailbox_after_the_group_wait(client_a, smtp_peer):
    route(client_a, email_channel(client_a, "noc@hanbit.example"), is_default=True)
    fired = change(client_a, title="ERP web is down")

    assert dispatch.flush_due_groups(now=later(29)) == 0, "group wait not over yet"
    assert dispatch.flush_due_groups(now=later(31)) == 1
    assert outbox.deliver_due(worker="w1") == (1, 0)

    [mail] = smtp_peer.messages
    assert mail["To"] == "noc@hanbit.example"
    assert mail["Subject"] == "[FIRING:1] Hanbit Logistics · All problems"
    assert "ERP web is down" in mail.get_content()
    assert f"/problems/{fired.problem_id}/" in mail.get_content()
    message = OutboxMessage.objects.get()
    assert message.status == S.SENT
    assert message.attempts == 1
    assert mail["Message-ID"] == f"<{message.idempotency_key.replace(':', '.')}@127.0.0.1>"
    [attempt] = message.log.all()
    assert attempt.ok is True
    assert attempt.finished_at is not None


def test_a_webhook_is_signed_with_the_channels_secret_and_names_its_idempotency_key(
    client_a, http_peer
):
    route(client_a, webhook_channel(client_a, http_peer.url + "/hook"), is_default=True)
    fired = change(client_a, labels={"env": "prod"})
    dispatch.flush_due_groups(now=later(31))
    outbox.deliver_due(worker="w1")

    [got] = http_peer.requests()
    assert got.path == "/hook"
    assert webhook.verify(SECRET, got.headers, got.body)
    assert not webhook.verify("another-secret-entirely-0000", got.headers, got.body)
    body = got.json()
    assert got.headers["X-OpenMSP-Idempotency-Key"] == body["idempotency_key"]
    assert body["status"] == "firing"
    assert body["client"]["name"] == "Hanbit Logistics"
    [problem] = body["problems"]
    assert problem["problem_id"] == fired.problem_id
    assert problem["labels"]["env"] == "prod"
    assert problem["url"].endswith(f"/problems/{fired.problem_id}/")


def test_a_peer_answering_503_is_retried_with_backoff_and_delivered_once(client_a, http_peer):
    route(client_a, webhook_channel(client_a, http_peer.url), is_default=True)
    change(client_a)
    dispatch.flush_due_groups(now=later(31))
    http_peer.statuses = [503, 503]

    assert outbox.deliver_due(worker="w1") == (0, 1)
    message = OutboxMessage.objects.get()
    assert message.status == S.PENDING
    assert "HTTP 503" in message.last_error
    assert outbox.deliver_due(worker="w1") == (0, 0), "not due again before the backoff"
    assert outbox.deliver_due(worker="w1", now=later(31)) == (0, 1)
    assert outbox.deliver_due(worker="w1", now=later(59)) == (0, 0), "second wait is 60 s"
    assert outbox.deliver_due(worker="w1", now=later(200)) == (1, 0)

    assert len(http_peer.requests()) == 3
    assert len({r.headers["X-OpenMSP-Idempotency-Key"] for r in http_peer.requests()}) == 1
    message.refresh_from_db()
    assert message.status == S.SENT
    assert message.attempts == 3
    assert [a.ok for a in message.log.all()] == [False, False, True]
    assert outbox.deliver_due(worker="w1", now=later(10_000)) == (0, 0)


def test_a_peer_refusing_the_message_with_400_is_not_retried(client_a, http_peer):
    route(client_a, webhook_channel(client_a, http_peer.url), is_default=True)
    change(client_a)
    dispatch.flush_due_groups(now=later(31))
    http_peer.statuses = [400]

    outbox.deliver_due(worker="w1")
    message = OutboxMessage.objects.get()
    assert message.status == S.FAILED
    assert "HTTP 400" in message.last_error
    assert outbox.deliver_due(worker="w1", now=later(100_000)) == (0, 0)


def test_an_unreachable_peer_is_retried_until_the_attempts_run_out(client_a, settings):
    settings.OPENMSP_NOTIFY_MAX_ATTEMPTS = 2
    from tests.e2e import free_port

    route(client_a, webhook_channel(client_a, f"http://127.0.0.1:{free_port()}/"), is_default=True)
    change(client_a)
    dispatch.flush_due_groups(now=later(31))
    outbox.deliver_due(worker="w1")
    outbox.deliver_due(worker="w1", now=later(3600))
    message = OutboxMessage.objects.get()
    assert message.status == S.FAILED
    assert message.attempts == 2
    assert "ConnectError" in message.last_error


def test_a_message_whose_worker_died_is_delivered_by_another_after_the_lease(
    client_a, http_peer, settings
):
    route(client_a, webhook_channel(client_a, http_peer.url), is_default=True)
    change(client_a)
    dispatch.flush_due_groups(now=later(31))
    [dead] = outbox.claim(worker="dies")  # claimed, then the worker vanishes

    assert outbox.deliver_due(worker="w2") == (0, 0), "the lease still holds"
    lease = settings.OPENMSP_NOTIFY_LEASE_SECONDS
    assert outbox.deliver_due(worker="w2", now=later(lease + 1)) == (1, 0)
    assert len(http_peer.requests()) == 1

    # The dead worker's late report (had it only stalled) changes nothing.
    outbox._record(dead, ok=False, detail="timeout", retryable=True)
    message = OutboxMessage.objects.get()
    assert message.status == S.SENT
    assert message.claimed_by == "w2"
    attempts = list(DeliveryAttempt.objects.order_by("number"))
    assert [(a.worker, a.ok) for a in attempts] == [("dies", False), ("w2", True)]
    assert "lease expired" in attempts[0].detail


def test_without_an_smtp_server_mail_is_written_to_the_data_directory(client_a, settings, tmp_path):
    settings.EMAIL_HOST = ""
    settings.EMAIL_FILE_PATH = str(tmp_path / "outbox-mail")
    route(client_a, email_channel(client_a, "noc@hanbit.example"), is_default=True)
    change(client_a, title="Backup failed")
    dispatch.flush_due_groups(now=later(31))
    assert outbox.deliver_due(worker="w1") == (1, 0)
    [written] = (tmp_path / "outbox-mail").glob("*.eml")
    assert b"Backup failed" in written.read_bytes()
    assert "written to" in OutboxMessage.objects.get().log.get().detail
