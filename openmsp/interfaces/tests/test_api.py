"""The interfaces API: Alice manages client A's interfaces, Bob (her teammate) works with them,
Charlie (client B) gets 404 for every one of them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from openmsp.core.models import AuditRecord
from openmsp.interfaces.models import Interface
from openmsp.interfaces.tests.conftest import make_interface, send_report

pytestmark = pytest.mark.django_db


def send(http: Any, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    return http.generic(
        method, url, json.dumps(body) if body is not None else "", content_type="application/json"
    )


def test_alice_creates_an_interface_and_gets_its_report_token_once(
    api_as, alice, client_a, msp_owner
):
    http = api_as(alice)
    response = send(http, "POST", "/api/v1/interfaces", {
        "client_id": client_a.pk, "name": "ERP → WMS orders", "code": "erp-wms-orders",
        "source_system": "SAP ERP", "target_system": "WMS", "protocol": "file",
        "direction": "outbound", "cron": "0 2 * * *", "time_zone": "Asia/Seoul",
        "deadline_minutes": 60, "max_error_rate": 2.5, "expect_traffic": True,
        "min_traffic_ratio": 0.3, "tags": ["erp"], "owner_id": msp_owner.pk,
    })  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    token = body["report_token"]
    assert token.startswith("omi_")
    assert body["report_url"].endswith("/api/v1/interfaces/report")
    assert (body["protocol"], body["owner_id"], body["cron"]) == ("file", msp_owner.pk, "0 2 * * *")
    assert body["next_evaluation_at"] is not None
    again = send(http, "GET", f"/api/v1/interfaces/{body['id']}").json()
    assert again["report_token"] is None  # shown once
    record = AuditRecord.objects.get(action="interface.created", object_id=str(body["id"]))
    assert token not in json.dumps(record.after)
    assert (
        send_report(
            token, {"runs": [{"run_id": "1", "started_at": "2026-03-02T00:00:00Z"}]}
        ).status_code
        == 200
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"cron": "61 2 * * *"}, "cron"),
        ({"cron": "every night"}, "cron"),
        ({"time_zone": "Asia/Busan"}, "time_zone"),
        ({"deadline_minutes": 30}, "deadline_minutes"),
        ({"max_error_rate": 101}, "max_error_rate"),
        ({"min_traffic_ratio": 0}, "min_traffic_ratio"),
        ({"protocol": "carrier-pigeon"}, "protocol"),
        ({"code": "Not A Code"}, "code"),
        ({"tags": ["two words"]}, "tags"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_an_interface_that_cannot_work_is_a_422_naming_the_field(
    api_as, alice, client_a, fields, field
):
    body = {"client_id": client_a.pk, "name": "orders", "code": "orders", **fields}
    response = send(api_as(alice), "POST", "/api/v1/interfaces", body)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field


def test_a_client_user_cannot_be_an_interfaces_owner(api_as, alice, bob, client_a):
    body = {"client_id": client_a.pk, "name": "orders", "code": "orders", "owner_id": bob.pk}
    response = send(api_as(alice), "POST", "/api/v1/interfaces", body)
    assert response.status_code == 422
    assert response.json()["field"] == "owner_id"


def test_the_same_code_twice_for_one_client_is_refused(api_as, alice, client_a):
    make_interface(client_a, code="orders")
    body = {"client_id": client_a.pk, "name": "orders again", "code": "orders"}
    response = send(api_as(alice), "POST", "/api/v1/interfaces", body)
    assert response.status_code == 409
    assert Interface.objects.filter(code="orders").count() == 1


def test_bob_changes_thresholds_and_pauses_and_the_change_is_audited(api_as, bob, client_a):
    iface, _token = make_interface(client_a)
    response = send(api_as(bob), "PATCH", f"/api/v1/interfaces/{iface.pk}", {
        "max_backlog": 500, "paused": True,
    })  # fmt: skip
    assert response.status_code == 200, response.content
    assert (response.json()["max_backlog"], response.json()["paused"]) == (500, True)
    assert AuditRecord.objects.filter(action="interface.paused", object_id=str(iface.pk)).exists()
    bad = send(api_as(bob), "PATCH", f"/api/v1/interfaces/{iface.pk}", {"time_zone": "Mars/Base"})
    assert bad.status_code == 422
    assert bad.json()["field"] == "time_zone"


def test_the_run_log_lists_reported_runs_newest_first(api_as, alice, client_a):
    iface, token = make_interface(client_a)
    send_report(token, {"runs": [
        {"run_id": "a", "started_at": "2026-03-02T00:00:00Z", "records_processed": 5},
        {"run_id": "b", "started_at": "2026-03-02T01:00:00Z", "records_processed": 7,
         "records_failed": 1, "failures_by_code": {"E1": 1}},
    ]})  # fmt: skip
    body = send(api_as(alice), "GET", f"/api/v1/interfaces/{iface.pk}/runs").json()
    assert body["count"] == 2
    assert [r["run_id"] for r in body["items"]] == ["b", "a"]
    assert body["items"][0]["records_failed"] == 1
    assert body["items"][0]["failures_by_code"] == {"E1": 1}


def test_a_new_token_is_returned_once_and_the_old_one_stops_working(api_as, alice, client_a):
    iface, old = make_interface(client_a)
    response = send(api_as(alice), "POST", f"/api/v1/interfaces/{iface.pk}/token")
    assert response.status_code == 200
    new = response.json()["report_token"]
    assert new != old
    report = {"runs": [{"run_id": "1", "started_at": "2026-03-02T00:00:00Z"}]}
    assert send_report(old, report).status_code == 401
    assert send_report(new, report).status_code == 200


def test_charlie_cannot_see_or_touch_client_as_interface(api_as, charlie, client_a):
    iface, _token = make_interface(client_a)
    http = api_as(charlie)
    assert send(http, "GET", "/api/v1/interfaces").json()["count"] == 0
    for method, url in [
        ("GET", f"/api/v1/interfaces/{iface.pk}"),
        ("PATCH", f"/api/v1/interfaces/{iface.pk}"),
        ("DELETE", f"/api/v1/interfaces/{iface.pk}"),
        ("GET", f"/api/v1/interfaces/{iface.pk}/runs"),
        ("POST", f"/api/v1/interfaces/{iface.pk}/token"),
    ]:
        assert send(http, method, url, {} if method == "PATCH" else None).status_code == 404
    assert Interface.objects.filter(pk=iface.pk).exists()


def test_alice_deletes_an_interface_and_its_runs_go_with_it(api_as, alice, client_a):
    iface, token = make_interface(client_a)
    send_report(token, {"runs": [{"run_id": "1", "started_at": "2026-03-02T00:00:00Z"}]})
    assert send(api_as(alice), "DELETE", f"/api/v1/interfaces/{iface.pk}").status_code == 204
    assert not Interface.objects.filter(pk=iface.pk).exists()
    assert (
        send_report(
            token, {"runs": [{"run_id": "2", "started_at": "2026-03-02T00:00:00Z"}]}
        ).status_code
        == 401
    )
