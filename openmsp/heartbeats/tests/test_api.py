"""The heartbeats API: Alice manages her client's heartbeats, Bob (her teammate) reads and works
with them, Charlie (another client) gets 404 for every one of them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from openmsp.core.models import AuditRecord
from openmsp.heartbeats.models import Heartbeat
from openmsp.heartbeats.tests.conftest import T0, fresh, make_heartbeat, ping

pytestmark = pytest.mark.django_db


def send(http: Any, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    return http.generic(
        method, url, json.dumps(body) if body is not None else "", content_type="application/json"
    )


def test_alice_creates_a_cron_heartbeat_and_gets_its_ping_url(api_as, alice, client_a):
    http = api_as(alice)
    response = send(http, "POST", "/api/v1/heartbeats", {
        "client_id": client_a.pk, "name": "ERP → WMS nightly", "kind": "cron", "cron": "30 2 * * *",
        "time_zone": "Asia/Seoul", "grace_seconds": 900, "tags": ["erp", "nightly"],
        "max_run_seconds": 3600,
    })  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    hb = Heartbeat.objects.get(pk=body["id"])
    assert body["ping_url"].endswith(f"/ping/{hb.ping_key}")
    assert (body["state"], body["kind"], body["tags"]) == ("new", "cron", ["erp", "nightly"])
    record = AuditRecord.objects.get(action="heartbeat.created", object_id=str(hb.pk))
    assert str(hb.ping_key) not in json.dumps(record.after)  # the credential is not audited


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "cron", "cron": "61 2 * * *"}, "cron"),
        ({"kind": "cron", "cron": "every night"}, "cron"),
        ({"kind": "cron", "cron": "0 2 * * *", "time_zone": "Asia/Busan"}, "time_zone"),
        ({"grace_seconds": 0}, "grace_seconds"),
        ({"grace_seconds": -5}, "grace_seconds"),
        ({"period_seconds": 0}, "period_seconds"),
        ({"min_run_seconds": 600, "max_run_seconds": 60}, "min_run_seconds"),
        ({"tags": ["two words"]}, "tags"),
        ({"slug": "Not A Slug"}, "slug"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_a_heartbeat_that_cannot_work_is_a_422_naming_the_field(
    api_as, alice, client_a, fields, field
):
    body = {"client_id": client_a.pk, "name": "job", **fields}
    response = send(api_as(alice), "POST", "/api/v1/heartbeats", body)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    assert not Heartbeat.objects.exists()


def test_the_same_slug_twice_in_one_client_is_a_conflict(api_as, alice, client_a):
    http = api_as(alice)
    body = {"client_id": client_a.pk, "name": "job", "slug": "erp-export"}
    assert send(http, "POST", "/api/v1/heartbeats", body).status_code == 201
    assert send(http, "POST", "/api/v1/heartbeats", body).status_code == 409


def test_bob_lists_and_changes_his_clients_heartbeats_and_a_new_schedule_moves_the_deadline(
    api_as, bob, backup_job
):
    ping(backup_job, at=T0)
    http = api_as(bob)
    listing = http.get("/api/v1/heartbeats?state=up").json()
    assert [i["name"] for i in listing["items"]] == ["hourly backup"]
    assert listing["items"][0]["next_expected_at"].startswith("2026-03-02T01:00:00")
    response = send(http, "PATCH", f"/api/v1/heartbeats/{backup_job.pk}", {"period_seconds": 7200})
    assert response.status_code == 200, response.content
    assert fresh(backup_job).alert_after == T0.replace(hour=2, minute=10)
    bad = send(http, "PATCH", f"/api/v1/heartbeats/{backup_job.pk}", {"kind": "cron", "cron": "x"})
    assert bad.status_code == 422
    assert bad.json()["field"] == "cron"


def test_the_ping_log_lists_runs_newest_first_with_their_run_time(api_as, bob, backup_job):
    ping(backup_job, "start", at=T0)
    ping(backup_job, at=T0.replace(second=42), body=b"42 rows")
    items = api_as(bob).get(f"/api/v1/heartbeats/{backup_job.pk}/pings").json()["items"]
    assert [(i["kind"], i["duration_seconds"], i["body"]) for i in items] == [
        ("success", 42.0, "42 rows"),
        ("start", None, ""),
    ]
    only = api_as(bob).get(f"/api/v1/heartbeats/{backup_job.pk}/pings?kind=start").json()
    assert only["count"] == 1


def test_pause_resume_and_a_new_key(api_as, alice, backup_job):
    http = api_as(alice)
    ping(backup_job, at=T0)
    paused = http.post(f"/api/v1/heartbeats/{backup_job.pk}/pause").json()
    assert paused["paused"] is True
    assert paused["alert_after"] is None
    resumed = http.post(f"/api/v1/heartbeats/{backup_job.pk}/resume").json()
    assert resumed["paused"] is False
    assert resumed["alert_after"] is not None
    old = backup_job.ping_key
    key = http.post(f"/api/v1/heartbeats/{backup_job.pk}/key").json()
    assert key["ping_key"] != str(old)
    assert key["ping_url"].endswith(key["ping_key"])
    assert fresh(backup_job).ping_key != old


def test_alice_deletes_a_heartbeat(api_as, alice, backup_job):
    http = api_as(alice)
    assert http.delete(f"/api/v1/heartbeats/{backup_job.pk}").status_code == 204
    assert http.get(f"/api/v1/heartbeats/{backup_job.pk}").status_code == 404


def test_charlie_gets_404_for_every_heartbeat_of_another_client(
    api_as, charlie, backup_job, client_a
):
    http = api_as(charlie)
    base = f"/api/v1/heartbeats/{backup_job.pk}"
    for method, url in [
        ("GET", base),
        ("PATCH", base),
        ("DELETE", base),
        ("GET", f"{base}/pings"),
        ("POST", f"{base}/pause"),
        ("POST", f"{base}/resume"),
        ("POST", f"{base}/key"),
    ]:
        assert send(http, method, url, {} if method == "PATCH" else None).status_code == 404, url
    assert http.get("/api/v1/heartbeats").json()["count"] == 0
    created = send(http, "POST", "/api/v1/heartbeats", {"client_id": client_a.pk, "name": "x"})
    assert created.status_code == 422
    assert created.json()["field"] == "client_id"
    assert fresh(backup_job).ping_key == backup_job.ping_key


def test_a_read_only_token_reads_but_cannot_change(api_as, alice, backup_job):
    http = api_as(alice, read_only=True)
    assert http.get(f"/api/v1/heartbeats/{backup_job.pk}").status_code == 200
    assert http.post(f"/api/v1/heartbeats/{backup_job.pk}/pause").status_code == 403


def test_an_auditor_may_not_create_heartbeats(api_as, auditor, client_a):
    response = send(
        api_as(auditor), "POST", "/api/v1/heartbeats", {"client_id": client_a.pk, "name": "x"}
    )
    assert response.status_code == 403


def test_a_heartbeat_may_name_a_site_and_asset_only_of_its_own_client(
    api_as, msp_owner, client_a, client_b
):
    from openmsp.heartbeats.tests.conftest import SYSTEM
    from openmsp.tenants import actions as tenant_actions

    site_b = tenant_actions.create_site(actor=SYSTEM, client=client_b, name="B HQ")
    body = {"client_id": client_a.pk, "name": "x", "site_id": site_b.pk}
    response = send(api_as(msp_owner), "POST", "/api/v1/heartbeats", body)
    assert response.status_code == 422
    assert response.json()["field"] == "site_id"
    make_heartbeat(client_a, "fine")
