"""The assets API as each persona meets it: the MSP manages, client users read their own client's
assets, outsiders (charlie, tech_b) get 404 for everything of client A."""

from __future__ import annotations

import datetime as dt

import pytest

from openmsp.agent_api.tests.agents import SignedAgent
from openmsp.assets import actions
from openmsp.assets.models import Asset
from openmsp.core.models import AuditRecord
from openmsp.tenants import actions as tenant_actions

pytestmark = pytest.mark.django_db


@pytest.fixture
def switch(client_a, system_actor) -> Asset:
    return actions.create_asset(
        actor=system_actor,
        client=client_a,
        name="Core switch",
        role="network",
        tags=["core", "floor-3"],
    )


def test_the_msp_adds_a_manual_asset_with_tags(api_as, msp_owner, client_a) -> None:
    body = {
        "client_id": client_a.pk,
        "name": "Firewall",
        "role": "network",
        "criticality": "critical",
        "tags": ["edge", "fortinet"],
        "vendor": "Fortinet",
        "warranty_until": "2027-03-31",
        "end_of_life": "2029-12-31",
    }
    response = api_as(msp_owner).post("/api/v1/assets", body, content_type="application/json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["kind"] == "manual"
    assert data["status"] == "unknown"
    assert data["agent"] is None
    assert data["tags"] == ["edge", "fortinet"]
    record = AuditRecord.objects.get(action="asset.created", object_id=str(data["id"]))
    assert (record.after or {})["tags"] == ["edge", "fortinet"]


def test_client_users_cannot_add_or_change_assets(api_as, alice, bob, client_a, switch) -> None:
    for user in (alice, bob):
        http = api_as(user)
        created = http.post(
            "/api/v1/assets",
            {"client_id": client_a.pk, "name": "x"},
            content_type="application/json",
        )
        assert created.status_code == 403
        patched = http.patch(
            f"/api/v1/assets/{switch.pk}", {"name": "y"}, content_type="application/json"
        )
        assert patched.status_code == 403
        assert http.delete(f"/api/v1/assets/{switch.pk}").status_code == 403


def test_client_users_read_their_own_clients_assets(api_as, alice, bob, switch) -> None:
    for user in (alice, bob):
        http = api_as(user)
        listed = http.get("/api/v1/assets").json()
        assert [a["name"] for a in listed["items"]] == ["Core switch"]
        assert http.get(f"/api/v1/assets/{switch.pk}").status_code == 200
        assert http.get(f"/api/v1/assets/{switch.pk}/inventory").status_code == 200
        assert http.get(f"/api/v1/assets/{switch.pk}/metric-names").status_code == 200


@pytest.mark.parametrize("outsider", ["charlie", "tech_b"])
def test_outsiders_get_404_for_client_a_assets(
    request, outsider, api_as, agent_a: SignedAgent, switch
) -> None:
    http = api_as(request.getfixturevalue(outsider))
    asset_id = agent_a.agent.asset_id
    for path in (
        "",
        "/inventory",
        "/inventory/changes",
        "/metric-names",
        "/status-history",
        "/metrics?name=cpu.percent",
    ):
        assert http.get(f"/api/v1/assets/{asset_id}{path}").status_code == 404, path
    assert (
        http.patch(
            f"/api/v1/assets/{switch.pk}", {"name": "x"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert http.delete(f"/api/v1/assets/{switch.pk}").status_code == 404
    assert http.post(f"/api/v1/assets/{asset_id}/agent/revoke").status_code == 404
    assert http.get("/api/v1/assets").json()["items"] == []


def test_the_list_filters_and_paginates(
    api_as, msp_owner, client_a, client_b, system_actor, agent_a
) -> None:
    site = tenant_actions.create_site(actor=system_actor, client=client_a, name="Busan")
    for n in range(3):
        actions.create_asset(
            actor=system_actor,
            client=client_a,
            name=f"Printer {n}",
            role="other",
            site=site,
            tags=["print"],
        )
    actions.create_asset(
        actor=system_actor, client=client_b, name="NAS", os_name="DSM", serial="SN-999"
    )
    agent_a.batch()
    http = api_as(msp_owner)

    def names(query: str) -> list[str]:
        response = http.get(f"/api/v1/assets?{query}")
        assert response.status_code == 200, response.content
        return [a["name"] for a in response.json()["items"]]

    assert names(f"client_id={client_b.pk}") == ["NAS"]
    assert names(f"site_id={site.pk}") == ["Printer 0", "Printer 1", "Printer 2"]
    assert names("tag=print&limit=2") == ["Printer 0", "Printer 1"]
    assert names("tag=print&limit=2&offset=2") == ["Printer 2"]
    assert names("status=online") == ["a-web-01"]
    assert names("kind=agent") == ["a-web-01"]
    assert names("os=dsm") == ["NAS"]
    assert names("q=SN-99") == ["NAS"]
    assert names("ordering=-name&role=other&client_id=" + str(client_a.pk))[0] == "Printer 2"
    assert http.get("/api/v1/assets?colour=red").status_code == 422


def test_changing_an_asset_replaces_tags_and_checks_the_site(
    api_as, msp_owner, switch, client_b, system_actor
) -> None:
    http = api_as(msp_owner)
    response = http.patch(
        f"/api/v1/assets/{switch.pk}",
        {"tags": ["core"], "criticality": "high"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["tags"] == ["core"]
    assert response.json()["criticality"] == "high"
    other_site = tenant_actions.create_site(actor=system_actor, client=client_b, name="Elsewhere")
    refused = http.patch(
        f"/api/v1/assets/{switch.pk}", {"site_id": other_site.pk}, content_type="application/json"
    )
    assert refused.status_code == 422
    assert refused.json()["field"] == "site_id"
    bad_tag = http.patch(
        f"/api/v1/assets/{switch.pk}", {"tags": ["a,b"]}, content_type="application/json"
    )
    assert bad_tag.status_code == 422
    assert bad_tag.json()["field"] == "tags"
    late = http.patch(
        f"/api/v1/assets/{switch.pk}",
        {"warranty_until": "2030-01-01", "end_of_life": "2029-01-01"},
        content_type="application/json",
    )
    assert late.status_code == 422
    assert late.json()["field"] == "end_of_life"


def test_retiring_keeps_the_asset_but_hides_it_and_cuts_its_agent_off(
    api_as, msp_owner, agent_a: SignedAgent
) -> None:
    http = api_as(msp_owner)
    asset_id = agent_a.agent.asset_id
    assert http.delete(f"/api/v1/assets/{asset_id}").status_code == 204
    assert http.get("/api/v1/assets").json()["count"] == 0
    assert (
        http.get("/api/v1/assets?include_retired=true").json()["items"][0]["retired_at"] is not None
    )
    assert http.get(f"/api/v1/assets/{asset_id}").status_code == 200
    assert agent_a.batch().json() == {"detail": "agent revoked"}


def test_revoking_an_agent_through_the_api(api_as, msp_owner, bob, agent_a: SignedAgent) -> None:
    asset_id = agent_a.agent.asset_id
    assert api_as(bob).post(f"/api/v1/assets/{asset_id}/agent/revoke").status_code == 403
    response = api_as(msp_owner).post(f"/api/v1/assets/{asset_id}/agent/revoke")
    assert response.status_code == 200
    assert response.json()["agent"]["revoked_at"] is not None
    assert agent_a.batch().status_code == 401


def test_inventory_and_its_history_through_the_api(api_as, bob, agent_a: SignedAgent) -> None:
    from openmsp.assets.tests.test_inventory_history import SNAPSHOT, _diff, _full, _upgrade

    _full(agent_a, SNAPSHOT)
    new, changes = _upgrade()
    _diff(agent_a, SNAPSHOT, new, changes)
    http = api_as(bob)
    asset_id = agent_a.agent.asset_id
    inventory = http.get(f"/api/v1/assets/{asset_id}/inventory").json()
    assert inventory["data"]["packages"]["curl"] == "8.5.0"
    since = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    history = http.get(
        f"/api/v1/assets/{asset_id}/inventory/changes", {"since": since, "section": "packages"}
    )
    assert history.status_code == 200, history.content
    assert sorted(i["key"] for i in history.json()["items"]) == ["bash", "curl", "openssl"]
    assert (
        http.get(f"/api/v1/assets/{asset_id}/inventory/changes", {"section": "services"}).json()[
            "count"
        ]
        == 0
    )


def test_status_history_through_the_api(api_as, bob, agent_a: SignedAgent) -> None:
    agent_a.batch()
    items = (
        api_as(bob).get(f"/api/v1/assets/{agent_a.agent.asset_id}/status-history").json()["items"]
    )
    assert [(i["previous"], i["status"]) for i in items] == [("unknown", "online")]
