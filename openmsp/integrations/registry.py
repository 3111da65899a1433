"""Channel kind → its Notifier. Adding a channel (e.g. the service desk) is one line here."""

from __future__ import annotations

from openmsp.core.errors import ValidationFailed
from openmsp.integrations.base import Notifier
from openmsp.integrations.servicedesk import TicketNotifier
from openmsp.integrations.slack import SlackNotifier
from openmsp.integrations.smtp import SmtpNotifier
from openmsp.integrations.teams import TeamsNotifier
from openmsp.integrations.webhook import WebhookNotifier

NOTIFIERS: dict[str, type[Notifier]] = {
    cls.kind: cls
    for cls in (SmtpNotifier, WebhookNotifier, SlackNotifier, TeamsNotifier, TicketNotifier)
}


def notifier_class(kind: str) -> type[Notifier]:
    try:
        return NOTIFIERS[kind]
    except KeyError:
        raise ValidationFailed(
            f"Unknown channel kind '{kind}'; use one of {', '.join(NOTIFIERS)}.", field="kind"
        ) from None
