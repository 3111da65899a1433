"""Microsoft Teams incoming webhook: a legacy MessageCard (Office 365 connectors) or an Adaptive
Card (Workflows / Power Automate webhooks), chosen per channel with `config.format`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from django.utils.translation import gettext

from openmsp.core.errors import ValidationFailed
from openmsp.integrations.base import Notification, kind_label, severity_label
from openmsp.integrations.http import WebhookUrlNotifier

FORMATS = ("messagecard", "adaptive")
COLOURS = {"firing": "D7263D", "resolved": "2E933C", "acknowledged": "F4A259"}
MAX_FACTS = 20


class TeamsNotifier(WebhookUrlNotifier):
    kind: ClassVar[str] = "teams"

    @classmethod
    def clean_config(cls, config: Mapping[str, Any]) -> dict[str, Any]:
        cleaned = super().clean_config(config)
        fmt = config.get("format", "messagecard")
        if fmt not in FORMATS:
            raise ValidationFailed(
                f"format must be one of {', '.join(FORMATS)}.", field="config.format"
            )
        return {**cleaned, "format": fmt}

    def _facts(self, notification: Notification) -> list[tuple[str, str]]:
        facts = [
            (f"{kind_label(i.kind)} · {severity_label(i.severity)}", i.title)
            for i in notification.items[:MAX_FACTS]
        ]
        hidden = len(notification.items) - MAX_FACTS
        if hidden > 0:
            facts.append(("…", gettext("%(count)s more") % {"count": hidden}))
        return facts

    def render(self, notification: Notification) -> dict[str, Any]:
        if self.config.get("format") == "adaptive":
            return self._adaptive(notification)
        return {
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": notification.subject,
            "themeColor": COLOURS.get(notification.status, "7A7A7A"),
            "title": notification.subject,
            "sections": [
                {"facts": [{"name": n, "value": v} for n, v in self._facts(notification)]}
            ],
        }

    def _adaptive(self, notification: Notification) -> dict[str, Any]:
        card = {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": [
                {"type": "TextBlock", "size": "Medium", "weight": "Bolder", "wrap": True,
                 "text": notification.subject},
                {"type": "FactSet",
                 "facts": [{"title": n, "value": v} for n, v in self._facts(notification)]},
            ],
        }  # fmt: skip
        return {
            "type": "message",
            "attachments": [
                {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
            ],
        }
