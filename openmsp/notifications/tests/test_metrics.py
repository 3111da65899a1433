"""/metrics reports the outbox in Prometheus text format, behind an optional bearer token."""

from __future__ import annotations

import pytest
from django.test import Client as HttpClient
from prometheus_client.parser import text_string_to_metric_families

from openmsp.notifications import actions, outbox
from openmsp.notifications.tests.factories import SYSTEM, email_channel, webhook_channel

pytestmark = pytest.mark.django_db


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metrics_show_outbox_depth_age_and_outcomes_by_kind(client_a, smtp_peer, http_peer):
    mail = email_channel(client_a)
    hook = webhook_channel(client_a, http_peer.url)
    actions.send_test(actor=SYSTEM, channel=mail)
    actions.send_test(actor=SYSTEM, channel=hook)
    actions.send_test(actor=SYSTEM, channel=hook)
    http_peer.statuses = [400]
    page = HttpClient().get("/metrics")
    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/plain")
    before = _samples(page.content.decode())
    assert before[("openmsp_notification_outbox_depth", (("status", "pending"),))] == 3
    assert before[("openmsp_notification_oldest_undelivered_seconds", ())] >= 0

    outbox.deliver_due(worker="w1")
    after = _samples(HttpClient().get("/metrics").content.decode())
    assert after[("openmsp_notification_outbox_depth", (("status", "pending"),))] == 0
    assert (
        after[("openmsp_notification_messages_total", (("kind", "email"), ("status", "sent")))] == 1
    )
    assert (
        after[("openmsp_notification_messages_total", (("kind", "webhook"), ("status", "sent")))]
        == 1
    )
    assert (
        after[("openmsp_notification_messages_total", (("kind", "webhook"), ("status", "failed")))]
        == 1
    )
    failed = (
        "openmsp_notification_delivery_attempts_total",
        (("kind", "webhook"), ("outcome", "failed")),
    )
    assert after[failed] == 1
    assert after[("openmsp_collector_up", (("collector", "notifications"),))] == 1
    assert "Hanbit" not in HttpClient().get("/metrics").content.decode()


def test_metrics_need_the_bearer_token_when_one_is_set(settings, db):
    settings.OPENMSP_METRICS_TOKEN = "scrape-token-0123456789"
    assert HttpClient().get("/metrics").status_code == 401
    wrong = HttpClient(headers={"Authorization": "Bearer nope"}).get("/metrics")
    assert wrong.status_code == 401
    right = HttpClient(headers={"Authorization": "Bearer scrape-token-0123456789"}).get("/metrics")
    assert right.status_code == 200
