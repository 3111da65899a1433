"""The vendor-neutral Notification an outbox message carries, to and from its JSON payload."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from openmsp.integrations.base import Item, Notification

KIND_ORDER = ("firing", "reopened", "flapping", "escalated", "acknowledged", "resolved")


def to_payload(n: Notification) -> dict[str, Any]:
    return {
        "idempotency_key": n.idempotency_key,
        "client_id": n.client_id,
        "client_name": n.client_name,
        "subject": n.subject,
        "status": n.status,
        "route": n.route,
        "escalation_step": n.escalation_step,
        "recipients": list(n.recipients),
        "body": n.body,
        "items": [
            {
                "problem_id": i.problem_id,
                "kind": i.kind,
                "severity": i.severity,
                "title": i.title,
                "summary": i.summary,
                "at": i.at.isoformat(),
                "url": i.url,
                "labels": dict(i.labels),
            }
            for i in n.items
        ],
    }


def from_payload(data: Mapping[str, Any]) -> Notification:
    items = tuple(
        Item(**{**raw, "at": dt.datetime.fromisoformat(raw["at"])}) for raw in data["items"]
    )
    return Notification(
        idempotency_key=data["idempotency_key"],
        client_id=data["client_id"],
        client_name=data["client_name"],
        subject=data["subject"],
        status=data["status"],
        route=data.get("route", ""),
        escalation_step=data.get("escalation_step", 0),
        recipients=tuple(data.get("recipients", ())),
        body=data.get("body", ""),
        items=items,
    )


def overall_status(kinds: Iterable[str]) -> str:
    present = set(kinds)
    if len(present) == 1:
        return next(iter(present))
    return "mixed" if present else "test"


def subject_for(
    *, client_name: str, route: str, items: Iterable[Item], group_labels: Mapping[str, str]
) -> str:
    """`[FIRING:3 RESOLVED:1] Hanbit Logistics · on-call (env=prod)`, Alertmanager-style."""
    counts: dict[str, int] = {}
    for item in items:
        counts[item.kind] = counts.get(item.kind, 0) + 1
    tally = " ".join(f"{k.upper()}:{counts[k]}" for k in KIND_ORDER if k in counts)
    shown = ", ".join(f"{k}={v}" for k, v in sorted(group_labels.items()) if v)
    suffix = f" ({shown})" if shown else ""
    return f"[{tally}] {client_name} · {route}{suffix}"[:500]
