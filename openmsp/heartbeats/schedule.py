"""When a heartbeat's next ping is due, and what a finished run says: pure rules, no ORM.

A schedule is either a *period* (a success every N seconds) or a *cron* expression read in an
IANA time zone; either way a `grace` is allowed after the expected time before the heartbeat is
late. Cron expressions are evaluated on the local wall clock (that is what a crontab means) and
turned into instants with these rules at daylight-saving changes:

- a wall time that does not exist (the hour skipped in spring) happens at the instant the clock
  jumps, as cron runs such jobs right after the change;
- a wall time that happens twice (the hour repeated in autumn) is expected at its first
  occurrence, as cron runs a fixed-time job once.

Every instant taken and returned is timezone-aware; returned instants are in UTC.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import Literal

from croniter import CroniterBadCronError, CroniterBadDateError, CroniterError, croniter

UTC = dt.UTC
DEFAULT_TIME_ZONE = "Asia/Seoul"
Kind = Literal["period", "cron"]
# croniter gives up on expressions that never match ("0 0 30 2 *"); so do we, with a sentence.
_NEVER = "The cron expression never matches a real date."
_MAX_STEPS = 24 * 60 + 2


class ScheduleError(ValueError):
    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Schedule:
    kind: Kind
    grace: dt.timedelta
    period: dt.timedelta | None = None
    cron: str = ""
    time_zone: str = DEFAULT_TIME_ZONE

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zone_of(self.time_zone)


# --- Validation ---------------------------------------------------------------------------------


def zone_of(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(
            f"'{name}' is not a known IANA time zone (for example Asia/Seoul).", field="time_zone"
        ) from None


def check_cron(expression: str) -> str:
    """The expression, normalised to single spaces, or a ScheduleError naming `cron`."""
    text = " ".join(expression.split())
    fields = text.split(" ")
    if not text or (len(fields) != 5 and not (len(fields) == 1 and text.startswith("@"))):
        raise ScheduleError(
            "A cron expression has five fields: minute hour day-of-month month day-of-week "
            "(for example '30 2 * * *').",
            field="cron",
        )
    if not croniter.is_valid(text):
        raise ScheduleError(f"'{text}' is not a valid cron expression.", field="cron")
    try:
        croniter(text, dt.datetime(2026, 1, 1)).get_next(dt.datetime)
    except (CroniterBadDateError, CroniterBadCronError, CroniterError):
        raise ScheduleError(_NEVER, field="cron") from None
    return text


def check(schedule: Schedule) -> Schedule:
    """Refuse a schedule that cannot work, naming the field to fix."""
    if schedule.grace <= dt.timedelta(0):
        raise ScheduleError("The grace time must be more than zero seconds.", field="grace_seconds")
    if schedule.kind == "period":
        if schedule.period is None or schedule.period <= dt.timedelta(0):
            raise ScheduleError(
                "The period must be more than zero seconds.", field="period_seconds"
            )
    elif schedule.kind == "cron":
        check_cron(schedule.cron)
        zone_of(schedule.time_zone)
    else:
        raise ScheduleError(f"Unknown schedule kind '{schedule.kind}'.", field="kind")
    return schedule


# --- Expected times -----------------------------------------------------------------------------


def _aware(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    return moment.astimezone(UTC)


def wall_to_instant(wall: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The UTC instant a naive local wall time names, by the module's DST rules."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first  # exists (for a repeated time, fold=0 is its first occurrence)
    # Skipped by a spring-forward gap: the instant the clock jumps past it. Before the gap the
    # fold=1 reading (old offset) lies before it; search for the first instant at or after it.
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    low, high = min(low, first), max(low, first)
    while high - low > dt.timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def next_cron(expression: str, zone: zoneinfo.ZoneInfo, after: dt.datetime) -> dt.datetime:
    """The first cron time strictly after *after*, as a UTC instant."""
    after = _aware(after)
    start = after.astimezone(zone).replace(tzinfo=None, fold=0)
    it = croniter(expression, start)
    # In the second pass of a repeated hour, wall times up to its end name instants already
    # past (their first occurrence): step over them (at most an hour of minutes).
    for _ in range(_MAX_STEPS):
        try:
            wall: dt.datetime = it.get_next(dt.datetime)
        except (CroniterBadDateError, CroniterError):
            raise ScheduleError(_NEVER, field="cron") from None
        instant = wall_to_instant(wall, zone)
        if instant > after:
            return instant
    raise ScheduleError(_NEVER, field="cron")  # pragma: no cover - DST repeats at most hours


def next_expected(schedule: Schedule, after: dt.datetime) -> dt.datetime:
    """When the next success is expected, given one at (or the schedule starting at) *after*."""
    after = _aware(after)
    if schedule.kind == "period":
        assert schedule.period is not None
        return after + schedule.period
    return next_cron(schedule.cron, schedule.zone, after)


def deadline(schedule: Schedule, after: dt.datetime) -> dt.datetime:
    """The instant the heartbeat is late if no success came: expected time plus grace."""
    return next_expected(schedule, after) + schedule.grace


def running_deadline(
    schedule: Schedule, *, started_at: dt.datetime, max_run: dt.timedelta | None
) -> tuple[dt.datetime, str]:
    """While a run is going: the earlier of "ran too long" and "late", and which one it is.

    A started run is expected to finish before the schedule's next time after its start (plus
    grace), as if the start were a success: a job that shows up is not late, one that hangs is."""
    late = deadline(schedule, started_at)
    if max_run is not None:
        too_long = _aware(started_at) + max_run
        if too_long < late:
            return too_long, "too_long"
    return late, "late"


def due_rule(
    *,
    running: bool,
    started_at: dt.datetime | None,
    max_run: dt.timedelta | None,
    alert_after: dt.datetime,
) -> str:
    """Which rule a passed deadline stands for: a running job's run-time limit, or lateness."""
    if (
        running
        and started_at is not None
        and max_run is not None
        and _aware(started_at) + max_run == _aware(alert_after)
    ):
        return "too_long"
    return "late"


# --- What a finished run says -------------------------------------------------------------------


@dataclass(frozen=True)
class RunLimits:
    min_run: dt.timedelta | None = None  # finished faster than this: "too_fast"
    max_run: dt.timedelta | None = None  # ran longer than this: "too_long"
    min_interval: dt.timedelta | None = None  # two successes closer than this: "too_often"


def run_verdicts(
    limits: RunLimits,
    *,
    duration: dt.timedelta | None,
    at: dt.datetime,
    previous_success_at: dt.datetime | None,
) -> dict[str, bool]:
    """For each run rule that applies to this success, whether it is violated (True = alert).

    A rule without its limit, or without what it needs to measure (a duration needs a start
    ping; "too often" needs an earlier success), says nothing and is left out."""
    verdicts: dict[str, bool] = {}
    if duration is not None and limits.min_run is not None:
        verdicts["too_fast"] = duration < limits.min_run
    if duration is not None and limits.max_run is not None:
        verdicts["too_long"] = duration > limits.max_run
    if previous_success_at is not None and limits.min_interval is not None:
        verdicts["too_often"] = _aware(at) - _aware(previous_success_at) < limits.min_interval
    return verdicts
