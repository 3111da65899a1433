"""Watchers in a real browser: a technician adds a client user as a watcher on the ticket page
and replies in public; the watcher's mail arrives at a real SMTP server (aiosmtpd) in their
language, threaded; an internal note sends nothing; the watcher then stops watching in the
portal and gets no more mail."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from conftest import make_user
from openmsp.accounts.roles import Role
from openmsp.core.actor import Actor
from openmsp.notifications import outbox
from openmsp.servicedesk import actions, mail_actions
from openmsp.servicedesk.models import Ticket
from openmsp.tenants import actions as tenant_actions
from openmsp.web.testing import compiled_translations, speaking  # noqa: F401
from tests.browser.test_foundation_flow import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("compiled_translations"),
]
SYSTEM = Actor.system("test")


def mail_to(peer, address, count=1, timeout=15.0):
    """The mails `address` has received once there are `count` (outbox delivered meanwhile)."""
    deadline = time.monotonic() + timeout
    while True:
        outbox.deliver_due(worker="test")
        got = [m for m in peer.messages if str(m["To"]) == address]
        if len(got) >= count:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"{address} received {len(got)} of {count} mails")
        time.sleep(0.1)  # poll the peer again


def test_a_technician_adds_a_watcher_who_receives_the_public_reply_and_can_stop_watching(
    live_server, browser_page, client_a, bob, smtp
):
    page, base = browser_page, live_server.url
    tech = make_user("tech-a@msp.example", Role.TECHNICIAN, all_clients=False,
                     assigned_clients=[client_a], full_name="Tina Tech")  # fmt: skip
    speaking(tech, "en")
    speaking(bob, "ko")
    mail_actions.create_mailbox(
        actor=SYSTEM, client=client_a, name="Hanbit support", address="support@msp.example",
        intake="listener",
    )  # fmt: skip
    kim = tenant_actions.create_contact(
        actor=SYSTEM, client=client_a, name="Kim Minji", email="kim@hanbit.example", language="ko"
    )
    ticket = actions.open_ticket(
        actor=SYSTEM, client=client_a, subject="Label printer offline", body="E42 since 9:00.",
        requester_contact=kim,
    )  # fmt: skip

    sign_in(page, base, tech.email)
    page.goto(f"{base}/tickets/{ticket.pk}/")
    expect(page.locator("#watchers")).to_contain_text("Nobody watches this ticket.")
    page.select_option("#watcher-user", str(bob.pk))
    page.click("#add-watcher-button")
    expect(page.locator("main")).to_contain_text("Watcher added.")
    expect(page.locator(f"#watchers li[data-watcher='{bob.pk}']")).to_contain_text("Bob")
    assert list(Ticket.objects.get(pk=ticket.pk).watchers.all()) == [bob]

    page.fill("#id_body", "Internal: the vendor ships a new fuser.")
    page.check("input[name=kind][value=note]")
    page.click("#send-reply")
    expect(page.locator("#conversation")).to_contain_text("the vendor ships a new fuser")
    page.fill("#id_body", "Power-cycle it please; a replacement ships today.")
    page.click("#send-reply")
    expect(page.locator("#conversation")).to_contain_text("a replacement ships today")

    (to_bob,) = mail_to(smtp, "bob@hanbit.example")
    text = to_bob.get_content()
    assert "a replacement ships today" in text
    assert "vendor ships a new fuser" not in text  # the internal note is never mailed
    assert "지켜보고 계셔서" in text  # Bob reads Korean
    assert f"[#{ticket.number}]" in str(to_bob["Subject"])
    assert to_bob["Reply-To"] == "support@msp.example"
    assert to_bob["In-Reply-To"]  # threaded after the acknowledgement / the thread so far

    page.context.clear_cookies()
    sign_in(page, base, bob.email)
    page.goto(f"{base}/tickets/{ticket.pk}/")
    page.locator(f"#watchers li[data-watcher='{bob.pk}'] button").click()
    expect(page.locator("main h1")).to_be_visible()
    assert not Ticket.objects.get(pk=ticket.pk).watchers.exists()
    actions.reply(actor=Actor(user=tech), ticket=ticket, body="Fixed.")
    mail_to(smtp, "kim@hanbit.example", count=2)  # the requester's second reply mail arrived
    assert len([m for m in smtp.messages if str(m["To"]) == "bob@hanbit.example"]) == 1
