"""Notification figures for /metrics: outbox depth, oldest undelivered age, outcomes by kind.

Three aggregate queries per scrape; no client is named (openmsp.core.metrics_endpoint).
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from openmsp.notifications.models import DeliveryAttempt, OutboxMessage

S = OutboxMessage.Status
UNDELIVERED = (S.PENDING, S.SENDING)


def collect() -> Iterator[Metric]:
    depth = GaugeMetricFamily(
        "openmsp_notification_outbox_depth",
        "Outbox messages not delivered yet, by status",
        labels=["status"],
    )
    counts = dict(
        OutboxMessage.objects.filter(status__in=UNDELIVERED)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for status in UNDELIVERED:
        depth.add_metric([status], counts.get(status, 0))
    yield depth

    oldest = OutboxMessage.objects.filter(status__in=UNDELIVERED).aggregate(t=Min("created_at"))[
        "t"
    ]
    age = GaugeMetricFamily(
        "openmsp_notification_oldest_undelivered_seconds",
        "Age of the oldest message still waiting for delivery (0: none)",
    )
    age.add_metric([], (timezone.now() - oldest).total_seconds() if oldest else 0.0)
    yield age

    messages = CounterMetricFamily(
        "openmsp_notification_messages",
        "Messages that reached a final state, by channel kind and status",
        labels=["kind", "status"],
    )
    finished = (
        OutboxMessage.objects.filter(status__in=[S.SENT, S.FAILED])
        .values_list("kind", "status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for kind, status, n in finished:
        messages.add_metric([kind, status], n)
    yield messages

    attempts = CounterMetricFamily(
        "openmsp_notification_delivery_attempts",
        "Delivery attempts by channel kind and outcome (interrupted: the worker died)",
        labels=["kind", "outcome"],
    )
    rows = (
        DeliveryAttempt.objects.values_list("message__kind", "ok")
        .annotate(n=Count("pk"))
        .order_by()
    )
    names = {True: "sent", False: "failed", None: "interrupted"}
    for kind, ok, n in rows:
        attempts.add_metric([kind, names[ok]], n)
    yield attempts
