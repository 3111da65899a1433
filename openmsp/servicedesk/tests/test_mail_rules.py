"""The pure mail rules: reply/forward prefixes, the ticket tag, quoted text, automatic mail."""

from __future__ import annotations

import pytest

from openmsp.servicedesk import mailparse


@pytest.mark.parametrize(
    ("subject", "clean"),
    [
        ("RE: Printer jams", "Printer jams"),
        ("Re: re: FW: Printer jams", "Printer jams"),
        ("Fwd: [EXT] RE: Printer jams", "Printer jams"),
        ("회신: 답장: 전달: 프린터 고장", "프린터 고장"),
        ("회신: RE: [#T000042] 프린터 고장", "프린터 고장"),
        ("re[2]: Printer jams", "Printer jams"),
        ("Printer jams: again", "Printer jams: again"),
        ("Recap of the meeting", "Recap of the meeting"),
        ("", "(no subject)"),
    ],
)
def test_it_strips_reply_and_forward_prefixes_in_korean_and_english(
    subject: str, clean: str
) -> None:
    assert mailparse.clean_subject(subject) == clean


@pytest.mark.parametrize(
    ("subject", "number"),
    [
        ("회신: [#T000042] 프린터", 42),
        ("Re: Printer [#1234]", 1234),
        ("[T000007] x", 7),
        ("Printer #42", None),
        ("[EXT] Printer", None),
    ],
)
def test_it_reads_the_ticket_tag(subject: str, number: int | None) -> None:
    assert mailparse.ticket_tag(subject) == number


def test_it_trims_the_quoted_earlier_message() -> None:
    body = "Still broken.\n\nOn Tue, 1 Dec 2026 at 09:00, Desk wrote:\n> Try again\n> please"
    assert mailparse.trim_quoted(body) == "Still broken."
    ko = "확인했습니다.\n\n-----Original Message-----\n보낸 사람: desk"
    assert mailparse.trim_quoted(ko) == "확인했습니다."
    assert mailparse.trim_quoted("> only a quote") == "> only a quote"


def msg(extra: str, msgid: str = "<a@client.example>") -> bytes:
    return f"From: a@client.example\nMessage-ID: {msgid}\n{extra}Subject: x\n\nbody\n".encode()


@pytest.mark.parametrize(
    ("headers", "signal"),
    [
        ("Auto-Submitted: auto-replied\n", "Auto-Submitted: auto-replied"),
        ("Auto-Submitted: auto-generated\n", "Auto-Submitted: auto-generated"),
        ("X-Autoreply: yes\n", "X-Autoreply header"),
        ("X-Autorespond: yes\n", "X-Autorespond header"),
        ("Precedence: bulk\n", "Precedence: bulk"),
        ("Precedence: junk\n", "Precedence: junk"),
        ("Precedence: list\n", "Precedence: list"),
        ("List-Id: <team.lists.example>\n", "List-Id header"),
        ("Return-Path: <>\n", "Return-Path <> (a bounce)"),
        ("X-OpenMSP-Ticket: T000001\n", "X-OpenMSP-Ticket header"),
    ],
)
def test_it_recognises_automatic_mail(headers: str, signal: str) -> None:
    _parsed, m = mailparse.parse(msg(headers))
    assert mailparse.automatic_signal(m, own_domains={"desk.msp.example"}) == signal


def test_a_persons_mail_is_not_automatic_and_our_own_message_id_is() -> None:
    _p, person = mailparse.parse(msg("Auto-Submitted: no\nReturn-Path: <a@client.example>\n"))
    assert mailparse.automatic_signal(person, own_domains={"desk.msp.example"}) == ""
    _p, ours = mailparse.parse(msg("", msgid="<T000001.5.ab@desk.msp.example>"))
    assert (
        mailparse.automatic_signal(ours, own_domains={"desk.msp.example"}) == "our own Message-ID"
    )


def test_it_reads_threading_headers_nearest_first() -> None:
    raw = (
        b"From: Kim <KIM@Client.Example>\nMessage-ID: <c@x>\nIn-Reply-To: <b@x>\n"
        b"References: <a@x> <b@x>\nSubject: =?utf-8?b?7ZqM7IugOiDthYzsiqTtirg=?=\n\nhi\n"
    )
    parsed, _m = mailparse.parse(raw)
    assert parsed.thread_ids == ["<b@x>", "<a@x>"]
    assert parsed.from_address == "kim@client.example"
    assert parsed.subject == "회신: 테스트"
    html = b"From: a@b.example\nContent-Type: text/html\n\n<p>Hello<br>there &amp; you</p>"
    assert mailparse.parse(html)[0].body == "Hello\nthere & you"
