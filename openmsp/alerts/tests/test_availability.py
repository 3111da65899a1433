"""Availability from the problems' state history, with hand-worked figures."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from openmsp.alerts import actions
from openmsp.alerts.availability import compute, problem_spans, subtract, union
from openmsp.alerts.tests.conftest import seen
from openmsp.core import spine
from openmsp.core.actor import Actor

DAY = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def h(hours: float) -> dt.datetime:
    return DAY + dt.timedelta(hours=hours)


def test_a_clean_day_is_one_hundred_percent():
    result = compute(h(0), h(24), down=[])
    assert result.percent == 100.0
    assert result.counted_seconds == 86400


def test_one_critical_hour_in_a_day():
    result = compute(h(0), h(24), down=[(h(10), h(11))])
    assert result.down_seconds == 3600
    assert result.percent == pytest.approx(100 * 82800 / 86400)  # 95.8333 %


def test_maintenance_that_does_not_count_is_cut_out_with_its_down_time():
    # Down 10:00-11:00, maintenance 10:30-11:30 (excluded), warning 12:00-12:30.
    result = compute(
        h(0),
        h(24),
        down=[(h(10), h(11))],
        degraded=[(h(12), h(12.5))],
        excluded=[(h(10.5), h(11.5))],
    )
    assert result.counted_seconds == 86400 - 3600
    assert result.down_seconds == 1800
    assert result.degraded_seconds == 1800
    assert result.percent == pytest.approx(100 * 81000 / 82800)  # 97.8261 %


def test_overlapping_problems_are_not_counted_twice_and_spans_are_clipped_to_the_period():
    result = compute(h(1), h(3), down=[(h(0), h(2)), (h(1.5), h(2.5))])
    assert result.down_seconds == 5400  # 01:00-02:30
    assert result.percent == pytest.approx(25.0)


def test_a_warning_while_down_is_not_also_degraded():
    result = compute(h(0), h(2), down=[(h(0), h(1))], degraded=[(h(0.5), h(1.5))])
    assert result.degraded_seconds == 1800


def test_union_and_subtract():
    assert union([(h(2), h(3)), (h(0), h(1)), (h(0.5), h(2))]) == [(h(0), h(3))]
    assert subtract([(h(0), h(4))], [(h(1), h(2)), (h(3), h(5))]) == [(h(0), h(1)), (h(2), h(3))]


def test_steps_of_a_problem_become_down_and_degraded_spans():
    steps = [
        (h(1), "pending", "critical"),
        (h(1.1), "firing", "warning"),
        (h(2), "firing", "critical"),
        (h(3), "acknowledged", "critical"),
        (h(4), "resolved", "critical"),
    ]
    down, degraded = problem_spans(steps, until=h(10))
    assert degraded == [(h(1.1), h(2))]
    assert down == [(h(2), h(3)), (h(3), h(4))]


@pytest.mark.django_db
def test_the_api_computes_a_checks_availability_from_its_history(api_as, alice, client_a):
    t = timezone.now().replace(microsecond=0) - dt.timedelta(hours=3)
    spine.observe(seen(client_a.pk, at=t))
    spine.observe(seen(client_a.pk, "ok", at=t + dt.timedelta(minutes=30)))
    query = {
        "fingerprint": "check:monitoring.check:7:http",
        "start": (t - dt.timedelta(minutes=30)).isoformat(),
        "end": (t + dt.timedelta(minutes=90)).isoformat(),
    }
    body = api_as(alice).get("/api/v1/availability?" + urlencode(query)).json()
    assert body["down_seconds"] == 1800
    assert body["availability"] == 75.0
    actions.create_window(
        actor=Actor.system("test"),
        client=client_a,
        name="patching",
        starts_at=t + dt.timedelta(minutes=20),
        ends_at=t + dt.timedelta(minutes=40),
    )
    body = api_as(alice).get("/api/v1/availability?" + urlencode(query)).json()
    assert body["counted_seconds"] == 6000
    assert body["down_seconds"] == 1200
    assert body["availability"] == 80.0
