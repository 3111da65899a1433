"""Business calendars and working-time arithmetic.

Service-desk SLA clocks ask two questions of a client's business calendar: "how much working time
lies between these two instants?" and "when will N working minutes have passed?". This module
answers them exactly. It is pure (no Django, no database): callers build a frozen `CalendarSpec`
from whatever they store and pass it in.

Semantics
---------
* Every datetime passed in must be timezone-aware (a naive one raises `CalendarError`); every
  datetime returned is in UTC.
* Working intervals are local wall-clock times in `spec.timezone`, per weekday
  (0 = Monday ... 6 = Sunday). `end_minute` 1440 means midnight at the end of the day. An interval
  never spans midnight: a night shift is two intervals, 22:00-24:00 and 00:00-06:00 of the next
  weekday. Intervals on the same weekday must not overlap.
* Whether a day works is decided by its LOCAL date in `spec.timezone`: 2026-02-16 16:00Z is
  2026-02-17 01:00 in Seoul, which is 설날.
* A day is closed when it is a public holiday of `holiday_country`/`holiday_subdivision` (as the
  `holidays` library computes them, substitute holidays such as 대체 공휴일 included) or is in
  `closed_dates`, unless it is in `open_dates`. `open_dates` only lifts a closure: the day still
  works the hours its weekday has (an open Sunday with no Sunday intervals has no working time).
* `always_open` (24x7) makes every instant working time and ignores holidays and closed dates;
  the intervals, if any, are ignored too.
* Daylight saving: each day's intervals are turned into instants by building the local wall-clock
  time for that date. A boundary maps to the earliest instant at which the local clock shows that
  time or later. So a time skipped by a spring-forward gap moves forward to the end of the gap, and
  an ambiguous time in a fall-back overlap takes its first occurrence (fold=0).
* A working period is half-open: [opening, closing). At closing time it is no longer working time.
* `add_working_*(start, n)` returns the EARLIEST instant t >= start such that the working time in
  [start, t] equals n. Hence adding 0 returns start itself; a job that fits exactly ends AT the
  closing time (17:00 + 60 min on a 09:00-18:00 day is 18:00 that day, not 09:00 the next); and a
  start outside working hours counts from the next opening. Negative amounts raise.
* `working_seconds_between(a, b)` is the exact working time in [a, b], floored to whole seconds
  (0 when b <= a); `working_minutes_between` floors it to whole minutes. Floors are what make
  `working_minutes_between(s, add_working_minutes(s, m)) == m` hold. `working_time_between`
  returns the exact `timedelta`.
* A calendar whose next working time lies more than about three years ahead (for instance every
  date closed) raises `CalendarError` instead of searching forever.

Cost: the arithmetic walks day by day and, within a day, interval by interval; each day's periods
are cached per (spec, date), so adding 100,000 minutes or measuring a year takes milliseconds.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

__all__ = [
    "CLOSED_DATE_NAMES",
    "CalendarError",
    "CalendarSpec",
    "WorkingInterval",
    "add_working_minutes",
    "add_working_seconds",
    "format_minute",
    "holiday_name",
    "holidays_between",
    "is_working_day",
    "is_working_time",
    "next_working_periods",
    "parse_hhmm",
    "validate_spec",
    "working_minutes_between",
    "working_periods",
    "working_seconds_between",
    "working_time_between",
]

MINUTES_PER_DAY = 1440
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# The name holiday_name() gives a client-specific closed date, per UI language. Unknown languages
# get English: an operator reading another language is likelier to read English than Korean.
CLOSED_DATE_NAMES: Mapping[str, str] = {"ko": "휴무일", "en": "Closed"}
# A real calendar never goes three years without working time (holiday lists are yearly), so a
# longer gap means a configuration that can never open; stop rather than search forever.
MAX_DAYS_WITHOUT_WORK = 3 * 366

_ZERO = timedelta(0)
_ONE_DAY = timedelta(days=1)
_ONE_SECOND = timedelta(seconds=1)
_DASH = "\u2013"  # an en dash, as operators write time ranges ("09:00\u201318:00")

Period = tuple[datetime, datetime]


class CalendarError(ValueError):
    """A calendar or an argument that cannot be used. The message is a sentence for the user;
    `field` names the CalendarSpec field or argument at fault, for API error bodies."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class WorkingInterval:
    weekday: int  # 0=Monday ... 6=Sunday
    start_minute: int  # minutes after local midnight, 0..1439
    end_minute: int  # 1..1440 (1440 = midnight at the end of the day); end > start

    def label(self) -> str:
        return f"{format_minute(self.start_minute)}{_DASH}{format_minute(self.end_minute)}"


