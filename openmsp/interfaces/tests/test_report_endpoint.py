"""The solution reports runs of client A's ERP → WMS interface with its report token; the
per-report rules are judged at once and handed to the spine."""

from __future__ import annotations

from typing import Any

import pytest

from openmsp.interfaces import actions
from openmsp.interfaces.models import InterfaceRun
from openmsp.interfaces.tests.conftest import SYSTEM, fresh, make_interface, send_report

pytestmark = pytest.mark.django_db


def run(run_id: str = "r-1", **fields: Any) -> dict[str, Any]:
    body = {
        "run_id": run_id,
        "started_at": "2026-03-02T09:00:00+09:00",
        "finished_at": "2026-03-02T09:04:00+09:00",
        "records_processed": 1000,
        "records_failed": 10,
        "failures_by_code": {"E-DUP": 7, "E-SCHEMA": 3},
        "latency_p95_ms": 120.5,
        "backlog_depth": 4,
        "oldest_message_age_s": 30,
    }
    body.update(fields)
    return body


@pytest.fixture
def orders(client_a):
    return make_interface(
        client_a, max_error_rate=5, max_failures=100, max_backlog=50, max_latency_ms=1000
    )


def test_a_run_reported_with_the_token_is_stored_with_its_figures(orders, observed):
    iface, token = orders
    response = send_report(token, {"runs": [run()]})
    assert response.status_code == 200, response.content
    assert response.json() == {"detail": "Stored.", "accepted": 1, "duplicates": 0}
    stored = InterfaceRun.objects.get(interface=iface)
    assert (stored.processed, stored.failed, stored.backlog_depth) == (1000, 10, 4)
    assert stored.failures_by_code == {"E-DUP": 7, "E-SCHEMA": 3}
    assert stored.started_at.isoformat() == "2026-03-02T00:00:00+00:00"
    assert observed == []  # a healthy run observes nothing
    assert fresh(iface).rule_status == {
        "error_rate": "ok", "failures": "ok", "backlog": "ok", "latency": "ok",
    }  # fmt: skip


def test_the_same_run_id_sent_twice_is_stored_once(orders):
    iface, token = orders
    send_report(token, {"runs": [run("r-7")]})
    again = send_report(token, {"runs": [run("r-7"), run("r-7")]})
    assert again.json()["accepted"] == 0
    assert again.json()["duplicates"] == 2
    assert InterfaceRun.objects.filter(interface=iface).count() == 1


def test_a_running_batch_is_completed_when_its_finish_is_reported(orders):
    iface, token = orders
    send_report(
        token, {"runs": [run("b-1", finished_at=None, records_processed=10, records_failed=0)]}
    )
    response = send_report(token, {"runs": [run("b-1", records_processed=5000)]})
    assert response.json()["accepted"] == 1
    stored = InterfaceRun.objects.get(interface=iface)
    assert stored.finished_at is not None
    assert stored.processed == 5000


def test_an_error_rate_over_the_threshold_is_observed_and_observed_ok_when_it_clears(
    orders, observed
):
    iface, token = orders
    send_report(token, {"runs": [run("r-1", records_failed=80)]})  # 8 % of 1000, max 5 %
    assert observed.rules() == [("error_rate", "warning")]
    seen = observed[0]
    assert (seen.source, seen.object_type, seen.object_id) == (
        "interface", "interfaces.interface", str(iface.pk),
    )  # fmt: skip
    assert seen.client_id == iface.client_id
    assert "8.0%" in seen.summary
    send_report(token, {"runs": [run("r-2", records_failed=0)]})
    assert observed.rules() == [("error_rate", "warning"), ("error_rate", "ok")]
    send_report(token, {"runs": [run("r-3", records_failed=0)]})
    assert len(observed) == 2  # cleared once, then quiet


def test_failures_backlog_and_latency_over_their_limits_are_each_observed(orders, observed):
    _iface, token = orders
    send_report(token, {"runs": [run(records_failed=300, backlog_depth=80, latency_p95_ms=2500)]})
    assert sorted(observed.rules()) == [
        ("backlog", "warning"), ("error_rate", "critical"), ("failures", "critical"),
        ("latency", "critical"),
    ]  # fmt: skip


def test_the_newest_run_of_a_report_is_the_one_judged(orders, observed):
    _iface, token = orders
    old_bad = run("old", started_at="2026-03-02T08:00:00+09:00", records_failed=900)
    send_report(token, {"runs": [old_bad, run("new")]})
    assert observed == []


def test_a_paused_interface_stores_reports_but_judges_nothing(orders, observed):
    iface, token = orders
    actions.set_paused(actor=SYSTEM, interface=iface, paused=True)
    assert send_report(token, {"runs": [run(records_failed=900)]}).status_code == 200
    assert InterfaceRun.objects.filter(interface=iface).count() == 1
    assert observed == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"runs": [run(records_failed=-1)]}, "runs.0.records_failed"),
        ({"runs": [run(started_at="yesterday")]}, "runs.0.started_at"),
        ({"runs": [run(started_at="2026-03-02T09:00:00")]}, "runs.0.started_at"),
        ({"runs": [run(run_id="")]}, "runs.0.run_id"),
        ({"runs": [run(), run("b", records_failed=2000)]}, "runs.1"),
        ({"runs": [run(finished_at="2026-03-02T08:00:00+09:00")]}, "runs.0"),
        ({"runs": [run(surprise=1)]}, "runs.0.surprise"),
        ({"runs": []}, "runs"),
        ({}, "runs"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_nothing_is_stored(orders, body, field):
    iface, token = orders
    response = send_report(token, body)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    assert not InterfaceRun.objects.filter(interface=iface).exists()


def test_a_body_over_the_request_limit_is_a_413_and_nothing_is_stored(orders, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    runs = [run(f"r-{n}") for n in range(40)]
    assert send_report(orders[1], {"runs": runs}).status_code == 413
    assert not InterfaceRun.objects.exists()


def test_a_body_that_is_not_json_is_a_400(orders):
    assert send_report(orders[1], "{not json").status_code == 400


def test_without_a_token_or_with_a_wrong_or_a_users_token_the_report_is_refused(orders, alice):
    from openmsp.accounts import actions as account_actions
    from openmsp.core.actor import Actor

    _t, user_token = account_actions.create_token(actor=Actor(user=alice), user=alice, name="ci")
    for token in (None, "omi_wrong", user_token):
        response = send_report(token, {"runs": [run()]})
        assert response.status_code == 401, token
        assert "client" not in response.content.decode()
    assert not InterfaceRun.objects.exists()


def test_a_token_reaches_only_its_own_interface(client_a, client_b, orders):
    other, other_token = make_interface(client_b, code="hr-payroll", name="HR payroll")
    send_report(other_token, {"runs": [run("r-1")]})
    assert list(InterfaceRun.objects.values_list("interface_id", flat=True)) == [other.pk]


def test_a_regenerated_token_replaces_the_old_one_at_once(orders):
    iface, old = orders
    _iface, new = actions.regenerate_token(actor=SYSTEM, interface=iface)
    assert send_report(old, {"runs": [run("a")]}).status_code == 401
    assert send_report(new, {"runs": [run("b")]}).status_code == 200


def test_only_the_tokens_hash_is_stored(orders):
    iface, token = orders
    row = fresh(iface)
    assert token not in (row.token_hash, row.token_prefix)
    assert token.startswith("omi_")
    assert token[4:12] == row.token_prefix


def test_get_is_not_allowed_on_the_report_url(client):
    assert client.get("/api/v1/interfaces/report").status_code == 405
