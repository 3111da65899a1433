"""Laws the working-time arithmetic must obey for any calendar, start and amount.

The calendars cover the shapes that break naive implementations: a lunch break, a night shift
across midnight, 24x7, a sparse week, daylight saving (New York and Berlin, including working
hours that sit inside the skipped or repeated hour) and client closed/open dates.
"""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from openmsp.tenants.calendar import (
    CalendarSpec,
    WorkingInterval,
    add_working_minutes,
    add_working_seconds,
    is_working_time,
    working_minutes_between,
    working_seconds_between,
    working_time_between,
)

# No deadline: the first example of a run also builds the holiday tables and day caches.
PROPERTY = settings(deadline=None, max_examples=200)


def every(weekdays, start, end):
    return tuple(WorkingInterval(day, start, end) for day in weekdays)


SPECS = [
    CalendarSpec(
        timezone="Asia/Seoul",
        intervals=every(range(5), 540, 720) + every(range(5), 780, 1080),
        holiday_country="KR",
    ),
    CalendarSpec(
        timezone="Asia/Seoul",
        intervals=every(range(5), 1320, 1440) + every(range(1, 6), 0, 360),
        holiday_country="KR",
    ),
    CalendarSpec(timezone="Asia/Seoul", always_open=True),
    CalendarSpec(timezone="UTC", intervals=every(range(5), 540, 1080), holiday_country=None),
    CalendarSpec(
        timezone="America/New_York",
        intervals=every(range(5), 540, 1020) + every([6], 90, 180),  # Sunday 01:30-03:00
        holiday_country="US",
    ),
    CalendarSpec(
        timezone="Europe/Berlin",
        intervals=every([2], 600, 720) + every([6], 120, 210),  # Sunday 02:00-03:30
        holiday_country="DE",
        holiday_subdivision="BY",
        closed_dates=frozenset({date(2026, 1, 7), date(2027, 6, 2)}),
        open_dates=frozenset({date(2026, 12, 30)}),
    ),
    CalendarSpec(
        timezone="Asia/Seoul",
        intervals=every(range(7), 0, 1440),
        holiday_country="KR",
        closed_dates=frozenset({date(2025, 5, 7)}),
        open_dates=frozenset({date(2026, 2, 17)}),
    ),
]

specs = st.sampled_from(SPECS)
zones = st.sampled_from([UTC, ZoneInfo("Asia/Seoul"), ZoneInfo("America/New_York")])
instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2028, 12, 31), timezones=zones
)
# Whole seconds: working_seconds_between floors, so only whole-second instants add up exactly.
whole_second_instants = instants.map(lambda moment: moment.replace(microsecond=0))
minutes = st.integers(min_value=0, max_value=50_000)


def in_order(*moments):
    # Python compares (and adds to) two datetimes of the same zone by wall-clock time, ignoring
    # fold, which misorders the repeated hour of a fall-back; order the real instants instead.
    return sorted(moments, key=lambda moment: moment.astimezone(UTC))


@PROPERTY
@given(spec=specs, start=instants, m1=minutes, m2=minutes)
def test_adding_more_minutes_never_ends_earlier(spec, start, m1, m2):
    low, high = sorted((m1, m2))
    assert add_working_minutes(spec, start, low) <= add_working_minutes(spec, start, high)


@PROPERTY
@given(spec=specs, start=instants, m=minutes)
def test_measuring_from_start_to_start_plus_m_gives_back_m(spec, start, m):
    end = add_working_minutes(spec, start, m)
    assert end >= start
    assert working_minutes_between(spec, start, end) == m
    assert working_time_between(spec, start, end) == timedelta(minutes=m)


@PROPERTY
@given(spec=specs, start=instants, m=minutes)
def test_adding_seconds_agrees_with_adding_minutes(spec, start, m):
    assert add_working_seconds(spec, start, m * 60) == add_working_minutes(spec, start, m)


@PROPERTY
@given(spec=specs, x=instants, y=instants)
def test_adding_the_measured_minutes_lands_no_later_than_the_end(spec, x, y):
    a, b = in_order(x, y)
    measured = working_minutes_between(spec, a, b)
    landed = add_working_minutes(spec, a, measured)
    assert landed <= b
    assert working_minutes_between(spec, a, landed) == measured


@PROPERTY
@given(spec=specs, start=instants, m=st.integers(min_value=1, max_value=50_000))
def test_a_positive_addition_ends_inside_or_at_the_end_of_a_working_period(spec, start, m):
    end = add_working_minutes(spec, start, m)
    # The instant just before `end` is working time: `end` is never in a gap or at an opening.
    assert is_working_time(spec, end - timedelta(microseconds=1))


@PROPERTY
@given(spec=specs, x=whole_second_instants, y=whole_second_instants, z=whole_second_instants)
def test_working_seconds_add_up_over_consecutive_spans(spec, x, y, z):
    a, b, c = in_order(x, y, z)
    whole = working_seconds_between(spec, a, c)
    assert whole == working_seconds_between(spec, a, b) + working_seconds_between(spec, b, c)


@PROPERTY
@given(spec=specs, x=instants, y=instants, z=instants)
def test_exact_working_time_adds_up_even_with_microseconds(spec, x, y, z):
    a, b, c = in_order(x, y, z)
    whole = working_time_between(spec, a, c)
    assert whole == working_time_between(spec, a, b) + working_time_between(spec, b, c)


@PROPERTY
@given(spec=specs, moment=instants)
def test_an_instant_is_working_time_exactly_when_the_next_microsecond_counts(spec, moment):
    tick = timedelta(microseconds=1)
    moment = moment.astimezone(UTC)  # add the tick to the instant, not to the wall-clock time
    assert is_working_time(spec, moment) == (
        working_time_between(spec, moment, moment + tick) == tick
    )
