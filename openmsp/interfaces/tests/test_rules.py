"""The pure rules, worked by hand: thresholds, the weekly baseline, a batch's deadlines."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from openmsp.interfaces import rules
from openmsp.interfaces.rules import BatchPlan, RunFacts, Thresholds

SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")
UTC = dt.UTC


def test_an_error_rate_over_the_threshold_is_a_warning_and_twice_it_critical():
    limits = Thresholds(max_error_rate=5)
    # 30 of 1000 = 3 % (fine), 60 of 1000 = 6 % (over 5), 100 of 1000 = 10 % (twice 5).
    assert rules.judge_run(limits, RunFacts(1000, 30))["error_rate"][0] == "ok"
    assert rules.judge_run(limits, RunFacts(1000, 60))["error_rate"] == (
        "warning",
        "6.0% of 1000 records failed (max 5%)",
    )
    assert rules.judge_run(limits, RunFacts(1000, 100))["error_rate"][0] == "critical"


def test_an_empty_run_has_no_error_rate_and_unwatched_rules_are_not_judged():
    assert rules.judge_run(Thresholds(max_error_rate=5), RunFacts(0, 0)) == {}
    assert rules.judge_run(Thresholds(), RunFacts(10, 10, 9999, 9999, 9999)) == {}


def test_a_threshold_of_zero_failures_makes_any_failure_critical():
    limits = Thresholds(max_failures=0)
    assert rules.judge_run(limits, RunFacts(10, 0))["failures"][0] == "ok"
    assert rules.judge_run(limits, RunFacts(10, 1))["failures"] == (
        "critical",
        "1 failed records (max 0)",
    )


def test_backlog_takes_the_worse_of_queue_depth_and_age_of_the_oldest_message():
    limits = Thresholds(max_backlog=100, max_oldest_age_seconds=600)
    depth_bad = RunFacts(0, 0, backlog_depth=150, oldest_message_age_seconds=60)
    both_bad = RunFacts(0, 0, backlog_depth=150, oldest_message_age_seconds=1200)
    assert rules.judge_run(limits, depth_bad)["backlog"] == (
        "warning",
        "150 waiting (max 100); oldest message 60 s old (max 600 s)",
    )
    assert rules.judge_run(limits, both_bad)["backlog"][0] == "critical"


def test_latency_is_judged_only_when_reported():
    limits = Thresholds(max_latency_ms=500)
    assert "latency" not in rules.judge_run(limits, RunFacts(5, 0))
    assert rules.judge_run(limits, RunFacts(5, 0, latency_p95_ms=750))["latency"][0] == "warning"


def test_the_baseline_is_the_median_of_four_weeks_and_needs_three():
    assert rules.baseline([100, 80, 300, 90]) == 95  # median of 80, 90, 100, 300
    assert rules.baseline([100, 0, 120, None]) == 100  # a quiet week with history counts
    assert rules.baseline([100, 120, None, None]) is None  # two weeks are not enough


def test_traffic_far_below_the_baseline_is_missing():
    history = [1000, 900, 1100, 1000]  # baseline 1000
    assert rules.judge_traffic(400, history, 0.3)[0] == "ok"  # type: ignore[index]
    assert rules.judge_traffic(250, history, 0.3) == (
        "warning",
        "250 records in the last hour; usual for this hour 1000",
    )
    assert rules.judge_traffic(0, history, 0.3)[0] == "critical"  # type: ignore[index]


def test_no_traffic_is_judged_where_none_is_usual_or_history_is_short():
    assert rules.judge_traffic(0, [0, 0, 0, 0], 0.3) is None
    assert rules.judge_traffic(0, [1000, 1000, None, None], 0.3) is None


def test_the_scheduled_start_is_the_latest_cron_time_in_the_interfaces_zone():
    # 02:00 in Seoul is 17:00 UTC the day before.
    now = dt.datetime(2026, 3, 2, 16, 30, tzinfo=UTC)  # 01:30 on 3 March in Seoul
    assert rules.scheduled_start("0 2 * * *", SEOUL, now) == dt.datetime(
        2026, 3, 1, 17, 0, tzinfo=UTC
    )
    assert rules.next_start("0 2 * * *", SEOUL, now) == dt.datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
    exactly = dt.datetime(2026, 3, 1, 17, 0, tzinfo=UTC)
    assert rules.scheduled_start("0 2 * * *", SEOUL, exactly) == exactly


START = dt.datetime(2026, 3, 1, 17, 0, tzinfo=UTC)
PLAN = BatchPlan(start=START, grace=dt.timedelta(minutes=15), deadline=dt.timedelta(minutes=60))


def test_a_batch_not_started_by_start_plus_grace_is_late():
    assert (
        rules.judge_batch(
            PLAN, started_at=None, finished_at=None, now=START + dt.timedelta(minutes=14)
        )
        is None
    )
    verdict = rules.judge_batch(
        PLAN, started_at=None, finished_at=None, now=START + dt.timedelta(minutes=15)
    )
    assert verdict is not None
    assert verdict[0] == "critical"
    assert "has not started" in verdict[1]


def test_a_batch_running_past_its_deadline_is_late_and_one_finished_in_time_is_ok():
    began = START + dt.timedelta(minutes=2)
    running = rules.judge_batch(
        PLAN, started_at=began, finished_at=None, now=START + dt.timedelta(minutes=59)
    )
    assert running is not None
    assert running[0] == "ok"
    overdue = rules.judge_batch(
        PLAN, started_at=began, finished_at=None, now=START + dt.timedelta(minutes=61)
    )
    assert overdue is not None
    assert overdue[0] == "critical"
    assert "did not finish" in overdue[1]
    in_time = START + dt.timedelta(minutes=50)
    done = rules.judge_batch(
        PLAN, started_at=began, finished_at=in_time, now=START + dt.timedelta(hours=3)
    )
    assert done is not None
    assert done[0] == "ok"
    too_late = START + dt.timedelta(minutes=70)
    slow = rules.judge_batch(
        PLAN, started_at=began, finished_at=too_late, now=START + dt.timedelta(hours=3)
    )
    assert slow is not None
    assert slow[0] == "critical"
