"""Mail into the desk: poll each enabled mailbox over IMAP and turn every new message into a
ticket, a reply on its ticket, or a recorded refusal.

Exactly once: each message is handled in one transaction that also inserts its MailMessage row
(unique per mailbox, UIDVALIDITY and UID) and advances the mailbox's `last_uid`. A job that
crashes mid-way rolls back that message and reads it again next time; two jobs at once collide on
the mailbox row lock and the unique row, so the second skips it. A message seen before under
another UID (copied, or the folder renumbered) is recognised by its Message-ID.

Threading: In-Reply-To / References naming a message of a ticket's thread first, then the
subject tag `[#T000123]`, always within the sender's client. Automatic mail (auto-replies,
bounces, lists, our own mail coming back, a sender over the hourly limit) is recorded on its
ticket as a system entry or kept as a record only, and never answered.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from openmsp.accounts.models import User
from openmsp.core import audit
from openmsp.core.actor import Actor
from openmsp.core.errors import ValidationFailed
from openmsp.integrations.imap import ImapAccount, ImapError, ImapSession
from openmsp.servicedesk import actions, mail_out, mailparse
from openmsp.servicedesk.models import Mailbox, MailMessage, Ticket, TicketEntry
from openmsp.tenants.models import Client, Contact

log = logging.getLogger("openmsp.servicedesk.mail")
Out = MailMessage.Outcome
SYSTEM = Actor.system("email")


def account_of(mailbox: Mailbox, password: str | None = None) -> ImapAccount:
    from openmsp.agent_api.crypto import decrypt_secret

    if password is None:
        password = decrypt_secret(mailbox.password_encrypted) if mailbox.password_encrypted else ""
    if password is None:
        raise ImapError("The stored password cannot be read (SECRET_KEY changed); enter it again.")
    return ImapAccount(
        host=mailbox.host, port=mailbox.port, security=mailbox.security,
        username=mailbox.username, password=password, folder=mailbox.folder,
        timeout=float(settings.OPENMSP_MAIL_IMAP_TIMEOUT),
    )  # fmt: skip


# --- polling -----------------------------------------------------------------------------------
def poll_all() -> int:
    handled = 0
    for mailbox in Mailbox.objects.filter(enabled=True, intake=Mailbox.Intake.IMAP).order_by("pk"):
        handled += poll(mailbox)
    return handled


def poll(mailbox: Mailbox, *, limit: int | None = None) -> int:
    """Read the mailbox's new messages (at most `limit`); how many were handled."""
    limit = limit or settings.OPENMSP_MAIL_BATCH
    handled = 0
    try:
        with ImapSession(account_of(mailbox)) as session:
            validity, _count = session.select()
            if mailbox.uid_validity != validity:
                # A renumbered folder: read it all again; Message-IDs catch what we had.
                Mailbox.objects.filter(pk=mailbox.pk).update(uid_validity=validity, last_uid=0)
                mailbox.uid_validity, mailbox.last_uid = validity, 0
            uids = session.uids_after(mailbox.last_uid)[:limit]
            for uid, raw in session.fetch(uids):
                if _ingest_or_record(mailbox, validity, uid, raw) is not None:
                    handled += 1
    except ImapError as exc:
        log.warning("mailbox %s: %s", mailbox.name, exc)
        Mailbox.objects.filter(pk=mailbox.pk).update(
            last_error=str(exc)[:2000], last_polled_at=timezone.now()
        )
        return handled
    Mailbox.objects.filter(pk=mailbox.pk).update(last_error="", last_polled_at=timezone.now())
    return handled


def ingest(*, mailbox: Mailbox, uid_validity: int, uid: int, raw: bytes) -> MailMessage | None:
    """Handle one message once; None when another run already did."""
    try:
        with transaction.atomic():
            box = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
            if box.uid_validity == uid_validity and uid <= box.last_uid:
                return None
            row = _handle(box, uid_validity, uid, raw)
            Mailbox.objects.filter(pk=box.pk).update(last_uid=max(uid, box.last_uid))
            mailbox.last_uid = max(uid, box.last_uid)
            return row
    except IntegrityError:
        if _recorded(mailbox, uid_validity, uid):  # a concurrent run recorded this UID first
            return None
        raise


def ingest_delivered(*, mailbox: Mailbox, raw: bytes, peer: str = "") -> MailMessage:
    """A message the SMTP/LMTP listener took for this mailbox, handled in one transaction
    before the listener acknowledges it. The mailbox row lock serialises deliveries to one
    mailbox, so the Message-ID check makes a resent message (the sender never saw our 250) a
    recorded duplicate, not a second ticket. Errors propagate: the listener answers 451."""
    with transaction.atomic():
        box = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
        return _handle(box, None, None, raw)


def _recorded(mailbox: Mailbox, uid_validity: int, uid: int) -> bool:
    return MailMessage.objects.filter(
        mailbox=mailbox, direction="in", uid_validity=uid_validity, uid=uid
    ).exists()


