"""The notifications API as Alice (client admin of A) uses it: channels with write-only
secrets, routing rules with escalation steps, the test button and the delivery log; Charlie,
an outsider, gets 404; Bob (client user) may read but not change."""

from __future__ import annotations

import pytest

from openmsp.core.models import AuditRecord
from openmsp.notifications.models import Channel

pytestmark = pytest.mark.django_db
HOOK = {"name": "Ops hook", "kind": "webhook", "config": {"url": "https://hooks.example/x"}}


def _post(http, url, body):
    return http.post(url, body, content_type="application/json")


def _patch(http, url, body):
    return http.patch(url, body, content_type="application/json")


def test_alice_adds_a_webhook_whose_secret_is_never_shown_or_audited(client_a, alice, api_as):
    http = api_as(alice)
    url = f"/api/v1/clients/{client_a.pk}/notification-channels"
    secret = "a-very-long-signing-secret-123"
    made = _post(http, url, {**HOOK, "secret": secret})
    assert made.status_code == 201, made.content
    body = made.json()
    assert body["has_secret"] is True
    assert "secret" not in body
    listed = http.get(url).json()
    assert listed["count"] == 1
    assert secret not in str(listed)
    assert not AuditRecord.objects.filter(after__icontains=secret).exists()
    assert Channel.objects.get().secret == secret


def test_a_webhook_without_a_secret_or_with_a_file_url_is_a_422_naming_the_field(
    client_a, alice, api_as
):
    http = api_as(alice)
    url = f"/api/v1/clients/{client_a.pk}/notification-channels"
    no_secret = _post(http, url, HOOK)
    assert no_secret.status_code == 422
    assert no_secret.json()["field"] == "secret"
    bad = _post(http, url, {**HOOK, "config": {"url": "file:///etc/passwd"}, "secret": "x" * 20})
    assert bad.status_code == 422
    assert bad.json()["field"] == "config.url"
    assert "http" in bad.json()["detail"]


def test_slack_urls_are_credentials_and_shown_masked(client_a, alice, api_as):
    http = api_as(alice)
    body = {
        "name": "Chat",
        "kind": "slack",
        "config": {"url": "https://hooks.slack.com/services/T0/B0/XyZ"},
    }
    made = _post(http, f"/api/v1/clients/{client_a.pk}/notification-channels", body).json()
    assert made["config"]["url"] == "https://hooks.slack.com/…"


def test_alice_builds_a_route_with_a_ladder_and_changes_it(client_a, alice, msp_owner, api_as):
    http = api_as(alice)
    channel = _post(
        http,
        f"/api/v1/clients/{client_a.pk}/notification-channels",
        {"name": "Mail", "kind": "email", "config": {"recipients": ["noc@hanbit.example"]}},
    ).json()
    made = _post(
        http,
        f"/api/v1/clients/{client_a.pk}/notification-routes",
        {
            "name": "Production",
            "severities": ["critical"],
            "label_matchers": [{"name": "env", "op": "=~", "value": "prod.*"}],
            "group_by": ["env"],
            "channel_ids": [channel["id"]],
            "steps": [{"after_minutes": 15, "channel_ids": [channel["id"]]}],
        },
    )
    assert made.status_code == 201, made.content
    route = made.json()
    assert route["channel_ids"] == [channel["id"]]
    assert route["steps"] == [
        {
            "number": 1,
            "after_minutes": 15,
            "channel_ids": [channel["id"]],
            "people_ids": [],
            "oncall_schedule_ids": [],
        }
    ]
    changed = _patch(
        http, f"/api/v1/notification-routes/{route['id']}", {"continue_matching": True, "steps": []}
    )
    assert changed.status_code == 200
    assert changed.json()["continue_matching"] is True
    assert changed.json()["steps"] == []
    # Client admins cannot pick MSP staff as people; staff can.
    refused = _patch(
        http, f"/api/v1/notification-routes/{route['id']}", {"people_ids": [msp_owner.pk]}
    )
    assert refused.status_code == 422
    assert refused.json()["field"] == "people_ids"
    ok = _patch(
        api_as(msp_owner),
        f"/api/v1/notification-routes/{route['id']}",
        {"people_ids": [msp_owner.pk]},
    )
    assert ok.json()["people_ids"] == [msp_owner.pk]


def test_a_bad_regex_in_a_matcher_is_a_422(client_a, alice, api_as):
    made = _post(
        api_as(alice),
        f"/api/v1/clients/{client_a.pk}/notification-routes",
        {"name": "x", "label_matchers": [{"name": "env", "op": "=~", "value": "(prod"}]},
    )
    assert made.status_code == 422
    assert made.json()["field"] == "label_matchers.0.value"


def test_the_test_button_queues_a_message_the_delivery_log_shows(client_a, alice, bob, api_as):
    http = api_as(alice)
    channel = _post(
        http,
        f"/api/v1/clients/{client_a.pk}/notification-channels",
        {"name": "Mail", "kind": "email", "config": {"recipients": ["noc@hanbit.example"]}},
    ).json()
    queued = _post(http, f"/api/v1/notification-channels/{channel['id']}/test", {})
    assert queued.status_code == 202
    assert queued.json()["status"] == "pending"
    log = api_as(bob).get("/api/v1/notification-messages?status=pending&origin=test").json()
    assert [d["id"] for d in log["items"]] == [queued.json()["id"]]
    detail = api_as(bob).get(f"/api/v1/notification-messages/{queued.json()['id']}").json()
    assert detail["problems"] == 1
    assert detail["log"] == []
    assert (
        api_as(bob).post(f"/api/v1/notification-channels/{channel['id']}/test").status_code == 403
    )


def test_charlie_gets_404_for_client_as_channels(client_a, alice, charlie, api_as):
    channel = _post(
        api_as(alice),
        f"/api/v1/clients/{client_a.pk}/notification-channels",
        {"name": "Mail", "kind": "email", "config": {"recipients": ["noc@hanbit.example"]}},
    ).json()
    outsider = api_as(charlie)
    assert outsider.get(f"/api/v1/notification-channels/{channel['id']}").status_code == 404
    assert (
        _patch(
            outsider, f"/api/v1/notification-channels/{channel['id']}", {"enabled": "nope"}
        ).status_code
        == 404
    )
    assert outsider.get("/api/v1/notification-messages").json()["count"] == 0


def test_a_second_route_or_channel_with_the_same_name_or_a_second_default_is_a_409(
    client_a, alice, api_as
):
    http = api_as(alice)
    routes = f"/api/v1/clients/{client_a.pk}/notification-routes"
    assert _post(http, routes, {"name": "All", "is_default": True}).status_code == 201
    assert _post(http, routes, {"name": "All"}).status_code == 409
    second_default = _post(http, routes, {"name": "Other", "is_default": True})
    assert second_default.status_code == 409
    channels = f"/api/v1/clients/{client_a.pk}/notification-channels"
    mail = {"name": "Mail", "kind": "email", "config": {"recipients": ["a@hanbit.example"]}}
    assert _post(http, channels, mail).status_code == 201
    assert _post(http, channels, mail).status_code == 409
