"""Mail into and out of the desk against real servers on loopback: Debian's dovecot holds the
mailbox (messages delivered by IMAP APPEND, read by the desk's poll job), aiosmtpd takes the
desk's outgoing mail from the notifications outbox."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import Message
from typing import Any

import pytest

from openmsp.core.actor import Actor
from openmsp.monitoring.tests.peers import free_port
from openmsp.notifications import outbox
from openmsp.notifications.models import OutboxMessage
from openmsp.notifications.tests.peers import SmtpPeer
from openmsp.servicedesk import actions, jobs, mail_actions, mail_in, mail_out
from openmsp.servicedesk.models import Mailbox, MailMessage, Ticket, TicketEntry
from openmsp.servicedesk.tests.mailpeers import DESK_PASSWORD, DESK_USER, DovecotPeer
from openmsp.tenants import actions as tenant_actions
from openmsp.tenants.models import Client, Contact

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


@pytest.fixture
def dovecot() -> Iterator[DovecotPeer]:
    peer = DovecotPeer()
    yield peer
    peer.stop()


@pytest.fixture
def smtp(smtp: SmtpPeer, settings: Any) -> SmtpPeer:
    settings.SITE_URL = "https://desk.msp.example"
    return smtp


@pytest.fixture
def mailbox(client_a: Client, dovecot: DovecotPeer) -> Mailbox:
    return mail_actions.create_mailbox(
        actor=SYSTEM, client=client_a, name="Hanbit support", address="support@msp.example",
        host="127.0.0.1", port=dovecot.port, security="none", username=DESK_USER,
        password=DESK_PASSWORD,
    )  # fmt: skip


@pytest.fixture
def kim(client_a: Client) -> Contact:
    return tenant_actions.create_contact(
        actor=SYSTEM, client=client_a, name="Kim Minji", email="kim@hanbit.example", language="ko"
    )


def mail(subject: str, body: str = "The printer jams.", *, sender: str = "kim@hanbit.example",
         msgid: str = "<m1@hanbit.example>", extra: str = "") -> bytes:  # fmt: skip
    head = (
        f"From: Kim Minji <{sender}>\nTo: support@msp.example\nSubject: {subject}\n"
        f"Message-ID: {msgid}\nDate: Tue, 01 Dec 2026 09:00:00 +0900\n{extra}"
        "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit\n\n"
    )
    return (head + body + "\n").encode()


def send_outbox() -> int:
    sent, failed = outbox.deliver_due(worker="test")
    assert failed == 0
    return sent


def headers(m: Message) -> dict[str, str]:
    return {k: str(v) for k, v in m.items()}


def test_a_message_opens_a_ticket_and_the_requester_gets_an_acknowledgement(
    dovecot: DovecotPeer, smtp: SmtpPeer, mailbox: Mailbox, kim: Contact
) -> None:
    dovecot.append(mail("VPN가 안 됩니다", "오늘 아침부터 VPN 접속이 안 됩니다."))

    assert jobs.poll_mailboxes.call() == 1

    ticket = Ticket.objects.get()
    assert (ticket.subject, ticket.source, ticket.requester_contact) == (
        "VPN가 안 됩니다",
        "email",
        kim,
    )
    assert ticket.entries.get().body == "오늘 아침부터 VPN 접속이 안 됩니다."
    assert send_outbox() == 1
    (ack,) = smtp.messages
    h = headers(ack)
    assert h["To"] == "kim@hanbit.example"
    assert h["From"] == "support@msp.example"
    assert h["Subject"] == f"[#{ticket.number}] VPN가 안 됩니다"
    assert h["In-Reply-To"] == "<m1@hanbit.example>"
    assert h["Auto-Submitted"] == "auto-replied"
    assert "요청을 접수하여" in ack.get_body().get_content()  # type: ignore[attr-defined]


def test_polling_twice_or_after_a_crash_handles_each_message_once(
    dovecot: DovecotPeer, mailbox: Mailbox, kim: Contact, monkeypatch: pytest.MonkeyPatch
) -> None:
    dovecot.append(mail("First"))
    dovecot.append(mail("Second", msgid="<m2@hanbit.example>"))
    real = mail_out.queue
    calls = {"n": 0}

    def crash_on_second(**kw: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise Killed  # the process dies mid-message: nothing of it may stay
        return real(**kw)

    monkeypatch.setattr(mail_out, "queue", crash_on_second)
    with pytest.raises(Killed):
        mail_in.poll(Mailbox.objects.get())
    assert list(Ticket.objects.values_list("subject", flat=True)) == ["First"]

    assert mail_in.poll(Mailbox.objects.get()) == 1
    assert mail_in.poll(Mailbox.objects.get()) == 0
    assert sorted(Ticket.objects.values_list("subject", flat=True)) == ["First", "Second"]
    assert MailMessage.objects.filter(direction="in").count() == 2


class Killed(BaseException):
    """Like SIGKILL for the test: not an error the job could catch and record."""


def test_a_message_that_cannot_be_processed_is_recorded_and_the_next_one_still_handled(
    dovecot: DovecotPeer, mailbox: Mailbox, kim: Contact, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = actions.open_ticket

    def buggy(**kw: Any) -> Any:
        if kw["subject"] == "Poison":
            raise ValueError("a bug")
        return real(**kw)

    monkeypatch.setattr(actions, "open_ticket", buggy)
    dovecot.append(mail("Poison"))
    dovecot.append(mail("Fine", msgid="<m2@hanbit.example>"))

    assert mail_in.poll(Mailbox.objects.get()) == 2

    poison = MailMessage.objects.get(message_id="<m1@hanbit.example>")
    assert poison.outcome == "failed"
    assert "ValueError: a bug" in poison.detail
    assert list(Ticket.objects.values_list("subject", flat=True)) == ["Fine"]
    assert mail_in.poll(Mailbox.objects.get()) == 0


def test_a_reply_with_in_reply_to_lands_on_its_ticket(
    dovecot: DovecotPeer, smtp: SmtpPeer, mailbox: Mailbox, kim: Contact
) -> None:
    dovecot.append(mail("Printer jams"))
    mail_in.poll_all()
    send_outbox()
    ack_id = str(smtp.messages[0]["Message-ID"])
    dovecot.append(
        mail(
            "Re: something else entirely",
            "Still jams.\n\nOn Tue, Kim wrote:\n> old text",
            msgid="<m2@hanbit.example>",
            extra=f"In-Reply-To: {ack_id}\n",
        )
    )

    mail_in.poll_all()

    ticket = Ticket.objects.get()
    assert [e.body for e in ticket.entries.all()] == ["The printer jams.", "Still jams."]
    assert MailMessage.objects.get(message_id="<m2@hanbit.example>").outcome == "threaded"


def test_a_korean_reply_without_threading_headers_lands_by_its_subject_tag(
    dovecot: DovecotPeer, mailbox: Mailbox, kim: Contact
) -> None:
    dovecot.append(mail("Printer jams"))
    mail_in.poll_all()
    ticket = Ticket.objects.get()
    dovecot.append(
        mail(
            f"회신: RE: [#{ticket.number}] Printer jams",
            "토너를 바꿔도 걸립니다.",
            msgid="<m2@hanbit.example>",
        )
    )

    mail_in.poll_all()

    assert Ticket.objects.count() == 1
    assert ticket.entries.last().body == "토너를 바꿔도 걸립니다."  # type: ignore[union-attr]


def test_an_auto_reply_is_recorded_and_not_answered(
    dovecot: DovecotPeer, smtp: SmtpPeer, mailbox: Mailbox, kim: Contact
) -> None:
    dovecot.append(mail("Printer jams"))
    mail_in.poll_all()
    ticket = Ticket.objects.get()
    send_outbox()
    dovecot.append(
        mail(
            f"Out of office: [#{ticket.number}] Printer jams",
            "I am away until Monday.",
            msgid="<ooo@hanbit.example>",
            extra="Auto-Submitted: auto-replied\n",
        )
    )
    dovecot.append(mail("Weekly digest", msgid="<list@x.example>", extra="Precedence: bulk\n"))

    mail_in.poll_all()

    assert Ticket.objects.count() == 1
    note = ticket.entries.last()
    assert note is not None
    assert note.kind == TicketEntry.Kind.SYSTEM
    assert "Auto-Submitted: auto-replied" in note.body
    assert set(MailMessage.objects.filter(direction="in").values_list("outcome", flat=True)) == {
        "opened",
        "automatic",
    }
    assert send_outbox() == 0
    assert len(smtp.messages) == 1


def test_a_staff_reply_goes_out_threaded_in_the_requesters_language(
    dovecot: DovecotPeer, smtp: SmtpPeer, mailbox: Mailbox, kim: Contact, msp_owner: Any
) -> None:
    dovecot.append(mail("Printer jams"))
    mail_in.poll_all()
    ticket = Ticket.objects.get()
    send_outbox()
    ack_id = str(smtp.messages[0]["Message-ID"])

    actions.reply(actor=Actor(user=msp_owner), ticket=ticket, body="토너를 교체해 주세요.")
    assert send_outbox() == 1

    reply = smtp.messages[1]
    h = headers(reply)
    assert h["Subject"] == f"[#{ticket.number}] Printer jams"
    assert h["In-Reply-To"] == ack_id
    assert h["References"].split() == ["<m1@hanbit.example>", ack_id]
    assert "Auto-Submitted" not in h
    assert h["X-OpenMSP-Ticket"] == ticket.number
    text = reply.get_body().get_content()  # type: ignore[attr-defined]
    assert "Kim Minji님, 안녕하세요." in text
    assert "토너를 교체해 주세요." in text
    # The requester's answer to it threads back by its In-Reply-To.
    dovecot.append(mail("Re: Printer jams", "감사합니다.", msgid="<m3@hanbit.example>",
                        extra=f"In-Reply-To: {h['Message-ID']}\n"))  # fmt: skip
    mail_in.poll_all()
    assert ticket.entries.last().body == "감사합니다."  # type: ignore[union-attr]


def test_mail_waits_in_the_outbox_while_smtp_is_down(
    dovecot: DovecotPeer, mailbox: Mailbox, kim: Contact, settings: Any
) -> None:
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens
    settings.EMAIL_USE_TLS = False
    dovecot.append(mail("Printer jams"))
    mail_in.poll_all()

    sent, failed = outbox.deliver_due(worker="test")

    row = OutboxMessage.objects.get(kind="mail")
    assert (sent, failed, row.status) == (0, 1, "pending")
    assert row.last_error


def test_attachments_are_kept_within_the_limits_and_refusals_recorded(
    dovecot: DovecotPeer, mailbox: Mailbox, kim: Contact
) -> None:
    raw = (
        b"From: kim@hanbit.example\nTo: support@msp.example\nSubject: Logs\n"
        b"Message-ID: <att@hanbit.example>\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\n'
        b"Logs attached.\n--b\nContent-Type: text/csv\n"
        b'Content-Disposition: attachment; filename="errors.csv"\n\na,b\n1,2\n'
        b"--b\nContent-Type: application/x-msdownload\n"
        b'Content-Disposition: attachment; filename="fix.exe"\n'
        b"Content-Transfer-Encoding: base64\n\nTVqQAAMAAAAEAAAA\n--b--\n"
    )
    dovecot.append(raw)

    mail_in.poll_all()

    ticket = Ticket.objects.get()
    assert [a.name for a in ticket.attachments.all()] == ["errors.csv"]
    assert "application/x-msdownload" in MailMessage.objects.get(direction="in").detail
    assert "fix.exe" not in "".join(a.name for a in ticket.attachments.all())
    assert ticket.entries.filter(kind="system", body__contains="x-msdownload").exists()


def test_an_unknown_sender_is_recorded_not_ticketed_when_the_mailbox_rejects_them(
    dovecot: DovecotPeer, mailbox: Mailbox
) -> None:
    mail_actions.update_mailbox(actor=SYSTEM, mailbox=mailbox, changes={"unknown_sender": "reject"})
    dovecot.append(mail("Buy now", sender="spam@else.example"))

    mail_in.poll_all()

    assert not Ticket.objects.exists()
    assert MailMessage.objects.get().outcome == "rejected"


def test_a_wrong_password_is_shown_on_the_mailbox_not_raised(
    dovecot: DovecotPeer, mailbox: Mailbox
) -> None:
    mail_actions.update_mailbox(actor=SYSTEM, mailbox=mailbox, changes={"password": "wrong"})

    assert mail_in.poll(Mailbox.objects.get()) == 0
    assert "Authentication failed" in Mailbox.objects.get().last_error
    ok, detail = mail_actions.check_mailbox(actor=SYSTEM, mailbox=mailbox, password=DESK_PASSWORD)
    assert ok
    assert "INBOX" in detail


def test_a_shared_mailbox_routes_by_sender_domain_and_never_across_clients(
    dovecot: DovecotPeer, client_a: Client, client_b: Client
) -> None:
    box = mail_actions.create_mailbox(
        actor=SYSTEM, client=None, name="MSP desk", address="desk@msp.example",
        host="127.0.0.1", port=dovecot.port, security="none", username=DESK_USER,
        password=DESK_PASSWORD, domain_routes={"hanbit.example": client_a.pk},
    )  # fmt: skip
    dovecot.append(mail("Printer jams", sender="new.person@hanbit.example"))
    mail_in.poll(box)
    ticket = Ticket.objects.get()
    assert ticket.client == client_a
    assert ticket.requester_contact is not None
    assert ticket.requester_contact.email == "new.person@hanbit.example"
    tenant_actions.create_contact(
        actor=SYSTEM, client=client_b, name="Outsider", email="eve@saebom.example"
    )
    dovecot.append(mail(f"Re: [#{ticket.number}] Printer jams", "Injected.",
                        sender="eve@saebom.example", msgid="<eve@saebom.example>"))  # fmt: skip
    dovecot.append(mail("Hello", sender="who@nowhere.example", msgid="<x@nowhere.example>"))

    mail_in.poll(Mailbox.objects.get())

    assert not ticket.entries.filter(body="Injected.").exists()
    eve_ticket = Ticket.objects.get(client=client_b)  # a new ticket of her own client
    assert eve_ticket.subject == "Printer jams"
    assert MailMessage.objects.get(message_id="<x@nowhere.example>").outcome == "rejected"


def test_a_sender_over_the_hourly_limit_is_treated_as_a_loop(
    dovecot: DovecotPeer, smtp: SmtpPeer, mailbox: Mailbox, kim: Contact, settings: Any
) -> None:
    settings.OPENMSP_MAIL_SENDER_LIMIT_PER_HOUR = 2
    for n in range(3):
        dovecot.append(mail(f"Alert {n}", msgid=f"<loop{n}@hanbit.example>"))

    mail_in.poll_all()

    assert Ticket.objects.count() == 2
    loop = MailMessage.objects.get(message_id="<loop2@hanbit.example>")
    assert loop.outcome == "automatic"
    assert "a mail loop" in loop.detail
    assert send_outbox() == 2  # two acknowledgements, nothing for the third


def test_a_customer_reply_by_mail_or_portal_is_mailed_to_the_technician_in_their_language(
    dovecot: DovecotPeer, smtp: SmtpPeer, mailbox: Mailbox, kim: Contact, client_a: Client
) -> None:
    from conftest import make_user
    from openmsp.accounts.roles import Role

    park = make_user("park@msp.example", Role.TECHNICIAN, full_name="Park", language="ko")
    dovecot.append(mail("Printer jams"))
    mail_in.poll_all()
    ticket = Ticket.objects.get()
    send_outbox()  # the requester's acknowledgement
    ack_id = str(smtp.messages[0]["Message-ID"])
    actions.assign(actor=SYSTEM, ticket=ticket, assignee=park)

    # Kim answers by mail: Park, the assignee, gets it in Korean, threaded, with the tag.
    dovecot.append(mail(f"RE: [#{ticket.number}] Printer jams", "아직도 걸립니다.",
                        msgid="<m2@hanbit.example>", extra=f"In-Reply-To: {ack_id}\n"))  # fmt: skip
    mail_in.poll_all()
    assert send_outbox() == 1
    to_park = smtp.messages[-1]
    h = headers(to_park)
    assert h["To"] == "park@msp.example"
    assert h["Subject"] == f"[#{ticket.number}] {client_a.name}: Printer jams"
    # In the ticket's thread: rooted at Kim's first message (mail clients group it with it).
    assert h["References"].split()[0] == "<m1@hanbit.example>"
    assert h["In-Reply-To"] in h["References"].split()
    assert h["Auto-Submitted"] == "auto-generated"
    text = to_park.get_body().get_content()  # type: ignore[attr-defined]
    assert "Kim Minji님이 티켓" in text
    assert "아직도 걸립니다." in text

    # Our own mail to a technician, if it ever came back into the mailbox, is not a new
    # customer message (it carries the desk's header and Auto-Submitted).
    dovecot.append(to_park.as_bytes())
    mail_in.poll_all()
    assert ticket.entries.filter(from_customer=True).count() == 2
    assert send_outbox() == 0

    # An English-reading technician on the team of an unassigned ticket gets it in English.
    lee = make_user("lee@msp.example", Role.TECHNICIAN, full_name="Lee", language="en")
    from openmsp.servicedesk.models import Team

    team = Team.objects.create(client=client_a, name="Desk")
    team.members.add(lee)
    actions.assign(actor=SYSTEM, ticket=ticket, assignee=None, team=team)
    actions.reply(actor=SYSTEM, ticket=ticket, body="Still broken.", from_contact=kim)
    assert send_outbox() == 1
    to_lee = smtp.messages[-1]
    assert headers(to_lee)["To"] == "lee@msp.example"
    assert "Kim Minji wrote on ticket" in to_lee.get_body().get_content()  # type: ignore[attr-defined]
