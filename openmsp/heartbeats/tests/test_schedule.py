"""The pure schedule rules, with instants worked out by hand (Asia/Seoul has no DST; Europe/Berlin
changes on 2026-03-29 01:00 UTC, 02:00 CET -> 03:00 CEST, and on 2026-10-25 01:00 UTC,
03:00 CEST -> 02:00 CET)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openmsp.heartbeats import schedule as sched

UTC = dt.UTC
H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


def cron(expr: str, zone: str = "Asia/Seoul", grace: dt.timedelta = 10 * M) -> sched.Schedule:
    return sched.check(sched.Schedule(kind="cron", cron=expr, time_zone=zone, grace=grace))


def period(every: dt.timedelta, grace: dt.timedelta = 10 * M) -> sched.Schedule:
    return sched.check(sched.Schedule(kind="period", period=every, grace=grace))


def test_a_period_expects_the_next_success_one_period_after_the_last():
    s = period(H, grace=5 * M)
    assert sched.next_expected(s, utc(2026, 3, 2, 0, 0)) == utc(2026, 3, 2, 1, 0)
    assert sched.deadline(s, utc(2026, 3, 2, 0, 0)) == utc(2026, 3, 2, 1, 5)


def test_a_period_counts_real_seconds_across_a_dst_change():
    # 24 h after 12:00 CET on Saturday is 13:00 CEST on Sunday: the clock moved, time did not.
    s = period(24 * H)
    assert sched.next_expected(s, utc(2026, 3, 28, 11, 0)) == utc(2026, 3, 29, 11, 0)


def test_a_nightly_cron_in_seoul_is_read_on_the_seoul_clock():
    # 09:00 KST on Monday -> 02:30 KST on Tuesday = 17:30 UTC on Monday.
    s = cron("30 2 * * *")
    assert sched.next_expected(s, utc(2026, 3, 2, 0, 0)) == utc(2026, 3, 2, 17, 30)
    assert sched.deadline(s, utc(2026, 3, 2, 0, 0)) == utc(2026, 3, 2, 17, 40)


def test_a_weekday_cron_skips_the_weekend():
    # Friday 09:00 KST (00:00 UTC) -> Monday 09:00 KST.
    s = cron("0 9 * * 1-5")
    assert sched.next_expected(s, utc(2026, 3, 6, 0, 0)) == utc(2026, 3, 9, 0, 0)


def test_a_success_exactly_at_the_cron_time_expects_the_following_one():
    s = cron("0 * * * *")
    assert sched.next_expected(s, utc(2026, 3, 2, 5, 0)) == utc(2026, 3, 2, 6, 0)


def test_a_daily_cron_in_berlin_keeps_its_wall_time_when_summer_time_starts():
    # 12:00 CET (11:00 UTC) on Saturday -> 12:00 CEST (10:00 UTC) on Sunday: 23 hours later.
    s = cron("0 12 * * *", "Europe/Berlin")
    assert sched.next_expected(s, utc(2026, 3, 28, 11, 0)) == utc(2026, 3, 29, 10, 0)


def test_a_cron_time_in_the_skipped_hour_is_expected_when_the_clock_jumps():
    # 02:30 does not exist on 2026-03-29 in Berlin: expected at the jump, 03:00 CEST = 01:00 UTC.
    s = cron("30 2 * * *", "Europe/Berlin")
    assert sched.next_expected(s, utc(2026, 3, 28, 1, 30)) == utc(2026, 3, 29, 1, 0)
    # …and the day after at 02:30 CEST again.
    assert sched.next_expected(s, utc(2026, 3, 29, 1, 0)) == utc(2026, 3, 30, 0, 30)


def test_a_cron_time_in_the_repeated_hour_is_expected_once_at_its_first_occurrence():
    s = cron("30 2 * * *", "Europe/Berlin")
    # 02:30 CEST on 2026-10-25 is 00:30 UTC; 02:30 CET (01:30 UTC) the same night is not another run.
    assert sched.next_expected(s, utc(2026, 10, 24, 0, 30)) == utc(2026, 10, 25, 0, 30)
    assert sched.next_expected(s, utc(2026, 10, 25, 0, 30)) == utc(2026, 10, 26, 1, 30)


def test_during_the_second_pass_of_the_repeated_hour_the_next_time_is_after_it():
    # 01:10 UTC is 02:10 CET, the second 02:10 of the night; 02:15 … 02:45 were already had in
    # their first pass, so every-15-minutes expects 03:00 CET (02:00 UTC): late alarms may come
    # later in that hour than a cron that reruns it, never earlier.
    s = cron("*/15 * * * *", "Europe/Berlin")
    assert sched.next_expected(s, utc(2026, 10, 25, 1, 10)) == utc(2026, 10, 25, 2, 0)


def test_wall_times_map_to_instants_by_the_dst_rules():
    assert sched.wall_to_instant(dt.datetime(2026, 3, 29, 2, 30), BERLIN) == utc(2026, 3, 29, 1, 0)
    assert sched.wall_to_instant(dt.datetime(2026, 3, 29, 3, 0), BERLIN) == utc(2026, 3, 29, 1, 0)
    assert sched.wall_to_instant(dt.datetime(2026, 3, 29, 1, 59), BERLIN) == utc(2026, 3, 29, 0, 59)
    assert sched.wall_to_instant(dt.datetime(2026, 10, 25, 2, 30), BERLIN) == utc(
        2026, 10, 25, 0, 30
    )


def test_instants_without_a_time_zone_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        sched.next_expected(period(H), dt.datetime(2026, 3, 2))


@pytest.mark.parametrize(
    ("schedule", "field", "words"),
    [
        (sched.Schedule(kind="cron", cron="61 * * * *", grace=M), "cron", "not a valid"),
        (sched.Schedule(kind="cron", cron="* * * *", grace=M), "cron", "five fields"),
        (sched.Schedule(kind="cron", cron="0 0 * * * *", grace=M), "cron", "five fields"),
        (sched.Schedule(kind="cron", cron="", grace=M), "cron", "five fields"),
        (sched.Schedule(kind="cron", cron="0 0 30 2 *", grace=M), "cron", "never matches"),
        (sched.Schedule(kind="cron", cron="0 2 * * *", time_zone="Mars/Olympus", grace=M), "time_zone", "IANA"),
        (sched.Schedule(kind="period", period=H, grace=dt.timedelta(0)), "grace_seconds", "grace"),
        (sched.Schedule(kind="period", period=-H, grace=M), "period_seconds", "period"),
    ],
)  # fmt: skip
def test_a_schedule_that_cannot_work_is_refused_naming_the_field(schedule, field, words):
    with pytest.raises(sched.ScheduleError, match=words) as caught:
        sched.check(schedule)
    assert caught.value.field == field


def test_cron_expressions_are_normalised_and_nicknames_accepted():
    assert sched.check_cron("  30   2 * *  * ") == "30 2 * * *"
    assert sched.check_cron("@daily") == "@daily"


def test_a_started_run_is_due_by_its_run_time_limit_or_its_schedule_whichever_is_first():
    s = period(H, grace=10 * M)
    start = utc(2026, 3, 2, 0, 0)
    assert sched.running_deadline(s, started_at=start, max_run=30 * M) == (
        start + 30 * M,
        "too_long",
    )
    assert sched.running_deadline(s, started_at=start, max_run=2 * H) == (start + 70 * M, "late")
    assert sched.running_deadline(s, started_at=start, max_run=None) == (start + 70 * M, "late")


def test_a_passed_deadline_is_too_long_only_when_it_is_the_running_jobs_limit():
    start = utc(2026, 3, 2, 0, 0)
    due = start + 30 * M
    assert (
        sched.due_rule(running=True, started_at=start, max_run=30 * M, alert_after=due)
        == "too_long"
    )
    assert (
        sched.due_rule(running=False, started_at=start, max_run=30 * M, alert_after=due) == "late"
    )
    assert sched.due_rule(running=True, started_at=start, max_run=None, alert_after=due) == "late"
    assert sched.due_rule(running=True, started_at=start, max_run=20 * M, alert_after=due) == "late"


LIMITS = sched.RunLimits(min_run=2 * M, max_run=30 * M, min_interval=50 * M)
AT = utc(2026, 3, 2, 1, 0)


@pytest.mark.parametrize(
    ("duration", "previous", "expected"),
    [
        (10 * M, AT - H, {"too_fast": False, "too_long": False, "too_often": False}),
        (1 * M, AT - H, {"too_fast": True, "too_long": False, "too_often": False}),
        (2 * M, AT - H, {"too_fast": False, "too_long": False, "too_often": False}),
        (31 * M, AT - H, {"too_fast": False, "too_long": True, "too_often": False}),
        (30 * M, AT - 49 * M, {"too_fast": False, "too_long": False, "too_often": True}),
        (None, AT - 50 * M, {"too_often": False}),
        (None, None, {}),
    ],
)
def test_a_finished_run_is_judged_only_by_the_limits_it_can_be_measured_against(
    duration, previous, expected
):
    assert (
        sched.run_verdicts(LIMITS, duration=duration, at=AT, previous_success_at=previous)
        == expected
    )


def test_a_heartbeat_without_run_limits_judges_nothing():
    verdicts = sched.run_verdicts(sched.RunLimits(), duration=M, at=AT, previous_success_at=AT - M)
    assert verdicts == {}


# --- Properties ---------------------------------------------------------------------------------

instants = st.datetimes(
    min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2028, 12, 31), timezones=st.just(UTC)
)
zones = st.sampled_from(["Asia/Seoul", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"])


@given(after=instants, zone=zones, minute=st.integers(0, 59), hour=st.integers(0, 23))
def test_a_daily_cron_time_is_after_the_instant_within_a_day_and_on_the_local_clock(
    after, zone, minute, hour
):
    tz = zoneinfo.ZoneInfo(zone)
    nxt = sched.next_cron(f"{minute} {hour} * * *", tz, after)
    assert after < nxt <= after + dt.timedelta(hours=25)
    local = nxt.astimezone(tz)
    if (local.hour, local.minute) != (hour, minute):
        # Only a wall time skipped by a clock change may move, and only to the jump itself.
        just_before = (nxt - dt.timedelta(seconds=1)).astimezone(tz)
        assert just_before.utcoffset() != local.utcoffset()


@given(
    first=instants,
    gap=st.timedeltas(min_value=dt.timedelta(0), max_value=dt.timedelta(days=3)),
    zone=zones,
)
def test_later_successes_never_expect_the_next_one_earlier(first, gap, zone):
    s = sched.Schedule(kind="cron", cron="*/20 1-5 * * *", time_zone=zone, grace=M)
    assert sched.next_expected(s, first) <= sched.next_expected(s, first + gap)
