"""Schedules through the API: CRUD, "who is on call now", computed shifts, overrides."""

from __future__ import annotations

import json
from typing import Any

import pytest
import time_machine

from openmsp.core.models import AuditRecord
from openmsp.oncall.models import Schedule
from openmsp.oncall.tests.conftest import weekly

JSON = "application/json"
BASE = "/api/v1/oncall/schedules"


def post(http: Any, url: str, body: Any) -> Any:
    return http.post(url, json.dumps(body), content_type=JSON)


@pytest.fixture
def owner(msp_owner: Any, api_as: Any) -> Any:
    return api_as(msp_owner)


@pytest.fixture
def schedule(owner: Any, kim: Any, lee: Any) -> dict[str, Any]:
    response = post(owner, BASE, {"name": "NOC", "layers": [weekly(kim, lee)]})
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


def test_it_creates_a_schedule_with_an_ordered_layer_and_audits_it(schedule, kim, lee):
    assert schedule["time_zone"] == "Asia/Seoul"
    assert schedule["layers"][0]["member_ids"] == [kim.pk, lee.pk]
    record = AuditRecord.objects.get(action="oncall_schedule.created")
    assert record.after is not None
    assert record.after["layers"][0]["members"] == [kim.pk, lee.pk]


@time_machine.travel("2026-03-10T12:00:00+09:00", tick=False)
def test_now_follows_the_weekly_rotation_from_its_first_hand_off(owner, schedule, kim, lee):
    response = owner.get(f"{BASE}/{schedule['id']}/now")
    assert response.status_code == 200
    body = response.json()
    assert body["user"]["email"] == lee.email  # second week: 2026-03-09 09:00 onwards
    assert body["source"] == "layer:0"
    assert body["until"].startswith("2026-03-16T00:00:00")  # 09:00 KST is 00:00 UTC
    everyone = owner.get("/api/v1/oncall/now").json()
    assert [(e["schedule_name"], e["user"]["id"]) for e in everyone] == [("NOC", lee.pk)]


def test_shifts_list_the_hand_offs_of_a_period(owner, schedule, kim, lee):
    url = f"{BASE}/{schedule['id']}/shifts?start=2026-03-02T00:00:00Z&end=2026-03-23T00:00:00Z"
    shifts = owner.get(url).json()["shifts"]
    assert [s["user"]["id"] for s in shifts] == [kim.pk, lee.pk, kim.pk]
    assert shifts[1]["start"].startswith("2026-03-09T00:00:00")


@time_machine.travel("2026-03-10T12:00:00+09:00", tick=False)
def test_an_override_wins_and_can_be_removed(owner, schedule, park):
    url = f"{BASE}/{schedule['id']}/overrides"
    body = {
        "user_id": park.pk,
        "start": "2026-03-10T10:00:00+09:00",
        "end": "2026-03-10T20:00:00+09:00",
        "reason": "swap",
    }
    created = post(owner, url, body)
    assert created.status_code == 201, created.content
    now = owner.get(f"{BASE}/{schedule['id']}/now").json()
    assert (now["user"]["id"], now["source"]) == (park.pk, "override")
    assert [o["id"] for o in owner.get(url).json()] == [created.json()["id"]]
    assert owner.delete(f"{url}/{created.json()['id']}").status_code == 204
    assert owner.get(f"{BASE}/{schedule['id']}/now").json()["source"] == "layer:0"
    actions = set(AuditRecord.objects.values_list("action", flat=True))
    assert {"oncall_override.created", "oncall_override.deleted"} <= actions


def test_patch_replaces_layers_and_delete_removes_the_schedule(owner, schedule, park):
    url = f"{BASE}/{schedule['id']}"
    response = owner.patch(
        url,
        json.dumps({"time_zone": "Europe/Berlin", "layers": [weekly(park, park)]}),
        content_type=JSON,
    )
    assert response.status_code == 200, response.content
    assert response.json()["layers"][0]["member_ids"] == [park.pk, park.pk]
    assert response.json()["time_zone"] == "Europe/Berlin"
    assert owner.delete(url).status_code == 204
    assert not Schedule.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "X", "time_zone": "Mars/Olympus"}, "time_zone"),
        (
            {
                "name": "X",
                "layers": [{"kind": "weekly", "start": "2026-03-02T09:00:00", "member_ids": [1]}],
            },
            "layers.0.start",
        ),
        (
            {
                "name": "X",
                "layers": [
                    {
                        "kind": "custom",
                        "hours": 0,
                        "start": "2026-03-02T09:00:00Z",
                        "member_ids": [],
                    }
                ],
            },
            "layers.0.member_ids",
        ),
        (
            {
                "name": "X",
                "layers": [{"kind": "hourly", "start": "2026-03-02T09:00:00Z", "member_ids": [1]}],
            },
            "layers.0.kind",
        ),
        (
            {
                "name": "X",
                "layers": [
                    {"kind": "weekly", "start": "2026-03-02T09:00:00Z", "member_ids": [987654]}
                ],
            },
            "layers.0.member_ids",
        ),
        (
            {
                "name": "X",
                "layers": [
                    {
                        "kind": "daily",
                        "start": "2026-03-02T09:00:00Z",
                        "member_ids": [1],
                        "restrictions": [{"weekdays": [9], "start": "09:00", "end": "18:00"}],
                    }
                ],
            },
            "layers.0.restrictions.0.weekdays",
        ),
        (
            {
                "name": "X",
                "layers": [
                    {
                        "kind": "daily",
                        "start": "2026-03-02T09:00:00Z",
                        "member_ids": [1],
                        "restrictions": [{"weekdays": [0], "start": "09:00", "end": "09:00"}],
                    }
                ],
            },
            "layers.0.restrictions.0",
        ),
        ({"name": "X", "colour": "red"}, "colour"),
    ],
)
def test_bad_schedules_are_refused_naming_the_field(owner, kim, body, field):
    for layer in body.get("layers", []):
        layer["member_ids"] = [kim.pk if i == 1 else i for i in layer["member_ids"]]
    response = post(owner, BASE, body)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field, response.json()


