"""Worked examples of working-time arithmetic, each expected instant worked out by hand.

The standard calendar is a Korean office: Asia/Seoul, Monday to Friday 09:00-12:00 and
13:00-18:00 (8 working hours a day), closed on KR public holidays. 2026 calendar for reference:
2/13 Fri, 2/14-15 weekend, 2/16-18 설날 (Mon-Wed); 2/27 Fri, 3/2 Mon 삼일절 대체;
3/4 Wed, 3/6 Fri, 3/9 Mon; 7/17 Fri 제헌절; 8/17 Mon 광복절 대체; 9/24-26 추석 (Thu-Sat);
10/5 Mon 개천절 대체. Seoul is UTC+9 all year (no daylight saving).

No Django, no database: these run with `-p no:django`.
"""

import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from openmsp.tenants.calendar import (
    CalendarSpec,
    WorkingInterval,
    add_working_minutes,
    add_working_seconds,
    is_working_day,
    is_working_time,
    next_working_periods,
    working_minutes_between,
    working_periods,
    working_seconds_between,
    working_time_between,
)

SEOUL = ZoneInfo("Asia/Seoul")
NEW_YORK = ZoneInfo("America/New_York")


def at(zone):
    def build(year, month, day, hour=0, minute=0, second=0):
        return datetime(year, month, day, hour, minute, second, tzinfo=zone)

    return build


seoul, new_york, utc = at(SEOUL), at(NEW_YORK), at(UTC)


def hours(weekdays, *ranges):
    """Intervals for every weekday in `weekdays`, ranges given as (start, end) in hours."""
    return tuple(
        WorkingInterval(day, round(start * 60), round(end * 60))
        for day in weekdays
        for start, end in ranges
    )


MON_FRI = range(5)
KOREAN_OFFICE = CalendarSpec(
    timezone="Asia/Seoul", intervals=hours(MON_FRI, (9, 12), (13, 18)), holiday_country="KR"
)
# The same office, closed on Thursday 2026-03-05 (a client's foundation day) and working on
# 2026-02-16 (설날 전날) by contract.
CLIENT_OFFICE = CalendarSpec(
    timezone="Asia/Seoul",
    intervals=hours(MON_FRI, (9, 12), (13, 18)),
    holiday_country="KR",
    closed_dates=frozenset({date(2026, 3, 5)}),
    open_dates=frozenset({date(2026, 2, 16)}),
)
ROUND_THE_CLOCK = CalendarSpec(timezone="Asia/Seoul", always_open=True, holiday_country="KR")
# A night desk: Monday to Friday nights, 22:00 until 06:00 the next morning. An interval cannot
# span midnight, so each night is 22:00-24:00 on one day and 00:00-06:00 on the next.
NIGHT_DESK = CalendarSpec(
    timezone="Asia/Seoul",
    intervals=hours(range(5), (22, 24)) + hours(range(1, 6), (0, 6)),
    holiday_country=None,
)
NEW_YORK_OFFICE = CalendarSpec(
    timezone="America/New_York", intervals=hours(MON_FRI, (9, 17)), holiday_country=None
)