@dataclass(frozen=True)
class CalendarSpec:
    timezone: str = "Asia/Seoul"
    intervals: tuple[WorkingInterval, ...] = ()
    always_open: bool = False
    holiday_country: str | None = "KR"
    holiday_subdivision: str | None = None
    closed_dates: frozenset[date] = frozenset()
    open_dates: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        # Callers building a spec from database rows naturally pass lists and sets; freezing them
        # here keeps the spec hashable, which the per-day caches rely on.
        object.__setattr__(self, "intervals", tuple(self.intervals))
        object.__setattr__(self, "closed_dates", frozenset(self.closed_dates))
        object.__setattr__(self, "open_dates", frozenset(self.open_dates))

    def __hash__(self) -> int:
        # Every arithmetic call looks the spec up in the per-day caches, and the generated hash
        # would walk every interval each time; a spec never changes, so hash it once. Kept out
        # of pickles (see __getstate__): string hashes differ from one process to the next.
        try:
            return self.__dict__["_hash"]  # type: ignore[no-any-return]
        except KeyError:
            value = hash(
                (
                    self.timezone,
                    self.intervals,
                    self.always_open,
                    self.holiday_country,
                    self.holiday_subdivision,
                    self.closed_dates,
                    self.open_dates,
                )
            )
            object.__setattr__(self, "_hash", value)
            return value

    def __getstate__(self) -> dict[str, object]:
        return {k: v for k, v in self.__dict__.items() if k != "_hash"}


# --- Parsing and formatting ---------------------------------------------------------------------


def parse_hhmm(text: str) -> int:
    """Minutes after midnight for "HH:MM" (or "H:MM"); "24:00" is the end of the day (1440)."""
    if not isinstance(text, str):
        raise CalendarError(f"A time of day must be text like 09:00, got {text!r}.")
    hours, colon, minutes = text.strip().partition(":")
    digits = "0123456789"  # not str.isdigit(), which also accepts non-ASCII digits
    well_formed = (
        colon == ":"
        and 1 <= len(hours) <= 2
        and len(minutes) == 2
        and all(ch in digits for ch in hours + minutes)
    )
    if not well_formed:
        raise CalendarError(f"{text!r} is not a time of day; write it as HH:MM, for example 09:00.")
    value = int(hours) * 60 + int(minutes)
    if int(minutes) > 59 or value > MINUTES_PER_DAY:
        raise CalendarError(f"{text!r} is not a time of day; use 00:00 to 23:59, or 24:00.")
    return value


def format_minute(m: int) -> str:
    if not 0 <= m <= MINUTES_PER_DAY:
        raise CalendarError(f"Minute {m} is outside a day; it must be between 0 and 1440.")
    return f"{m // 60:02d}:{m % 60:02d}"


# --- Validation ---------------------------------------------------------------------------------


