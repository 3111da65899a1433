"""The network scope in the editors: an MSP admin aims a webhook channel and an HTTP check at a
service on this host (loopback) — refused under "private networks", saved under "internal" —
while a technician is offered no "internal" choice and a client admin no choice at all.

Loopback is not allowed for everyone here (the suite's allowance is cleared), so the rule of
openmsp.core.netguard decides alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from openmsp.monitoring.models import Check
from openmsp.monitoring.tests.peers import HttpPeer
from openmsp.notifications.models import Channel
from openmsp.web.testing import compiled_translations, speaking  # noqa: F401
from tests.browser.test_foundation_flow import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("compiled_translations"),
]
LOOPBACK_REFUSED = "127.0.0.1 is a loopback or link-local address"
SIGNING_SECRET = "relay-signing-secret-0123"


@pytest.fixture
def no_allowance(settings: Any) -> None:
    settings.OPENMSP_OUTBOUND_ALLOWED_NETWORKS = []


@pytest.fixture
def internal_service() -> Iterator[HttpPeer]:
    peer = HttpPeer()
    yield peer
    peer.stop()


def _scope_choices(page: Page) -> list[str]:
    values = page.locator("#id_network_scope option").evaluate_all("els => els.map(e => e.value)")
    return [str(value) for value in values]


def _new_webhook(page: Page, base: str, url: str) -> None:
    page.goto(f"{base}/notifications/channels/new/")
    page.select_option("#id_client", label="Hanbit Logistics")
    page.fill("#id_name", "Internal relay")
    page.select_option("#id_kind", "webhook")
    page.fill("#id_url", url)
    page.fill("#id_secret", SIGNING_SECRET)


def test_an_msp_admin_sets_the_internal_scope_on_a_channel_and_a_check(
    live_server, browser_page, msp_admin, client_a, no_allowance, internal_service
):
    page, base = browser_page, live_server.url
    speaking(msp_admin, "en")
    sign_in(page, base, msp_admin.email)
    hook = f"http://127.0.0.1:{internal_service.port}/hook"

    _new_webhook(page, base, hook)
    assert _scope_choices(page) == ["public", "private", "internal"]
    expect(page.locator("#id_network_scope")).to_have_value("private")  # staff's default
    page.get_by_role("button", name="Save").click()
    expect(page.locator("main")).to_contain_text(LOOPBACK_REFUSED)
    assert not Channel.objects.filter(name="Internal relay").exists()

    page.select_option("#id_network_scope", "internal")
    page.fill("#id_secret", SIGNING_SECRET)  # a password field is not filled in again
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/notifications/$"))
    channel = Channel.objects.get(name="Internal relay")
    assert (channel.network_scope, channel.config["url"]) == ("internal", hook)
    page.goto(f"{base}/notifications/channels/{channel.pk}/")
    expect(page.locator("#id_network_scope")).to_have_value("internal")
    page.select_option("#id_network_scope", "public")
    page.get_by_role("button", name="Save").click()  # narrowing it: the URL is now refused
    expect(page.locator("main")).to_contain_text(LOOPBACK_REFUSED)
    channel.refresh_from_db()
    assert channel.network_scope == "internal"

    page.goto(f"{base}/checks/new/")
    page.click("[data-kind=http]")
    page.select_option("#id_client", label="Hanbit Logistics")
    page.fill("#id_name", "Relay health")
    page.fill("#id_target", internal_service.url)
    page.fill("#id_timeout_seconds", "2")
    page.select_option("#id_network_scope", "private")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("main")).to_contain_text(LOOPBACK_REFUSED)
    page.select_option("#id_network_scope", "internal")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(re.compile(r"/checks/\d+/$"))
    assert Check.objects.get(name="Relay health").network_scope == "internal"


def test_a_technician_is_offered_no_internal_scope_and_a_client_admin_no_choice(
    live_server, browser_page, client_a, alice, no_allowance
):
    from conftest import make_user
    from openmsp.accounts.roles import Role

    tech = make_user("tess@msp.example", Role.TECHNICIAN, full_name="Tess Tech")
    page, base = browser_page, live_server.url
    speaking(tech, "en")
    sign_in(page, base, tech.email)
    _new_webhook(page, base, "https://hooks.example.com/in")
    assert _scope_choices(page) == ["public", "private"]
    page.goto(f"{base}/checks/new/")
    page.click("[data-kind=http]")
    assert _scope_choices(page) == ["public", "private"]
    page.get_by_test_id("user-menu").click()
    page.locator("form[action$='/accounts/logout/'] button").first.click()

    speaking(alice, "en")
    sign_in(page, base, alice.email)
    page.goto(f"{base}/notifications/channels/new/")
    expect(page.locator("#id_name")).to_be_visible()
    expect(page.locator("#id_network_scope")).to_have_count(0)
    page.goto(f"{base}/checks/new/")
    page.click("[data-kind=http]")
    expect(page.locator("#id_network_scope")).to_have_count(0)
