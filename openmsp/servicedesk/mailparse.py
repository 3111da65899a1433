"""Reading inbound mail without the ORM: headers, body, attachments, the ticket tag, reply
prefixes, quoted text, and the signs of an automatic message (RFC 3834 and common practice).

Everything here is a pure function of the message bytes (and our own mail domain), so the rules
are unit-tested without a mail server.
"""

from __future__ import annotations

import html
import logging
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
log = logging.getLogger("openmsp.servicedesk.mail")
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
    """Never raises on any bytes: a header, body or part the stdlib cannot parse (its header
    parser raises IndexError on some malformed addresses) is read raw or left out."""
    msg = message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    name, address = parseaddr(header(msg, "From"))
    in_reply_to = _MSGID.findall(header(msg, "In-Reply-To"))
    parsed = Parsed(
        message_id=(_MSGID.findall(header(msg, "Message-ID")) or [""])[0][:500],
        in_reply_to=(in_reply_to or [""])[0][:500],
        references=_MSGID.findall(header(msg, "References"))[-20:],
        from_address=address.strip().lower()[:320],
        from_name=name.strip()[:200],
        to=[a.lower() for _n, a in getaddresses(_all(msg, "To")) if a],
        subject=" ".join(header(msg, "Subject").split())[:500],
        body=_body(msg),
        headers="\n".join(f"{k}: {_value(msg, k, v)}" for k, v in msg.raw_items())[:20_000],
    )
    parsed.attachments = _attachments(msg)
    return parsed, msg


def _value(msg: EmailMessage, name: str, raw: str) -> str:
    try:
        return str(msg.policy.header_fetch_parse(name, raw))
    except Exception:  # the stdlib's parser fails on some malformed values: keep the raw text
        return str(raw)


def header(msg: EmailMessage, name: str) -> str:
    """The decoded value of the first *name* header, its raw text when it cannot be decoded, or ''."""
    for key, raw in msg.raw_items():
        if key.lower() == name.lower():
            return _value(msg, key, raw)
    return ""


def _all(msg: EmailMessage, name: str) -> list[str]:
    return [_value(msg, k, raw) for k, raw in msg.raw_items() if k.lower() == name.lower()]


def _attachments(msg: EmailMessage) -> list[Part]:
    found = []
    try:
        parts = list(msg.iter_attachments())
    except Exception:  # a Content-Type the stdlib cannot read: no attachments to offer
        return []
    for part in parts:
        assert isinstance(part, EmailMessage)
        try:
            data = part.get_payload(decode=True)
            filename = part.get_filename()
            content_type = part.get_content_type()
        except Exception:  # a part the stdlib cannot decode is left out, not the message
            log.info("inbound mail: an attachment could not be decoded; skipped", exc_info=True)
            continue
        if isinstance(data, bytes):
            found.append(Part(filename or "attachment", content_type, data))
    return found


def _body(msg: EmailMessage) -> str:
    try:
        part = msg.get_body(preferencelist=("plain", "html"))
    except Exception:
        return ""
    if part is None:
        return ""
    try:
        text = str(part.get_content())
    except Exception:  # unknown or broken charset, bad transfer encoding
        try:
            payload = part.get_payload(decode=True)
        except Exception:
            payload = None
        text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if part.get_content_type() == "text/html":
        text = html_to_text(text)
    return text.replace("\r\n", "\n").strip()


_HIDDEN = re.compile(r"<(script|style)\b", re.IGNORECASE)
_BREAK = re.compile(r"(?i)<br\s*/?>|</p>|</div>")
_TAG_ANY = re.compile(r"<[^<>]*>")  # stops at the next '<': linear even on '<<<<…'


def html_to_text(text: str) -> str:
    """Visible text of an HTML body, in time linear in its length (a message of 200,000 '<' or
    unclosed '<script>' must not stall the mail poller)."""
    kept = []
    lower = text.lower()
    position = 0
    while (m := _HIDDEN.search(text, position)) is not None:
        kept.append(text[position : m.start()])
        close = lower.find(f"</{m.group(1).lower()}", m.end())
        if close < 0:
            position = len(text)  # unclosed: the rest is script
            break
        end = lower.find(">", close)
        position = len(text) if end < 0 else end + 1
    kept.append(text[position:])
    visible = _BREAK.sub("\n", "".join(kept))
    return html.unescape(_TAG_ANY.sub("", visible))


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
    auto = header(msg, "Auto-Submitted").strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress", "X-OpenMSP-Ticket"):
        if _present(msg, name):
            return f"{name} header"
    precedence = header(msg, "Precedence").strip().lower()
    if precedence in AUTO_PRECEDENCE:
        return f"Precedence: {precedence}"
    if _present(msg, "List-Id"):
        return "List-Id header"
    if _present(msg, "Return-Path") and header(msg, "Return-Path").strip() in ("<>", ""):
        return "Return-Path <> (a bounce)"
    ids = _MSGID.findall(header(msg, "Message-ID"))
    if ids and ids[0].rstrip(">").rsplit("@", 1)[-1].lower() in own_domains:
        return "our own Message-ID"
    return ""


def _present(msg: EmailMessage, name: str) -> bool:
    return name in msg  # case-insensitive, and without parsing the value
