"""Hypothesis over the inbound-mail parser (mailparse): random bytes and malformed MIME (bogus
charsets and transfer encodings, broken encoded words, unterminated multiparts, RFC 2231 file
names, HTML bodies) never raise and never hang, and what comes out respects its bounds.

Derandomized and bounded: each test runs in well under 30 s.
"""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openmsp.servicedesk import mailparse

pytestmark = pytest.mark.slow

FUZZ = settings(
    max_examples=300,
    deadline=1000,  # ms per message: a quadratic regex on a crafted subject fails here
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

CHARSETS = st.sampled_from(
    ["utf-8", "euc-kr", "ks_c_5601-1987", "iso-2022-kr", "cp949", "x-unknown", "", "utf-7",
     "us-ascii", "utf-16", '"utf-8', "utf-8\x00", "b" * 200]
)  # fmt: skip
ENCODINGS = st.sampled_from(
    ["7bit", "8bit", "base64", "quoted-printable", "binary", "x-uuencode", "bogus", ""]
)
WORDS = st.text(max_size=30) | st.binary(max_size=30).map(lambda b: b.decode("latin-1"))


def _encoded_word(charset: str, kind: str, text: str) -> str:
    return f"=?{charset}?{kind}?{text}?="


HEADER_VALUE = st.one_of(
    WORDS,
    st.builds(_encoded_word, CHARSETS, st.sampled_from(["B", "Q", "X", "b"]), WORDS),
    st.sampled_from(
        ["<a@b>", "<>", "<<<>>>", "Re: Fwd: 회신: [#T000123] printer", "[#99999999999999999999]",
         '"Kim, \\"Lee\\"" <kim@example.com>', "undisclosed-recipients:;", "a@b, , ,c@d",
         "@@@", "=?utf-8?B?7ZWc6riA?=", "=?utf-8?Q?=ED=95=9C?= =?utf-8?B?", "(comment) <x@y>"]
    ),
)  # fmt: skip
HEADER_NAMES = st.sampled_from(
    ["From", "To", "Cc", "Subject", "Message-ID", "In-Reply-To", "References", "Auto-Submitted",
     "Precedence", "List-Id", "Return-Path", "X-Autoreply", "Date", "Content-Type",
     "Content-Disposition", "Content-Transfer-Encoding", "MIME-Version", "X-Anything"]
)  # fmt: skip


@st.composite
def part(draw: st.DrawFn, depth: int = 0) -> bytes:
    """One MIME entity: headers (some malformed), then a body or nested parts."""
    lines = [f"{name}: {draw(HEADER_VALUE)}" for name in draw(st.lists(HEADER_NAMES, max_size=6))]
    kind = draw(st.sampled_from(["text/plain", "text/html", "application/pdf", "multipart/mixed",
                                 "multipart/alternative", "message/rfc822", "image/png", "text/x-y"]))  # fmt: skip
    encoding = draw(ENCODINGS)
    params = f'; charset="{draw(CHARSETS)}"'
    boundary = draw(st.sampled_from(["b1", "", "x" * 100, "b1\x00", "--"]))
    if kind.startswith("multipart/"):
        params += f'; boundary="{boundary}"'
    lines.append(f"Content-Type: {kind}{params}")
    lines.append(f"Content-Transfer-Encoding: {encoding}")
    if draw(st.booleans()):
        name = draw(WORDS)
        lines.append(
            draw(st.sampled_from([
                f'Content-Disposition: attachment; filename="{name}"',
                f"Content-Disposition: attachment; filename*=utf-8''{name}",
                f"Content-Disposition: attachment; filename*0*={draw(CHARSETS)}''{name}; filename*1={name}",
                f"Content-Disposition: inline; filename={name}",
            ]))
        )  # fmt: skip
    head = "\r\n".join(lines).encode("utf-8", "surrogateescape")
    if kind.startswith("multipart/") and depth < 2:
        children = draw(st.lists(part(depth + 1), max_size=3))
        body = b"".join(b"--" + boundary.encode() + b"\r\n" + c + b"\r\n" for c in children)
        if draw(st.booleans()):
            body += b"--" + boundary.encode() + b"--\r\n"  # sometimes unterminated
    elif kind == "message/rfc822" and depth < 2:
        body = draw(part(depth + 1))
    else:
        body = draw(
            st.binary(max_size=200)
            | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass"))
            | st.sampled_from([b"<script>x</script><p>hi<br>there", b"=\r\n=ZZ=0", b"!!!!===",
                               b"On Mon, Kim wrote:\r\n> quoted", b"<" * 500, b"\x00\xff" * 50])
        )  # fmt: skip
    return head + b"\r\n\r\n" + body


def _parse_fully(raw: bytes) -> None:
    started = time.monotonic()
    parsed, msg = mailparse.parse(raw)
    assert len(parsed.message_id) <= 500
    assert len(parsed.subject) <= 500
    assert len(parsed.headers) <= 20_000
    assert len(parsed.references) <= 20
    assert all(isinstance(a.data, bytes) and a.name for a in parsed.attachments)
    mailparse.clean_subject(parsed.subject)
    mailparse.ticket_tag(parsed.subject)
    mailparse.trim_quoted(parsed.body)
    mailparse.automatic_signal(msg, own_domains={"msp.example"})
    assert parsed.thread_ids == list(dict.fromkeys(parsed.thread_ids))
    assert time.monotonic() - started < 1.0


@FUZZ
@given(raw=st.binary(max_size=2000))
def test_random_bytes_are_parsed_without_an_exception(raw: bytes) -> None:
    _parse_fully(raw)


@FUZZ
@given(raw=part())
def test_malformed_mime_is_parsed_without_an_exception(raw: bytes) -> None:
    _parse_fully(raw)


@FUZZ
@given(subject=st.text(max_size=500), body=st.text(max_size=2000))
def test_subject_and_quote_rules_never_raise_on_any_text(subject: str, body: str) -> None:
    started = time.monotonic()
    mailparse.clean_subject(subject)
    mailparse.strip_prefixes(subject)
    mailparse.ticket_tag(subject)
    mailparse.trim_quoted(body)
    assert time.monotonic() - started < 0.5


def test_pathological_inputs_finish_quickly() -> None:
    """Inputs shaped against the regexes: long runs of what they match partly."""
    for raw in (
        b"Subject: " + b"Re: " * 5000 + b"\r\n\r\nx",
        b"Subject: " + b"[" * 20000 + b"\r\n\r\nx",
        b"Content-Type: text/html\r\n\r\n" + b"<" * 200_000,
        b"Content-Type: text/html\r\n\r\n" + b"<script>" * 20_000,
        b"References: " + b"<a@b> " * 20_000 + b"\r\n\r\nx",
        b"Content-Type: multipart/mixed; boundary=b\r\n\r\n" + b"--b\r\n" * 5000,
        b"\r\n\r\n" + b"On " + b"x" * 100_000 + b" wrote:\n",
    ):
        started = time.monotonic()
        _parse_fully_slow_ok(raw)
        assert time.monotonic() - started < 5.0, raw[:40]


def _parse_fully_slow_ok(raw: bytes) -> None:
    parsed, msg = mailparse.parse(raw)
    mailparse.clean_subject(parsed.subject)
    mailparse.trim_quoted(parsed.body)
    mailparse.automatic_signal(msg, own_domains={"msp.example"})
