"""Reading inbound mail without the ORM: headers, body, attachments, the ticket tag, reply
prefixes, quoted text, and the signs of an automatic message (RFC 3834 and common practice).

Everything here is a pure function of the message bytes (and our own mail domain), so the rules
are unit-tested without a mail server.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr

# Reply and forward prefixes of Korean and English mail clients, with optional [tags] between
# them: "RE: [EXT] Fwd: 회신: 답장:" … any case, repeated.
_PREFIX = re.compile(
    r"^\s*(?:(?:re|fw|fwd|aw|sv|회신|답장|전달)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]\s*|\[[^\]#]*\]\s*)",
    re.IGNORECASE,
)
# The ticket tag we put in subjects: "[#T000123]"; "[#123]" and "[T000123]" are read too.
_TAG = re.compile(r"\[#?\s*T?0*(\d{1,12})\s*\]", re.IGNORECASE)
_MSGID = re.compile(r"<[^<>\s]+>")
# Where a quoted earlier message starts in a reply (Gmail, Outlook, Korean clients).
_QUOTE_START = re.compile(
    r"^(?:On .{1,200} wrote:\s*$|-{2,}\s*(?:Original Message|원본 메시지)\s*-{2,}|"
    r"_{10,}\s*$|(?:From|보낸 사람)\s*:.+$|20\d\d[.\-/]\s?\d{1,2}[.\-/].{0,80}작성:\s*$)",
    re.IGNORECASE | re.MULTILINE,
)
AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}


@dataclass
class Part:
    name: str
    content_type: str
    data: bytes


@dataclass
class Parsed:
    message_id: str
    in_reply_to: str
    references: list[str]
    from_address: str
    from_name: str
    to: list[str]
    subject: str
    body: str
    headers: str
    attachments: list[Part] = field(default_factory=list)

    @property
    def thread_ids(self) -> list[str]:
        """The ids this message answers, nearest first."""
        ids = ([self.in_reply_to] if self.in_reply_to else []) + self.references[::-1]
        return list(dict.fromkeys(ids))


def parse(raw: bytes) -> tuple[Parsed, EmailMessage]:
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    name, address = parseaddr(str(msg.get("From", "")))
    in_reply_to = _MSGID.findall(str(msg.get("In-Reply-To", "")))
    parsed = Parsed(
        message_id=(_MSGID.findall(str(msg.get("Message-ID", ""))) or [""])[0][:500],
        in_reply_to=(in_reply_to or [""])[0][:500],
        references=_MSGID.findall(str(msg.get("References", "")))[-20:],
        from_address=address.strip().lower()[:320],
        from_name=name.strip()[:200],
        to=[a.lower() for _n, a in getaddresses([str(v) for v in msg.get_all("To", [])]) if a],
        subject=" ".join(str(msg.get("Subject", "")).split())[:500],
        body=_body(msg),
        headers="\n".join(f"{k}: {v}" for k, v in msg.items())[:20_000],
    )
    for part in msg.iter_attachments():
        assert isinstance(part, EmailMessage)
        data = part.get_payload(decode=True)
        if isinstance(data, bytes):
            parsed.attachments.append(
                Part(part.get_filename() or "attachment", part.get_content_type(), data)
            )
    return parsed, msg


def _body(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        text = str(part.get_content())
    except (LookupError, UnicodeError):
        payload = part.get_payload(decode=True)
        text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if part.get_content_type() == "text/html":
        text = re.sub(r"(?is)<(script|style).*?</\1>", "", text)
        text = re.sub(r"(?i)<br\s*/?>|</p>|</div>", "\n", text)
        text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return text.replace("\r\n", "\n").strip()


def strip_prefixes(subject: str) -> str:
    """'RE: Fwd: 회신: [EXT] Printer jams' -> 'Printer jams' (the tag is kept)."""
    previous = None
    s = subject.strip()
    while previous != s:
        previous = s
        s = _PREFIX.sub("", s, count=1).strip()
    return s


def ticket_tag(subject: str) -> int | None:
    """The ticket id named by a subject tag, or None."""
    m = _TAG.search(subject)
    return int(m.group(1)) if m else None


def clean_subject(subject: str) -> str:
    """The subject a new ticket gets: prefixes and any tag removed."""
    return _TAG.sub("", strip_prefixes(subject)).strip() or "(no subject)"


def trim_quoted(body: str) -> str:
    """The new text of a reply: up to the first quote header, without '>' quoted lines."""
    m = _QUOTE_START.search(body)
    text = body[: m.start()] if m and m.start() > 0 else body
    lines = [line for line in text.splitlines() if not line.lstrip().startswith(">")]
    return "\n".join(lines).strip() or body.strip()


def automatic_signal(msg: EmailMessage, *, own_domains: set[str]) -> str:
    """Why this message is automatic (and must never be answered), or '' for a person's mail."""
    auto = str(msg.get("Auto-Submitted", "")).strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress", "X-OpenMSP-Ticket"):
        if msg.get(name) is not None:
            return f"{name} header"
    precedence = str(msg.get("Precedence", "")).strip().lower()
    if precedence in AUTO_PRECEDENCE:
        return f"Precedence: {precedence}"
    if msg.get("List-Id") is not None:
        return "List-Id header"
    if msg.get("Return-Path") is not None and str(msg.get("Return-Path")).strip() in ("<>", ""):
        return "Return-Path <> (a bounce)"
    ids = _MSGID.findall(str(msg.get("Message-ID", "")))
    if ids and ids[0].rstrip(">").rsplit("@", 1)[-1].lower() in own_domains:
        return "our own Message-ID"
    return ""
