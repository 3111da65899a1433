"""The heartbeat pages: Alice sees her client's heartbeats, creates one with the form, reads its
ping URL and examples; Charlie of another client gets 404."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openmsp.heartbeats.models import Heartbeat
from openmsp.heartbeats.tests.conftest import T0, make_heartbeat, ping

pytestmark = pytest.mark.django_db


def test_alice_sees_her_heartbeats_with_state_last_ping_and_next_expected(
    web_as, alice, backup_job
):
    ping(backup_job, at=T0)
    html = web_as(alice).get("/heartbeats/").content.decode()
    assert "hourly backup" in html
    assert 'data-state="up"' in html
    assert "2026-03-02 09:00:00" in html  # last ping, in Seoul time
    assert "2026-03-02 10:00" in html  # next expected


def test_the_heartbeat_page_shows_the_ping_url_examples_runs_and_log(
    web_as, alice, backup_job, settings
):
    ping(backup_job, "start", at=T0)
    ping(backup_job, at=T0.replace(second=30), body=b"exported 42 rows")
    html = web_as(alice).get(f"/heartbeats/{backup_job.pk}/").content.decode()
    url = f"/ping/{backup_job.ping_key}"
    assert url in html
    assert f"curl -fsS -m 10 --retry 5 -o /dev/null {settings.SITE_URL}{url}/$?" in html
    assert f"{url}/start" in html
    assert "exported 42 rows" in html
    assert 'id="run-data"' in html
    assert "30.0" in html


def test_alice_creates_a_cron_heartbeat_with_the_form(web_as, alice, client_a):
    response = web_as(alice).post("/heartbeats/new/", {
        "client": client_a.pk, "name": "ERP export", "kind": "cron", "cron": "30 2 * * *",
        "time_zone": "Asia/Seoul", "grace_seconds": 900, "tags": "erp, nightly",
    })  # fmt: skip
    hb = Heartbeat.objects.get(name="ERP export")
    assert response.status_code == 302
    assert response["Location"] == f"/heartbeats/{hb.pk}/"
    assert (hb.kind, hb.cron, hb.tags) == ("cron", "30 2 * * *", ["erp", "nightly"])


def test_a_bad_cron_in_the_form_is_shown_next_to_its_field(web_as, alice, client_a):
    response = web_as(alice).post("/heartbeats/new/", {
        "client": client_a.pk, "name": "x", "kind": "cron", "cron": "61 2 * * *",
        "time_zone": "Asia/Seoul", "grace_seconds": 900,
    })  # fmt: skip
    assert response.status_code == 422
    assert 'id="id_cron_error"' in response.content.decode()
    assert not Heartbeat.objects.exists()


def test_alice_pauses_resumes_and_deletes_from_the_page(web_as, alice, backup_job):
    http = web_as(alice)
    assert http.post(f"/heartbeats/{backup_job.pk}/pause/").status_code == 302
    assert Heartbeat.objects.get(pk=backup_job.pk).paused
    assert http.post(f"/heartbeats/{backup_job.pk}/resume/").status_code == 302
    assert not Heartbeat.objects.get(pk=backup_job.pk).paused
    assert http.post(f"/heartbeats/{backup_job.pk}/delete/").status_code == 302
    assert not Heartbeat.objects.filter(pk=backup_job.pk).exists()


def test_charlie_gets_404_for_another_clients_heartbeat_pages(web_as, charlie, backup_job):
    http = web_as(charlie)
    for url in ("/", "/edit/", "/pause/", "/key/", "/delete/"):
        method = http.get if url in ("/", "/edit/") else http.post
        assert method(f"/heartbeats/{backup_job.pk}{url}").status_code == 404, url
    assert "hourly backup" not in http.get("/heartbeats/").content.decode()


def test_the_list_costs_the_same_queries_for_three_heartbeats_as_for_thirty(
    web_as, msp_owner, client_a
):
    http = web_as(msp_owner)
    for i in range(3):
        ping(make_heartbeat(client_a, f"job {i}"), at=T0)
    http.get("/heartbeats/")  # warm the session
    with CaptureQueriesContext(connection) as few:
        assert http.get("/heartbeats/").status_code == 200
    for i in range(3, 30):
        ping(make_heartbeat(client_a, f"job {i}"), at=T0)
    with CaptureQueriesContext(connection) as many:
        assert http.get("/heartbeats/").status_code == 200
    assert len(many) == len(few)
