"""Generic webhook: a JSON document POSTed to the channel's URL, signed with HMAC-SHA256.

Headers (docs/notifications.md § Webhook):

- `X-OpenMSP-Idempotency-Key`: the same on every attempt of one message; receivers drop repeats.
- `X-OpenMSP-Timestamp`: Unix seconds when this attempt was signed.
- `X-OpenMSP-Signature`: `sha256=` + hex HMAC-SHA256 over `<timestamp>.<body>` with the channel's
  secret. Including the timestamp lets a receiver refuse replays older than a few minutes.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from typing import Any, ClassVar

from openmsp.integrations.base import Item, Notification
from openmsp.integrations.http import WebhookUrlNotifier

FORMAT_VERSION = "1"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, headers: Mapping[str, str], body: bytes) -> bool:
    """What a receiver does (and our tests do) to check a delivery is ours."""
    timestamp = headers.get("X-OpenMSP-Timestamp", "")
    given = headers.get("X-OpenMSP-Signature", "")
    return hmac.compare_digest(signature(secret, timestamp, body), given)


def _item(item: Item, site_url: str) -> dict[str, Any]:
    return {
        "problem_id": item.problem_id,
        "kind": item.kind,
        "severity": item.severity,
        "title": item.title,
        "summary": item.summary,
        "at": item.at.isoformat(),
        "url": f"{site_url}{item.url}" if item.url else "",
        "labels": dict(item.labels),
    }


class WebhookNotifier(WebhookUrlNotifier):
    kind: ClassVar[str] = "webhook"
    needs_secret: ClassVar[bool] = True
    url_is_secret: ClassVar[bool] = False  # the secret signs; the URL alone grants nothing

    def render(self, notification: Notification) -> dict[str, Any]:
        return {
            "version": FORMAT_VERSION,
            "idempotency_key": notification.idempotency_key,
            "status": notification.status,
            "subject": notification.subject,
            "language": notification.language,  # what subject is written in (ko, en)
            "client": {"id": notification.client_id, "name": notification.client_name},
            "route": notification.route,
            "escalation_step": notification.escalation_step,
            "counts": notification.counts,
            "problems": [_item(i, self.site_url) for i in notification.items],
        }

    def headers(self, notification: Notification, body: bytes) -> dict[str, str]:
        timestamp = str(int(time.time()))
        return {
            "X-OpenMSP-Idempotency-Key": notification.idempotency_key,
            "X-OpenMSP-Timestamp": timestamp,
            "X-OpenMSP-Signature": signature(self.secret, timestamp, body),
        }
