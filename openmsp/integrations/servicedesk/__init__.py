"""The service desk as a notification channel: a routed problem opens (or annotates) a ticket of
its client, and its resolution resolves that ticket.

Unlike the other channels this peer is OpenMSP itself, so delivering writes to the database,
through openmsp.servicedesk.actions (one ticket per problem fingerprint and client). It runs
from the outbox like every channel, so routing, grouping and retries are the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from openmsp.core.errors import ValidationFailed
from openmsp.integrations.base import DeliveryFailed, DeliveryResult, Notification, Notifier

OPENS = frozenset({"firing", "reopened", "escalated"})


class TicketNotifier(Notifier):
    kind: ClassVar[str] = "ticket"

    @classmethod
    def clean_config(cls, config: Mapping[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(config) - {"resolve"})
        if unknown:
            raise ValidationFailed(f"Unknown setting '{unknown[0]}'.", field=f"config.{unknown[0]}")
        resolve = config.get("resolve", True)
        if not isinstance(resolve, bool):
            raise ValidationFailed("'resolve' is true or false.", field="config.resolve")
        return {"resolve": resolve}

    def render(self, notification: Notification) -> list[dict[str, Any]]:
        return [
            {"problem_id": i.problem_id, "kind": i.kind, "title": i.title, "severity": i.severity}
            for i in notification.items
        ]

    def deliver(self, notification: Notification) -> DeliveryResult:
        from openmsp.alerts.models import Problem
        from openmsp.servicedesk import actions
        from openmsp.tenants.models import Client

        client = Client.objects.filter(pk=notification.client_id).first()
        if client is None:
            raise DeliveryFailed("The client no longer exists.", retryable=False)
        done: list[str] = []
        for item in notification.items:
            problem = Problem.objects.filter(pk=item.problem_id, client=client).first()
            if problem is None:
                continue
            if item.kind in OPENS:
                ticket, created = actions.open_or_annotate_from_problem(
                    client=client, fingerprint=problem.fingerprint, title=item.title,
                    summary=item.summary, severity=item.severity, asset=problem.asset,
                )  # fmt: skip
                done.append(f"{ticket.number} {'opened' if created else 'annotated'}")
            elif item.kind == "resolved" and self.config.get("resolve", True):
                resolved = actions.resolve_from_problem(
                    client=client, fingerprint=problem.fingerprint, note_text=item.summary
                )
                if resolved is not None:
                    done.append(f"{resolved.number} resolved")
        return DeliveryResult(detail="; ".join(done) or "nothing to do")
