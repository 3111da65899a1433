"""The desk's mail set-up in a real browser: an MSP admin adds a client's mailbox on a real
dovecot, tests the connection (first with a wrong password, then the right one), and edits the
Korean reply template; the mailbox page then reads in Korean."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from openmsp.servicedesk.models import Mailbox, MailTemplate
from openmsp.servicedesk.tests.mailpeers import DESK_PASSWORD, DESK_USER, DovecotPeer
from openmsp.web.testing import compiled_translations, speaking  # noqa: F401
from tests.browser.test_foundation_flow import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("compiled_translations"),
]


@pytest.fixture
def dovecot():
    peer = DovecotPeer()
    yield peer
    peer.stop()


def test_an_msp_admin_adds_a_mailbox_tests_it_and_edits_a_template(
    live_server, browser_page, msp_admin, client_a, dovecot
):
    page, base = browser_page, live_server.url
    speaking(msp_admin, "en")
    sign_in(page, base, msp_admin.email)
    page.locator(".shell-nav a", has_text="Tickets").click()
    page.get_by_role("button", name="Mailboxes").click()
    page.get_by_role("button", name="New mailbox").click()
    page.select_option("#id_client", str(client_a.pk))
    page.fill("#id_name", "Hanbit support")
    page.fill("#id_address", "support@msp.example")
    page.fill("#id_host", "127.0.0.1")
    page.fill("#id_port", str(dovecot.port))
    page.select_option("#id_security", "none")
    page.fill("#id_username", DESK_USER)
    page.fill("#id_password", "not-the-password")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("main table")).to_contain_text("Hanbit support")
    box = Mailbox.objects.get()
    assert box.client == client_a
    assert DESK_PASSWORD not in box.password_encrypted

    page.get_by_role("link", name="Hanbit support").click()
    page.get_by_role("button", name="Test connection").click()
    expect(page.locator("#test-result")).to_contain_text("Connection failed")
    page.fill("#id_password", DESK_PASSWORD)
    page.get_by_role("button", name="Test connection").click()
    expect(page.locator("#test-result")).to_contain_text("Connection works")
    expect(page.locator("#test-result")).to_contain_text("INBOX")
    page.fill("#id_password", DESK_PASSWORD)
    page.get_by_role("button", name="Save").click()
    expect(page.locator("main table")).to_contain_text("Hanbit support")

    page.get_by_role("button", name="Mail templates").click()
    form = page.locator("#template-reply-ko")
    form.locator("textarea").fill("{{ requester }}님,\n\n{{ message }}\n\n한빛 헬프데스크 드림")
    form.get_by_role("button", name="Save").click()
    expect(page.locator("main")).to_contain_text("Template saved.")
    assert MailTemplate.objects.get(kind="reply", language="ko").body.endswith("헬프데스크 드림\n")
    bad = page.locator("#template-ack-en")
    bad.locator("textarea").fill("Hello {% if %}")
    bad.get_by_role("button", name="Save").click()
    expect(page.locator("#template-ack-en")).to_contain_text("does not compile")

    speaking(msp_admin, "ko")
    page.goto(f"{base}/tickets/mail/mailboxes/")
    expect(page.locator("main h1")).to_have_text("메일함")
