"""Observations reach the one Problem lifecycle through the spine: problems open, repeat, resolve
and reopen; a result that changes nothing is one lookup and one UPDATE, never an audit record."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from openmsp.alerts.models import Problem
from openmsp.alerts.tests.conftest import seen
from openmsp.core import spine
from openmsp.core.models import AuditRecord
from openmsp.core.spine import NoisePolicy

pytestmark = pytest.mark.django_db
T0 = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def test_a_failing_check_opens_a_firing_problem_and_tells_notifications(client_a, told):
    spine.observe(seen(client_a.pk, at=at(0)))
    problem = Problem.objects.get()
    assert problem.state == "firing"
    assert problem.severity == "critical"
    assert problem.fingerprint == "check:monitoring.check:7:http"
    assert [e.kind for e in problem.events.all()] == ["opened", "fired"]
    assert [(c.kind, c.problem_id, c.suppressed, c.in_maintenance) for c in told] == [
        ("firing", problem.pk, False, False)
    ]
    assert told[0].url == f"/problems/{problem.pk}/"


def test_repeats_are_counted_on_the_one_open_problem_cheaply_and_unaudited(client_a, told):
    spine.observe(seen(client_a.pk, at=at(0)))
    audits = AuditRecord.objects.count()
    with CaptureQueriesContext(connection) as queries:
        spine.observe(seen(client_a.pk, at=at(60)))
    assert len(queries) == 2, [q["sql"] for q in queries]  # the lookup and one UPDATE
    problem = Problem.objects.get()
    assert problem.repeat_count == 1
    assert problem.events.count() == 2
    assert AuditRecord.objects.count() == audits
    assert len(told) == 1


def test_an_ok_result_with_nothing_open_is_a_single_lookup(client_a, told):
    with CaptureQueriesContext(connection) as queries:
        spine.observe(seen(client_a.pk, "ok", at=at(0)))
    assert len(queries) == 1
    assert not Problem.objects.exists()
    assert told == []


def test_recovery_resolves_and_a_quick_relapse_reopens_the_same_problem(client_a, told):
    for seconds, status in [(0, "critical"), (60, "ok"), (120, "critical")]:
        spine.observe(seen(client_a.pk, status, at=at(seconds)))
    problem = Problem.objects.get()
    assert problem.state == "firing"
    assert problem.reopen_count == 1
    assert [c.kind for c in told] == ["firing", "resolved", "reopened"]
    assert [e.kind for e in problem.events.all()] == [
        "opened", "fired", "resolved", "reopened", "fired"
    ]  # fmt: skip


def test_a_relapse_after_the_window_is_a_new_problem(client_a):
    policy = NoisePolicy(flap_window_seconds=300)
    for seconds, status in [(0, "critical"), (60, "ok"), (600, "critical")]:
        spine.observe(seen(client_a.pk, status, at=at(seconds), policy=policy))
    assert list(Problem.objects.order_by("pk").values_list("state", flat=True)) == [
        "resolved",
        "firing",
    ]


def test_hold_down_keeps_the_problem_pending_and_silent(client_a, told):
    policy = NoisePolicy(failures_to_fire=3)
    spine.observe(seen(client_a.pk, at=at(0), policy=policy))
    spine.observe(seen(client_a.pk, at=at(60), policy=policy))
    assert Problem.objects.get().state == "pending"
    assert told == []
    spine.observe(seen(client_a.pk, at=at(120), policy=policy))
    assert Problem.objects.get().state == "firing"
    assert [c.kind for c in told] == ["firing"]


def test_the_asset_title_and_labels_travel_with_the_problem(client_a):
    spine.observe(seen(client_a.pk, at=at(0), labels={"team": "erp"}, title="ERP down"))
    problem = Problem.objects.get()
    assert problem.title == "ERP down"
    assert problem.labels == {"team": "erp"}
    assert problem.policy["failures_to_fire"] == 1