ADDITIONS = [
    # Wed 11:30: 30 min to 12:00, lunch 12:00-13:00, 30 min more -> 13:30.
    pytest.param(KOREAN_OFFICE, seoul(2026, 3, 4, 11, 30), 60, seoul(2026, 3, 4, 13, 30),
                 id="lunch break is skipped"),
    # Wed 17:00: the 60 minutes end exactly at closing -> 18:00 the same day.
    pytest.param(KOREAN_OFFICE, seoul(2026, 3, 4, 17, 0), 60, seoul(2026, 3, 4, 18, 0),
                 id="exact fit ends at closing time"),
    # Wed 11:00: the 60 minutes end exactly at the lunch break -> 12:00, not 13:00.
    pytest.param(KOREAN_OFFICE, seoul(2026, 3, 4, 11, 0), 60, seoul(2026, 3, 4, 12, 0),
                 id="exact fit ends at lunch"),
    # Wed 07:00 is before opening: count from 09:00 -> 09:30.
    pytest.param(KOREAN_OFFICE, seoul(2026, 3, 4, 7, 0), 30, seoul(2026, 3, 4, 9, 30),
                 id="start before opening counts from opening"),
    # Wed 12:15 is lunch: count from 13:00 -> 13:30.
    pytest.param(KOREAN_OFFICE, seoul(2026, 3, 4, 12, 15), 30, seoul(2026, 3, 4, 13, 30),
                 id="start during lunch counts from the afternoon"),
    # Wed 19:00 is after closing: count from Thu 09:00 -> Thu 09:30.
    pytest.param(KOREAN_OFFICE, seoul(2026, 3, 4, 19, 0), 30, seoul(2026, 3, 5, 9, 30),
                 id="start after closing counts from the next morning"),
    # 2026-03-04 23:30Z is Thu 08:30 in Seoul: count from 09:00 -> Thu 10:00 KST (01:00Z).
    pytest.param(KOREAN_OFFICE, utc(2026, 3, 4, 23, 30), 60, utc(2026, 3, 5, 1, 0),
                 id="night in UTC is morning in Seoul"),
    # 2026-03-05 00:30Z, midnight-ish in UTC, is Thu 09:30 in Seoul, working -> 10:00 KST.
    pytest.param(KOREAN_OFFICE, utc(2026, 3, 5, 0, 30), 30, utc(2026, 3, 5, 1, 0),
                 id="an instant working in Seoul counts at once"),
    # Fri 17:30: 30 min Friday, weekend, 30 min Monday -> Mon 09:30.
    pytest.param(KOREAN_OFFICE, seoul(2026, 3, 6, 17, 30), 60, seoul(2026, 3, 9, 9, 30),
                 id="weekend is skipped"),
    # Fri 2/13 17:00: 60 min Friday; 2/14-15 weekend; 2/16-18 설날; 60 min Thu 2/19 -> 10:00.
    pytest.param(KOREAN_OFFICE, seoul(2026, 2, 13, 17, 0), 120, seoul(2026, 2, 19, 10, 0),
                 id="seollal 2026 is skipped"),
    # Wed 9/23 17:00: 60 min Wednesday; 9/24-25 추석 (Thu-Fri), 9/26 추석 and 9/27 weekend;
    # 60 min Mon 9/28 -> 10:00.
    pytest.param(KOREAN_OFFICE, seoul(2026, 9, 23, 17, 0), 120, seoul(2026, 9, 28, 10, 0),
                 id="chuseok 2026 is skipped"),
    # Fri 2/27 17:00: 60 min Friday; weekend; Mon 3/2 삼일절 대체 휴일; 60 min Tue 3/3 -> 10:00.
    pytest.param(KOREAN_OFFICE, seoul(2026, 2, 27, 17, 0), 120, seoul(2026, 3, 3, 10, 0),
                 id="substitute holiday for samiljeol is skipped"),
    # Fri 8/14 17:00: 60 min Friday; weekend (8/15 광복절 on Sat); Mon 8/17 대체; Tue -> 10:00.
    pytest.param(KOREAN_OFFICE, seoul(2026, 8, 14, 17, 0), 120, seoul(2026, 8, 18, 10, 0),
                 id="substitute holiday for liberation day is skipped"),
    # Fri 10/2 17:00: 60 min Friday; weekend (10/3 개천절 on Sat); Mon 10/5 대체; Tue -> 10:00.
    pytest.param(KOREAN_OFFICE, seoul(2026, 10, 2, 17, 0), 120, seoul(2026, 10, 6, 10, 0),
                 id="substitute holiday for national foundation day is skipped"),
    # Thu 7/16 17:00: 60 min Thursday; Fri 7/17 제헌절; weekend; 60 min Mon 7/20 -> 10:00.
    pytest.param(KOREAN_OFFICE, seoul(2026, 7, 16, 17, 0), 120, seoul(2026, 7, 20, 10, 0),
                 id="constitution day 2026 is skipped"),
    # Wed 3/4 17:00: 60 min Wednesday; Thu 3/5 is the client's closed date; 60 min Fri -> 10:00.
    pytest.param(CLIENT_OFFICE, seoul(2026, 3, 4, 17, 0), 120, seoul(2026, 3, 6, 10, 0),
                 id="client closed date is skipped"),
    # Fri 2/13 17:00: 60 min Friday; weekend; Mon 2/16 (설날 전날) is an open date -> 10:00.
    pytest.param(CLIENT_OFFICE, seoul(2026, 2, 13, 17, 0), 120, seoul(2026, 2, 16, 10, 0),
                 id="client open date on a holiday is worked"),
    # 2026-02-13 20:00Z is Saturday 2/14 05:00 in Seoul, though Friday in UTC. Next opening:
    # Thu 2/19 09:00 (after the weekend and 설날) -> 10:00 KST = 01:00Z.
    pytest.param(KOREAN_OFFICE, utc(2026, 2, 13, 20, 0), 60, utc(2026, 2, 19, 1, 0),
                 id="a utc friday that is a seoul saturday does not work"),
    # 2026-02-18 16:00Z: the UTC date is 설날 다음날 but in Seoul it is Thu 2/19 01:00, a
    # working day -> opens 09:00, 60 min -> 10:00 KST the same local day.
    pytest.param(KOREAN_OFFICE, utc(2026, 2, 18, 16, 0), 60, seoul(2026, 2, 19, 10, 0),
                 id="the local date decides not the utc date"),
    # Adding nothing returns the start itself, even outside working hours.
    pytest.param(KOREAN_OFFICE, seoul(2026, 3, 4, 7, 0), 0, seoul(2026, 3, 4, 7, 0),
                 id="adding zero returns the start"),
    # 100,000 min = 208 full days of 480 min (99,840) + 160 min. Working days of 2026 counted
    # from Fri 1/2: Jan 21, Feb 17 (설날), Mar 21 (3/2), Apr 22, May 18 (5/1, 5/5, 5/25), Jun 21
    # (6/3 election), Jul 22 (7/17), Aug 20 (8/17), Sep 20 (9/24-25), Oct 20 (10/5, 10/9) = 202
    # by 10/31; Nov 2-6 and 9 make 208; day 209 is Tue 11/10, 160 min after 09:00 -> 11:40.
    pytest.param(KOREAN_OFFICE, seoul(2026, 1, 2, 9, 0), 100_000, seoul(2026, 11, 10, 11, 40),
                 id="a large addition crosses most of a year"),
    # 24x7: plain addition. Sat 23:00 + 60 -> Sun 00:00.
    pytest.param(ROUND_THE_CLOCK, seoul(2026, 2, 14, 23, 0), 60, seoul(2026, 2, 15, 0, 0),
                 id="round the clock adds across midnight"),
    # 24x7 ignores holidays: 설날 10:00 + one day -> the next day at 10:00.
    pytest.param(ROUND_THE_CLOCK, seoul(2026, 2, 16, 10, 0), 1440, seoul(2026, 2, 17, 10, 0),
                 id="round the clock ignores holidays"),
    # Night desk, Mon 3/2 23:30: 30 min to midnight, 30 min after -> Tue 00:30.
    pytest.param(NIGHT_DESK, seoul(2026, 3, 2, 23, 30), 60, seoul(2026, 3, 3, 0, 30),
                 id="night shift continues across midnight"),
    # Night desk, Tue 05:00 + 60 ends exactly at 06:00.
    pytest.param(NIGHT_DESK, seoul(2026, 3, 3, 5, 0), 60, seoul(2026, 3, 3, 6, 0),
                 id="night shift exact fit ends at six"),
    # Night desk, Tue 05:30: 30 min to 06:00, then 22:00 Tuesday + 30 -> Tue 22:30.
    pytest.param(NIGHT_DESK, seoul(2026, 3, 3, 5, 30), 60, seoul(2026, 3, 3, 22, 30),
                 id="night shift resumes in the evening"),
    # Night desk, Sat 3/7 05:00: 60 min to 06:00 (the Friday night); no Saturday or Sunday
    # night; Mon 3/9 22:00 + 60 -> 23:00.
    pytest.param(NIGHT_DESK, seoul(2026, 3, 7, 5, 0), 120, seoul(2026, 3, 9, 23, 0),
                 id="night shift skips the weekend nights"),
    # New York, Fri 3/6 16:00 EST (21:00Z): 60 min Friday; clocks spring forward Sun 3/8;
    # Mon 3/9 09:00 EDT + 60 -> 10:00 EDT = 14:00Z.
    pytest.param(NEW_YORK_OFFICE, new_york(2026, 3, 6, 16, 0), 120, utc(2026, 3, 9, 14, 0),
                 id="new york across spring forward"),
    # New York, Fri 10/30 16:00 EDT (20:00Z): 60 min Friday; clocks fall back Sun 11/1;
    # Mon 11/2 09:00 EST + 60 -> 10:00 EST = 15:00Z.
    pytest.param(NEW_YORK_OFFICE, new_york(2026, 10, 30, 16, 0), 120, utc(2026, 11, 2, 15, 0),
                 id="new york across fall back"),
]  # fmt: skip


