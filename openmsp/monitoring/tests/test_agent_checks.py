"""Agent checks at the server: created per host through the API, sent to the host's agent in a
batch answer (only when changed), and its results become check states and Problems."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.test import Client as HttpClient

from openmsp.accounts.models import User
from openmsp.agent_api.crypto import canonical_json
from openmsp.agent_api.tests.agents import SignedAgent, enroll_new, iso
from openmsp.alerts.models import Problem
from openmsp.monitoring.models import Check, CheckResult
from openmsp.tenants.models import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_a(client_a: Client) -> SignedAgent:
    return enroll_new(client_a, machine_id="a-web-01", hostname="a-web-01")


@pytest.fixture
def agent_b(client_b: Client) -> SignedAgent:
    return enroll_new(client_b, machine_id="b-db-01", hostname="b-db-01")


def _create(api: HttpClient, asset: int | None, client_id: int, **body: Any) -> Any:
    payload = {"client_id": client_id, "asset_id": asset, "name": "nginx running",
               "kind": "agent_process", "target": "nginx", "settings": {"name": "nginx"},
               "interval_seconds": 30, "timeout_seconds": 5, **body}  # fmt: skip
    return api.post("/api/v1/checks", payload, content_type="application/json")


def _result(check_id: int, status: str, seconds_ago: float = 0, **extra: Any) -> dict[str, Any]:
    at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=seconds_ago)
    return {"check_id": check_id, "t": iso(at), "status": status, "summary": status, **extra}


def test_an_agent_learns_its_checks_once_and_reports_problems(
    agent_a: SignedAgent,
    agent_b: SignedAgent,
    alice: User,
    api_as: Callable[..., HttpClient],
    django_capture_on_commit_callbacks: Any,
) -> None:
    api = api_as(alice)
    asset = agent_a.agent.asset
    created = _create(api, asset.pk, asset.client_id)
    assert created.status_code == 201, created.content
    check = Check.objects.get(pk=created.json()["id"])
    assert check.runs_on == "agent"
    assert check.next_check_at is None

    first = agent_a.batch().json()
    config = first["checks"]
    # Signed like a command, for this agent (script checks run code on the host).
    unsigned = {k: v for k, v in config.items() if k != "signature"}
    assert unsigned["agent_id"] == agent_a.agent_id
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(agent_a.public_key))
    key.verify(base64.b64decode(config["signature"]), canonical_json(unsigned))
    assert [i["id"] for i in config["items"]] == [check.pk]
    assert config["items"][0]["settings"] == {"name": "nginx", "min_count": 1}
    assert "checks" not in agent_a.batch(checks_version=config["version"]).json()
    assert "checks" not in agent_b.batch().json()  # another host's agent: not its check

    with django_capture_on_commit_callbacks(execute=True):
        agent_a.batch(checks_version=config["version"],
                      check_results=[_result(check.pk, "critical", 5)])  # fmt: skip
    check.refresh_from_db()
    assert check.last_status == "critical"
    problem = Problem.objects.get(object_id=str(check.pk), source="check")
    assert problem.state == Problem.State.FIRING
    assert problem.asset_id == asset.pk

    # A result claimed for this check by another host's agent changes nothing.
    with django_capture_on_commit_callbacks(execute=True):
        agent_b.batch(check_results=[_result(check.pk, "ok")])
    problem.refresh_from_db()
    assert problem.state == Problem.State.FIRING

    with django_capture_on_commit_callbacks(execute=True):
        answer = agent_a.batch(
            checks_version=config["version"],
            check_results=[_result(check.pk, "ok"), {"check_id": "x"}],
        ).json()
    # The general path (results) and the one-statement path (samples only, on PostgreSQL)
    # compute the same version: neither resends an unchanged config.
    assert "checks" not in answer
    sample = {"t": iso(dt.datetime.now(dt.UTC)), "m": "cpu.percent", "v": 1.0, "l": {}}
    assert "checks" not in agent_a.batch(checks_version=config["version"], samples=[sample]).json()
    problem.refresh_from_db()
    assert problem.state == Problem.State.RESOLVED
    assert CheckResult.objects.filter(for_check=check).count() == 2

    # Changing the check changes the version: the agent gets the new definition.
    api.patch(f"/api/v1/checks/{check.pk}", {"interval_seconds": 60},
              content_type="application/json")  # fmt: skip
    changed = agent_a.batch(checks_version=config["version"]).json()["checks"]
    assert changed["version"] != config["version"]
    assert changed["items"][0]["interval_seconds"] == 60


def test_agent_check_settings_are_validated_naming_the_field(
    agent_a: SignedAgent, alice: User, api_as: Callable[..., HttpClient]
) -> None:
    api = api_as(alice)
    asset = agent_a.agent.asset
    cases: list[tuple[dict[str, Any], str]] = [
        ({"kind": "agent_log", "settings": {"path": "/var/log/x", "pattern": "("}},
         "settings.pattern"),
        ({"kind": "agent_metric", "settings": {"metric": "cpu", "warning": 90, "critical": 80}},
         "settings.warning"),
        ({"kind": "agent_service", "settings": {"unit": "--help"}}, "settings.unit"),
        ({"kind": "agent_port", "settings": {"port": 22, "address": "8.8.8.8"}},
         "settings.address"),
    ]  # fmt: skip
    for body, field in [*cases, ({"kind": "agent_process"}, "asset")]:
        host = None if field == "asset" else asset.pk
        response = _create(api, host, asset.client_id, **body)
        assert response.status_code == 422, (body, response.content)
        assert field in response.content.decode(), (body, response.content)
    ok = _create(api, asset.pk, asset.client_id, kind="agent_metric",
                 settings={"metric": "disk", "mount": "/var", "warning": 80, "critical": 90})  # fmt: skip
    assert ok.status_code == 201, ok.content
    run = api.post(f"/api/v1/checks/{ok.json()['id']}/run")
    assert run.status_code == 422
    tried = api.post(f"/api/v1/checks/{ok.json()['id']}/test")
    assert tried.status_code == 200, tried.content
    assert tried.json()["status"] == "unknown"


def test_the_host_page_lists_its_agent_checks(
    agent_a: SignedAgent,
    alice: User,
    charlie: User,
    web_as: Callable[[User], HttpClient],
    api_as: Callable[..., HttpClient],
) -> None:
    asset = agent_a.agent.asset
    _create(api_as(alice), asset.pk, asset.client_id, name="sshd present")
    page = web_as(alice).get(f"/assets/{asset.pk}/checks/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "sshd present" in text
    assert f"asset={asset.pk}" in text
    assert web_as(charlie).get(f"/assets/{asset.pk}/checks/").status_code == 404


def test_script_checks_need_the_right_to_run_commands(
    agent_a: SignedAgent, alice: User, msp_owner: User, api_as: Callable[..., HttpClient]
) -> None:
    asset = agent_a.agent.asset
    body = {"kind": "agent_script", "settings": {"command": "/usr/lib/nagios/plugins/check_users"}}
    refused = _create(api_as(alice), asset.pk, asset.client_id, **body)
    assert refused.status_code == 403, refused.content
    owner = api_as(msp_owner)
    assert _create(owner, asset.pk, asset.client_id, kind="agent_script",
                   settings={}).status_code == 422  # fmt: skip
    assert _create(owner, asset.pk, asset.client_id, **body).status_code == 201


def test_the_editor_offers_the_agent_kinds_for_a_host_and_saves_one(
    agent_a: SignedAgent, alice: User, web_as: Callable[[User], HttpClient]
) -> None:
    asset = agent_a.agent.asset
    web = web_as(alice)
    kinds = web.get(f"/checks/new/?client={asset.client_id}&asset={asset.pk}").content.decode()
    assert 'data-kind="agent_port"' in kinds
    assert 'data-kind="http"' not in kinds
    url = f"/checks/new/?kind=agent_port&client={asset.client_id}&asset={asset.pk}"
    form = web.get(url).content.decode()
    assert 'name="asset"' in form
    assert f'value="{asset.pk}" selected' in form
    posted = web.post(url, {
        "client": asset.client_id, "asset": asset.pk, "name": "ssh listening", "target": "sshd",
        "interval_seconds": 60, "timeout_seconds": 5, "retries": 1, "enabled": "on",
        "failures_to_fire": 1, "hold_down_seconds": 0, "successes_to_recover": 1,
        "recovery_seconds": 0, "flap_threshold": 0, "s-port": 22, "s-address": "127.0.0.1",
    })  # fmt: skip
    assert posted.status_code == 302, posted.content.decode()[:3000]
    check = Check.objects.get(name="ssh listening")
    assert check.asset_id == asset.pk
    assert check.settings == {"port": 22, "address": "127.0.0.1"}
    tab = web.get(f"/assets/{asset.pk}/checks/").content.decode()
    assert "ssh listening" in tab
