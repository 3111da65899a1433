"""Slack-compatible and Microsoft Teams webhooks receive their own formats from a real HTTP
receiver's point of view; outbound URLs other than http(s) are refused with a 422."""

from __future__ import annotations

import pytest

from openmsp.core.errors import ValidationFailed
from openmsp.notifications import dispatch, outbox
from openmsp.notifications.tests.conftest import change, later
from openmsp.notifications.tests.factories import route, webhook_channel

pytestmark = pytest.mark.django_db


def _deliver_one(client, http_peer, kind, **config):
    channel = webhook_channel(client, http_peer.url + f"/{kind}", kind=kind, **config)
    route(client, channel, is_default=True)
    change(client, title="Mail relay down")
    change(client, title="VPN down")
    dispatch.flush_due_groups(now=later(31))
    assert outbox.deliver_due(worker="w1") == (1, 0)
    [got] = http_peer.requests()
    return got.json()


def test_slack_gets_text_and_blocks_listing_the_problems(client_a, http_peer):
    body = _deliver_one(client_a, http_peer, "slack")
    assert body["text"] == "[FIRING:2] Hanbit Logistics · All problems"
    section = body["blocks"][1]["text"]["text"]
    assert "Mail relay down" in section
    assert "VPN down" in section


def test_teams_gets_a_message_card_by_default(client_a, http_peer):
    body = _deliver_one(client_a, http_peer, "teams")
    assert body["@type"] == "MessageCard"
    assert {f["value"] for f in body["sections"][0]["facts"]} == {"Mail relay down", "VPN down"}


def test_teams_can_get_an_adaptive_card_instead(client_a, http_peer):
    body = _deliver_one(client_a, http_peer, "teams", format="adaptive")
    card = body["attachments"][0]["content"]
    assert card["type"] == "AdaptiveCard"
    assert {f["value"] for f in card["body"][1]["facts"]} == {"Mail relay down", "VPN down"}


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "gopher://x/", "javascript:alert(1)", "ftp://h/"]
)
def test_a_channel_refuses_urls_that_are_not_http_or_https(client_a, url):
    with pytest.raises(ValidationFailed) as exc:
        webhook_channel(client_a, url, kind="slack")
    assert exc.value.field == "config.url"
    assert exc.value.status_code == 422