def validate_spec(spec: CalendarSpec) -> None:
    """Raise CalendarError with a sentence naming the first problem found in the spec."""
    _zone(spec.timezone)
    _check_holiday_region(spec.holiday_country, spec.holiday_subdivision)
    for interval in spec.intervals:
        _check_interval(interval)
    _check_overlaps(spec.intervals)
    _check_dates("closed_dates", spec.closed_dates)
    _check_dates("open_dates", spec.open_dates)
    if not spec.always_open and not spec.intervals:
        raise CalendarError(
            "The calendar has no working hours; add at least one interval "
            f"(for example Monday 09:00{_DASH}18:00) or mark it as open 24x7.",
            field="intervals",
        )


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        # ZoneInfo raises ValueError for path-like keys and TypeError for non-strings.
        raise CalendarError(
            f"{name!r} is not a known time zone; use an IANA name such as Asia/Seoul or UTC.",
            field="timezone",
        ) from None


@functools.lru_cache(maxsize=1)
def _supported_regions() -> Mapping[str, frozenset[str]]:
    return {
        country: frozenset(subdivisions)
        for country, subdivisions in holidays.list_supported_countries().items()
    }


def _check_holiday_region(country: str | None, subdivision: str | None) -> None:
    if country is None:
        if subdivision is not None:
            raise CalendarError(
                "A holiday subdivision needs a holiday country; set the country or clear the "
                "subdivision.",
                field="holiday_subdivision",
            )
        return
    regions = _supported_regions()
    if country not in regions:
        raise CalendarError(
            f"{country!r} is not a holiday country we know; use an upper-case ISO 3166 code "
            "such as KR or US, or no country for no public holidays.",
            field="holiday_country",
        )
    if subdivision is not None and subdivision not in regions[country]:
        known = ", ".join(sorted(regions[country])) or "none"
        raise CalendarError(
            f"{subdivision!r} is not a subdivision of holiday country {country}; "
            f"known subdivisions: {known}.",
            field="holiday_subdivision",
        )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_interval(interval: WorkingInterval) -> None:
    day, start, end = interval.weekday, interval.start_minute, interval.end_minute
    if not (_is_int(day) and 0 <= day <= 6):
        raise CalendarError(
            f"A working interval has weekday {day!r}; use 0 (Monday) to 6 (Sunday).",
            field="intervals",
        )
    name = WEEKDAY_NAMES[day]
    if not (_is_int(start) and 0 <= start < MINUTES_PER_DAY):
        raise CalendarError(
            f"{name} interval starts at minute {start!r}; a start must be 0 to 1439 "
            "(00:00 to 23:59).",
            field="intervals",
        )
    if not (_is_int(end) and 0 < end <= MINUTES_PER_DAY):
        raise CalendarError(
            f"{name} interval ends at minute {end!r}; an end must be 1 to 1440 (00:01 to 24:00).",
            field="intervals",
        )
    if end <= start:
        raise CalendarError(
            f"{name} interval ends at {format_minute(end)}, which is not after its start "
            f"{format_minute(start)}; an interval cannot span midnight, so split a night shift "
            f"into 22:00{_DASH}24:00 and 00:00{_DASH}06:00 on the next day.",
            field="intervals",
        )


def _check_overlaps(intervals: Iterable[WorkingInterval]) -> None:
    # Sorted by (weekday, start), any overlap shows up between neighbours: if i and j > i overlap,
    # then i and i+1 do too (i+1 starts no later than j, which starts before i ends).
    ordered = sorted(intervals, key=lambda i: (i.weekday, i.start_minute))
    for index in range(1, len(ordered)):
        earlier, later = ordered[index - 1], ordered[index]
        if earlier.weekday == later.weekday and later.start_minute < earlier.end_minute:
            raise CalendarError(
                f"{WEEKDAY_NAMES[earlier.weekday]} {earlier.label()} overlaps {later.label()}; "
                "working intervals on the same day must not overlap.",
                field="intervals",
            )


def _check_dates(field_name: str, dates: Iterable[object]) -> None:
    for value in dates:
        # datetime is a subclass of date, but a datetime here would hide a time-zone mistake.
        if not isinstance(value, date) or isinstance(value, datetime):
            raise CalendarError(
                f"{field_name} must hold local calendar dates, got {value!r}.", field=field_name
            )


