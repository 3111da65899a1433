"""Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat accept the same body)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.translation import gettext

from openmsp.integrations.base import Notification, kind_label, severity_label
from openmsp.integrations.http import WebhookUrlNotifier

EMOJI = {"firing": ":red_circle:", "resolved": ":large_green_circle:", "acknowledged": ":eyes:"}
MAX_LINES = 20  # a chat message listing 1,000 problems helps nobody; the rest are counted


def _line(kind: str, severity: str, title: str, link: str) -> str:
    text = f"<{link}|{title}>" if link else title
    return (
        f"{EMOJI.get(kind, ':warning:')} *{kind_label(kind)}* ({severity_label(severity)}) {text}"
    )


class SlackNotifier(WebhookUrlNotifier):
    kind: ClassVar[str] = "slack"

    def render(self, notification: Notification) -> dict[str, Any]:
        lines = [
            _line(i.kind, i.severity, i.title, f"{self.site_url}{i.url}" if i.url else "")
            for i in notification.items[:MAX_LINES]
        ]
        hidden = len(notification.items) - MAX_LINES
        if hidden > 0:
            lines.append(gettext("… and %(count)s more") % {"count": hidden})
        body = "\n".join(lines) or notification.subject
        return {
            "text": notification.subject,
            "blocks": [
                {
                    "type": "header",
                    "text": {"type": "plain_text", "text": notification.subject[:150]},
                },
                {"type": "section", "text": {"type": "mrkdwn", "text": body[:2900]}},
            ],
        }
