"""Changes to the desk's mail set-up: mailboxes and the outgoing mail templates (MSP admins,
Perm.MAIL_MANAGE). Audited; the IMAP password is encrypted at rest and never audited or shown."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction

from openmsp.accounts.roles import Perm
from openmsp.core import audit
from openmsp.core.actions import require
from openmsp.core.actor import Actor
from openmsp.core.errors import PermissionDenied, ValidationFailed
from openmsp.integrations.imap import ImapError, test_connection
from openmsp.servicedesk import mail_in, mail_out
from openmsp.servicedesk.models import Mailbox, MailTemplate
from openmsp.tenants.models import Client

FIELDS = ("name", "address", "enabled", "intake", "host", "port", "security", "username", "folder",
          "unknown_sender", "domain_routes")  # fmt: skip
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)[a-z0-9-]+(\.[a-z0-9-]+)+$")


def _require(actor: Actor) -> None:
    require(actor, Perm.MAIL_MANAGE)
    if actor.user is not None and not actor.user.is_msp_staff:
        raise PermissionDenied("Only the MSP manages mailboxes.")


def _state(m: Mailbox) -> dict[str, Any]:
    return audit.snapshot(m, exclude=["password_encrypted", "last_error", "last_polled_at"])


def valid_domain(domain: str) -> bool:
    return bool(_DOMAIN.match(domain.lower()))


def parse_domain_routes(text: str) -> dict[str, int]:
    """'hanbit.example hanbit' lines (domain, client code) -> {domain: client id}."""
    routes: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2 or not _DOMAIN.match(parts[0].lower()):
            raise ValidationFailed(
                f"Line {number}: write a domain and a client code, e.g. 'hanbit.example hanbit'.",
                field="domain_routes",
            )
        client = Client.objects.filter(code=parts[1]).first()
        if client is None:
            raise ValidationFailed(
                f"Line {number}: there is no client '{parts[1]}'.", field="domain_routes"
            )
        routes[parts[0].lower()] = client.pk
    return routes


def _apply(m: Mailbox, changes: Mapping[str, Any]) -> None:
    for name, value in changes.items():
        if name == "password":
            if value:
                from openmsp.agent_api.crypto import encrypt_secret

                m.password_encrypted = encrypt_secret(str(value))
            continue
        if name not in FIELDS:
            raise ValidationFailed(f"'{name}' cannot be set on a mailbox.", field=name)
        setattr(m, name, value)
    m.name = (m.name or "").strip()
    if not m.name or len(m.name) > 100:
        raise ValidationFailed("A name of 1-100 characters is needed.", field="name")
    if not _EMAIL.match(m.address or ""):
        raise ValidationFailed("The address must be an email address.", field="address")
    if m.intake not in Mailbox.Intake.values:
        raise ValidationFailed("Intake is imap or listener.", field="intake")
    if m.intake == Mailbox.Intake.IMAP and not (m.host or "").strip():
        raise ValidationFailed("Name the IMAP server.", field="host")
    if not isinstance(m.port, int) or not 1 <= m.port <= 65535:
        raise ValidationFailed("The port must be 1-65535.", field="port")
    if m.security not in Mailbox.Security.values:
        raise ValidationFailed("Security is ssl, starttls or none.", field="security")
    if m.unknown_sender not in Mailbox.UnknownSender.values:
        raise ValidationFailed("Unknown senders: contact or reject.", field="unknown_sender")
    if m.intake == Mailbox.Intake.IMAP and not (m.username or "").strip():
        raise ValidationFailed("Name the IMAP user.", field="username")
    m.address = m.address.strip().lower()
    listening = Mailbox.objects.filter(enabled=True, intake=Mailbox.Intake.LISTENER)
    if (
        m.enabled
        and m.intake == Mailbox.Intake.LISTENER
        and listening.filter(address__iexact=m.address).exclude(pk=m.pk).exists()
    ):
        raise ValidationFailed(
            "Another listener mailbox has this address; mail to it must go to one mailbox.",
            field="address",
        )
    if m.client_id and m.domain_routes:
        raise ValidationFailed(
            "Sender domains route a shared mailbox; this one serves one client.",
            field="domain_routes",
        )


def _save(actor: Actor, m: Mailbox, action: str, before: dict[str, Any] | None) -> Mailbox:
    try:
        with transaction.atomic():
            m.save()
    except IntegrityError:
        raise ValidationFailed("A mailbox with that name exists.", field="name") from None
    audit.record(actor=actor, action=action, obj=m, client_id=m.client_id, before=before,
                 after=_state(m))  # fmt: skip
    return m


@transaction.atomic
def create_mailbox(*, actor: Actor, client: Client | None, **fields: Any) -> Mailbox:
    _require(actor)
    m = Mailbox(client=client)
    _apply(m, fields)
    return _save(actor, m, "mailbox.created", None)


@transaction.atomic
def update_mailbox(*, actor: Actor, mailbox: Mailbox, changes: Mapping[str, Any]) -> Mailbox:
    _require(actor)
    before = _state(mailbox)
    _apply(mailbox, changes)
    return _save(actor, mailbox, "mailbox.updated", before)


@transaction.atomic
def delete_mailbox(*, actor: Actor, mailbox: Mailbox) -> None:
    _require(actor)
    audit.record(actor=actor, action="mailbox.deleted", obj=mailbox, client_id=mailbox.client_id,
                 before=_state(mailbox))  # fmt: skip
    mailbox.delete()


def check_mailbox(*, actor: Actor, mailbox: Mailbox, password: str = "") -> tuple[bool, str]:
    """Log in and open the folder now: (worked, what happened as a sentence)."""
    _require(actor)
    try:
        return True, test_connection(mail_in.account_of(mailbox, password or None))
    except ImapError as exc:
        return False, str(exc)


@transaction.atomic
def save_template(
    *, actor: Actor, kind: str, language: str, subject: str, body: str
) -> MailTemplate:
    _require(actor)
    if kind not in MailTemplate.Kind.values:
        raise ValidationFailed(f"'{kind}' is not a template kind.", field="kind")
    if language not in mail_out.LANGUAGES:
        raise ValidationFailed("The language is ko or en.", field="language")
    subject, body = (subject or "").strip(), (body or "").strip()
    if not subject or len(subject) > 300:
        raise ValidationFailed("A subject of 1-300 characters is needed.", field="subject")
    if not body or len(body) > 20_000:
        raise ValidationFailed("A body of 1-20000 characters is needed.", field="body")
    mail_out.check_template(subject, field="subject")
    mail_out.check_template(body, field="body")
    row = mail_out.template_for(kind, language)
    before = {"subject": row.subject, "body": row.body}
    row.subject, row.body = subject, body + "\n"
    row.save()
    audit.record(actor=actor, action="mail_template.updated", obj=row, before=before,
                 after={"subject": row.subject, "body": row.body})  # fmt: skip
    return row
