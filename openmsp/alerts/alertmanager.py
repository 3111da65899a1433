"""The Prometheus Alertmanager webhook receiver (payload version 4): firing and resolved alerts
become observations of the client the bearer token belongs to.

Alertmanager already applied its rules' `for:` and its own resolve timeout, so observations are
`external`: the lifecycle fires and resolves at once. An alert's identity is Alertmanager's own
fingerprint (a hash of its labels), its rule is the alertname: a re-sent firing alert is a repeat
of the same problem.
"""

from __future__ import annotations

import datetime as dt
import hmac

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from openmsp.alerts.models import TOKEN_PREFIX, AlertmanagerToken, hash_secret
from openmsp.alerts.schemas import AmAlert, AmWebhookIn
from openmsp.core import spine

CRITICAL_SEVERITIES = frozenset({"critical", "page", "error", "emergency", "alert", "high"})
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)  # one UPDATE per minute, not per alert batch


class AlertmanagerBearer(HttpBearer):
    """`Authorization: Bearer omam_…`: a client's receiver token (not a user's API token)."""

    def authenticate(self, request: HttpRequest, token: str) -> AlertmanagerToken | None:
        parts = token.strip().split("_", 2)
        if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
            return None
        row: AlertmanagerToken | None = AlertmanagerToken.objects.filter(
            prefix=parts[1], revoked_at__isnull=True
        ).first()
        if row is None or not hmac.compare_digest(row.token_hash, hash_secret(token.strip())):
            return None
        now = timezone.now()
        if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
            AlertmanagerToken.objects.filter(pk=row.pk).update(last_used_at=now)
        return row


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None or moment.year < 2000:  # Alertmanager sends 0001-01-01 for "not yet"
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def observation_of(client_id: int, alert: AmAlert) -> spine.Observation:
    labels = {str(k)[:100]: str(v)[:500] for k, v in alert.labels.items()}
    name = labels.get("alertname", "alert")
    firing = alert.status == "firing"
    severity = labels.get("severity", "").lower()
    started = _aware(alert.startsAt) or timezone.now()
    at = started if firing else (_aware(alert.endsAt) or timezone.now())
    title = alert.annotations.get("summary") or name
    summary = alert.annotations.get("description") or title
    identity = alert.fingerprint or ",".join(f"{k}={v}" for k, v in sorted(labels.items()))
    return spine.Observation(
        client_id=client_id,
        source="alertmanager",
        object_type="alertmanager.alert",
        object_id=identity[:200],
        rule=name[:200],
        status=("critical" if severity in CRITICAL_SEVERITIES else "warning") if firing else "ok",
        observed_at=max(at, started),
        summary=summary[:1000],
        title=title[:300],
        labels=labels,
        details={"generator_url": alert.generatorURL[:2000], "annotations": alert.annotations},
        external=True,
    )


def receive(token: AlertmanagerToken, payload: AmWebhookIn) -> int:
    """Hand every alert of the payload to the spine, in the request's transaction."""
    for alert in payload.alerts:
        spine.observe(observation_of(token.client_id, alert))
    return len(payload.alerts)
