"""Korean public holidays, with the `holidays` library as the oracle.

We do not keep our own holiday table: these tests pin that our calendar closes exactly the days
the library lists (substitute holidays included) and names them in Korean and English.
"""

from datetime import date, timedelta

import holidays
import pytest

from openmsp.tenants.calendar import (
    CLOSED_DATE_NAMES,
    CalendarSpec,
    WorkingInterval,
    holiday_name,
    holidays_between,
    is_working_day,
)

KOREAN_OFFICE = CalendarSpec(
    timezone="Asia/Seoul",
    intervals=tuple(
        WorkingInterval(day, start, end)
        for day in range(5)
        for start, end in ((540, 720), (780, 1080))
    ),
    holiday_country="KR",
)
EVERY_DAY = CalendarSpec(
    timezone="Asia/Seoul",
    intervals=tuple(WorkingInterval(day, 540, 1080) for day in range(7)),
    holiday_country="KR",
)


def every_date(first: date, last: date):
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def test_our_working_days_agree_with_the_holidays_library_for_every_date_of_2025_to_2027():
    oracle = holidays.KR(years=range(2025, 2028))
    disagreements = [
        day
        for day in every_date(date(2025, 1, 1), date(2027, 12, 31))
        if is_working_day(KOREAN_OFFICE, day) != (day.weekday() < 5 and day not in oracle)
    ]
    assert disagreements == []


def test_a_seven_day_calendar_closes_exactly_the_library_holidays_including_weekend_ones():
    oracle = holidays.KR(years=range(2025, 2028))
    closed = {
        day
        for day in every_date(date(2025, 1, 1), date(2027, 12, 31))
        if not is_working_day(EVERY_DAY, day)
    }
    assert closed == set(oracle)


@pytest.mark.parametrize(
    ("day", "korean"),
    [
        pytest.param(date(2026, 2, 16), "설날 전날", id="day before seollal"),
        pytest.param(date(2026, 2, 17), "설날", id="seollal"),
        pytest.param(date(2026, 2, 18), "설날 다음날", id="day after seollal"),
        pytest.param(date(2026, 9, 24), "추석 전날", id="day before chuseok"),
        pytest.param(date(2026, 9, 25), "추석", id="chuseok"),
        pytest.param(date(2026, 9, 26), "추석 다음날", id="day after chuseok on a saturday"),
        pytest.param(date(2026, 3, 2), "삼일절 대체 휴일", id="samiljeol substitute"),
        pytest.param(date(2026, 5, 25), "부처님오신날 대체 휴일", id="buddhas birthday substitute"),
        pytest.param(date(2026, 8, 17), "광복절 대체 휴일", id="liberation day substitute"),
        pytest.param(date(2026, 10, 5), "개천절 대체 휴일", id="foundation day substitute"),
        pytest.param(date(2026, 7, 17), "제헌절", id="constitution day 2026"),
    ],
)
def test_it_closes_and_names_the_2026_korean_holidays_as_the_library_does(day, korean):
    assert holidays.country_holidays("KR", years=2026, language="ko").get(day) == korean
    assert holiday_name(KOREAN_OFFICE, day) == korean
    assert not is_working_day(EVERY_DAY, day)


def test_constitution_day_is_a_holiday_again_from_2026_but_was_not_in_2025():
    assert date(2025, 7, 17) not in holidays.KR(years=2025)
    assert is_working_day(KOREAN_OFFICE, date(2025, 7, 17))  # a Thursday
    assert date(2026, 7, 17) in holidays.KR(years=2026)
    assert not is_working_day(KOREAN_OFFICE, date(2026, 7, 17))  # a Friday


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        pytest.param("ko", "설날", id="korean"),
        pytest.param("en", "Korean New Year", id="english"),
        pytest.param("en_US", "Korean New Year", id="american english"),
        pytest.param("en-GB", "Korean New Year", id="another english falls back to en_US"),
        pytest.param("fr", "설날", id="an unsupported language gets the country default"),
    ],
)
def test_it_names_holidays_in_the_requested_language(language, expected):
    assert holiday_name(KOREAN_OFFICE, date(2026, 2, 17), language) == expected


