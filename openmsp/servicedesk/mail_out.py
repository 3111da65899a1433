"""The desk's outgoing mail: the acknowledgement of a ticket opened by mail and every staff
public reply, to the requester; and every customer message, to the ticket's technician (its
assignee, else its team's members). Each in the reader's language, from the editable
templates, threaded.

Mail is rendered when it is queued (inside the action's transaction) and written to the
notifications outbox (openmsp.notifications.outbox.enqueue_prepared): when the SMTP server is
down the message waits there and is retried; nothing is lost with a failed request.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.template import engines
from django.template.exceptions import TemplateSyntaxError
from django.utils import translation

from openmsp.core.errors import ValidationFailed
from openmsp.integrations import smtp
from openmsp.servicedesk.models import Mailbox, MailMessage, MailTemplate, Ticket, TicketEntry

Kind = MailTemplate.Kind

# Seeded when a kind/language has no row (the editor then shows and changes these).
DEFAULTS: dict[tuple[str, str], tuple[str, str]] = {
    (Kind.ACKNOWLEDGEMENT, "en"): (
        "{{ tag }} {{ ticket.subject }}",
        "Hello {{ requester }},\n\nWe have received your request and opened ticket "
        "{{ ticket.number }}: {{ ticket.subject }}.\nReply to this email to add to it; "
        "keep {{ tag }} in the subject.\n\n{{ url }}\n\n{{ desk }}\n",
    ),
    (Kind.ACKNOWLEDGEMENT, "ko"): (
        "{{ tag }} {{ ticket.subject }}",
        "{{ requester }}님, 안녕하세요.\n\n요청을 접수하여 티켓 {{ ticket.number }}"
        "({{ ticket.subject }})을(를) 열었습니다.\n이 메일에 회신하시면 티켓에 추가됩니다. "
        "제목의 {{ tag }}는 지워 주시지 마세요.\n\n{{ url }}\n\n{{ desk }}\n",
    ),
    (Kind.REPLY, "en"): (
        "{{ tag }} {{ ticket.subject }}",
        "Hello {{ requester }},\n\n{{ message }}\n\n{{ author }}\n{{ desk }}\n\n"
        "Ticket {{ ticket.number }}: {{ url }}\n",
    ),
    (Kind.REPLY, "ko"): (
        "{{ tag }} {{ ticket.subject }}",
        "{{ requester }}님, 안녕하세요.\n\n{{ message }}\n\n{{ author }}\n{{ desk }}\n\n"
        "티켓 {{ ticket.number }}: {{ url }}\n",
    ),
    (Kind.CUSTOMER_UPDATE, "en"): (
        "{{ tag }} {{ client }}: {{ ticket.subject }}",
        "{{ requester }} wrote on ticket {{ ticket.number }} ({{ client }}):\n\n{{ message }}\n\n"
        "Answer in OpenMSP: {{ url }}\n",
    ),
    (Kind.CUSTOMER_UPDATE, "ko"): (
        "{{ tag }} {{ client }}: {{ ticket.subject }}",
        "{{ requester }}님이 티켓 {{ ticket.number }}({{ client }})에 글을 남겼습니다.\n\n"
        "{{ message }}\n\nOpenMSP에서 답변하세요: {{ url }}\n",
    ),
    (Kind.WATCHER, "en"): (
        "{{ tag }} {{ ticket.subject }}",
        "Hello {{ watcher }},\n\n{{ author }} wrote on ticket {{ ticket.number }} "
        "({{ client }}):\n\n{{ message }}\n\n{{ url }}\n\n"
        "You receive this because you watch the ticket. To stop, open it and choose "
        '"Stop watching".\n{{ desk }}\n',
    ),
    (Kind.WATCHER, "ko"): (
        "{{ tag }} {{ ticket.subject }}",
        "{{ watcher }}님, 안녕하세요.\n\n{{ author }}님이 티켓 {{ ticket.number }}"
        "({{ client }})에 글을 남겼습니다.\n\n{{ message }}\n\n{{ url }}\n\n"
        "이 티켓을 지켜보고 계셔서 받는 메일입니다. 그만 받으시려면 티켓을 열고 "
        '"지켜보기 중지"를 누르세요.\n{{ desk }}\n',
    ),
}
LANGUAGES = ("ko", "en")


def ensure_default_templates() -> None:
    for (kind, language), (subject, body) in DEFAULTS.items():
        MailTemplate.objects.get_or_create(
            kind=kind, language=language, defaults={"subject": subject, "body": body}
        )


def template_for(kind: str, language: str) -> MailTemplate:
    ensure_default_templates()
    lang = language if language in LANGUAGES else "ko"
    row: MailTemplate = MailTemplate.objects.get(kind=kind, language=lang)
    return row


def check_template(text: str, *, field: str) -> str:
    try:
        engines["django"].from_string(text)
    except TemplateSyntaxError as exc:
        raise ValidationFailed(f"The template does not compile: {exc}", field=field) from None
    return text


def render(text: str, context: dict[str, Any]) -> str:
    source = "{% autoescape off %}" + text + "{% endautoescape %}"
    return str(engines["django"].from_string(source).render(context))


def tag_of(ticket: Ticket) -> str:
    return f"[#{ticket.number}]"


def own_domain() -> str:
    configured: str = getattr(settings, "OPENMSP_MAIL_DOMAIN", "")
    return configured or urlsplit(settings.SITE_URL).hostname or "openmsp.invalid"


# --- who, from where, in what language ---------------------------------------------------------
@dataclass(frozen=True)
class Recipient:
    address: str
    name: str
    language: str


def recipient_of(ticket: Ticket) -> Recipient | None:
    user: Any = ticket.requester_user
    if user is not None and user.email:
        return Recipient(user.email, user.full_name or user.email, user.language)
    contact = ticket.requester_contact
    if contact is not None and contact.email:
        return Recipient(contact.email, contact.name, contact.language)
    return None


def mailbox_for(ticket: Ticket) -> Mailbox | None:
    """The mailbox the ticket came in through, else the client's, else the shared one: its
    address is where the requester's replies must go back to."""
    came = (
        MailMessage.objects.filter(ticket=ticket, direction="in", mailbox__enabled=True)
        .select_related("mailbox")
        .order_by("pk")
        .first()
    )
    if came is not None and came.mailbox is not None:
        return came.mailbox
    own: Mailbox | None = (
        Mailbox.objects.filter(enabled=True)
        .filter(Q(client_id=ticket.client_id) | Q(client__isnull=True))
        .order_by(F("client_id").asc(nulls_last=True), "pk")  # the client's own first
        .first()
    )
    if own is not None and own.client_id not in (None, ticket.client_id):
        return None
    return own