def _ingest_or_record(mailbox: Mailbox, validity: int, uid: int, raw: bytes) -> MailMessage | None:
    """A message that cannot be handled (a bug, a malformed part) is recorded as failed and
    passed over, so it neither blocks the mailbox nor disappears."""
    try:
        return ingest(mailbox=mailbox, uid_validity=validity, uid=uid, raw=raw)
    except Exception as exc:
        log.exception("mailbox %s: message UID %s could not be processed", mailbox.name, uid)
        with transaction.atomic():
            box = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
            if _recorded(box, validity, uid):
                return None
            try:
                head = mailparse.parse(raw)[0]
                ident = {"message_id": head.message_id, "from_address": head.from_address,
                         "subject": head.subject, "headers": head.headers}  # fmt: skip
            except Exception:
                ident = {}
            row = MailMessage.objects.create(
                client_id=box.client_id, mailbox=box, direction=MailMessage.Direction.IN,
                uid_validity=validity, uid=uid, outcome=Out.FAILED,
                detail=f"could not be processed: {type(exc).__name__}: {exc}"[:5000], **ident,
            )  # fmt: skip
            Mailbox.objects.filter(pk=box.pk).update(last_uid=max(uid, box.last_uid))
            mailbox.last_uid = max(uid, box.last_uid)
            return row


# --- one message -------------------------------------------------------------------------------
@dataclass
class Sender:
    client: Client | None
    user: User | None = None
    contact: Contact | None = None

    @property
    def known(self) -> bool:
        return self.user is not None or self.contact is not None


def _handle(box: Mailbox, uid_validity: int | None, uid: int | None, raw: bytes) -> MailMessage:
    parsed, msg = mailparse.parse(raw)
    row = MailMessage(
        mailbox=box, direction=MailMessage.Direction.IN, uid_validity=uid_validity, uid=uid,
        message_id=parsed.message_id, in_reply_to=parsed.in_reply_to,
        references=" ".join(parsed.references), from_address=parsed.from_address,
        to_addresses=", ".join(parsed.to)[:5000], subject=parsed.subject, headers=parsed.headers,
    )  # fmt: skip
    if (
        parsed.message_id
        and MailMessage.objects.filter(
            mailbox=box, direction="in", message_id=parsed.message_id
        ).exists()
    ):
        return _save(row, Out.DUPLICATE, "Message-ID already processed", client=box.client)
    sender = resolve_sender(box, parsed.from_address)
    ticket = find_ticket(box, parsed, sender)
    if ticket is not None and sender.client is None:
        sender = Sender(ticket.client)
    automatic = _automatic(msg, parsed.from_address)
    if automatic:
        log.info("automatic mail from %s (%s): not answered", parsed.from_address, automatic)
        if ticket is not None:
            actions.system_note(
                ticket, f"Automatic message from {parsed.from_address} ({automatic}), not "
                f"answered: {parsed.subject}\n\n{parsed.body[:2000]}",
            )  # fmt: skip
        return _save(row, Out.AUTOMATIC, automatic, client=sender.client, ticket=ticket)
    if sender.client is None:
        return _save(row, Out.REJECTED, "The sender matches no client of this shared mailbox.")
    if not sender.known:
        if box.unknown_sender == Mailbox.UnknownSender.REJECT:
            return _save(row, Out.REJECTED, "Unknown sender (the mailbox opens no ticket for them).",
                         client=sender.client, ticket=ticket)  # fmt: skip
        sender.contact = _new_contact(sender.client, parsed)
    files, refused = _files(parsed)
    if ticket is None:
        ticket, entry = _open(sender, parsed, files)
        outcome = Out.OPENED
    else:
        entry = _reply(ticket, sender, parsed, files)
        outcome = Out.THREADED
    if refused:
        actions.system_note(ticket, "Attachments not kept: " + "; ".join(refused))
    row = _save(row, outcome, "; ".join(refused), client=ticket.client, ticket=ticket, entry=entry)
    if outcome == Out.OPENED:
        mail_out.queue(ticket=ticket, kind=mail_out.Kind.ACKNOWLEDGEMENT)
    return row


def _save(row: MailMessage, outcome: str, detail: str = "", **fields: Any) -> MailMessage:
    row.outcome, row.detail = outcome, detail[:5000]
    client = fields.pop("client", None)
    row.client_id = client.pk if client is not None else None
    for name, value in fields.items():
        setattr(row, name, value)
    row.save()
    return row


def _automatic(msg: EmailMessage, address: str) -> str:
    signal = mailparse.automatic_signal(msg, own_domains={mail_out.own_domain()})
    if signal:
        return signal
    limit = settings.OPENMSP_MAIL_SENDER_LIMIT_PER_HOUR
    since = timezone.now() - dt.timedelta(hours=1)
    if address and (
        MailMessage.objects.filter(
            direction="in", from_address=address, created_at__gte=since
        ).count()
        >= limit
    ):
        return f"more than {limit} messages in an hour from this sender (a mail loop?)"
    return ""


