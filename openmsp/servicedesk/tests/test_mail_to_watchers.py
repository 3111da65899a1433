"""A ticket's watchers get its public updates by mail through the outbox (received here by a real
aiosmtpd on loopback): in their language, threaded into the ticket's thread, never internal
notes, never twice, and no more once they stop watching."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import make_user
from openmsp.accounts.roles import Role
from openmsp.core.actor import Actor
from openmsp.core.errors import PermissionDenied, ValidationFailed
from openmsp.notifications import outbox
from openmsp.notifications.tests.peers import SmtpPeer
from openmsp.servicedesk import actions, mail_actions, watch_actions
from openmsp.servicedesk.models import MailMessage, Ticket
from openmsp.tenants import actions as tenant_actions

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


@pytest.fixture
def smtp(smtp: SmtpPeer, settings: Any) -> SmtpPeer:
    settings.SITE_URL = "https://desk.msp.example"
    return smtp


@pytest.fixture
def desk(client_a: Any) -> Any:
    return mail_actions.create_mailbox(
        actor=SYSTEM, client=client_a, name="Hanbit support", address="support@msp.example",
        intake="listener",
    )  # fmt: skip


@pytest.fixture
def ticket(client_a: Any, desk: Any) -> Ticket:
    kim = tenant_actions.create_contact(
        actor=SYSTEM, client=client_a, name="Kim Minji", email="kim@hanbit.example", language="ko"
    )
    return actions.open_ticket(
        actor=SYSTEM, client=client_a, subject="Printer jams", body="It jams.",
        requester_contact=kim,
    )  # fmt: skip


def delivered(peer: SmtpPeer) -> dict[str, Any]:
    sent, failed = outbox.deliver_due(worker="test")
    assert failed == 0
    return {str(m["To"]): m for m in peer.messages[-sent:]} if sent else {}


def test_a_staff_public_reply_reaches_each_watcher_in_their_language_threaded(
    smtp: SmtpPeer, ticket: Ticket, tech_a: Any, client_a: Any
) -> None:
    bob = make_user("bob@hanbit.example", Role.CLIENT_USER, client_a, full_name="Bob",
                    language="en")  # fmt: skip
    lee = make_user("lee@msp.example", Role.TECHNICIAN, full_name="Lee", language="ko")
    for user in (bob, lee, tech_a):
        watch_actions.add_watcher(actor=Actor(user=tech_a), ticket=ticket, user=user)
    actions.reply(actor=Actor(user=tech_a), ticket=ticket, body="We replaced the fuser.")
    mail = delivered(smtp)
    # The requester's reply, and one mail per watcher other than the reply's author.
    assert sorted(mail) == ["bob@hanbit.example", "kim@hanbit.example", "lee@msp.example"]
    to_bob, to_lee = mail["bob@hanbit.example"], mail["lee@msp.example"]
    assert "We replaced the fuser." in to_bob.get_content()
    assert "You receive this because you watch the ticket" in to_bob.get_content()
    assert "지켜보고 계셔서" in to_lee.get_content()
    assert f"[#{ticket.number}]" in str(to_bob["Subject"])
    assert to_bob["Reply-To"] == "support@msp.example"
    assert to_bob["X-OpenMSP-Ticket"] == ticket.number
    assert to_bob["Auto-Submitted"] == "auto-generated"
    thread = list(MailMessage.objects.filter(ticket=ticket).values_list("message_id", flat=True))
    assert to_bob["In-Reply-To"] in thread  # continues the ticket's thread
    assert to_bob["Message-ID"] in thread  # and is known, so a mailed answer threads back


def test_internal_notes_are_not_mailed_to_watchers(
    smtp: SmtpPeer, ticket: Ticket, tech_a: Any, client_a: Any
) -> None:
    bob = make_user("bob@hanbit.example", Role.CLIENT_USER, client_a, full_name="Bob")
    watch_actions.add_watcher(actor=Actor(user=tech_a), ticket=ticket, user=bob)
    outbox.deliver_due(worker="test")  # the acknowledgement, if any
    before = len(smtp.messages)
    actions.note(actor=Actor(user=tech_a), ticket=ticket, body="Internal: the vendor is slow.")
    assert delivered(smtp) == {}
    assert len(smtp.messages) == before


def test_a_customer_message_reaches_watchers_but_not_twice_to_the_technician(
    smtp: SmtpPeer, ticket: Ticket, tech_a: Any, client_a: Any
) -> None:
    bob = make_user("bob@hanbit.example", Role.CLIENT_USER, client_a, full_name="Bob")
    actions.assign(actor=SYSTEM, ticket=ticket, assignee=tech_a)
    for user in (bob, tech_a):
        watch_actions.add_watcher(actor=Actor(user=tech_a), ticket=ticket, user=user)
    delivered(smtp)
    kim = ticket.requester_contact
    actions.reply(actor=SYSTEM, ticket=ticket, body="Still jams.", from_contact=kim)
    mail = delivered(smtp)
    # The assignee's customer update, and the watcher Bob; Kim wrote it; Tina only once.
    assert sorted(mail) == ["bob@hanbit.example", "tech-a@msp.example"]
    assert "Still jams." in mail["bob@hanbit.example"].get_content()


def test_a_watcher_who_stops_watching_gets_no_more_mail(
    smtp: SmtpPeer, ticket: Ticket, tech_a: Any, client_a: Any
) -> None:
    bob = make_user("bob@hanbit.example", Role.CLIENT_USER, client_a, full_name="Bob")
    watch_actions.add_watcher(actor=Actor(user=tech_a), ticket=ticket, user=bob)
    actions.reply(actor=Actor(user=tech_a), ticket=ticket, body="First answer.")
    assert "bob@hanbit.example" in delivered(smtp)
    assert watch_actions.remove_watcher(actor=Actor(user=bob), ticket=ticket, user=bob)
    actions.reply(actor=Actor(user=tech_a), ticket=ticket, body="Second answer.")
    assert sorted(delivered(smtp)) == ["kim@hanbit.example"]


def test_watchers_come_from_the_tickets_client_and_only_staff_add_others(
    ticket: Ticket, tech_a: Any, tech_b: Any, client_a: Any, charlie: Any
) -> None:
    bob = make_user("bob@hanbit.example", Role.CLIENT_USER, client_a, full_name="Bob")
    alice = make_user("alice@hanbit.example", Role.CLIENT_ADMIN, client_a, full_name="Alice")
    with pytest.raises(ValidationFailed) as outsider:
        watch_actions.add_watcher(actor=Actor(user=tech_a), ticket=ticket, user=charlie)
    assert outsider.value.field == "user"
    with pytest.raises(ValidationFailed):  # a technician of another client only
        watch_actions.add_watcher(actor=Actor(user=tech_a), ticket=ticket, user=tech_b)
    with pytest.raises(PermissionDenied):
        watch_actions.add_watcher(actor=Actor(user=alice), ticket=ticket, user=bob)
    assert watch_actions.add_watcher(actor=Actor(user=alice), ticket=ticket, user=alice)
    assert not watch_actions.add_watcher(actor=Actor(user=alice), ticket=ticket, user=alice)
    assert list(ticket.watchers.all()) == [alice]
