"""Bad calendars and bad arguments fail with a CalendarError whose message names the problem."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from openmsp.tenants import calendar
from openmsp.tenants.calendar import (
    CalendarError,
    CalendarSpec,
    WorkingInterval,
    add_working_minutes,
    add_working_seconds,
    format_minute,
    holiday_name,
    is_working_day,
    is_working_time,
    next_working_periods,
    parse_hhmm,
    validate_spec,
    working_minutes_between,
    working_periods,
    working_seconds_between,
)

OFFICE_HOURS = tuple(WorkingInterval(day, 540, 1080) for day in range(5))
OFFICE = CalendarSpec(intervals=OFFICE_HOURS)
FLOAT_MINUTE: Any = 540.0
NOW = datetime(2026, 3, 4, 1, 0, tzinfo=UTC)


def spec_with(**changes):
    return CalendarSpec(**{"intervals": OFFICE_HOURS, **changes})


def test_a_calendar_error_is_a_value_error_that_names_its_field():
    with pytest.raises(CalendarError) as caught:
        validate_spec(spec_with(timezone="Mars/Olympus"))
    assert isinstance(caught.value, ValueError)
    assert caught.value.field == "timezone"


def test_a_sound_calendar_passes_validation():
    validate_spec(OFFICE)
    validate_spec(CalendarSpec(always_open=True))
    validate_spec(spec_with(holiday_country="US", holiday_subdivision="CA"))
    validate_spec(spec_with(holiday_country=None))


@pytest.mark.parametrize("name", ["Mars/Olympus", "asia/seoul", "", "/etc/localtime", "../UTC"])
def test_it_rejects_an_unknown_time_zone(name):
    with pytest.raises(CalendarError, match="is not a known time zone; use an IANA name"):
        validate_spec(spec_with(timezone=name))


@pytest.mark.parametrize("country", ["XX", "kr", "Korea"])
def test_it_rejects_an_unknown_holiday_country(country):
    with pytest.raises(CalendarError, match=f"'{country}' is not a holiday country we know"):
        validate_spec(spec_with(holiday_country=country))


def test_it_rejects_an_unknown_subdivision_and_lists_the_known_ones():
    with pytest.raises(CalendarError, match="'ZZ' is not a subdivision of holiday country US") as e:
        validate_spec(spec_with(holiday_country="US", holiday_subdivision="ZZ"))
    assert "CA" in str(e.value)
    assert e.value.field == "holiday_subdivision"


def test_it_rejects_a_subdivision_without_a_country():
    with pytest.raises(CalendarError, match="A holiday subdivision needs a holiday country"):
        validate_spec(spec_with(holiday_country=None, holiday_subdivision="CA"))


def test_it_names_the_weekday_and_both_intervals_when_intervals_overlap():
    overlapping = (WorkingInterval(0, 540, 720), WorkingInterval(0, 660, 780))
    with pytest.raises(CalendarError) as caught:
        validate_spec(CalendarSpec(intervals=overlapping))
    assert str(caught.value).startswith("Monday 09:00\u201312:00 overlaps 11:00\u201313:00")


def test_it_finds_an_overlap_hidden_behind_a_long_interval_listed_last():
    intervals = (WorkingInterval(2, 780, 840), WorkingInterval(2, 540, 1080))
    with pytest.raises(CalendarError, match="Wednesday 09:00\u201318:00 overlaps 13:00\u201314:00"):
        validate_spec(CalendarSpec(intervals=intervals))


def test_it_accepts_touching_intervals_and_the_same_hours_on_different_days():
    validate_spec(
        CalendarSpec(
            intervals=(
                WorkingInterval(0, 540, 720),
                WorkingInterval(0, 720, 780),
                WorkingInterval(1, 540, 720),
            )
        )
    )


def test_it_rejects_a_duplicated_interval_as_an_overlap():
    with pytest.raises(CalendarError, match="Friday 09:00\u201318:00 overlaps 09:00\u201318:00"):
        validate_spec(CalendarSpec(intervals=(WorkingInterval(4, 540, 1080),) * 2))


@pytest.mark.parametrize(("start", "end"), [(540, 540), (1080, 540)])
def test_it_rejects_an_interval_that_ends_before_it_starts(start, end):
    with pytest.raises(CalendarError, match="is not after its start") as caught:
        validate_spec(CalendarSpec(intervals=(WorkingInterval(0, start, end),)))
    assert "split a night shift" in str(caught.value)


@pytest.mark.parametrize(
    ("interval", "message"),
    [
        pytest.param(WorkingInterval(7, 540, 600), "weekday 7; use 0", id="weekday 7"),
        pytest.param(WorkingInterval(-1, 540, 600), "weekday -1; use 0", id="weekday -1"),
        pytest.param(WorkingInterval(True, 540, 600), "weekday True; use 0", id="weekday bool"),
        pytest.param(WorkingInterval(0, -1, 600), "starts at minute -1", id="start -1"),
        pytest.param(WorkingInterval(0, 1440, 1440), "starts at minute 1440", id="start 1440"),
        pytest.param(WorkingInterval(0, 0, 0), "ends at minute 0", id="end 0"),
        pytest.param(WorkingInterval(0, 540, 1441), "ends at minute 1441", id="end 1441"),
        pytest.param(WorkingInterval(0, FLOAT_MINUTE, 600), "starts at minute 540.0", id="float"),
    ],
)
def test_it_rejects_interval_minutes_out_of_range(interval, message):
    with pytest.raises(CalendarError, match=message):
        validate_spec(CalendarSpec(intervals=(interval,)))


def test_it_rejects_a_calendar_with_no_working_time():
    with pytest.raises(CalendarError, match="The calendar has no working hours"):
        validate_spec(CalendarSpec())
    with pytest.raises(CalendarError, match="The calendar has no working hours"):
        add_working_minutes(CalendarSpec(), NOW, 60)


def test_it_gives_up_on_a_calendar_that_never_opens_within_three_years():
    # Only Mondays work, and every Monday from 2026 to 2030 is closed.
    first_monday = date(2026, 1, 5)
    mondays = frozenset(first_monday + timedelta(weeks=n) for n in range(52 * 5))
    spec = CalendarSpec(intervals=(WorkingInterval(0, 540, 1080),), closed_dates=mondays)
    with pytest.raises(CalendarError, match="no working time in the three years from"):
        add_working_minutes(spec, NOW, 1)
    with pytest.raises(CalendarError, match="no working time in the three years from"):
        next_working_periods(spec, NOW, 1)
    # Bounded questions still have an answer: there is simply no working time.
    assert working_minutes_between(spec, NOW, NOW + timedelta(days=365 * 4)) == 0


def test_it_rejects_closed_dates_that_are_datetimes():
    with pytest.raises(CalendarError, match="closed_dates must hold local calendar dates"):
        validate_spec(spec_with(closed_dates=frozenset({datetime(2026, 3, 5, tzinfo=UTC)})))


def test_it_accepts_lists_and_sets_by_freezing_them():
    from_rows: Any = {"intervals": list(OFFICE_HOURS), "closed_dates": {date(2026, 3, 5)}}
    spec = CalendarSpec(**from_rows)
    assert isinstance(spec.intervals, tuple)
    assert isinstance(spec.closed_dates, frozenset)
    assert not is_working_day(spec, date(2026, 3, 5))


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("09:00", 540),
        ("9:00", 540),
        ("00:00", 0),
        ("23:59", 1439),
        ("24:00", 1440),
        (" 18:30 ", 1110),
    ],
)
def test_it_parses_times_of_day(text, minutes):
    assert parse_hhmm(text) == minutes


@pytest.mark.parametrize(
    "text",
    ["", "9", "0900", "09:0", "09:000", "09:60", "24:01", "25:00", "ab:cd", "09:00:00", "-1:00",
     "+9:00", "\u0669:00", "09 :00", None, 540],
)  # fmt: skip
def test_it_rejects_text_that_is_not_a_time_of_day(text):
    with pytest.raises(CalendarError, match="time of day"):
        parse_hhmm(text)


def test_it_formats_minutes_as_a_time_of_day():
    assert [format_minute(m) for m in (0, 540, 1439, 1440)] == ["00:00", "09:00", "23:59", "24:00"]
    for bad in (-1, 1441):
        with pytest.raises(CalendarError, match=f"Minute {bad} is outside a day"):
            format_minute(bad)


NAIVE = datetime(2026, 3, 4, 10, 0)

NAIVE_CALLS = [
    pytest.param(lambda: is_working_time(OFFICE, NAIVE), id="is_working_time"),
    pytest.param(lambda: working_periods(OFFICE, NAIVE, NOW), id="working_periods start"),
    pytest.param(lambda: working_periods(OFFICE, NOW, NAIVE), id="working_periods end"),
    pytest.param(lambda: next_working_periods(OFFICE, NAIVE, 1), id="next_working_periods"),
    pytest.param(lambda: working_seconds_between(OFFICE, NAIVE, NOW), id="seconds between"),
    pytest.param(lambda: working_minutes_between(OFFICE, NOW, NAIVE), id="minutes between"),
    pytest.param(lambda: add_working_seconds(OFFICE, NAIVE, 1), id="add seconds"),
    pytest.param(lambda: add_working_minutes(OFFICE, NAIVE, 0), id="add zero minutes"),
]


@pytest.mark.parametrize("call", NAIVE_CALLS)
def test_it_rejects_a_naive_datetime_everywhere(call):
    with pytest.raises(CalendarError, match="is a naive datetime"):
        call()


def test_it_rejects_negative_amounts_and_counts():
    with pytest.raises(CalendarError, match="minutes must not be negative, got -1"):
        add_working_minutes(OFFICE, NOW, -1)
    with pytest.raises(CalendarError, match="seconds must not be negative, got -60"):
        add_working_seconds(OFFICE, NOW, -60)
    with pytest.raises(CalendarError, match="count must not be negative"):
        next_working_periods(OFFICE, NOW, -1)


def test_it_rejects_amounts_that_are_not_whole_numbers():
    with pytest.raises(CalendarError, match=r"minutes must be a whole number, got 540\.0"):
        add_working_minutes(OFFICE, NOW, FLOAT_MINUTE)


def test_it_rejects_a_datetime_where_a_local_date_is_expected():
    with pytest.raises(CalendarError, match="must be a local calendar date"):
        is_working_day(OFFICE, NOW)
    with pytest.raises(CalendarError, match="must be a local calendar date"):
        holiday_name(OFFICE, NOW)


def test_every_operation_rejects_an_invalid_calendar():
    broken = spec_with(timezone="Mars/Olympus")
    for call in (
        lambda: is_working_day(broken, date(2026, 3, 4)),
        lambda: is_working_time(broken, NOW),
        lambda: working_periods(broken, NOW, NOW),
        lambda: working_minutes_between(broken, NOW, NOW),
        lambda: add_working_minutes(broken, NOW, 0),
    ):
        with pytest.raises(CalendarError, match="Mars/Olympus"):
            call()


def test_it_reports_running_past_the_year_9999_as_a_calendar_error():
    late = datetime(9999, 12, 30, tzinfo=UTC)
    with pytest.raises(CalendarError, match="past the year 9999"):
        add_working_minutes(spec_with(holiday_country=None), late, 60 * 24 * 7)
    assert calendar.MAX_DAYS_WITHOUT_WORK >= 3 * 365
