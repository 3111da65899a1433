"""The problems API: filtered, paginated lists; detail with timeline; acknowledge; maintenance
windows, dependencies and receiver tokens; the Alertmanager webhook with a client's token."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from openmsp.alerts.models import Problem
from openmsp.alerts.tests.conftest import seen
from openmsp.assets import actions as asset_actions
from openmsp.core import spine
from openmsp.core.actor import Actor

pytestmark = pytest.mark.django_db


@pytest.fixture
def problems(client_a, client_b) -> None:
    spine.observe(seen(client_a.pk, object_id="1"))
    spine.observe(seen(client_a.pk, "warning", object_id="2"))
    spine.observe(seen(client_b.pk, object_id="3"))


def test_lists_filter_by_severity_and_state_and_page(api_as, alice, problems):
    http = api_as(alice)
    body = http.get("/api/v1/problems").json()
    assert body["count"] == 2  # client B's problem is not hers
    assert http.get("/api/v1/problems?severity=warning").json()["count"] == 1
    assert http.get("/api/v1/problems?state=resolved").json()["count"] == 0
    assert http.get("/api/v1/problems?state=open&limit=1").json()["items"].__len__() == 1
    assert http.get("/api/v1/problems?suppressed=true").json()["count"] == 0
    bad = http.get("/api/v1/problems?severity=loud")
    assert bad.status_code == 422
    assert bad.json()["field"] == "severity"


def test_the_detail_has_the_timeline_and_acknowledging_works(api_as, bob, charlie, problems):
    problem = Problem.objects.filter(object_id="1").get()
    http = api_as(bob)
    detail = http.get(f"/api/v1/problems/{problem.pk}").json()
    assert [e["kind"] for e in detail["timeline"]] == ["opened", "fired"]
    expires = (timezone.now() + dt.timedelta(hours=1)).isoformat()
    response = http.post(
        f"/api/v1/problems/{problem.pk}/acknowledge",
        {"comment": "looking", "expires_at": expires},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "acknowledged"
    assert response.json()["acknowledged_by"] == bob.email
    again = http.post(f"/api/v1/problems/{problem.pk}/resolve", {}, content_type="application/json")
    assert again.status_code == 409
    outsider = api_as(charlie).post(
        f"/api/v1/problems/{problem.pk}/acknowledge", {}, content_type="application/json"
    )
    assert outsider.status_code == 404


def test_maintenance_windows_are_created_changed_and_deleted_by_staff(
    api_as, msp_owner, alice, client_a
):
    http = api_as(msp_owner)
    created = http.post(
        "/api/v1/maintenance-windows",
        {
            "client_id": client_a.pk,
            "name": "Firmware",
            "starts_at": "2026-12-24T22:00:00+09:00",
            "ends_at": "2026-12-25T02:00:00+09:00",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    window_id = created.json()["id"]
    patched = http.patch(
        f"/api/v1/maintenance-windows/{window_id}",
        {"counts_against_availability": True},
        content_type="application/json",
    )
    assert patched.json()["counts_against_availability"] is True
    bad = http.patch(
        f"/api/v1/maintenance-windows/{window_id}",
        {"cron": "nope"},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert bad.json()["field"] == "cron"
    refused = api_as(alice).post(
        "/api/v1/maintenance-windows",
        {"client_id": client_a.pk, "name": "x", "cron": "0 2 * * 0", "duration_minutes": 5},
        content_type="application/json",
    )
    assert refused.status_code == 403
    assert http.delete(f"/api/v1/maintenance-windows/{window_id}").status_code == 204


def test_a_dependency_cannot_cross_clients_or_make_a_cycle(api_as, msp_owner, client_a, client_b):
    system = Actor.system("test")
    host = asset_actions.create_asset(actor=system, client=client_a, name="web")
    router = asset_actions.create_asset(actor=system, client=client_a, name="router")
    foreign = asset_actions.create_asset(actor=system, client=client_b, name="other")
    http = api_as(msp_owner)

    def link(child, parent):
        return http.post(
            "/api/v1/asset-parents",
            {"child_id": child.pk, "parent_id": parent.pk},
            content_type="application/json",
        )

    assert link(host, router).status_code == 201
    assert link(router, host).status_code == 422
    assert link(host, foreign).json()["field"] == "parent_id"
    assert http.get("/api/v1/asset-parents").json()["count"] == 1


def test_a_receiver_token_opens_and_resolves_problems_of_its_client_only(
    api_as, msp_owner, client_a
):
    created = (
        api_as(msp_owner)
        .post(
            "/api/v1/alertmanager-tokens",
            {"client_id": client_a.pk, "name": "prometheus"},
            content_type="application/json",
        )
        .json()
    )
    receiver = HttpClient(headers={"Authorization": f"Bearer {created['token']}"})
    alert = {
        "status": "firing",
        "labels": {"alertname": "DiskFull", "severity": "critical", "instance": "db1"},
        "annotations": {"summary": "Disk full on db1"},
        "startsAt": "2026-12-01T09:00:00Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "fingerprint": "d1f2",
    }
    payload = {
        "version": "4",
        "status": "firing",
        "receiver": "openmsp",
        "groupKey": "{}",
        "alerts": [alert],
        "extra": 1,
    }
    answer = receiver.post("/api/v1/alertmanager/webhook", payload, content_type="application/json")
    assert answer.status_code == 200
    assert answer.json() == {"accepted": 1}
    problem = Problem.objects.get()
    assert (problem.client_id, problem.state, problem.severity) == (
        client_a.pk,
        "firing",
        "critical",
    )
    assert problem.title == "Disk full on db1"
    assert problem.external
    resolved = {**alert, "status": "resolved", "endsAt": "2026-12-01T09:10:00Z"}
    receiver.post(
        "/api/v1/alertmanager/webhook",
        {**payload, "status": "resolved", "alerts": [resolved]},
        content_type="application/json",
    )
    problem.refresh_from_db()
    assert problem.state == "resolved"
    token_id = created["id"]
    assert api_as(msp_owner).delete(f"/api/v1/alertmanager-tokens/{token_id}").status_code == 204
    refused = receiver.post(
        "/api/v1/alertmanager/webhook", payload, content_type="application/json"
    )
    assert refused.status_code == 401
    nobody = HttpClient().post(
        "/api/v1/alertmanager/webhook", payload, content_type="application/json"
    )
    assert nobody.status_code == 401
