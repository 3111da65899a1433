"""Email through the installation's SMTP server (OPENMSP_SMTP_*, docs/configuration.md).

The channel holds only its recipients; the server is one per installation. With no SMTP host set
(a trial) messages are written as .eml files to DATA_DIR/outbox-mail/, like Django's own mail.

What is guaranteed: a message the server accepted (250 after DATA) is recorded as sent and never
sent again. If the worker dies after the server accepted but before the outbox recorded it, the
message is sent again when the lease expires; both copies carry the same Message-ID (built from
the outbox message's idempotency key), which mail systems and clients use to drop duplicates.
"""

from __future__ import annotations

import re
import smtplib
import ssl
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from ssl import SSLContext
from typing import Any, ClassVar, Protocol
from urllib.parse import urlsplit

from django.conf import settings

from openmsp.core.errors import ValidationFailed
from openmsp.integrations.base import DeliveryFailed, DeliveryResult, Notification, Notifier

_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
MAX_RECIPIENTS = 50


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    user: str
    password: str
    starttls: bool
    ssl: bool
    sender: str
    timeout: float
    file_dir: str
    ca_file: str = ""  # verify the server against this CA bundle instead of the system's

    @classmethod
    def from_settings(cls) -> SmtpServer:
        return cls(
            host=settings.EMAIL_HOST,
            port=settings.EMAIL_PORT,
            user=settings.EMAIL_HOST_USER,
            password=settings.EMAIL_HOST_PASSWORD,
            starttls=settings.EMAIL_USE_TLS,
            ssl=settings.EMAIL_USE_SSL,
            sender=settings.DEFAULT_FROM_EMAIL,
            timeout=float(settings.EMAIL_TIMEOUT or 30),
            file_dir=settings.EMAIL_FILE_PATH,
            ca_file=getattr(settings, "OPENMSP_SMTP_CA_FILE", ""),
        )

    def tls_context(self) -> SSLContext:
        """Certificate and host name always verified; against OPENMSP_SMTP_CA_FILE when set
        (an internal mail relay with the MSP's own CA), else the system's CAs."""
        return ssl.create_default_context(cafile=self.ca_file or None)


class MailTransport(Protocol):
    def send(self, message: EmailMessage) -> str: ...


class SmtpTransport:
    """smtplib, with implicit TLS (`ssl`) or STARTTLS, and login when a user is set."""

    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    def _connect(self) -> smtplib.SMTP:
        s = self.server
        if s.ssl:
            return smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=s.tls_context())
        conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        if s.starttls:
            conn.starttls(context=s.tls_context())
        return conn

    def send(self, message: EmailMessage) -> str:
        with self._connect() as conn:
            if self.server.user:
                conn.login(self.server.user, self.server.password)
            refused = conn.send_message(message)
        if refused:
            return f"accepted; refused: {', '.join(sorted(refused))}"
        return "250 accepted"


class FileTransport:
    """No SMTP server configured: keep the message where an operator can read it."""

    def __init__(self, directory: str) -> None:
        self.directory = Path(directory)

    def send(self, message: EmailMessage) -> str:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{uuid.uuid4().hex}.eml"
        path.write_bytes(message.as_bytes())
        return f"written to {path}"


def clean_recipients(value: Any, *, field: str) -> list[str]:
    items = value if isinstance(value, list | tuple) else []
    addresses = list(dict.fromkeys(str(a).strip() for a in items if str(a).strip()))
    for address in addresses:
        if not _EMAIL.match(address):
            raise ValidationFailed(f"'{address}' is not an email address.", field=field)
    if len(addresses) > MAX_RECIPIENTS:
        raise ValidationFailed(f"At most {MAX_RECIPIENTS} recipients.", field=field)
    return addresses


def message_id(key: str, site_url: str) -> str:
    """The same for every attempt of one message, so a duplicate copy is recognisable."""
    local = re.sub(r"[^A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]", ".", key)
    domain = urlsplit(site_url).hostname or "openmsp.invalid"
    return f"<{local}@{domain}>"


class SmtpNotifier(Notifier):
    kind: ClassVar[str] = "email"

    @classmethod
    def clean_config(cls, config: Mapping[str, Any]) -> dict[str, Any]:
        recipients = clean_recipients(config.get("recipients"), field="config.recipients")
        if not recipients:
            raise ValidationFailed("Name at least one recipient.", field="config.recipients")
        return {"recipients": recipients}

    def recipients(self, notification: Notification) -> Sequence[str]:
        return list(dict.fromkeys([*self.config.get("recipients", []), *notification.recipients]))

    def render(self, notification: Notification) -> EmailMessage:
        server = SmtpServer.from_settings()
        message = EmailMessage()
        message["Subject"] = notification.subject
        message["From"] = server.sender
        message["To"] = ", ".join(self.recipients(notification))
        message["Date"] = formatdate(localtime=False)
        # Stable across retries: a duplicate after a crash is recognisable (see module doc).
        message["Message-ID"] = message_id(notification.idempotency_key, self.site_url)
        message["X-OpenMSP-Idempotency-Key"] = notification.idempotency_key
        message.set_content(notification.text(self.site_url))
        return message

    def _transport(self) -> MailTransport:
        if self.transport is not None:
            return self.transport  # type: ignore[no-any-return]
        return default_transport()

    def deliver(self, notification: Notification) -> DeliveryResult:
        message = self.render(notification)
        if not message["To"]:
            raise DeliveryFailed("The message has no recipients.", retryable=False)
        return send_with(self._transport(), message)


def default_transport() -> MailTransport:
    server = SmtpServer.from_settings()
    return SmtpTransport(server) if server.host else FileTransport(server.file_dir)


def send_with(transport: MailTransport, message: EmailMessage) -> DeliveryResult:
    """Hand one message to the transport; the server's refusals as DeliveryFailed."""
    try:
        return DeliveryResult(transport.send(message))
    except smtplib.SMTPAuthenticationError as exc:
        # The relay's credentials are wrong or expired: an operator fixes the setting and the
        # message must still go, so it stays for the next attempt instead of failing for good.
        raise DeliveryFailed(
            f"SMTP {exc.smtp_code}: authentication refused: {exc.smtp_error!r}", retryable=True
        ) from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryFailed(f"every recipient refused: {exc}", retryable=False) from None
    except smtplib.SMTPResponseException as exc:
        retry = exc.smtp_code >= 400 and exc.smtp_code < 500
        raise DeliveryFailed(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", retryable=retry) from None
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from None


# --- prepared mail (the service desk's replies): rendered when queued, sent as is -------------
PREPARED_KIND = "mail"


def prepared_payload(
    *, sender: str, to: Sequence[str], subject: str, body: str, headers: Mapping[str, str]
) -> dict[str, Any]:
    return {
        "from": sender,
        "to": list(to),
        "subject": subject,
        "body": body,
        "headers": dict(headers),
    }


def build_prepared(payload: Mapping[str, Any]) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = payload["subject"]
    message["From"] = payload["from"]
    message["To"] = ", ".join(payload["to"])
    message["Date"] = formatdate(localtime=False)
    for name, value in payload.get("headers", {}).items():
        message[name] = value
    message.set_content(payload["body"])
    return message


def send_prepared(payload: Mapping[str, Any], transport: MailTransport | None) -> DeliveryResult:
    if not payload.get("to"):
        raise DeliveryFailed("The message has no recipients.", retryable=False)
    return send_with(transport or default_transport(), build_prepared(payload))