def test_it_names_client_closed_dates_with_the_closed_marker():
    spec = CalendarSpec(
        intervals=KOREAN_OFFICE.intervals, closed_dates=frozenset({date(2026, 3, 5)})
    )
    assert holiday_name(spec, date(2026, 3, 5)) == CLOSED_DATE_NAMES["ko"] == "휴무일"
    assert holiday_name(spec, date(2026, 3, 5), "en") == "Closed"


def test_it_prefers_the_public_holiday_name_when_a_closed_date_is_also_a_holiday():
    spec = CalendarSpec(
        intervals=KOREAN_OFFICE.intervals, closed_dates=frozenset({date(2026, 2, 17)})
    )
    assert holiday_name(spec, date(2026, 2, 17)) == "설날"


def test_it_names_nothing_on_ordinary_days_open_dates_and_round_the_clock_calendars():
    worked = CalendarSpec(
        intervals=KOREAN_OFFICE.intervals, open_dates=frozenset({date(2026, 2, 17)})
    )
    assert holiday_name(KOREAN_OFFICE, date(2026, 3, 4)) is None
    assert holiday_name(worked, date(2026, 2, 17)) is None
    assert holiday_name(CalendarSpec(always_open=True), date(2026, 2, 17)) is None


def test_it_lists_the_holidays_of_a_month_inclusive_of_both_ends():
    assert holidays_between(KOREAN_OFFICE, date(2026, 2, 16), date(2026, 2, 18)) == [
        (date(2026, 2, 16), "설날 전날"),
        (date(2026, 2, 17), "설날"),
        (date(2026, 2, 18), "설날 다음날"),
    ]
    assert holidays_between(KOREAN_OFFICE, date(2026, 9, 1), date(2026, 9, 30), "en") == [
        (date(2026, 9, 24), "The day preceding Chuseok"),
        (date(2026, 9, 25), "Chuseok"),
        (date(2026, 9, 26), "The second day of Chuseok"),
    ]


def test_it_lists_closed_dates_and_leaves_out_open_dates_across_a_year_boundary():
    spec = CalendarSpec(
        intervals=KOREAN_OFFICE.intervals,
        closed_dates=frozenset({date(2026, 12, 31)}),
        open_dates=frozenset({date(2027, 1, 1)}),
    )
    assert holidays_between(spec, date(2026, 12, 24), date(2027, 1, 3)) == [
        (date(2026, 12, 25), "기독탄신일"),
        (date(2026, 12, 31), "휴무일"),
    ]


def test_it_lists_no_holidays_for_a_round_the_clock_calendar_or_a_reversed_range():
    assert (
        holidays_between(CalendarSpec(always_open=True), date(2026, 1, 1), date(2026, 12, 31)) == []
    )
    assert holidays_between(KOREAN_OFFICE, date(2026, 12, 31), date(2026, 1, 1)) == []


def test_it_uses_the_subdivision_holidays_of_other_countries():
    def bavaria_or_berlin(subdivision):
        return CalendarSpec(
            timezone="Europe/Berlin",
            intervals=KOREAN_OFFICE.intervals,
            holiday_country="DE",
            holiday_subdivision=subdivision,
        )

    # Epiphany (Tuesday 2026-01-06) is a holiday in Bavaria, not in Berlin.
    assert not is_working_day(bavaria_or_berlin("BY"), date(2026, 1, 6))
    assert is_working_day(bavaria_or_berlin("BE"), date(2026, 1, 6))


def test_a_calendar_without_a_holiday_country_works_on_seollal():
    spec = CalendarSpec(intervals=KOREAN_OFFICE.intervals, holiday_country=None)
    assert is_working_day(spec, date(2026, 2, 17))
    assert holiday_name(spec, date(2026, 2, 17)) is None
