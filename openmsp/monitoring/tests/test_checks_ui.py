"""The checks UI: list per client, the editor per kind with "test now", the check page."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client as HttpClient

from openmsp.accounts.models import User
from openmsp.monitoring.models import Check, CheckResult
from openmsp.monitoring.tests.conftest import make_check
from openmsp.monitoring.tests.peers import LOOPBACK, HttpPeer, Observed, TcpPeer, run_poller_until
from openmsp.tenants.models import Client

pytestmark = pytest.mark.django_db
WebAs = Callable[[User], HttpClient]


def _form(client: Client, port: int, **extra: str) -> dict[str, str]:
    data = {
        "kind": "tcp", "client": str(client.pk), "name": "ERP database", "target": LOOPBACK,
        "interval_seconds": "60", "timeout_seconds": "2", "retries": "0", "enabled": "on",
        "tags": "env=prod, db", "failures_to_fire": "2", "hold_down_seconds": "0",
        "successes_to_recover": "1", "recovery_seconds": "0", "flap_threshold": "0",
        "s-port": str(port),
    }  # fmt: skip
    data.update(extra)
    return data


def test_alice_creates_a_tcp_check_in_the_editor_and_sees_it_in_her_clients_list(
    alice: User, client_a: Client, web_as: WebAs
) -> None:
    web = web_as(alice)
    assert web.get("/checks/new/").status_code == 200  # the kind picker
    assert b"s-port" in web.get(f"/checks/new/?kind=tcp&client={client_a.pk}").content
    response = web.post("/checks/new/?kind=tcp", _form(client_a, 5432))
    check = Check.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/checks/{check.pk}/"
    assert check.settings["port"] == 5432
    assert check.tags == ["db", "env=prod"]
    assert check.failures_to_fire == 2
    listing = web.get(f"/checks/?client={client_a.pk}").content.decode()
    assert "ERP database" in listing
    assert "127.0.0.1" in listing


def test_the_editor_shows_a_settings_error_next_to_its_field(
    alice: User, client_a: Client, web_as: WebAs
) -> None:
    response = web_as(alice).post("/checks/new/?kind=tcp", _form(client_a, 70000))
    assert response.status_code == 200
    assert not Check.objects.exists()
    assert 'id="id_s-port_error"' in response.content.decode()


def test_test_now_in_the_editor_shows_the_result_without_storing_it(
    alice: User, client_a: Client, web_as: WebAs, tcp_peer: TcpPeer, observed: Observed
) -> None:
    web = web_as(alice)
    ok = web.post("/checks/test/", _form(client_a, tcp_peer.port), HTTP_HX_REQUEST="true")
    assert 'data-test-status="ok"' in ok.content.decode()
    tcp_peer.close()
    down = web.post("/checks/test/", _form(client_a, tcp_peer.port), HTTP_HX_REQUEST="true")
    assert 'data-test-status="critical"' in down.content.decode()
    assert not CheckResult.objects.exists()
    assert observed.items == []


def test_the_check_page_shows_recent_results_and_serves_its_latency_chart(
    alice: User, client_a: Client, web_as: WebAs, http_peer: HttpPeer, observed: Observed
) -> None:
    check = make_check(alice, client_a, kind="http", target=http_peer.url, name="Portal")
    run_poller_until(lambda: len(observed.of(check.pk)) >= 1)
    web = web_as(alice)
    detail = web.get(f"/checks/{check.pk}/").content.decode()
    assert "Portal" in detail
    assert "HTTP 200" in detail
    assert "data-metric-chart" in detail
    data = web.get(f"/checks/{check.pk}/latency/").json()
    assert data["unit"] == "ms"
    assert len(data["series"][0]["points"]) == 1


def test_charlie_gets_404_for_alices_check_pages(
    alice: User, charlie: User, client_a: Client, web_as: WebAs
) -> None:
    check = make_check(alice, client_a, kind="tcp", target=LOOPBACK, settings={"port": 22})
    web = web_as(charlie)
    for url in (
        f"/checks/{check.pk}/",
        f"/checks/{check.pk}/edit/",
        f"/checks/{check.pk}/latency/",
    ):
        assert web.get(url).status_code == 404, url
    assert web.post(f"/checks/{check.pk}/delete/").status_code == 404
    assert Check.objects.filter(pk=check.pk).exists()


def test_a_new_checks_settings_start_from_the_kinds_defaults(
    alice: User, client_a: Client, web_as: WebAs
) -> None:
    page = web_as(alice).get("/checks/new/?kind=http").content.decode()
    assert re.search(r'<input[^>]*name="s-verify_tls"[^>]*checked', page)
    assert re.search(r'<input[^>]*name="s-follow_redirects"[^>]*checked', page)
    assert re.search(r'<input[^>]*name="s-max_redirects"[^>]*value="5"', page)
