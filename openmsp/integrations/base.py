"""The one base class of notification channels: render a Notification, then deliver it.

A Notifier knows its vendor's format (`render`) and how to hand the rendered message to the peer
(`deliver`), through a transport the caller may inject: tests pass a transport, production the
default (httpx for HTTP peers, smtplib for mail). Notifiers never touch the database; the outbox
(openmsp.notifications.outbox) decides when to deliver and records what happened.

Errors: `DeliveryFailed(retryable=...)`. A peer that is down or answers 5xx/429 is retried with
backoff; a peer that refuses the message for good (4xx, a recipient refused) is not.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import urlsplit

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from openmsp.core.errors import ValidationFailed

# What people read for a change and a severity; machine-readable payloads keep the codes.
KIND_LABELS: Mapping[str, Any] = {
    "firing": _("FIRING"),
    "reopened": _("REOPENED"),
    "flapping": _("FLAPPING"),
    "escalated": _("ESCALATED"),
    "acknowledged": _("ACKNOWLEDGED"),
    "resolved": _("RESOLVED"),
    "test": _("TEST"),
}
SEVERITY_LABELS: Mapping[str, Any] = {"warning": _("warning"), "critical": _("critical")}


def kind_label(kind: str) -> str:
    """In the active language (the outbox renders under the recipient's)."""
    return str(KIND_LABELS.get(kind, kind.upper()))


def severity_label(severity: str) -> str:
    return str(SEVERITY_LABELS.get(severity, severity))


@dataclass(frozen=True)
class Item:
    """One problem in a notification."""

    problem_id: int
    kind: str  # firing | acknowledged | resolved | escalated | flapping | reopened
    severity: str
    title: str
    summary: str
    at: dt.datetime
    url: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Notification:
    """What a channel is asked to say, independent of any vendor's format.

    `idempotency_key` is the same for every attempt of one outbox message: peers that may see a
    retry (webhooks; mail as its Message-ID) can drop the second copy.
    """

    idempotency_key: str
    client_id: int
    client_name: str
    subject: str
    status: str  # firing | resolved | acknowledged | escalated | test | mixed
    items: Sequence[Item] = ()
    route: str = ""
    escalation_step: int = 0
    recipients: Sequence[str] = ()  # extra addresses (people of a route), for mail
    # The language subject and body are written in: the recipients' (people) or the client's
    # (channels without a person); "" for the installation's default (OPENMSP_LANGUAGE).
    language: str = ""
    body: str = ""  # a message that is not about problems (a CSAT survey): its whole text

    @property
    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for item in self.items:
            out[item.kind] = out.get(item.kind, 0) + 1
        return out

    def text(self, site_url: str = "") -> str:
        """The plain-text body shared by mail and chat channels, in the active language."""
        if self.body:
            return self.body.rstrip() + "\n"
        lines = [self.subject, ""]
        for item in self.items:
            link = f" {site_url}{item.url}" if item.url else ""
            lines.append(
                gettext("[%(kind)s] %(severity)s: %(title)s")
                % {
                    "kind": kind_label(item.kind),
                    "severity": severity_label(item.severity),
                    "title": item.title,
                }
                + link
            )
            if item.summary and item.summary != item.title:
                lines.append(f"    {item.summary}")
        return "\n".join(lines).rstrip() + "\n"


@dataclass(frozen=True)
class DeliveryResult:
    detail: str = ""  # what the peer answered, for the delivery log


class DeliveryFailed(Exception):
    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable


def validate_url(value: Any, *, field: str = "url") -> str:
    """Outbound URLs: http or https with a host, nothing else (no file:, gopher:, javascript:)."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed("A URL is required.", field=field)
    url = value.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in {"http", "https"}:
        raise ValidationFailed(
            f"Only http:// and https:// URLs can receive notifications, not '{parts.scheme}:'.",
            field=field,
        )
    if not parts.hostname:
        raise ValidationFailed("The URL has no host name.", field=field)
    if len(url) > 2000:
        raise ValidationFailed("The URL is longer than 2000 characters.", field=field)
    return url


class Notifier(ABC):
    """Base of every channel. Subclasses set `kind` and implement the three methods."""

    kind: ClassVar[str]
    needs_secret: ClassVar[bool] = False

    def __init__(
        self,
        config: Mapping[str, Any],
        *,
        secret: str = "",
        transport: Any = None,
        site_url: str = "",
        network_scope: str = "public",
    ) -> None:
        self.config = dict(config)
        self.secret = secret
        self.transport = transport
        self.site_url = site_url
        self.network_scope = network_scope  # what an HTTP channel may reach (core.netguard)

    @classmethod
    @abstractmethod
    def clean_config(cls, config: Mapping[str, Any]) -> dict[str, Any]:
        """The channel's settings, validated (ValidationFailed naming `config.<key>`)."""

    @classmethod
    def public_config(cls, config: Mapping[str, Any]) -> dict[str, Any]:
        """What may be shown back to users and written to the audit log."""
        return dict(config)

    @abstractmethod
    def render(self, notification: Notification) -> Any:
        """The vendor's message (a JSON body, a MIME message)."""

    @abstractmethod
    def deliver(self, notification: Notification) -> DeliveryResult:
        """Render and hand to the peer; raise DeliveryFailed when it did not take it."""
