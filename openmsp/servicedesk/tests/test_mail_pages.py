"""The mail set-up pages: MSP admins only, bad input answered on the form, the password never
shown or audited; the ticket page shows a ticket's mail to staff only."""

from __future__ import annotations

from typing import Any

import pytest

from openmsp.core.actor import Actor
from openmsp.core.models import AuditRecord
from openmsp.servicedesk import actions, mail_actions
from openmsp.servicedesk.models import Mailbox, MailMessage, MailTemplate
from openmsp.tenants.models import Client

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
FORM = {
    "name": "Hanbit support", "address": "support@msp.example", "host": "imap.msp.example",
    "port": "993", "security": "ssl", "username": "desk", "password": "pw-Zx81",
    "folder": "INBOX", "unknown_sender": "contact", "enabled": "on",
}  # fmt: skip


def test_an_msp_admin_creates_a_mailbox_and_its_password_is_neither_shown_nor_audited(
    web_as: Any, msp_admin: Any, client_a: Client
) -> None:
    web = web_as(msp_admin)
    r = web.post("/tickets/mail/mailboxes/new/", {**FORM, "client": client_a.pk})
    assert r.status_code == 302
    box = Mailbox.objects.get()
    assert box.client == client_a
    assert box.password_encrypted
    assert "pw-Zx81" not in box.password_encrypted
    page = web.get(f"/tickets/mail/mailboxes/{box.pk}/").content.decode()
    assert "pw-Zx81" not in page
    assert box.password_encrypted not in page
    record = AuditRecord.objects.get(action="mailbox.created")
    assert "pw-Zx81" not in str(record.after)
    assert "password_encrypted" not in str(record.after)


def test_a_shared_mailbox_routes_by_domain_and_bad_routes_are_named(
    web_as: Any, msp_admin: Any, client_a: Client
) -> None:
    web = web_as(msp_admin)
    r = web.post("/tickets/mail/mailboxes/new/", {**FORM, "domain_routes": "hanbit.example nosuch"})
    assert r.status_code == 422
    assert "there is no client" in r.content.decode()
    r = web.post("/tickets/mail/mailboxes/new/", {**FORM, "port": "99999"})
    assert r.status_code == 422
    r = web.post("/tickets/mail/mailboxes/new/", {**FORM, "domain_routes": "hanbit.example hanbit"})
    assert r.status_code == 302
    assert Mailbox.objects.get().domain_routes == {"hanbit.example": client_a.pk}


def test_technicians_and_client_users_may_not_use_the_mail_pages(
    web_as: Any, tech_a: Any, alice: Any
) -> None:
    for user in (tech_a, alice):
        web = web_as(user)
        for url in (
            "/tickets/mail/mailboxes/",
            "/tickets/mail/mailboxes/new/",
            "/tickets/mail/templates/",
        ):
            assert web.get(url).status_code == 403


def test_templates_are_seeded_in_korean_and_english_and_a_broken_one_is_refused(
    web_as: Any, msp_admin: Any
) -> None:
    web = web_as(msp_admin)
    assert web.get("/tickets/mail/templates/").status_code == 200
    assert set(MailTemplate.objects.values_list("kind", "language")) == {
        ("ack", "ko"), ("ack", "en"), ("reply", "ko"), ("reply", "en"),
        ("update", "ko"), ("update", "en"), ("watch", "ko"), ("watch", "en"),
    }  # fmt: skip
    r = web.post("/tickets/mail/templates/", {"kind": "reply", "language": "en",
                 "reply-en-subject": "{{ tag }} x", "reply-en-body": "{% if %}"})  # fmt: skip
    assert r.status_code == 422
    assert "does not compile" in r.content.decode()
    r = web.post("/tickets/mail/templates/", {"kind": "nope", "language": "en"})
    assert r.status_code == 422


def test_the_ticket_page_shows_its_mail_to_staff_only(
    web_as: Any, msp_admin: Any, bob: Any, client_a: Client
) -> None:
    ticket = actions.open_ticket(actor=Actor(user=bob), client=client_a, subject="VPN", body="x")
    box = mail_actions.create_mailbox(
        actor=SYSTEM, client=client_a, name="Support", address="support@msp.example",
        host="imap.msp.example", username="desk", password="pw",
    )  # fmt: skip
    MailMessage.objects.create(
        client=client_a, mailbox=box, direction="in", uid=1, uid_validity=1, ticket=ticket,
        message_id="<src-1@hanbit.example>", from_address="bob@hanbit.example", outcome="opened",
        headers="X-Mailer: Zq",
    )  # fmt: skip
    assert (
        "&lt;src-1@hanbit.example&gt;"
        in web_as(msp_admin).get(f"/tickets/{ticket.pk}/").content.decode()
    )
    assert "src-1@hanbit.example" not in web_as(bob).get(f"/tickets/{ticket.pk}/").content.decode()