def _thread(ticket: Ticket) -> tuple[str, list[str]]:
    """(In-Reply-To, References) continuing the ticket's thread."""
    ids = list(
        MailMessage.objects.filter(ticket=ticket)
        .exclude(message_id="")
        .order_by("pk")
        .values_list("message_id", flat=True)
    )
    ids = list(dict.fromkeys(ids))
    if not ids:
        return "", []
    return ids[-1], (ids[:1] + ids[1:][-19:]) if len(ids) > 20 else ids


# --- queueing ----------------------------------------------------------------------------------
def _render(ticket: Ticket, kind: str, language: str, context: dict[str, Any]) -> tuple[str, str]:
    """(subject, body) of the kind's template in that language; the subject keeps the tag,
    which threads an answer, even when an edited template lost it."""
    tpl = template_for(kind, language)
    with translation.override(language):
        subject = " ".join(render(tpl.subject, context).split())[:300]
        body = render(tpl.body, context)
    if tag_of(ticket) not in subject:
        subject = f"{tag_of(ticket)} {subject}"
    return subject, body


def _send(
    ticket: Ticket, *, key: str, sender: str, to: list[str], subject: str, body: str,
    language: str, headers: dict[str, str],
) -> tuple[str, str, list[str]]:  # fmt: skip
    """Queue one rendered mail of the ticket's thread in the outbox (in the caller's
    transaction) and wake a worker after commit; returns (Message-ID, In-Reply-To, References)."""
    from openmsp.notifications import outbox
    from openmsp.notifications.models import OutboxMessage

    msgid = f"<{key}@{own_domain()}>"
    in_reply_to, references = _thread(ticket)
    headers = {
        "Message-ID": msgid, "X-OpenMSP-Ticket": ticket.number, "Content-Language": language,
        **headers,
    }  # fmt: skip
    if in_reply_to:
        headers["In-Reply-To"] = in_reply_to
        headers["References"] = " ".join(references)
    payload = smtp.prepared_payload(
        sender=sender, to=to, subject=subject, body=body, headers=headers
    )
    outbox.enqueue_prepared(
        client_id=ticket.client_id, key=key, payload=payload, origin=OutboxMessage.Origin.TICKET
    )
    transaction.on_commit(_wake_worker)
    return msgid, in_reply_to, references


