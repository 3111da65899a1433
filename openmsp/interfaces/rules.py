"""What an interface's reports and its silence mean: pure rules, no ORM, no clock.

Per report (judged on the newest run of a report):
- "error_rate": failed / processed * 100 over `max_error_rate`;
- "failures": failed records of one run over `max_failures`;
- "backlog": queue depth over `max_backlog` or age of the oldest message over its maximum;
- "latency": p95 latency over `max_latency_ms`.
Over the threshold is a warning; at twice the threshold or more it is critical (a threshold of 0
means "none at all": any is critical).

On the clock (openmsp.interfaces.evaluation):
- "traffic_missing": volume of the last hour below `min_ratio` * the baseline, the median of the
  same weekday and hour over the previous four weeks, judged only with three weeks of history;
  nothing at all where traffic was expected is critical, a trickle a warning;
- "batch_late": the run due at a cron time has not started by start + grace, or has not
  finished by start + deadline (critical).
"""

from __future__ import annotations

import datetime as dt
import statistics
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from croniter import croniter

Status = Literal["ok", "warning", "critical"]
Verdict = tuple[Status, str]  # status and the detail a technician reads
REPORT_RULES = ("error_rate", "failures", "backlog", "latency")
CLOCK_RULES = ("traffic_missing", "batch_late")
WEEKS = 4
MIN_WEEKS = 3


@dataclass(frozen=True)
class Thresholds:
    max_error_rate: float | None = None
    max_failures: int | None = None
    max_backlog: int | None = None
    max_oldest_age_seconds: int | None = None
    max_latency_ms: int | None = None


@dataclass(frozen=True)
class RunFacts:
    processed: int
    failed: int
    latency_p95_ms: float | None = None
    backlog_depth: int | None = None
    oldest_message_age_seconds: int | None = None


def _over(value: float, limit: float) -> Status:
    if value <= limit:
        return "ok"
    return "critical" if limit == 0 or value >= 2 * limit else "warning"


def _worst(*statuses: Status) -> Status:
    order: dict[Status, int] = {"ok": 0, "warning": 1, "critical": 2}
    return max(statuses, key=order.__getitem__)


def error_rate(facts: RunFacts) -> float:
    return 100.0 * facts.failed / facts.processed if facts.processed else 0.0


def judge_run(limits: Thresholds, facts: RunFacts) -> dict[str, Verdict]:
    """The verdict of every watched per-report rule on one run (unwatched rules are absent)."""
    verdicts: dict[str, Verdict] = {}
    if limits.max_error_rate is not None and facts.processed:
        rate = error_rate(facts)
        verdicts["error_rate"] = (
            _over(rate, limits.max_error_rate),
            f"{rate:.1f}% of {facts.processed} records failed (max {limits.max_error_rate:g}%)",
        )
    if limits.max_failures is not None:
        verdicts["failures"] = (
            _over(facts.failed, limits.max_failures),
            f"{facts.failed} failed records (max {limits.max_failures})",
        )
    backlog = _backlog(limits, facts)
    if backlog is not None:
        verdicts["backlog"] = backlog
    if limits.max_latency_ms is not None and facts.latency_p95_ms is not None:
        verdicts["latency"] = (
            _over(facts.latency_p95_ms, limits.max_latency_ms),
            f"p95 latency {facts.latency_p95_ms:g} ms (target {limits.max_latency_ms} ms)",
        )
    return verdicts


def _backlog(limits: Thresholds, facts: RunFacts) -> Verdict | None:
    parts: list[tuple[Status, str]] = []
    if limits.max_backlog is not None and facts.backlog_depth is not None:
        parts.append(
            (
                _over(facts.backlog_depth, limits.max_backlog),
                f"{facts.backlog_depth} waiting (max {limits.max_backlog})",
            )
        )
    if limits.max_oldest_age_seconds is not None and facts.oldest_message_age_seconds is not None:
        parts.append(
            (
                _over(facts.oldest_message_age_seconds, limits.max_oldest_age_seconds),
                f"oldest message {facts.oldest_message_age_seconds} s old "
                f"(max {limits.max_oldest_age_seconds} s)",
            )
        )
    if not parts:
        return None
    return _worst(*(p[0] for p in parts)), "; ".join(p[1] for p in parts)


# --- Expected traffic ---------------------------------------------------------------------------


def baseline(weekly_volumes: Sequence[int | None]) -> float | None:
    """Median of the same hour of the same weekday in past weeks; None = not enough history.

    `weekly_volumes[k]` is the volume k+1 weeks ago, None for a week before the interface had
    any history (a week with history but no traffic is 0, and counts)."""
    known = [v for v in weekly_volumes[:WEEKS] if v is not None]
    if len(known) < MIN_WEEKS:
        return None
    return float(statistics.median(known))


def judge_traffic(
    volume: int, weekly_volumes: Sequence[int | None], min_ratio: float
) -> Verdict | None:
    """None when there is nothing to judge (too little history, or no traffic is usual)."""
    base = baseline(weekly_volumes)
    if base is None or base <= 0:
        return None
    detail = f"{volume} records in the last hour; usual for this hour {base:g}"
    if volume >= min_ratio * base:
        return "ok", detail
    return ("critical" if volume == 0 else "warning"), detail


# --- Batch schedule ----------------------------------------------------------------------------


def _local_naive(at: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    return at.astimezone(zone).replace(tzinfo=None)


def _to_utc(naive: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    # A wall time repeated in autumn is its first occurrence (fold=0), as cron runs it once.
    return naive.replace(tzinfo=zone, fold=0).astimezone(dt.UTC)


def scheduled_start(cron: str, zone: zoneinfo.ZoneInfo, now: dt.datetime) -> dt.datetime:
    """The latest cron time at or before *now* (UTC)."""
    local = _local_naive(now, zone) + dt.timedelta(seconds=1)
    previous: dt.datetime = croniter(cron, local).get_prev(dt.datetime)
    return _to_utc(previous, zone)


def next_start(cron: str, zone: zoneinfo.ZoneInfo, now: dt.datetime) -> dt.datetime:
    following: dt.datetime = croniter(cron, _local_naive(now, zone)).get_next(dt.datetime)
    return _to_utc(following, zone)


@dataclass(frozen=True)
class BatchPlan:
    start: dt.datetime
    grace: dt.timedelta
    deadline: dt.timedelta | None

    @property
    def start_by(self) -> dt.datetime:
        return self.start + self.grace

    @property
    def finish_by(self) -> dt.datetime | None:
        return self.start + self.deadline if self.deadline is not None else None


def judge_batch(
    plan: BatchPlan,
    *,
    started_at: dt.datetime | None,
    finished_at: dt.datetime | None,
    now: dt.datetime,
) -> Verdict | None:
    """The run due at plan.start: *started_at*/*finished_at* are of the first run started at or
    after plan.start (None if none). None while it is too early to tell."""
    if started_at is None:
        if now < plan.start_by:
            return None
        return "critical", f"the run due at {plan.start.isoformat()} has not started"
    finish_by = plan.finish_by
    if finish_by is None or (finished_at is not None and finished_at <= finish_by):
        return "ok", f"the run due at {plan.start.isoformat()} started at {started_at.isoformat()}"
    if finished_at is None and now < finish_by:
        return "ok", f"the run due at {plan.start.isoformat()} is running"
    return (
        "critical",
        f"the run due at {plan.start.isoformat()} did not finish by {finish_by.isoformat()}",
    )