@pytest.mark.parametrize(("spec", "start", "minutes", "expected"), ADDITIONS)
def test_it_adds_working_minutes_as_worked_out_by_hand(spec, start, minutes, expected):
    result = add_working_minutes(spec, start, minutes)
    assert result == expected
    assert result.tzinfo is UTC


@pytest.mark.parametrize(("spec", "start", "minutes", "expected"), ADDITIONS)
def test_it_measures_the_same_examples_back_as_the_minutes_added(spec, start, minutes, expected):
    assert working_minutes_between(spec, start, expected) == minutes
    assert working_seconds_between(spec, start, expected) == minutes * 60


@pytest.mark.parametrize(("spec", "start", "minutes", "expected"), ADDITIONS)
def test_it_adds_seconds_like_minutes(spec, start, minutes, expected):
    assert add_working_seconds(spec, start, minutes * 60) == expected


MEASUREMENTS = [
    # A plain week, Mon 00:00 to the next Mon 00:00: 5 days x 480 min.
    pytest.param(KOREAN_OFFICE, seoul(2026, 3, 2, 0, 0), seoul(2026, 3, 9, 0, 0), 4 * 480,
                 id="week with the samiljeol substitute holiday"),
    pytest.param(KOREAN_OFFICE, seoul(2026, 3, 9, 0, 0), seoul(2026, 3, 16, 0, 0), 5 * 480,
                 id="plain week"),
    # 설날 week 2/16-2/22: only Thu 2/19 and Fri 2/20 work.
    pytest.param(KOREAN_OFFICE, seoul(2026, 2, 16, 0, 0), seoul(2026, 2, 23, 0, 0), 2 * 480,
                 id="seollal week"),
    # 추석 week 9/21-9/27: Mon-Wed work, Thu-Fri 추석.
    pytest.param(KOREAN_OFFICE, seoul(2026, 9, 21, 0, 0), seoul(2026, 9, 28, 0, 0), 3 * 480,
                 id="chuseok week"),
    # All of 2026: 245 working days (see the large addition above, plus 21 in Nov and 22 in Dec).
    pytest.param(KOREAN_OFFICE, seoul(2026, 1, 1, 0, 0), seoul(2027, 1, 1, 0, 0), 245 * 480,
                 id="the year 2026"),
    # Same local instants written in UTC give the same answer.
    pytest.param(KOREAN_OFFICE, utc(2026, 3, 8, 15, 0), utc(2026, 3, 15, 15, 0), 5 * 480,
                 id="plain week written in utc"),
    # Backwards or empty spans measure nothing.
    pytest.param(KOREAN_OFFICE, seoul(2026, 3, 4, 15, 0), seoul(2026, 3, 4, 10, 0), 0,
                 id="end before start measures zero"),
    pytest.param(KOREAN_OFFICE, seoul(2026, 3, 4, 10, 0), seoul(2026, 3, 4, 10, 0), 0,
                 id="empty span measures zero"),
    # Night desk, Fri 20:00 to Mon 20:00: the Friday night, 22:00-06:00, only.
    pytest.param(NIGHT_DESK, seoul(2026, 3, 6, 20, 0), seoul(2026, 3, 9, 20, 0), 8 * 60,
                 id="night desk over a weekend"),
    # 24x7 across 설날: plain difference.
    pytest.param(ROUND_THE_CLOCK, seoul(2026, 2, 16, 0, 0), seoul(2026, 2, 19, 0, 0), 3 * 1440,
                 id="round the clock across seollal"),
]  # fmt: skip