def resolve_sender(box: Mailbox, address: str) -> Sender:
    """Who wrote: a client user or contact by address (in the mailbox's client, if it has one),
    else for a shared mailbox the client its sender domain is routed to."""
    if not address:
        return Sender(box.client)
    users = User.objects.filter(email__iexact=address, is_active=True, client__isnull=False)
    contacts = Contact.objects.filter(email__iexact=address).select_related("client")
    if box.client_id:
        users, contacts = (
            users.filter(client_id=box.client_id),
            contacts.filter(client_id=box.client_id),
        )
    user = users.select_related("client").order_by("pk").first()
    if user is not None:
        return Sender(user.client, user=user)
    contact = contacts.order_by("pk").first()
    if contact is not None:
        return Sender(contact.client, contact=contact)
    if box.client is not None:
        return Sender(box.client)
    domain = address.rsplit("@", 1)[-1]
    client_id = (box.domain_routes or {}).get(domain)
    return Sender(Client.objects.filter(pk=client_id).first() if client_id else None)


def find_ticket(box: Mailbox, parsed: mailparse.Parsed, sender: Sender) -> Ticket | None:
    """Headers first, then the subject tag; a ticket of another client never matches."""
    allowed = box.client_id or (sender.client.pk if sender.client else None)
    ids = parsed.thread_ids
    if ids:
        known = (
            MailMessage.objects.filter(message_id__in=ids, ticket__isnull=False)
            .select_related("ticket")
            .order_by("-pk")
        )
        for m in known:
            assert m.ticket is not None
            if allowed is None or m.ticket.client_id == allowed:
                return _live(m.ticket)
    number = mailparse.ticket_tag(parsed.subject)
    if number is not None and sender.client is not None:
        t = Ticket.objects.filter(number=f"T{number:06d}", client=sender.client).first()
        if t is not None:
            return _live(t)
    return None


def _live(t: Ticket) -> Ticket:
    """A merged ticket's mail goes to the ticket it was merged into."""
    seen = {t.pk}
    while t.merged_into_id and t.merged_into_id not in seen:
        seen.add(t.merged_into_id)
        t = Ticket.objects.get(pk=t.merged_into_id)
    return t


def _new_contact(client: Client, parsed: mailparse.Parsed) -> Contact:
    from openmsp.tenants import actions as tenant_actions

    return tenant_actions.create_contact(
        actor=SYSTEM, client=client, name=parsed.from_name or parsed.from_address,
        email=parsed.from_address, language=client.language,
    )  # fmt: skip


def _files(parsed: mailparse.Parsed) -> tuple[list[SimpleUploadedFile], list[str]]:
    """The attachments the limits allow, and a sentence for each refused one."""
    kept: list[SimpleUploadedFile] = []
    refused: list[str] = []
    for part in parsed.attachments:
        upload = SimpleUploadedFile(part.name[-200:], part.data, content_type=part.content_type)
        try:
            actions.check_upload(upload)
        except ValidationFailed as exc:
            refused.append(exc.message)
            continue
        kept.append(upload)
    return kept, refused


def _body(parsed: mailparse.Parsed) -> str:
    text = mailparse.trim_quoted(parsed.body) if parsed.in_reply_to else parsed.body
    return (text.strip() or "(no text)")[: actions.BODY_LIMIT]


def _open(
    sender: Sender, parsed: mailparse.Parsed, files: list[SimpleUploadedFile]
) -> tuple[Ticket, TicketEntry | None]:
    assert sender.client is not None
    subject = mailparse.clean_subject(parsed.subject)[:300]
    if sender.user is not None:  # a client user's own ticket, as if from the portal
        t = actions.open_ticket(
            actor=Actor(user=sender.user), client=sender.client, subject=subject,
            body=_body(parsed),
        )  # fmt: skip
        Ticket.objects.filter(pk=t.pk).update(source=Ticket.Source.EMAIL)
        t.source = Ticket.Source.EMAIL
    else:
        t = actions.open_ticket(
            actor=SYSTEM, client=sender.client, subject=subject, body=_body(parsed),
            source=Ticket.Source.EMAIL, requester_contact=sender.contact,
        )  # fmt: skip
    entry = t.entries.order_by("pk").first()
    if files:
        actions.attach_checked(SYSTEM, t, entry, files)
    audit.record(actor=SYSTEM, action="ticket.mail_received", obj=t,
                 after={"message_id": parsed.message_id, "from": parsed.from_address})  # fmt: skip
    return t, entry


def _reply(
    ticket: Ticket, sender: Sender, parsed: mailparse.Parsed, files: list[SimpleUploadedFile]
) -> TicketEntry:
    if sender.user is not None:
        return actions.reply(
            actor=Actor(user=sender.user), ticket=ticket, body=_body(parsed), files=files
        )
    return actions.reply(
        actor=SYSTEM, ticket=ticket, body=_body(parsed), files=files, from_contact=sender.contact
    )
