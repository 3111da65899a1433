"""The durable outbox: messages written in the caller's transaction, delivered by workers.

Claiming: due rows (`status` pending or sending, `next_attempt_at <= now`, one partial index) are
read with `FOR UPDATE SKIP LOCKED` on PostgreSQL (SQLite has one writer at a time), and each is
taken with a conditional UPDATE on the values read. The claim moves `next_attempt_at` to the
lease's end: a worker that dies mid-delivery leaves a row that falls due again once the lease
expires, and another worker takes it over. A worker records the outcome only if it still holds
the claim (same `claimed_by` and attempt number), so a worker that lost its lease cannot mark a
message another worker is delivering.

Guarantee: a message is never lost and is recorded as sent once. A peer can receive a second copy
only when a worker died after the peer accepted and before the outcome was recorded; every copy
carries the message's idempotency key (webhook header, mail Message-ID) so the peer can drop it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone, translation

from openmsp.integrations import smtp
from openmsp.integrations.base import DeliveryFailed, Notification, Notifier
from openmsp.integrations.registry import notifier_class
from openmsp.notifications import content
from openmsp.notifications.models import Channel, DeliveryAttempt, OutboxMessage, Route
from openmsp.notifications.timing import backoff

log = logging.getLogger("openmsp.notifications")
S = OutboxMessage.Status
PEOPLE = "people"  # a route's people: mail to their addresses, no channel row

TransportFor = Callable[[str], Any]  # channel kind -> transport (None: the notifier's default)


def enqueue(
    *,
    notification: Notification,
    channel: Channel | None,
    origin: str,
    route: Route | None = None,
) -> OutboxMessage:
    """Write one message; call inside the transaction of the change or flush that caused it."""
    return OutboxMessage.objects.create(
        client_id=notification.client_id,
        channel=channel,
        kind=channel.kind if channel is not None else "email",
        recipients=list(notification.recipients),
        route=route,
        origin=origin,
        idempotency_key=notification.idempotency_key,
        subject=notification.subject,
        payload=content.to_payload(notification),
        next_attempt_at=timezone.now(),
    )


def enqueue_prepared(
    *, client_id: int, key: str, payload: dict[str, Any], origin: str
) -> OutboxMessage:
    """A mail rendered by the caller (smtp.prepared_payload), sent as it is; same durability,
    retries and delivery log as the channels' messages."""
    return OutboxMessage.objects.create(
        client_id=client_id,
        channel=None,
        kind=smtp.PREPARED_KIND,
        recipients=list(payload["to"]),
        origin=origin,
        idempotency_key=key,
        subject=payload["subject"][:500],
        payload=payload,
        next_attempt_at=timezone.now(),
    )


@dataclass
class Claimed:
    message: OutboxMessage
    attempt: DeliveryAttempt


def _due(now: dt.datetime, limit: int) -> list[OutboxMessage]:
    qs = OutboxMessage.objects.filter(
        status__in=[S.PENDING, S.SENDING], next_attempt_at__lte=now
    ).order_by("next_attempt_at")
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    return list(qs.select_related("channel")[:limit])


def claim(*, worker: str, now: dt.datetime | None = None, limit: int = 20) -> list[Claimed]:
    now = now or timezone.now()
    lease = dt.timedelta(seconds=settings.OPENMSP_NOTIFY_LEASE_SECONDS)
    claimed: list[Claimed] = []
    with transaction.atomic():
        for row in _due(now, limit):
            if row.attempts >= settings.OPENMSP_NOTIFY_MAX_ATTEMPTS:
                _give_up(
                    row, f"gave up after {row.attempts} attempts; last error: {row.last_error}"
                )
                continue
            won = OutboxMessage.objects.filter(
                pk=row.pk, status=row.status, next_attempt_at=row.next_attempt_at
            ).update(
                status=S.SENDING,
                attempts=F("attempts") + 1,
                next_attempt_at=now + lease,
                claimed_by=worker,
            )
            if not won:
                continue
            row.attempts += 1
            row.status, row.claimed_by = S.SENDING, worker
            attempt = DeliveryAttempt.objects.create(
                message=row, number=row.attempts, worker=worker, started_at=now
            )
            claimed.append(Claimed(row, attempt))
    return claimed