def queue(*, ticket: Ticket, kind: str, entry: TicketEntry | None = None) -> MailMessage | None:
    """Render and queue one mail to the requester; None when there is no one to write to or no
    mailbox their answer could come back to. Call inside the action's transaction."""
    to = recipient_of(ticket)
    mailbox = mailbox_for(ticket)
    if to is None or mailbox is None:
        return None
    author: Any = entry.author if entry is not None else None
    context = {
        "ticket": ticket,
        "tag": tag_of(ticket),
        "requester": to.name,
        "message": entry.body if entry is not None else "",
        "author": (author.full_name or author.email) if author is not None else "",
        "desk": mailbox.name,
        "url": f"{settings.SITE_URL}/tickets/{ticket.pk}/",
        "client": ticket.client.name,
    }
    subject, body = _render(ticket, kind, to.language, context)
    key = f"{ticket.number}.{entry.pk if entry is not None else kind}.{secrets.token_hex(6)}"
    headers = {
        "Reply-To": mailbox.address,
        "X-Auto-Response-Suppress": "OOF, AutoReply",
    }
    if kind == Kind.ACKNOWLEDGEMENT:
        headers["Auto-Submitted"] = "auto-replied"  # RFC 3834: never answer this one
    msgid, in_reply_to, references = _send(
        ticket, key=key, sender=mailbox.address, to=[to.address], subject=subject, body=body,
        language=to.language, headers=headers,
    )  # fmt: skip
    return MailMessage.objects.create(
        client_id=ticket.client_id, mailbox=mailbox, direction=MailMessage.Direction.OUT,
        message_id=msgid, in_reply_to=in_reply_to, references=" ".join(references),
        from_address=mailbox.address, to_addresses=to.address, subject=subject, ticket=ticket,
        entry=entry, outcome=MailMessage.Outcome.SENT, detail=f"{kind}/{to.language}",
    )  # fmt: skip


def _wake_worker() -> None:
    from openmsp.notifications import jobs

    jobs.deliver.enqueue()  # deliver now; the scheduler's periodic deliver would anyway


def staff_replied(ticket: Ticket, entry: TicketEntry) -> None:
    """Hook of actions.reply: a staff public reply goes to the requester by mail."""
    queue(ticket=ticket, kind=Kind.REPLY, entry=entry)


def technicians_of(ticket: Ticket) -> list[Any]:
    """Who works the ticket: its assignee, else the members of its team (active MSP staff)."""
    people: list[Any] = [ticket.assignee] if ticket.assignee is not None else []
    if not people and ticket.team is not None:
        people = list(ticket.team.members.all())
    return [u for u in people if u.is_active and u.is_msp_staff and u.email]


