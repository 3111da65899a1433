"""Checks through the API: validation per kind, tenancy, masked secrets, test now, results."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client as HttpClient

from openmsp.accounts.models import User
from openmsp.core.models import AuditRecord
from openmsp.monitoring.models import Check, CheckResult
from openmsp.monitoring.tests.peers import LOOPBACK, HttpPeer, Observed, TcpPeer, run_poller_until
from openmsp.tenants.models import Client

pytestmark = pytest.mark.django_db
ApiAs = Callable[..., HttpClient]


def _post(http: HttpClient, url: str, body: dict[str, Any]) -> Any:
    return http.post(url, body, content_type="application/json")


def _tcp(client: Client, port: int, **extra: Any) -> dict[str, Any]:
    return {"client_id": client.pk, "name": "ERP database", "kind": "tcp", "target": LOOPBACK,
            "settings": {"port": port}, **extra}  # fmt: skip


def test_alice_adds_a_check_that_is_scheduled_and_audited(
    alice: User, client_a: Client, api_as: ApiAs
) -> None:
    response = _post(api_as(alice), "/api/v1/checks", _tcp(client_a, 5432, tags=["db"]))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["kind"] == "tcp"
    assert body["last_status"] == "pending"
    assert body["settings"]["port"] == 5432
    assert body["next_check_at"] is not None
    assert AuditRecord.objects.filter(action="check.created", object_id=str(body["id"])).exists()


@pytest.mark.parametrize(
    ("kind", "target", "spec", "field"),
    [
        ("tcp", LOOPBACK, {}, "settings.port"),
        ("tcp", LOOPBACK, {"port": 70000}, "settings.port"),
        ("tcp", "not a host!", {"port": 80}, "target"),
        ("http", "ftp://example.com/", {}, "target"),
        ("http", "https://example.com/", {"expected_status": [999]}, "settings.expected_status"),
        ("http", "https://example.com/", {"retries": 3}, "settings.retries"),
        ("tls", "example.com", {"warning_days": 5, "critical_days": 9}, "settings"),
        ("dns", "example.com", {"record_type": "XYZ"}, "settings.record_type"),
        ("snmp", "192.0.2.1", {"version": "3"}, "settings.username"),
        ("snmp", "192.0.2.1", {"community": "public", "metric": "interface"}, "settings.if_index"),
    ],
)
def test_invalid_settings_answer_422_naming_the_field(
    alice: User, client_a: Client, api_as: ApiAs, kind: str, target: str,
    spec: dict[str, Any], field: str,
) -> None:  # fmt: skip
    body = {"client_id": client_a.pk, "name": "x", "kind": kind, "target": target,
            "settings": spec}  # fmt: skip
    response = _post(api_as(alice), "/api/v1/checks", body)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    assert not Check.objects.exists()


def test_a_timeout_that_does_not_fit_the_interval_is_refused(
    alice: User, client_a: Client, api_as: ApiAs
) -> None:
    body = _tcp(client_a, 80, interval_seconds=10, timeout_seconds=6, retries=1)
    response = _post(api_as(alice), "/api/v1/checks", body)
    assert response.status_code == 422
    assert response.json()["field"] == "timeout_seconds"


def test_charlie_cannot_see_or_change_alices_checks(
    alice: User, charlie: User, client_a: Client, api_as: ApiAs
) -> None:
    check_id = _post(api_as(alice), "/api/v1/checks", _tcp(client_a, 80)).json()["id"]
    outsider = api_as(charlie)
    assert outsider.get(f"/api/v1/checks/{check_id}").status_code == 404
    assert outsider.get("/api/v1/checks").json()["count"] == 0
    assert _post(outsider, f"/api/v1/checks/{check_id}/test", {}).status_code == 404
    response = outsider.patch(
        f"/api/v1/checks/{check_id}", {"name": "mine"}, content_type="application/json"
    )
    assert response.status_code == 404
    assert _post(outsider, "/api/v1/checks", _tcp(client_a, 80)).json()["field"] == "client_id"


def test_bob_may_add_checks_but_a_read_only_token_may_not(
    bob: User, client_a: Client, api_as: ApiAs
) -> None:
    assert _post(api_as(bob), "/api/v1/checks", _tcp(client_a, 80)).status_code == 201
    read_only = api_as(bob, read_only=True)
    assert _post(read_only, "/api/v1/checks", _tcp(client_a, 81)).status_code == 403


def test_snmp_secrets_are_masked_and_kept_when_sent_back_masked(
    alice: User, client_a: Client, api_as: ApiAs
) -> None:
    http = api_as(alice)
    settings = {"version": "3", "username": "monitor", "auth_key": "authpass123",
                "priv_key": "privpass123"}  # fmt: skip
    body = {"client_id": client_a.pk, "name": "core switch", "kind": "snmp",
            "target": "switch.invalid", "settings": settings}  # fmt: skip
    created = _post(http, "/api/v1/checks", body).json()
    assert created["settings"]["auth_key"] == "********"
    shown = dict(created["settings"], metric="uptime", warning=600, direction="below")
    response = http.patch(
        f"/api/v1/checks/{created['id']}", {"settings": shown}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    stored = Check.objects.get(pk=created["id"]).settings
    assert stored["auth_key"] == "authpass123"
    assert stored["warning"] == 600
    audit = AuditRecord.objects.filter(action="check.created").get()
    assert "authpass123" not in str(audit.after)


def test_test_now_answers_the_result_and_stores_nothing(
    alice: User, client_a: Client, api_as: ApiAs, http_peer: HttpPeer, observed: Observed
) -> None:
    http = api_as(alice)
    body = {"client_id": client_a.pk, "name": "site", "kind": "http", "target": http_peer.url}
    check_id = _post(http, "/api/v1/checks", body).json()["id"]
    http_peer.status = 500
    result = _post(http, f"/api/v1/checks/{check_id}/test", {}).json()
    assert result["status"] == "critical"
    assert "HTTP 500" in result["summary"]
    assert result["stored"] is False
    draft = _post(http, "/api/v1/checks/test", dict(body, settings={"expected_status": [500]}))
    assert draft.json()["status"] == "ok"
    assert not CheckResult.objects.exists()
    assert observed.items == []


def test_the_results_of_scheduled_runs_are_listed_newest_first(
    alice: User, client_a: Client, api_as: ApiAs, tcp_peer: TcpPeer, observed: Observed
) -> None:
    http = api_as(alice)
    check_id = _post(http, "/api/v1/checks", _tcp(client_a, tcp_peer.port)).json()["id"]
    assert http.post(f"/api/v1/checks/{check_id}/run").status_code == 202
    run_poller_until(lambda: len(observed.of(check_id)) >= 1)
    tcp_peer.close()
    http.post(f"/api/v1/checks/{check_id}/run")
    run_poller_until(lambda: len(observed.of(check_id)) >= 2)
    page = http.get(f"/api/v1/checks/{check_id}/results").json()
    assert [r["status"] for r in page["items"]] == ["critical", "ok"]
    assert http.get(f"/api/v1/checks/{check_id}").json()["last_status"] == "critical"


def test_a_client_users_check_cannot_target_private_loopback_or_metadata_addresses(
    alice: User, client_a: Client, api_as: ApiAs, settings: Any
) -> None:
    settings.OPENMSP_OUTBOUND_ALLOWED_NETWORKS = []
    http = api_as(alice)
    for target in ("127.0.0.1", "10.1.2.3", "169.254.169.254", "localhost"):
        response = _post(http, "/api/v1/checks", dict(_tcp(client_a, 80), target=target))
        assert response.status_code == 422, target
        assert response.json()["field"] == "target", target
    url = {"client_id": client_a.pk, "name": "x", "kind": "http", "target": "http://[::1]:8000/"}
    assert _post(http, "/api/v1/checks", url).json()["field"] == "target"
    dns = {"client_id": client_a.pk, "name": "x", "kind": "dns", "target": "example.com",
           "settings": {"server": "192.168.0.1"}}  # fmt: skip
    assert _post(http, "/api/v1/checks", dns).json()["field"] == "settings.server"
    ok = _post(http, "/api/v1/checks", dict(_tcp(client_a, 80), target="8.8.8.8"))
    assert ok.status_code == 201
