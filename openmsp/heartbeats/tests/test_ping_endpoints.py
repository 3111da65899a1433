"""The public ping URLs: no session, no CSRF token, only the key; "OK" once committed."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client as HttpClient

from openmsp.heartbeats.models import BODY_LIMIT, Heartbeat, Ping
from openmsp.heartbeats.tests.conftest import fresh, make_heartbeat

pytestmark = pytest.mark.django_db


@pytest.fixture
def http() -> HttpClient:
    # enforce_csrf_checks: a browser-less job has no token; the endpoint must not need one.
    return HttpClient(enforce_csrf_checks=True)


def test_a_job_pings_success_with_get_or_post_and_gets_ok(http, backup_job):
    response = http.get(f"/ping/{backup_job.ping_key}", HTTP_USER_AGENT="curl/8.5")
    assert response.status_code == 200
    assert response.content == b"OK"
    assert response["Content-Type"].startswith("text/plain")
    assert (
        http.post(f"/ping/{backup_job.ping_key}", b"done", content_type="text/plain").content
        == b"OK"
    )
    pings = list(Ping.objects.filter(heartbeat=backup_job).order_by("at"))
    assert [(p.kind, p.method, p.body) for p in pings] == [
        ("success", "GET", ""),
        ("success", "POST", "done"),
    ]
    assert pings[0].user_agent == "curl/8.5"
    assert pings[0].remote_addr == "127.0.0.1"
    assert fresh(backup_job).state == Heartbeat.State.UP


def test_start_fail_log_and_exit_statuses_each_reach_the_heartbeat(http, backup_job, observed):
    key = backup_job.ping_key
    for suffix in ("/start", "/log", "/1", "/start", "/0", "/fail"):
        assert http.get(f"/ping/{key}{suffix}").status_code == 200
    kinds = list(
        Ping.objects.filter(heartbeat=backup_job)
        .order_by("at", "pk")
        .values_list("kind", "exit_status")
    )
    assert kinds == [
        ("start", None), ("log", None), ("fail", 1), ("start", None), ("success", 0), ("fail", None),
    ]  # fmt: skip
    assert fresh(backup_job).state == Heartbeat.State.FAILED
    assert observed.rules() == [("failed", "critical"), ("failed", "ok"), ("failed", "critical")]


def test_unknown_keys_and_malformed_paths_answer_a_plain_404(http, backup_job):
    for url in (
        f"/ping/{uuid.uuid4()}",
        f"/ping/{uuid.uuid4()}/start",
        "/ping/not-a-key",
        "/ping/",
    ):
        response = http.get(url)
        assert response.status_code == 404, url
        assert response.content == b"not found", url
    assert http.get(f"/ping/{backup_job.ping_key}/256").status_code == 400
    assert Ping.objects.count() == 0


def test_other_methods_are_refused(http, backup_job):
    response = http.delete(f"/ping/{backup_job.ping_key}")
    assert response.status_code == 405
    assert "GET" in response["Allow"]
    assert http.head(f"/ping/{backup_job.ping_key}").status_code == 200


def test_a_posted_body_is_kept_up_to_ten_kilobytes_and_flagged_when_cut(http, backup_job):
    body = b"x" * (BODY_LIMIT + 500)
    assert (
        http.post(f"/ping/{backup_job.ping_key}/fail", body, content_type="text/plain").status_code
        == 200
    )
    stored = Ping.objects.get(heartbeat=backup_job)
    assert len(stored.body) == BODY_LIMIT
    assert stored.body_truncated


def test_a_key_of_client_as_heartbeat_never_touches_client_bs(http, client_a, client_b, observed):
    a = make_heartbeat(client_a, "A export", period_seconds=60)
    b = make_heartbeat(client_b, "B export", period_seconds=60)
    for suffix in ("", "/start", "/fail", "/1", "/log"):
        assert http.get(f"/ping/{a.ping_key}{suffix}").status_code == 200
    assert Ping.objects.filter(heartbeat=b).count() == 0
    b_now = fresh(b)
    assert (b_now.state, b_now.last_ping_at, b_now.ping_count) == (Heartbeat.State.NEW, None, 0)
    assert {o.client_id for o in observed} == {client_a.pk}
    # The answer says nothing about either heartbeat.
    assert http.get(f"/ping/{a.ping_key}").content == b"OK"


def test_a_regenerated_key_retires_the_old_url(http, backup_job, web_as, msp_owner):
    from openmsp.core.actor import Actor
    from openmsp.heartbeats import actions

    old = backup_job.ping_key
    hb = actions.regenerate_key(actor=Actor(user=msp_owner), heartbeat=backup_job)
    assert http.get(f"/ping/{old}").status_code == 404
    assert http.get(f"/ping/{hb.ping_key}").status_code == 200
