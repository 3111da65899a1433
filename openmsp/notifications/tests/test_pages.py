"""The notification pages as Alice uses them: add a mail channel, press "Send test", watch the
delivery log; add a routing rule; a form error names the field; Charlie gets 404; Korean."""

from __future__ import annotations

from typing import Any

import pytest

from openmsp.notifications import outbox
from openmsp.notifications.models import Channel, OutboxMessage, Route
from openmsp.web.testing import compiled_translations, speaking  # noqa: F401

pytestmark = pytest.mark.django_db


def step_rows(*rows: dict[str, Any]) -> dict[str, Any]:
    """The route editor's escalation formset as the browser posts it."""
    data: dict[str, Any] = {"steps-TOTAL_FORMS": len(rows), "steps-INITIAL_FORMS": 0}
    for index, row in enumerate(rows):
        data.update({f"steps-{index}-{name}": value for name, value in row.items()})
    return data


def test_alice_adds_a_mail_channel_sends_a_test_and_sees_it_delivered(
    client_a, alice, web_as, smtp_peer
):
    web = web_as(speaking(alice, "en"))
    made = web.post(
        "/notifications/channels/new/",
        {
            "client": client_a.pk,
            "name": "NOC mail",
            "kind": "email",
            "recipients": "noc@hanbit.example",
            "enabled": "on",
        },
    )
    assert made.status_code == 302, made.content.decode()[:2000]
    channel = Channel.objects.get()
    listing = web.get("/notifications/").content.decode()
    assert "NOC mail" in listing
    assert "noc@hanbit.example" in listing

    tested = web.post(f"/notifications/channels/{channel.pk}/test/")
    message = OutboxMessage.objects.get()
    assert tested.status_code == 302
    assert tested["Location"] == f"/notifications/deliveries/{message.pk}/"
    assert 'data-status="pending"' in web.get(tested["Location"]).content.decode()

    outbox.deliver_due(worker="w1")
    assert len(smtp_peer.messages) == 1
    log = web.get("/notifications/deliveries/?status=sent").content.decode()
    assert "[TEST] Hanbit Logistics · NOC mail" in log
    detail = web.get(f"/notifications/deliveries/{message.pk}/").content.decode()
    assert "delivered" in detail
    assert "250" in detail


def test_a_webhook_with_a_file_url_shows_the_error_on_the_url_field(client_a, alice, web_as):
    page = web_as(alice).post(
        "/notifications/channels/new/",
        {
            "client": client_a.pk,
            "name": "Hook",
            "kind": "webhook",
            "url": "file:///etc/passwd",
            "secret": "x" * 20,
        },
    )
    assert page.status_code == 422
    assert page.context["form"].errors["url"]
    assert not Channel.objects.exists()


def test_alice_adds_a_routing_rule_with_matchers(client_a, alice, web_as):
    web = web_as(alice)
    web.post(
        "/notifications/channels/new/",
        {"client": client_a.pk, "name": "NOC", "kind": "email", "recipients": "a@hanbit.example"},
    )
    channel = Channel.objects.get()
    made = web.post(
        "/notifications/routes/new/",
        {
            "client": client_a.pk,
            "name": "Production",
            "position": 10,
            "enabled": "on",
            "severities": ["critical"],
            "label_matchers": "env=~prod.*\nteam!=web",
            "group_by": "env",
            "group_wait_seconds": 30,
            "group_interval_seconds": 300,
            "repeat_interval_seconds": 3600,
            "channels": [channel.pk],
            **step_rows({"after_minutes": 15, "channels": [channel.pk]}),
        },
    )
    assert made.status_code == 302, made.content.decode()[:3000]
    route = Route.objects.get()
    assert route.label_matchers == [
        {"name": "env", "op": "=~", "value": "prod.*"},
        {"name": "team", "op": "!=", "value": "web"},
    ]
    assert list(route.channels.all()) == [channel]
    [step] = route.steps.all()
    assert step.after_minutes == 15
    assert list(step.channels.all()) == [channel]
    assert "env=~prod.*" in web.get("/notifications/routes/").content.decode()
    bad = web.post(f"/notifications/routes/{route.pk}/", {"name": "Production", "position": 10, "label_matchers": "env=~(prod", "group_wait_seconds": 30, "group_interval_seconds": 300, "repeat_interval_seconds": 3600, **step_rows()})  # fmt: skip
    unknown = web.post(f"/notifications/routes/{route.pk}/", {"name": "Production", "position": 10, "group_wait_seconds": 30, "group_interval_seconds": 300, "repeat_interval_seconds": 3600, **step_rows({"after_minutes": 5, "channels": [987654]})})  # fmt: skip
    assert unknown.status_code == 422
    assert unknown.context["steps"].forms[0].errors["channels"]
    assert route.steps.count() == 1, "nothing changed"
    assert bad.status_code == 422
    assert bad.context["form"].errors["label_matchers"]


def test_charlie_gets_404_for_client_as_channel_and_bob_cannot_edit(
    client_a, alice, bob, charlie, web_as
):
    web_as(alice).post(
        "/notifications/channels/new/",
        {"client": client_a.pk, "name": "NOC", "kind": "email", "recipients": "a@hanbit.example"},
    )
    channel = Channel.objects.get()
    assert web_as(charlie).get(f"/notifications/channels/{channel.pk}/").status_code == 404
    assert web_as(charlie).post(f"/notifications/channels/{channel.pk}/test/").status_code == 404
    assert "NOC" not in web_as(charlie).get("/notifications/").content.decode()
    assert web_as(bob).get(f"/notifications/channels/{channel.pk}/").status_code == 403
    assert "NOC" in web_as(bob).get("/notifications/").content.decode()


def test_the_pages_speak_korean(client_a, alice, web_as, compiled_translations):  # noqa: F811
    web = web_as(speaking(alice, "ko"))
    assert "전송 기록" in web.get("/notifications/deliveries/").content.decode()
    assert "라우팅 규칙" in web.get("/notifications/routes/").content.decode()
    assert "문제를 보낼 곳" in web.get("/notifications/").content.decode()
