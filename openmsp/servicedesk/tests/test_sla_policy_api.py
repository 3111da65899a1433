"""SLA policies through the API and the pages: MSP staff create, reorder, replace and delete
them; client users can neither see nor change them; tickets show the policy that applied and
why; the queue shows clock badges and sorts by the next due time."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from openmsp.core.actor import Actor
from openmsp.servicedesk import policy_actions
from openmsp.servicedesk.models import SlaPolicy

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
JSON = "application/json"
T0 = dt.datetime(2026, 3, 10, 10, 0, tzinfo=dt.UTC)
BODY = {
    "name": "P1 around the clock",
    "priorities": ["P1"],
    "clocks": {
        "first_response": {"target_minutes": 15, "calendar": "24x7"},
        "resolution": {
            "target_minutes": 240, "calendar": "24x7", "warn_percent": 80,
            "steps": [{"offset_minutes": -30, "action": "notify"},
                      {"offset_minutes": 60, "action": "page_oncall"}],
        },
    },
}  # fmt: skip


def test_staff_create_list_move_replace_and_delete_policies(msp_owner: Any, api_as: Any) -> None:
    http = api_as(msp_owner)
    first = http.post("/api/v1/sla-policies", json.dumps(BODY), content_type=JSON)
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["clocks"]["resolution"]["warn_percent"] == 80
    assert [s["action"] for s in body["clocks"]["resolution"]["steps"]] == ["notify", "page_oncall"]
    second = http.post(
        "/api/v1/sla-policies", json.dumps({**BODY, "name": "Second"}), content_type=JSON
    ).json()
    names = [p["name"] for p in http.get("/api/v1/sla-policies").json()]
    assert names == ["P1 around the clock", "Second"]
    moved = http.post(
        f"/api/v1/sla-policies/{second['id']}/move", json.dumps({"direction": "up"}),
        content_type=JSON,
    )  # fmt: skip
    assert moved.status_code == 200
    assert [p["name"] for p in http.get("/api/v1/sla-policies").json()] == [
        "Second", "P1 around the clock",
    ]  # fmt: skip
    replaced = http.put(
        f"/api/v1/sla-policies/{body['id']}",
        json.dumps({"name": "Only resolution", "clocks": {"resolution": {"target_minutes": 60}}}),
        content_type=JSON,
    )
    assert replaced.status_code == 200
    assert set(replaced.json()["clocks"]) == {"resolution"}
    assert http.delete(f"/api/v1/sla-policies/{body['id']}").status_code == 204
    assert SlaPolicy.objects.count() == 1


def test_client_users_cannot_see_or_change_policies(
    alice: Any, bob: Any, client_a: Any, api_as: Any, web_as: Any
) -> None:
    policy = policy_actions.save_policy(
        actor=SYSTEM, name="Hanbit fast", client=client_a,
        clocks_spec={"resolution": {"target_minutes": 60}},
    )  # fmt: skip
    for who in (alice, bob):
        http = api_as(who)
        assert http.get("/api/v1/sla-policies").status_code == 403
        assert (
            http.post("/api/v1/sla-policies", json.dumps(BODY), content_type=JSON).status_code
            == 403
        )
        assert http.get(f"/api/v1/sla-policies/{policy.pk}").status_code == 404
        assert http.delete(f"/api/v1/sla-policies/{policy.pk}").status_code == 404
        web = web_as(who)
        assert web.get("/tickets/sla-policies/").status_code == 404
        assert web.post(f"/tickets/sla-policies/{policy.pk}/delete/").status_code == 404
    assert SlaPolicy.objects.filter(pk=policy.pk).exists()


def test_a_technician_reads_policies_but_may_not_change_them(
    client_a: Any, tech_a: Any, api_as: Any, web_as: Any
) -> None:
    http = api_as(tech_a)
    assert http.get("/api/v1/sla-policies").status_code == 200
    assert http.post("/api/v1/sla-policies", json.dumps(BODY), content_type=JSON).status_code == 403
    assert web_as(tech_a).get("/tickets/sla-policies/new/").status_code == 403


def test_the_editor_saves_a_policy_and_the_ticket_shows_why_and_the_queue_its_badges(
    client_a: Any, msp_owner: Any, tech_a: Any, open_as: Any, web_as: Any, api_as: Any,
    time_machine: Any,
) -> None:  # fmt: skip
    time_machine.move_to(T0, tick=False)
    msp_owner.language = "en"
    msp_owner.save(update_fields=["language"])
    web = web_as(msp_owner)
    form = {
        "name": "Hanbit P4", "client": str(client_a.pk), "priorities": ["P4"],
        "resolution_target": "90", "resolution_calendar": "24x7", "resolution_warn": "75",
        "first_response_target": "30", "first_response_calendar": "24x7",
        "step_clock": ["resolution", "resolution"], "step_offset": ["-15", ""],
        "step_action": ["notify", ""], "step_user": ["", ""], "step_team": ["", ""],
    }  # fmt: skip
    saved = web.post("/tickets/sla-policies/new/", form)
    assert saved.status_code == 302, saved.content.decode()[:2000]
    policy = SlaPolicy.objects.get(name="Hanbit P4")
    assert [(s.offset_minutes, s.action) for s in policy.steps.all()] == [(-15, "notify")]
    quiet = open_as(tech_a, client_a, subject="Later")
    time_machine.move_to(T0 + dt.timedelta(minutes=5), tick=False)
    urgent = open_as(tech_a, client_a, subject="Sooner")
    policy_actions.save_policy(
        actor=SYSTEM, policy=policy, name="Hanbit P4", client=client_a, priorities=["P4"],
        clocks_spec={"first_response": {"target_minutes": 30, "calendar": "24x7"},
                     "resolution": {"target_minutes": 90, "calendar": "24x7"}},
    )  # fmt: skip
    page = web.get(f"/tickets/{urgent.pk}/").content.decode()
    assert f"Policy Hanbit P4 applied because client is {client_a.name}, priority is P4." in page
    queue = web.get("/tickets/?ordering=next_due").content.decode()
    assert 'data-clock="first_response" data-state="running"' in queue
    assert "FR 25m" in queue  # 30 min target, 5 used
    assert queue.index("Later") < queue.index("Sooner")  # opened first: due first
    api = api_as(msp_owner).get("/api/v1/tickets?ordering=next_due").json()
    assert [t["subject"] for t in api["items"]] == ["Later", "Sooner"]
    assert api["items"][0]["sla_policy_id"] == policy.pk
    assert api["items"][0]["sla_policy_reason"]["matched"]["priority"] == "P4"
    assert quiet.pk != urgent.pk


def test_the_queue_counts_working_time_left_on_the_clocks_calendar_not_wall_time(
    client_a: Any, msp_owner: Any, tech_a: Any, open_as: Any, web_as: Any, time_machine: Any
) -> None:
    from openmsp.tenants import actions as tenant_actions

    kst = dt.timezone(dt.timedelta(hours=9))
    office = tenant_actions.create_calendar(
        actor=SYSTEM, client=client_a, name="Seoul office", time_zone="Asia/Seoul",
        intervals=[(d, 9 * 60, 18 * 60) for d in range(5)],
    )  # fmt: skip
    tenant_actions.create_contract(
        actor=SYSTEM, client=client_a, name="MSA", start_date=dt.date(2026, 1, 1),
        calendar=office, support_hours="calendar",
        sla_targets=[{"priority": "P4", "first_response_minutes": 120, "resolution_minutes": 960}],
    )  # fmt: skip
    time_machine.move_to(dt.datetime(2026, 3, 10, 10, 0, tzinfo=kst), tick=False)
    open_as(tech_a, client_a, subject="Printer")
    # Tuesday 20:00: 8 working hours used (10-18), 8 left; wall time would say 6.
    time_machine.move_to(dt.datetime(2026, 3, 10, 20, 0, tzinfo=kst), tick=False)
    msp_owner.language = "en"
    msp_owner.save(update_fields=["language"])
    queue = web_as(msp_owner).get("/tickets/").content.decode()
    assert "RES 8h00m" in queue