def test_a_custom_rotation_needs_its_hours(owner, kim):
    layer = {"kind": "custom", "start": "2026-03-02T09:00:00Z", "member_ids": [kim.pk]}
    response = post(owner, BASE, {"name": "X", "layers": [layer]})
    assert (response.status_code, response.json()["field"]) == (422, "layers.0.hours")


def test_a_client_user_cannot_be_on_call(owner, alice):
    response = post(owner, BASE, {"name": "X", "layers": [weekly(alice)]})
    assert (response.status_code, response.json()["field"]) == (422, "layers.0.member_ids")


def test_a_duplicate_name_is_a_409(owner, schedule):
    assert post(owner, BASE, {"name": "NOC"}).status_code == 409


@time_machine.travel("2026-03-10T12:00:00+09:00", tick=False)
@pytest.mark.parametrize(
    ("start", "end", "status", "field"),
    [
        ("2026-03-11T10:00:00+09:00", "2026-03-11T09:00:00+09:00", 422, "end"),
        ("2026-03-01T10:00:00+09:00", "2026-03-02T09:00:00+09:00", 422, "end"),
        ("2026-03-11T10:00:00+09:00", "2027-03-20T09:00:00+09:00", 422, "end"),
        ("2026-03-11T10:00:00", "2026-03-11T12:00:00+09:00", 422, "start"),
        ("2026-03-11T11:00:00+09:00", "2026-03-11T13:00:00+09:00", 409, "start"),  # overlaps
    ],
)
def test_bad_overrides_are_refused(owner, schedule, park, start, end, status, field):
    url = f"{BASE}/{schedule['id']}/overrides"
    first = {
        "user_id": park.pk,
        "start": "2026-03-11T10:00:00+09:00",
        "end": "2026-03-11T12:00:00+09:00",
    }
    assert post(owner, url, first).status_code == 201
    response = post(owner, url, {"user_id": park.pk, "start": start, "end": end})
    assert response.status_code == status, response.content
    assert response.json()["field"] == field


def test_an_override_for_an_unknown_user_is_a_422(owner, schedule):
    body = {"user_id": 987654, "start": "2030-01-01T00:00:00Z", "end": "2030-01-02T00:00:00Z"}
    response = post(owner, f"{BASE}/{schedule['id']}/overrides", body)
    assert (response.status_code, response.json()["field"]) == (422, "user_id")


@pytest.mark.parametrize(
    "query",
    [
        "?start=2026-03-02T00:00:00Z&end=2026-03-01T00:00:00Z",
        "?start=2026-01-01T00:00:00Z&end=2026-06-01T00:00:00Z",
        "?start=yesterday",
        "?colour=red",
    ],
)
def test_bad_shift_ranges_are_refused(owner, schedule, query):
    response = owner.get(f"{BASE}/{schedule['id']}/shifts{query}")
    assert response.status_code == 422, response.content


def test_client_users_get_403_on_lists_and_404_on_schedules(api_as, alice, schedule):
    http = api_as(alice)
    assert http.get(BASE).status_code == 403
    assert http.get("/api/v1/oncall/now").status_code == 403
    assert post(http, BASE, {"name": "Mine"}).status_code == 403
    for suffix in ("", "/now", "/shifts", "/overrides"):
        assert http.get(f"{BASE}/{schedule['id']}{suffix}").status_code == 404
    assert http.delete(f"{BASE}/{schedule['id']}").status_code == 404
    assert Schedule.objects.count() == 1


def test_an_auditor_reads_but_cannot_change(api_as, auditor, schedule):
    http = api_as(auditor)
    assert http.get(f"{BASE}/{schedule['id']}").status_code == 200
    assert http.delete(f"{BASE}/{schedule['id']}").status_code == 403


def test_a_client_scoped_schedule_is_hidden_from_staff_of_other_clients(
    owner, api_as, client_a, tech_b, kim
):
    body = {"name": "Hanbit", "client_id": client_a.pk, "layers": [weekly(kim)]}
    created = post(owner, BASE, body).json()
    http = api_as(tech_b)
    assert http.get(f"{BASE}/{created['id']}").status_code == 404
    assert http.get(BASE).json()["count"] == 0
    response = post(
        owner, BASE, {"name": "B", "client_id": client_a.pk, "layers": [weekly(tech_b)]}
    )
    assert (response.status_code, response.json()["field"]) == (422, "layers.0.member_ids")