@pytest.mark.parametrize(("spec", "start", "end", "minutes"), MEASUREMENTS)
def test_it_measures_working_minutes_as_worked_out_by_hand(spec, start, end, minutes):
    assert working_minutes_between(spec, start, end) == minutes


def test_it_floors_partial_seconds_and_minutes():
    start = seoul(2026, 3, 4, 9, 0)
    end = start + timedelta(seconds=119, microseconds=999_999)
    assert working_time_between(KOREAN_OFFICE, start, end) == end - start
    assert working_seconds_between(KOREAN_OFFICE, start, end) == 119
    assert working_minutes_between(KOREAN_OFFICE, start, end) == 1


OPEN_AND_CLOSED_INSTANTS = [
    pytest.param(seoul(2026, 3, 4, 9, 0), True, id="opening time is working time"),
    pytest.param(seoul(2026, 3, 4, 11, 59, 59), True, id="the last second before lunch works"),
    pytest.param(seoul(2026, 3, 4, 12, 0), False, id="the start of lunch does not work"),
    pytest.param(seoul(2026, 3, 4, 18, 0), False, id="closing time does not work"),
    pytest.param(seoul(2026, 3, 7, 10, 0), False, id="saturday does not work"),
    pytest.param(seoul(2026, 2, 17, 10, 0), False, id="seollal does not work"),
    # 2026-03-05 00:30Z is Thu 09:30 in Seoul.
    pytest.param(utc(2026, 3, 5, 0, 30), True, id="seoul morning written in utc works"),
]