# --- Holidays -----------------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _holiday_language(country: str, language: str | None) -> str | None:
    """The library language to use: exact match, else same base language ("en" -> "en_US"),
    else the country's default. The library itself would silently fall back to English source
    names, which is wrong for a Korean UI."""
    entity = holidays.country_holidays(country)
    supported: tuple[str, ...] = tuple(entity.supported_languages)
    default: str | None = entity.default_language
    if language is None or language in supported:
        return language if language is not None else default
    base = language.replace("-", "_").split("_")[0].lower()
    for candidate in supported:
        if candidate.split("_")[0].lower() == base:
            return candidate
    return default


@functools.lru_cache(maxsize=512)
def _public_holidays(
    country: str, subdivision: str | None, year: int, language: str | None
) -> Mapping[date, str]:
    calendar = holidays.country_holidays(country, subdiv=subdivision, years=year, language=language)
    # A plain dict: the library object grows itself when asked about other years.
    return {day: str(name) for day, name in calendar.items()}


def _closure_reason(spec: CalendarSpec, day: date, language: str | None) -> str | None:
    """Why `day` is closed beyond its weekly hours: a holiday name, the closed-date marker, or
    None when nothing closes it."""
    if spec.always_open or day in spec.open_dates:
        return None
    if spec.holiday_country is not None:
        resolved = _holiday_language(spec.holiday_country, language)
        names = _public_holidays(spec.holiday_country, spec.holiday_subdivision, day.year, resolved)
        if day in names:
            return names[day]
    if day in spec.closed_dates:
        base = (language or "ko").replace("-", "_").split("_")[0].lower()
        return CLOSED_DATE_NAMES.get(base, CLOSED_DATE_NAMES["en"])
    return None


# --- Day expansion ------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class _Plan:
    zone: ZoneInfo
    by_weekday: tuple[tuple[tuple[int, int], ...], ...]  # 7 sorted tuples of (start, end) minutes


@functools.lru_cache(maxsize=1024)
def _plan(spec: CalendarSpec) -> _Plan:
    # Validating here means every public function rejects a bad spec, at the cost of one cache
    # lookup per call. lru_cache does not cache exceptions, so a bad spec fails every time.
    validate_spec(spec)
    by_weekday = tuple(
        tuple(sorted((i.start_minute, i.end_minute) for i in spec.intervals if i.weekday == day))
        for day in range(7)
    )
    return _Plan(zone=_zone(spec.timezone), by_weekday=by_weekday)


