"""Enrollment tokens and commands through the REST API, persona by persona."""

from __future__ import annotations

import pytest

from openmsp.agent_api.models import EnrollmentToken
from openmsp.agent_api.tests.agents import SignedAgent, enroll
from openmsp.core.models import AuditRecord

pytestmark = pytest.mark.django_db


def test_a_technician_creates_a_token_that_is_shown_once(api_as, msp_owner, client_a) -> None:
    http = api_as(msp_owner)
    response = http.post(
        "/api/v1/enrollment-tokens", {"client_id": client_a.pk, "name": "rollout", "max_uses": 5},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["token"].startswith("ome_")
    assert created["state"] == "active"
    assert created["token"][4:12] == created["prefix"]
    again = http.get(f"/api/v1/enrollment-tokens/{created['id']}").json()
    assert "token" not in again
    assert again["uses"] == 0
    listed = http.get("/api/v1/enrollment-tokens").json()
    assert [t["id"] for t in listed["items"]] == [created["id"]]
    assert "token" not in listed["items"][0]
    assert enroll(created["token"]).agent.client == client_a


def test_deleting_a_token_revokes_it(api_as, msp_owner, client_a) -> None:
    http = api_as(msp_owner)
    created = http.post(
        "/api/v1/enrollment-tokens", {"client_id": client_a.pk}, content_type="application/json"
    ).json()
    assert http.delete(f"/api/v1/enrollment-tokens/{created['id']}").status_code == 204
    assert http.get(f"/api/v1/enrollment-tokens/{created['id']}").json()["state"] == "revoked"
    assert AuditRecord.objects.filter(action="enrollment_token.revoked").count() == 1


def test_client_users_cannot_see_or_create_enrollment_tokens(
    api_as, msp_owner, alice, bob, client_a
) -> None:
    token_id = (
        api_as(msp_owner)
        .post(
            "/api/v1/enrollment-tokens", {"client_id": client_a.pk}, content_type="application/json"
        )
        .json()["id"]
    )
    for user in (alice, bob):
        http = api_as(user)
        assert http.get("/api/v1/enrollment-tokens").status_code == 403
        assert http.get(f"/api/v1/enrollment-tokens/{token_id}").status_code == 403
        assert http.delete(f"/api/v1/enrollment-tokens/{token_id}").status_code == 403
        created = http.post(
            "/api/v1/enrollment-tokens", {"client_id": client_a.pk}, content_type="application/json"
        )
        assert created.status_code == 403
    assert EnrollmentToken.objects.count() == 1


def test_a_token_with_a_past_expiry_is_refused(api_as, msp_owner, client_a) -> None:
    response = api_as(msp_owner).post(
        "/api/v1/enrollment-tokens", {"client_id": client_a.pk, "expires_at": "2020-01-01T00:00:00Z"},
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 422
    assert response.json()["field"] == "expires_at"


def _run(http, asset_ids, script="uname -a"):
    return http.post(
        "/api/v1/commands", {"asset_ids": asset_ids, "script": script, "timeout_seconds": 30},
        content_type="application/json",
    )  # fmt: skip


def test_a_technician_runs_a_command_and_reads_its_output(
    api_as, msp_owner, agent_a: SignedAgent
) -> None:
    http = api_as(msp_owner)
    response = _run(http, [agent_a.agent.asset_id], script="  echo hi\n")
    assert response.status_code == 201, response.content
    command = response.json()
    assert command["script"] == "  echo hi\n"  # run exactly as written
    assert command["run_count"] == 1
    assert command["open_count"] == 1
    [run] = command["runs"]
    assert run["status"] == "queued"
    assert run["asset_name"] == "a-web-01"
    path = "/agent/v1/commands"
    agent_a.http.get(path, headers=agent_a.get_headers(path))
    agent_a.post(
        f"/agent/v1/commands/{run['id']}/result", {"exit_code": 0, "stdout": "hi\n", "stderr": ""}
    )
    output = http.get(f"/api/v1/command-runs/{run['id']}").json()
    assert output["status"] == "succeeded"
    assert output["stdout"] == "hi\n"
    detail = http.get(f"/api/v1/commands/{command['id']}").json()
    assert detail["open_count"] == 0
    assert detail["runs"][0]["status"] == "succeeded"
    listed = http.get(f"/api/v1/commands?asset_id={agent_a.agent.asset_id}").json()
    assert [c["id"] for c in listed["items"]] == [command["id"]]


def test_cancelling_through_the_api(api_as, msp_owner, agent_a: SignedAgent) -> None:
    http = api_as(msp_owner)
    command = _run(http, [agent_a.agent.asset_id]).json()
    cancelled = http.post(f"/api/v1/commands/{command['id']}/cancel")
    assert cancelled.status_code == 200
    assert cancelled.json()["runs"][0]["status"] == "cancelled"


def test_client_users_can_neither_run_nor_read_commands(
    api_as, msp_owner, alice, bob, agent_a: SignedAgent
) -> None:
    command = _run(api_as(msp_owner), [agent_a.agent.asset_id]).json()
    for user in (alice, bob):
        http = api_as(user)
        assert _run(http, [agent_a.agent.asset_id]).status_code == 403
        assert http.get("/api/v1/commands").status_code == 403
        assert http.get(f"/api/v1/commands/{command['id']}").status_code == 403
        assert http.get(f"/api/v1/command-runs/{command['runs'][0]['id']}").status_code == 403
        assert http.post(f"/api/v1/commands/{command['id']}/cancel").status_code == 403


def test_the_auditor_reads_commands_but_cannot_run_them(
    api_as, msp_owner, auditor, agent_a: SignedAgent
) -> None:
    command = _run(api_as(msp_owner), [agent_a.agent.asset_id]).json()
    http = api_as(auditor)
    assert http.get(f"/api/v1/commands/{command['id']}").status_code == 200
    assert _run(http, [agent_a.agent.asset_id]).status_code == 403


@pytest.mark.parametrize("outsider", ["charlie", "tech_b"])
def test_outsiders_get_404_for_client_a_commands_and_tokens(
    request, outsider, api_as, msp_owner, client_a, agent_a: SignedAgent
) -> None:
    owner = api_as(msp_owner)
    command = _run(owner, [agent_a.agent.asset_id]).json()
    token = owner.post(
        "/api/v1/enrollment-tokens", {"client_id": client_a.pk}, content_type="application/json"
    ).json()
    http = api_as(request.getfixturevalue(outsider))
    assert http.get(f"/api/v1/commands/{command['id']}").status_code == 404
    assert http.post(f"/api/v1/commands/{command['id']}/cancel").status_code == 404
    assert http.get(f"/api/v1/command-runs/{command['runs'][0]['id']}").status_code == 404
    assert http.get(f"/api/v1/enrollment-tokens/{token['id']}").status_code == 404
    assert http.delete(f"/api/v1/enrollment-tokens/{token['id']}").status_code == 404
    refused = _run(http, [agent_a.agent.asset_id])  # A's asset does not exist for them
    assert refused.status_code == 422
    assert refused.json()["field"] == "asset_ids"
    created = http.post(
        "/api/v1/enrollment-tokens", {"client_id": client_a.pk}, content_type="application/json"
    )
    assert created.status_code == 422
    assert created.json()["field"] == "client_id"