@pytest.mark.parametrize(("instant", "working"), OPEN_AND_CLOSED_INSTANTS)
def test_it_tells_whether_an_instant_is_working_time(instant, working):
    assert is_working_time(KOREAN_OFFICE, instant) is working


def test_it_decides_closures_by_the_local_date_of_an_instant():
    all_day = CalendarSpec(intervals=hours(range(7), (0, 24)), holiday_country="KR")
    # UTC Sunday 2/15 16:00 is Seoul Monday 2/16 01:00, 설날 전날: closed.
    assert not is_working_time(all_day, utc(2026, 2, 15, 16, 0))
    # UTC 2/18 15:00 (a UTC 설날 다음날) is Seoul Thursday 2/19 00:00: open.
    assert is_working_time(all_day, utc(2026, 2, 18, 15, 0))
    assert not is_working_day(all_day, date(2026, 2, 16))


def test_it_closes_constitution_day_2026_because_the_holidays_library_lists_it():
    assert date(2026, 7, 17) in holidays.country_holidays("KR", years=2026)
    assert not is_working_day(KOREAN_OFFICE, date(2026, 7, 17))
    assert not is_working_time(KOREAN_OFFICE, seoul(2026, 7, 17, 10, 0))


def test_it_honours_client_closed_and_open_dates():
    assert is_working_day(KOREAN_OFFICE, date(2026, 3, 5))
    assert not is_working_day(CLIENT_OFFICE, date(2026, 3, 5))
    assert not is_working_day(KOREAN_OFFICE, date(2026, 2, 16))
    assert is_working_day(CLIENT_OFFICE, date(2026, 2, 16))
    # An open date lifts a holiday, it does not add hours: Sunday 3/1 (삼일절) stays closed.
    open_sunday = CalendarSpec(
        intervals=KOREAN_OFFICE.intervals, open_dates=frozenset({date(2026, 3, 1)})
    )
    assert not is_working_day(open_sunday, date(2026, 3, 1))


def test_it_lists_working_periods_clipped_to_the_span_in_utc():
    periods = list(
        working_periods(KOREAN_OFFICE, seoul(2026, 3, 4, 10, 0), seoul(2026, 3, 5, 10, 0))
    )
    assert periods == [
        (utc(2026, 3, 4, 1, 0), utc(2026, 3, 4, 3, 0)),  # Wed 10:00-12:00 KST
        (utc(2026, 3, 4, 4, 0), utc(2026, 3, 4, 9, 0)),  # Wed 13:00-18:00 KST
        (utc(2026, 3, 5, 0, 0), utc(2026, 3, 5, 1, 0)),  # Thu 09:00-10:00 KST
    ]