def _wall_clock(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def _local_to_utc(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """The earliest instant at which the local clock shows `minute` on `day`, or later."""
    wall = datetime.combine(day, time()) + timedelta(minutes=minute)
    first = wall.replace(tzinfo=zone).astimezone(UTC)  # fold=0: first of an ambiguous pair
    if _wall_clock(first, zone) == wall:
        return first
    # `wall` falls in a spring-forward gap. fold=0 and fold=1 read it with the offsets before and
    # after the transition, which bracket the transition instant; bisect to the second. Offsets
    # and transitions are whole seconds, so this is exact and takes about 14 steps for a 1 h gap.
    other = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    low, high = min(first, other), max(first, other)  # the clock reads < wall at low, >= at high
    low_s, high_s = 0, (high - low) // _ONE_SECOND
    while high_s - low_s > 1:
        middle = (low_s + high_s) // 2
        if _wall_clock(low + timedelta(seconds=middle), zone) >= wall:
            high_s = middle
        else:
            low_s = middle
    return low + timedelta(seconds=high_s)


@functools.lru_cache(maxsize=16_384)
def _day_periods(spec: CalendarSpec, day: date) -> tuple[Period, ...]:
    """The UTC working periods of one local date, in order. Periods of successive dates never
    interleave, because the mapping from wall-clock time to instants never goes backwards."""
    plan = _plan(spec)
    if spec.always_open:
        minutes: tuple[tuple[int, int], ...] = ((0, MINUTES_PER_DAY),)
    elif _closure_reason(spec, day, None) is not None:
        return ()
    else:
        minutes = plan.by_weekday[day.weekday()]
    periods = []
    for start, end in minutes:
        opening = _local_to_utc(day, start, plan.zone)
        closing = _local_to_utc(day, end, plan.zone)
        if opening < closing:  # an interval inside a DST gap has no real time in it
            periods.append((opening, closing))
    return tuple(periods)


def _periods_from(spec: CalendarSpec, start: datetime, until: datetime | None) -> Iterator[Period]:
    """Unclipped day periods that end after `start`, in order. Unbounded when `until` is None
    (then guarded against calendars that never open); else stops past `until`'s local date."""
    zone = _plan(spec).zone
    # Begin a day early: a fall-back across midnight can give `start` a local date whose
    # periods are not the first ones still running.
    day = start.astimezone(zone).date() - _ONE_DAY
    last_day = None if until is None else until.astimezone(zone).date() + _ONE_DAY
    idle_since = day
    try:
        while last_day is None or day <= last_day:
            periods = _day_periods(spec, day)
            for period in periods:
                if period[1] > start:
                    yield period
            if periods:
                idle_since = day + _ONE_DAY
            elif last_day is None and (day - idle_since).days >= MAX_DAYS_WITHOUT_WORK:
                raise CalendarError(
                    f"The calendar has no working time in the three years from {idle_since}; "
                    "check its working hours, closed dates and holidays."
                )
            day += _ONE_DAY
    except OverflowError:
        raise CalendarError("Working-time arithmetic ran past the year 9999.") from None


# --- Input checks -------------------------------------------------------------------------------


def _aware_utc(name: str, value: datetime) -> datetime:
    if not isinstance(value, datetime):
        raise CalendarError(f"{name} must be a datetime, got {value!r}.", field=name)
    if value.utcoffset() is None:
        raise CalendarError(
            f"{name} is a naive datetime ({value.isoformat()}); pass a timezone-aware one, "
            "for example in UTC.",
            field=name,
        )
    return value.astimezone(UTC)


def _local_date(name: str, value: date) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise CalendarError(
            f"{name} must be a local calendar date, got {value!r}; convert instants to the "
            "calendar's time zone first.",
            field=name,
        )
    return value


def _count(name: str, value: int) -> int:
    if not _is_int(value):
        raise CalendarError(f"{name} must be a whole number, got {value!r}.", field=name)
    if value < 0:
        raise CalendarError(f"{name} must not be negative, got {value}.", field=name)
    return value


# --- Days and holidays --------------------------------------------------------------------------


def is_working_day(spec: CalendarSpec, local_date: date) -> bool:
    """True when the local date has working hours on its weekday and nothing closes it."""
    day = _local_date("local_date", local_date)
    plan = _plan(spec)
    if spec.always_open:
        return True
    return bool(plan.by_weekday[day.weekday()]) and _closure_reason(spec, day, None) is None


def holiday_name(spec: CalendarSpec, local_date: date, language: str = "ko") -> str | None:
    """The reason the date is closed beyond its weekly hours: the public holiday's name in
    `language`, or CLOSED_DATE_NAMES for a client closed date. None when nothing closes it,
    including a holiday listed in open_dates and any date of a 24x7 calendar."""
    day = _local_date("local_date", local_date)
    _plan(spec)
    return _closure_reason(spec, day, language)


def holidays_between(
    spec: CalendarSpec, start: date, end: date, language: str = "ko"
) -> list[tuple[date, str]]:
    """Every date from start to end INCLUSIVE that holiday_name() names, in date order. Holidays
    on days without working hours (a Sunday 삼일절) are listed too."""
    first, last = _local_date("start", start), _local_date("end", end)
    _plan(spec)
    if spec.always_open or last < first:
        return []
    candidates = {day for day in spec.closed_dates if first <= day <= last}
    if spec.holiday_country is not None:
        for year in range(first.year, last.year + 1):
            names = _public_holidays(spec.holiday_country, spec.holiday_subdivision, year, None)
            candidates.update(day for day in names if first <= day <= last)
    named = ((day, _closure_reason(spec, day, language)) for day in sorted(candidates))
    return [(day, name) for day, name in named if name is not None]


# --- Instants and periods -----------------------------------------------------------------------


def is_working_time(spec: CalendarSpec, instant: datetime) -> bool:
    moment = _aware_utc("instant", instant)
    _plan(spec)
    if spec.always_open:
        return True
    following = next(_periods_from(spec, moment, until=moment), None)
    return following is not None and following[0] <= moment


def working_periods(spec: CalendarSpec, start: datetime, end: datetime) -> Iterator[Period]:
    """The working periods within [start, end), clipped to it, in UTC and in order. Periods are
    reported per configured interval and local date, so a night shift across midnight comes out
    as two touching periods, and a 24x7 calendar as one period per local day."""
    begin, finish = _aware_utc("start", start), _aware_utc("end", end)
    _plan(spec)  # validate now, not on the first next()
    return _clipped_periods(spec, begin, finish)


def _clipped_periods(spec: CalendarSpec, begin: datetime, finish: datetime) -> Iterator[Period]:
    if finish <= begin:
        return
    for opening, closing in _periods_from(spec, begin, until=finish):
        if opening >= finish:
            return
        yield max(opening, begin), min(closing, finish)


def next_working_periods(spec: CalendarSpec, after: datetime, count: int) -> list[Period]:
    """The next `count` working periods; the first starts at `after` if it is working time."""
    moment, wanted = _aware_utc("after", after), _count("count", count)
    _plan(spec)
    result: list[Period] = []
    if wanted == 0:
        return result
    for opening, closing in _periods_from(spec, moment, until=None):
        result.append((max(opening, moment), closing))
        if len(result) == wanted:
            break
    return result


# --- Arithmetic ---------------------------------------------------------------------------------


def working_time_between(spec: CalendarSpec, a: datetime, b: datetime) -> timedelta:
    """The exact working time in [a, b]; zero when b <= a."""
    begin, finish = _aware_utc("a", a), _aware_utc("b", b)
    _plan(spec)
    if finish <= begin:
        return _ZERO
    if spec.always_open:
        return finish - begin
    total = _ZERO
    for opening, closing in _clipped_periods(spec, begin, finish):
        total += closing - opening
    return total


def working_seconds_between(spec: CalendarSpec, a: datetime, b: datetime) -> int:
    return working_time_between(spec, a, b) // _ONE_SECOND


def working_minutes_between(spec: CalendarSpec, a: datetime, b: datetime) -> int:
    # Flooring the exact timedelta equals flooring the floored seconds.
    return working_time_between(spec, a, b) // timedelta(minutes=1)


def add_working_seconds(spec: CalendarSpec, start: datetime, seconds: int) -> datetime:
    return _add_working_time(spec, start, _count("seconds", seconds))


def add_working_minutes(spec: CalendarSpec, start: datetime, minutes: int) -> datetime:
    return _add_working_time(spec, start, _count("minutes", minutes) * 60)


def _add_working_time(spec: CalendarSpec, start: datetime, seconds: int) -> datetime:
    moment = _aware_utc("start", start)
    _plan(spec)
    try:
        amount = timedelta(seconds=seconds)
        if amount == _ZERO or spec.always_open:
            return moment + amount
        remaining = amount
        for opening, closing in _periods_from(spec, moment, until=None):
            begin = max(opening, moment)
            # `<=`, not `<`: an amount that exactly fills the period ends at its closing time.
            if remaining <= closing - begin:
                return begin + remaining
            remaining -= closing - begin
    except OverflowError:
        raise CalendarError("Working-time arithmetic ran past the year 9999.") from None
    raise AssertionError("unreachable: _periods_from(until=None) never ends without raising")
