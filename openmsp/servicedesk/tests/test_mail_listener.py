"""The desk's SMTP/LMTP listener on loopback, driven by Python's smtplib as a mail server would:
a message to a listener mailbox opens a ticket through the same intake as IMAP (threading,
loop detection, Message-ID duplicates) and is in the database before the 250; an unknown
recipient is refused at RCPT (550), an oversized message at DATA (552), and a message that
could not be stored is answered 451, so the sender keeps it."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from typing import Any

import pytest

from openmsp.core.actor import Actor
from openmsp.integrations.smtp_listener import ListenerConfig, MailListener
from openmsp.monitoring.tests.peers import free_port
from openmsp.servicedesk import mail_actions, mail_listener
from openmsp.servicedesk.models import Mailbox, MailMessage, Ticket, TicketEntry
from openmsp.tenants import actions as tenant_actions
from openmsp.tenants.models import Client

pytestmark = pytest.mark.django_db(transaction=True)  # the listener's threads see commits only
SYSTEM = Actor.system("test")
DESK = "support@msp.example"
LIMIT = 64 * 1024


@pytest.fixture
def desk(client_a: Client) -> Mailbox:
    tenant_actions.create_contact(
        actor=SYSTEM, client=client_a, name="Kim Minji", email="kim@hanbit.example", language="ko"
    )
    return mail_actions.create_mailbox(
        actor=SYSTEM, client=client_a, name="Hanbit support", address=DESK, intake="listener"
    )


def start(protocol: str) -> MailListener:
    config = ListenerConfig(host="127.0.0.1", port=free_port(), protocol=protocol, max_bytes=LIMIT)
    server = mail_listener.listener(config)
    server.start()
    return server


@pytest.fixture
def smtp_listener(desk: Mailbox) -> Iterator[MailListener]:
    server = start("smtp")
    yield server
    server.stop()


@pytest.fixture
def lmtp_listener(desk: Mailbox) -> Iterator[MailListener]:
    server = start("lmtp")
    yield server
    server.stop()


def mail(subject: str, body: str = "The printer jams.", *, msgid: str = "<m1@hanbit.example>",
         extra: str = "", to: str = DESK) -> bytes:  # fmt: skip
    return (
        f"From: Kim Minji <kim@hanbit.example>\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Message-ID: {msgid}\r\nDate: Tue, 01 Dec 2026 09:00:00 +0900\r\n{extra}"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n" + body + "\r\n"
    ).encode()


def client_of(server: MailListener) -> smtplib.SMTP:
    cls = smtplib.LMTP if server.config.protocol == "lmtp" else smtplib.SMTP
    return cls("127.0.0.1", server.config.port, timeout=30)


def send(server: MailListener, raw: bytes, to: list[str] | None = None) -> dict[str, Any]:
    with client_of(server) as s:
        return s.sendmail("kim@hanbit.example", to or [DESK], raw)


def test_smtp_mail_opens_a_ticket_that_exists_when_the_250_arrives(
    smtp_listener: MailListener, client_a: Client
) -> None:
    assert send(smtp_listener, mail("프린터 용지 걸림", "용지가 걸립니다.")) == {}
    # Nothing to wait for: the listener answered 250 only after the transaction committed.
    row = MailMessage.objects.get(direction="in", message_id="<m1@hanbit.example>")
    assert row.outcome == MailMessage.Outcome.OPENED
    assert row.uid is None
    assert row.mailbox is not None
    assert row.mailbox.address == DESK
    assert row.ticket is not None
    t = row.ticket
    assert (t.client_id, t.subject, t.source) == (client_a.pk, "프린터 용지 걸림", "email")
    assert t.entries.get().body == "용지가 걸립니다."


def test_a_reply_threads_and_a_resent_message_is_a_recorded_duplicate(
    smtp_listener: MailListener,
) -> None:
    send(smtp_listener, mail("Printer jams"))
    t = Ticket.objects.get()
    reply = mail(f"RE: [#{t.number}] Printer jams", "Still jams.", msgid="<m2@hanbit.example>",
                 extra="In-Reply-To: <m1@hanbit.example>\r\n")  # fmt: skip
    send(smtp_listener, reply)
    send(smtp_listener, reply)  # the sender did not see our 250 and tries again
    outcomes = list(
        MailMessage.objects.filter(direction="in").order_by("pk").values_list("outcome", flat=True)
    )
    assert outcomes == ["opened", "threaded", "duplicate"]
    assert Ticket.objects.count() == 1
    replies = TicketEntry.objects.filter(ticket=t, kind="reply").values_list("body", flat=True)
    assert list(replies) == ["The printer jams.", "Still jams."]


def test_an_auto_reply_is_recorded_and_opens_nothing(smtp_listener: MailListener) -> None:
    send(smtp_listener, mail("Out of office", extra="Auto-Submitted: auto-replied\r\n"))
    row = MailMessage.objects.get(direction="in")
    assert row.outcome == MailMessage.Outcome.AUTOMATIC
    assert Ticket.objects.count() == 0
    assert not MailMessage.objects.filter(direction="out").exists()  # never answered


def test_an_unknown_recipient_is_refused_at_rcpt(
    smtp_listener: MailListener, desk: Mailbox
) -> None:
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(smtp_listener, mail("Hello", to="nobody@msp.example"), ["nobody@msp.example"])
    code, text = refused.value.recipients["nobody@msp.example"]
    assert code == 550
    assert b"no such mailbox" in text
    # A disabled or polled (IMAP) mailbox is not the listener's either.
    mail_actions.update_mailbox(actor=SYSTEM, mailbox=desk, changes={"enabled": False})
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send(smtp_listener, mail("Hello"))
    assert not MailMessage.objects.exists()


def test_an_oversized_message_is_refused_with_552(smtp_listener: MailListener) -> None:
    big = mail("Huge", "x" * 70 + ("\r\n" + "x" * 70) * (LIMIT // 70))
    with client_of(smtp_listener) as s:  # announced size (SIZE=) : refused at MAIL FROM
        s.ehlo()
        assert s.has_extn("size")
        assert int(s.esmtp_features["size"]) == LIMIT
        with pytest.raises(smtplib.SMTPSenderRefused) as early:
            s.sendmail("kim@hanbit.example", [DESK], big)
        assert early.value.smtp_code == 552
    with client_of(smtp_listener) as s:  # no SIZE announced: refused at the end of DATA
        s.ehlo()
        assert s.mail("kim@hanbit.example")[0] == 250
        assert s.rcpt(DESK)[0] == 250
        code, _text = s.data(big)
        assert code == 552
    assert not MailMessage.objects.exists()


def test_a_message_that_cannot_be_stored_is_answered_451_and_kept_by_the_sender(
    smtp_listener: MailListener, desk: Mailbox
) -> None:
    with client_of(smtp_listener) as s:
        s.ehlo()
        s.mail("kim@hanbit.example")
        assert s.rcpt(DESK)[0] == 250
        Mailbox.objects.filter(pk=desk.pk).update(enabled=False)  # gone between RCPT and DATA
        code, _text = s.data(mail("Printer jams"))
    assert code == 451
    assert not MailMessage.objects.exists()
    Mailbox.objects.filter(pk=desk.pk).update(enabled=True)
    send(smtp_listener, mail("Printer jams"))  # the sender's retry
    assert MailMessage.objects.get(direction="in").outcome == "opened"


def test_lmtp_answers_each_recipient_and_delivers_to_each_mailbox(
    lmtp_listener: MailListener, client_a: Client, client_b: Client
) -> None:
    tenant_actions.create_contact(
        actor=SYSTEM, client=client_b, name="Kim Minji", email="kim@hanbit.example"
    )
    mail_actions.create_mailbox(
        actor=SYSTEM, client=client_b, name="Saebom support", address="saebom@msp.example",
        intake="listener",
    )  # fmt: skip
    with client_of(lmtp_listener) as s:
        assert s.ehlo()[0] == 250  # smtplib.LMTP sends LHLO
        s.mail("kim@hanbit.example")
        assert s.rcpt(DESK)[0] == 250
        assert s.rcpt("nobody@msp.example")[0] == 550
        assert s.rcpt("saebom@msp.example")[0] == 250
        first = s.data(mail("Printer jams", to=f"{DESK}, saebom@msp.example"))
        second = s.getreply()  # LMTP: one answer per accepted recipient
    assert first[0] == 250
    assert second[0] == 250
    clients = sorted(Ticket.objects.values_list("client_id", flat=True))
    assert clients == sorted([client_a.pk, client_b.pk])
    assert MailMessage.objects.filter(direction="in", outcome="opened").count() == 2


def test_lmtp_single_recipient_through_smtplib_sendmail(lmtp_listener: MailListener) -> None:
    assert send(lmtp_listener, mail("Printer jams")) == {}
    assert Ticket.objects.count() == 1


def test_serve_starts_the_listener_only_when_it_is_configured(settings: Any) -> None:
    from openmsp.core.management.commands.serve import child_commands

    settings.OPENMSP_MAIL_LISTENER = ""
    assert "mail-listener" not in child_commands("127.0.0.1", 8000)
    settings.OPENMSP_MAIL_LISTENER = "127.0.0.1:2525"
    assert child_commands("127.0.0.1", 8000)["mail-listener"][-1] == "mail-listener"


def test_the_listener_address_comes_from_the_setting(settings: Any) -> None:
    from openmsp.core.env import ConfigError

    settings.OPENMSP_MAIL_LISTENER = "[::1]:2526"
    settings.OPENMSP_MAIL_LISTENER_PROTOCOL = "lmtp"
    config = mail_listener.config_from_settings()
    assert (config.host, config.port, config.protocol) == ("::1", 2526, "lmtp")
    assert mail_listener.config_from_settings(port=18799).port == 18799
    settings.OPENMSP_MAIL_LISTENER = "no-port"
    with pytest.raises(ConfigError):
        mail_listener.config_from_settings()