def _give_up(row: OutboxMessage, why: str) -> None:
    OutboxMessage.objects.filter(pk=row.pk, attempts=row.attempts).update(
        status=S.FAILED, last_error=why[:5000]
    )


def notifier_for(message: OutboxMessage, transport: Any = None) -> Notifier:
    """The channel's notifier; a route's people get mail with their addresses only."""
    channel = message.channel
    site_url = settings.SITE_URL
    if channel is None:
        if message.kind != "email" or not message.recipients:
            raise DeliveryFailed("The channel was deleted.", retryable=False)
        cls = notifier_class("email")
        return cls({"recipients": []}, transport=transport, site_url=site_url)
    if not channel.enabled:
        raise DeliveryFailed("The channel is disabled.", retryable=False)
    cls = notifier_class(channel.kind)
    return cls(
        channel.config,
        secret=channel.secret,
        transport=transport,
        site_url=site_url,
        network_scope=channel.network_scope,
    )


def deliver(claimed: Claimed, *, transport_for: TransportFor | None = None) -> bool:
    """Deliver one claimed message (no transaction held meanwhile) and record the outcome."""
    message = claimed.message
    transport = transport_for(message.kind) if transport_for else None
    try:
        if message.kind == smtp.PREPARED_KIND:  # rendered when queued (service desk mail)
            result = smtp.send_prepared(message.payload, transport)
        else:
            notifier = notifier_for(message, transport)
            notification = content.from_payload(message.payload)
            # The body is written now, in the language the subject was written in at enqueue.
            with translation.override(notification.language or settings.LANGUAGE_CODE):
                result = notifier.deliver(notification)
    except DeliveryFailed as exc:
        _record(claimed, ok=False, detail=exc.message, retryable=exc.retryable)
        return False
    except Exception as exc:  # a bug in a notifier must not stop the other deliveries
        log.exception("notifier crashed on outbox message %s", message.pk)
        _record(claimed, ok=False, detail=f"{type(exc).__name__}: {exc}", retryable=True)
        return False
    _record(claimed, ok=True, detail=result.detail)
    return True


def _record(claimed: Claimed, *, ok: bool, detail: str, retryable: bool = False) -> None:
    message, attempt = claimed.message, claimed.attempt
    now = timezone.now()
    held = OutboxMessage.objects.filter(
        pk=message.pk, status=S.SENDING, claimed_by=attempt.worker, attempts=attempt.number
    )
    with transaction.atomic():
        if ok:
            won = held.update(status=S.SENT, sent_at=now, last_error="")
        elif retryable and attempt.number < settings.OPENMSP_NOTIFY_MAX_ATTEMPTS:
            won = held.update(
                status=S.PENDING, next_attempt_at=now + backoff(attempt.number), last_error=detail
            )
        else:
            won = held.update(status=S.FAILED, last_error=detail[:5000])
        note = "" if won else " (lease expired: another worker took the message over)"
        DeliveryAttempt.objects.filter(pk=attempt.pk).update(
            finished_at=now, ok=ok, detail=(detail + note)[:5000]
        )


def deliver_due(
    *,
    worker: str,
    limit: int = 50,
    transport_for: TransportFor | None = None,
    now: dt.datetime | None = None,
) -> tuple[int, int]:
    """Claim and deliver up to *limit* messages, one claim at a time (a lease then covers one
    delivery, not a batch's); (sent, failed)."""
    sent = failed = 0
    for _ in range(limit):
        batch = claim(worker=worker, limit=1, now=now)
        if not batch:
            break
        if deliver(batch[0], transport_for=transport_for):
            sent += 1
        else:
            failed += 1
    return sent, failed
