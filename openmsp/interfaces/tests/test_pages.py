"""The interface pages: Alice sees client A's interfaces with their status and today's volume,
creates one with the form and is shown its token once, reads its report URL, runs and chart;
Charlie of client B gets 404."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from openmsp.interfaces.models import Interface
from openmsp.interfaces.tests.conftest import make_interface, send_report

pytestmark = pytest.mark.django_db


def report_now(token: str, run_id: str, processed: int, failed: int = 0) -> None:
    at = timezone.now().isoformat()
    send_report(token, {"runs": [{"run_id": run_id, "started_at": at, "finished_at": at,
                                  "records_processed": processed, "records_failed": failed,
                                  "failures_by_code": {"E-DUP": failed} if failed else {}}]})  # fmt: skip


def test_alice_sees_her_interfaces_with_status_last_run_and_volume_today(web_as, alice, client_a):
    iface, token = make_interface(
        client_a, max_error_rate=1, source_system="SAP", target_system="WMS"
    )
    report_now(token, "r1", 1000, 50)
    report_now(token, "r2", 234)
    html = web_as(alice).get("/interfaces/").content.decode()
    assert "ERP → WMS orders" in html
    assert "SAP" in html
    assert 'data-rule="error_rate"' in html
    assert "badge-if-ok" in html  # it cleared with the second run
    row = re.search(rf'<tr data-interface="{iface.pk}">.*?</tr>', html, re.S)
    assert row is not None
    assert '<td class="num">1234</td>' in row.group(0)


def test_the_list_page_costs_the_same_queries_for_one_or_many_interfaces(web_as, alice, client_a):
    make_interface(client_a, code="one")
    http = web_as(alice)
    http.get("/interfaces/")
    with CaptureQueriesContext(connection) as one:
        http.get("/interfaces/")
    for n in range(5):
        make_interface(client_a, code=f"more-{n}")
    with CaptureQueriesContext(connection) as many:
        http.get("/interfaces/")
    assert len(many) == len(one)


def test_the_interface_page_shows_the_report_url_curl_runs_and_hourly_chart(
    web_as, alice, client_a, settings
):
    iface, token = make_interface(client_a)
    report_now(token, "orders-0200", 1250, 3)
    html = web_as(alice).get(f"/interfaces/{iface.pk}/").content.decode()
    assert f"{settings.SITE_URL}/api/v1/interfaces/report" in html
    assert "Authorization: Bearer omi_" in html
    assert token not in html  # only its prefix is ever shown again
    assert "orders-0200" in html
    assert "E-DUP: 3" in html
    found = re.search(
        r'<script id="volume-data" type="application/json">(.*?)</script>', html, re.S
    )
    assert found is not None
    data = json.loads(found.group(1))
    assert len(data["labels"]) == 48
    assert data["processed"][-1] == 1250
    assert data["failed"][-1] == 3


def test_alice_creates_an_interface_with_the_form_and_sees_its_token_once(web_as, alice, client_a):
    http = web_as(alice)
    response = http.post("/interfaces/new/", {
        "client": client_a.pk, "name": "HR → payroll", "code": "hr-payroll", "direction": "outbound",
        "protocol": "db", "time_zone": "Asia/Seoul", "start_grace_minutes": 15, "cron": "0 2 * * *",
        "deadline_minutes": 60, "min_traffic_ratio": 0.3, "max_error_rate": 2,
        "tags": "hr, nightly",
    })  # fmt: skip
    assert response.status_code == 200, response.content.decode()[:2000]
    html = response.content.decode()
    token = re.search(r'<code id="report-token">(omi_[^<]+)</code>', html).group(1)  # type: ignore[union-attr]
    iface = Interface.objects.get(code="hr-payroll")
    assert iface.tags == ["hr", "nightly"]
    assert response["Cache-Control"] == "no-store"
    at = "2026-03-02T00:00:00Z"
    assert send_report(token, {"runs": [{"run_id": "1", "started_at": at}]}).status_code == 200


def test_a_bad_cron_in_the_form_is_shown_on_its_field(web_as, alice, client_a):
    response = web_as(alice).post("/interfaces/new/", {
        "client": client_a.pk, "name": "x", "code": "x", "direction": "outbound", "protocol": "db",
        "time_zone": "Asia/Seoul", "start_grace_minutes": 15, "cron": "every night",
        "min_traffic_ratio": 0.3,
    })  # fmt: skip
    assert response.status_code == 422
    assert 'id="id_cron_error"' in response.content.decode()
    assert not Interface.objects.exists()


def test_bob_edits_and_pauses_an_interface(web_as, bob, client_a):
    iface, _token = make_interface(client_a)
    http = web_as(bob)
    assert http.get(f"/interfaces/{iface.pk}/edit/").status_code == 200
    assert http.post(f"/interfaces/{iface.pk}/pause/").status_code == 302
    assert Interface.objects.get(pk=iface.pk).paused


def test_charlie_gets_404_for_client_as_interface_pages(web_as, charlie, client_a):
    iface, _token = make_interface(client_a)
    http = web_as(charlie)
    assert "ERP → WMS orders" not in http.get("/interfaces/").content.decode()
    for url in (f"/interfaces/{iface.pk}/", f"/interfaces/{iface.pk}/edit/"):
        assert http.get(url).status_code == 404
    for url in ("pause", "token", "delete"):
        assert http.post(f"/interfaces/{iface.pk}/{url}/").status_code == 404
    assert Interface.objects.filter(pk=iface.pk, paused=False).exists()


def test_the_navigation_has_an_interfaces_entry_in_korean(web_as, alice):
    html = web_as(alice).get("/").content.decode()
    assert '<html lang="ko"' in html
    assert 'href="/interfaces/"' in html
    assert "인터페이스" in html