def customer_wrote(ticket: Ticket, entry: TicketEntry) -> list[str]:
    """Hook of actions.reply: a customer message (portal or mail) is mailed to the ticket's
    technicians, one mail per language they read, threaded like the rest of the ticket's mail.
    Sent from the ticket's mailbox, else the platform's sender; returns the addresses."""
    people = technicians_of(ticket)
    author: Any = entry.author
    contact = entry.author_contact
    requester = (
        contact.name
        if contact is not None
        else (author.full_name or author.email)
        if author
        else ""
    )
    mailbox = mailbox_for(ticket)
    sender = mailbox.address if mailbox is not None else settings.DEFAULT_FROM_EMAIL
    by_language: dict[str, list[str]] = {}
    for user in people:
        lang = user.language if user.language in LANGUAGES else "ko"
        by_language.setdefault(lang, []).append(user.email)
    for language, emails in sorted(by_language.items()):
        context = {
            "ticket": ticket, "tag": tag_of(ticket), "requester": requester,
            "message": entry.body, "client": ticket.client.name,
            "url": f"{settings.SITE_URL}/tickets/{ticket.pk}/",
        }  # fmt: skip
        subject, body = _render(ticket, Kind.CUSTOMER_UPDATE, language, context)
        # Mail to the desk's own people: never to be answered by a robot, nor taken back in as
        # a customer message by our own intake (it carries our ticket header).
        _send(
            ticket, key=f"{ticket.number}.{entry.pk}.staff-{language}.{secrets.token_hex(6)}",
            sender=sender, to=sorted(emails), subject=subject, body=body, language=language,
            headers={"Auto-Submitted": "auto-generated"},
        )  # fmt: skip
    return sorted(e for emails in by_language.values() for e in emails)


def _name(user: Any) -> str:
    return str(user.full_name or user.email) if user is not None else ""


def watchers_updated(
    ticket: Ticket, entry: TicketEntry, *, mailed: Iterable[str] = ()
) -> list[str]:
    """Hook of actions.reply: a public message (staff or customer; never an internal note) is
    mailed to each of the ticket's watchers, in their language, threaded, except its author,
    the requester (who gets the reply mail) and anyone `mailed` already. One mail per watcher
    (watchers of the client and of the MSP do not see each other's addresses). Returns the
    addresses."""
    skip = {a.lower() for a in mailed}
    for person in (entry.author, ticket.requester_user):
        if person is not None and person.email:
            skip.add(person.email.lower())
    if entry.author_contact is not None and entry.author_contact.email:
        skip.add(entry.author_contact.email.lower())
    mailbox = mailbox_for(ticket)
    sender = mailbox.address if mailbox is not None else settings.DEFAULT_FROM_EMAIL
    author = entry.author_contact.name if entry.author_contact is not None else _name(entry.author)
    sent: list[str] = []
    for user in ticket.watchers.filter(is_active=True).exclude(email="").order_by("pk"):
        if user.email.lower() in skip:
            continue
        skip.add(user.email.lower())
        language = user.language if user.language in LANGUAGES else "ko"
        context = {
            "ticket": ticket, "tag": tag_of(ticket), "watcher": _name(user), "author": author,
            "message": entry.body, "client": ticket.client.name,
            "desk": mailbox.name if mailbox is not None else "",
            "url": f"{settings.SITE_URL}/tickets/{ticket.pk}/",
        }  # fmt: skip
        subject, body = _render(ticket, Kind.WATCHER, language, context)
        headers = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "OOF, AutoReply"}
        if mailbox is not None:
            headers["Reply-To"] = mailbox.address
        msgid, in_reply_to, references = _send(
            ticket, key=f"{ticket.number}.{entry.pk}.watch-{user.pk}.{secrets.token_hex(6)}",
            sender=sender, to=[user.email], subject=subject, body=body, language=language,
            headers=headers,
        )  # fmt: skip
        MailMessage.objects.create(
            client_id=ticket.client_id, mailbox=mailbox, direction=MailMessage.Direction.OUT,
            message_id=msgid, in_reply_to=in_reply_to, references=" ".join(references),
            from_address=sender[:320], to_addresses=user.email, subject=subject, ticket=ticket,
            entry=entry, outcome=MailMessage.Outcome.SENT, detail=f"{Kind.WATCHER}/{language}",
        )  # fmt: skip
        sent.append(user.email)
    return sent