def test_it_lists_the_next_working_periods_after_a_holiday_block():
    periods = next_working_periods(KOREAN_OFFICE, seoul(2026, 2, 13, 17, 0), 3)
    assert periods == [
        (seoul(2026, 2, 13, 17, 0), seoul(2026, 2, 13, 18, 0)),  # the rest of Friday
        (seoul(2026, 2, 19, 9, 0), seoul(2026, 2, 19, 12, 0)),  # after 설날
        (seoul(2026, 2, 19, 13, 0), seoul(2026, 2, 19, 18, 0)),
    ]
    assert next_working_periods(KOREAN_OFFICE, seoul(2026, 2, 13, 17, 0), 0) == []


def test_it_reports_a_night_shift_as_touching_periods_either_side_of_midnight():
    periods = list(working_periods(NIGHT_DESK, seoul(2026, 3, 2, 12, 0), seoul(2026, 3, 3, 12, 0)))
    assert periods == [
        (seoul(2026, 3, 2, 22, 0), seoul(2026, 3, 3, 0, 0)),
        (seoul(2026, 3, 3, 0, 0), seoul(2026, 3, 3, 6, 0)),
    ]
    assert is_working_time(NIGHT_DESK, seoul(2026, 3, 3, 0, 0))


def test_it_counts_the_real_length_of_days_when_clocks_change():
    sundays = CalendarSpec(
        timezone="America/New_York", intervals=hours([6], (0, 24)), holiday_country=None
    )
    # Spring forward on Sunday 2026-03-08: that day lasts 23 hours; fall back on 11/1: 25.
    spring = working_minutes_between(sundays, new_york(2026, 3, 8, 0, 0), new_york(2026, 3, 9))
    autumn = working_minutes_between(sundays, new_york(2026, 11, 1, 0, 0), new_york(2026, 11, 2))
    assert (spring, autumn) == (23 * 60, 25 * 60)


def test_it_moves_a_time_skipped_by_spring_forward_to_the_end_of_the_gap():
    # Sunday 02:30-04:00 New York. On 2026-03-08 clocks jump from 02:00 EST to 03:00 EDT, so the
    # desk opens when the clock first shows 02:30 or later: 03:00 EDT (07:00Z) to 04:00 EDT.
    early = CalendarSpec(
        timezone="America/New_York", intervals=(WorkingInterval(6, 150, 240),), holiday_country=None
    )
    assert next_working_periods(early, new_york(2026, 3, 8, 0, 0), 1) == [
        (utc(2026, 3, 8, 7, 0), utc(2026, 3, 8, 8, 0))
    ]


def test_it_takes_the_first_of_two_ambiguous_times_when_clocks_fall_back():
    # Sunday 01:30-03:00 New York. On 2026-11-01 01:00-02:00 happens twice; 01:30 is the first
    # one (EDT, 05:30Z), 03:00 EST is 08:00Z: two and a half hours of work.
    early = CalendarSpec(
        timezone="America/New_York", intervals=(WorkingInterval(6, 90, 180),), holiday_country=None
    )
    assert next_working_periods(early, new_york(2026, 11, 1, 0, 0), 1) == [
        (utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 8, 0))
    ]


def test_it_works_in_berlin_across_the_change_to_summer_time():
    berlin = CalendarSpec(
        timezone="Europe/Berlin", intervals=hours(MON_FRI, (9, 17)), holiday_country="DE"
    )
    # Fri 2026-03-27 16:00 CET (15:00Z): 60 min Friday; summer time from Sun 3/29;
    # Mon 3/30 09:00 CEST + 60 -> 10:00 CEST = 08:00Z.
    friday = datetime(2026, 3, 27, 16, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert add_working_minutes(berlin, friday, 120) == utc(2026, 3, 30, 8, 0)


def test_it_adds_and_measures_a_large_span_in_milliseconds():
    start = seoul(2026, 1, 2, 9, 0)
    began = time.perf_counter()
    add_working_minutes(KOREAN_OFFICE, start, 100_000)
    working_minutes_between(KOREAN_OFFICE, start, seoul(2027, 1, 1))
    elapsed = time.perf_counter() - began
    # Generous for slow CI machines; a per-minute loop would take seconds.
    assert elapsed < 0.5
