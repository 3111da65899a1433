"""The clock's rules on client A's interfaces: the nightly ERP → WMS batch must start by 02:15
and finish by 03:00 Seoul time; the order stream must carry its usual hourly traffic."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openmsp.core import scheduler
from openmsp.interfaces import evaluation, jobs
from openmsp.interfaces.models import Interface, InterfaceRun
from openmsp.interfaces.tests.conftest import fresh, make_interface

pytestmark = pytest.mark.django_db
MIN = dt.timedelta(minutes=1)
WEEK = dt.timedelta(days=7)
# 02:00 on Tuesday 3 March 2026 in Seoul.
START = dt.datetime(2026, 3, 2, 17, 0, tzinfo=dt.UTC)


def due_at(iface: Interface, at: dt.datetime) -> None:
    Interface.objects.filter(pk=iface.pk).update(next_evaluation_at=at)


def add_run(
    iface: Interface,
    run_id: str,
    started: dt.datetime,
    finished: dt.datetime | None = None,
    processed: int = 0,
) -> None:
    InterfaceRun.objects.create(
        interface=iface,
        run_id=run_id,
        started_at=started,
        finished_at=finished,
        processed=processed,
    )


@pytest.fixture
def nightly(client_a) -> Interface:
    iface, _token = make_interface(
        client_a, code="erp-wms-nightly", cron="0 2 * * *", time_zone="Asia/Seoul",
        start_grace_minutes=15, deadline_minutes=60,
    )  # fmt: skip
    due_at(iface, START + 15 * MIN)
    return fresh(iface)


def test_a_batch_that_did_not_start_by_its_grace_is_late_then_ok_when_it_finishes(
    nightly, observed
):
    assert evaluation.evaluate_due(now=START + 15 * MIN) == [nightly.pk]
    assert observed.rules() == [("batch_late", "critical")]
    assert "has not started" in observed[0].summary
    assert fresh(nightly).next_evaluation_at == START + 60 * MIN  # its finish deadline
    add_run(nightly, "n-1", START + 20 * MIN, START + 50 * MIN)
    evaluation.evaluate_due(now=START + 60 * MIN)
    assert observed.rules() == [("batch_late", "critical"), ("batch_late", "ok")]
    assert fresh(nightly).rule_status == {"batch_late": "ok"}


def test_a_batch_still_running_at_its_deadline_is_late(nightly, observed):
    add_run(nightly, "n-1", START + 2 * MIN)
    evaluation.evaluate_due(now=START + 15 * MIN)
    assert observed == []  # started in time, still running: nothing to say
    evaluation.evaluate_due(now=START + 60 * MIN)
    assert observed.rules() == [("batch_late", "critical")]
    assert "did not finish" in observed[0].summary


def test_a_batch_on_time_observes_nothing_and_the_next_night_is_armed(nightly, observed):
    add_run(nightly, "n-1", START + 1 * MIN, START + 30 * MIN)
    evaluation.evaluate_due(now=START + 15 * MIN)
    evaluation.evaluate_due(now=START + 60 * MIN)
    assert observed == []
    assert fresh(nightly).next_evaluation_at == START + dt.timedelta(days=1) + 15 * MIN


def test_an_interface_not_yet_due_is_not_judged_and_a_due_one_is_judged_once(nightly, observed):
    assert evaluation.evaluate_due(now=START + 14 * MIN) == []
    assert evaluation.evaluate_due(now=START + 15 * MIN) == [nightly.pk]
    assert evaluation.evaluate_due(now=START + 15 * MIN) == []
    assert len(observed) == 1


def test_a_claim_loses_to_a_deadline_moved_since_it_was_read(nightly, observed):
    stale = fresh(nightly)
    due_at(nightly, START + 60 * MIN)  # an edit moved it meanwhile
    assert evaluation._claim(stale, START + 15 * MIN) is False
    assert observed == []


def test_a_paused_interface_is_not_judged(nightly, observed, system_actor):
    from openmsp.interfaces import actions

    actions.set_paused(actor=system_actor, interface=nightly, paused=True)
    assert fresh(nightly).next_evaluation_at is None
    assert evaluation.evaluate_due(now=START + 15 * MIN) == []
    assert observed == []


def test_the_due_query_is_one_query_whatever_the_number_of_interfaces(client_a):
    for n in range(5):
        make_interface(client_a, code=f"quiet-{n}")  # nothing to watch: no deadline
    with CaptureQueriesContext(connection) as queries:
        assert evaluation.evaluate_due(now=START) == []
    assert len(queries) == 1


def test_the_job_is_registered_with_the_scheduler():
    job = scheduler.REGISTRY["interfaces.evaluate_due"]
    assert job.task() is jobs.evaluate_due


# --- Expected traffic -----------------------------------------------------------------------------

NOW = dt.datetime(2026, 3, 30, 1, 0, tzinfo=dt.UTC)  # Monday 10:00 in Seoul


@pytest.fixture
def stream(client_a) -> Interface:
    iface, _token = make_interface(
        client_a, code="orders-stream", expect_traffic=True, min_traffic_ratio=0.3
    )
    due_at(iface, NOW)
    return fresh(iface)


def history(iface: Interface, volumes: list[int]) -> None:
    """volumes[k]: the records in the same hour k+1 weeks ago."""
    for k, volume in enumerate(volumes, start=1):
        add_run(iface, f"w{k}", NOW - k * WEEK - 30 * MIN, processed=volume)


def test_an_hour_far_below_its_usual_volume_is_missing_traffic(stream, observed):
    history(stream, [1000, 900, 1100, 1000])  # baseline: median 1000
    add_run(stream, "now", NOW - 20 * MIN, processed=200)  # under 30 % of 1000
    evaluation.evaluate_due(now=NOW)
    assert observed.rules() == [("traffic_missing", "warning")]
    assert "200 records in the last hour; usual for this hour 1000" in observed[0].summary
    assert fresh(stream).next_evaluation_at == NOW + evaluation.TRAFFIC_EVERY


def test_no_traffic_at_all_is_critical_and_it_clears_when_traffic_returns(stream, observed):
    history(stream, [1000, 900, 1100, 1000])
    evaluation.evaluate_due(now=NOW)
    assert observed.rules() == [("traffic_missing", "critical")]
    add_run(stream, "late", NOW + 1 * MIN, processed=600)
    evaluation.evaluate_due(now=NOW + evaluation.TRAFFIC_EVERY)
    assert observed.rules()[-1] == ("traffic_missing", "ok")


def test_with_less_than_three_weeks_of_history_traffic_is_not_judged(stream, observed):
    history(stream, [1000, 1000])
    evaluation.evaluate_due(now=NOW)
    assert observed == []
    assert fresh(stream).rule_status == {}
