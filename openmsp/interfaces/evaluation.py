"""The clock's rules: batches late to start or finish, expected traffic that did not arrive.

No sweep of every interface: each has `next_evaluation_at` (the next instant at which one of
its clock rules could change), the job finds due rows with one query on the partial index and
claims each with an UPDATE conditional on the deadline it read, so two workers never judge one
interface twice and a concurrent edit wins cleanly.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from openmsp.heartbeats import schedule as sched
from openmsp.interfaces import observe, queries, rules
from openmsp.interfaces.models import Interface, InterfaceRun

TRAFFIC_EVERY = dt.timedelta(minutes=5)  # how often the last hour's volume is compared
HOUR = dt.timedelta(hours=1)
WEEK = dt.timedelta(days=7)
BATCH = 500


def _plan(iface: Interface, now: dt.datetime) -> rules.BatchPlan | None:
    if not iface.cron:
        return None
    zone = sched.zone_of(iface.time_zone)
    return rules.BatchPlan(
        start=rules.scheduled_start(iface.cron, zone, now),
        grace=dt.timedelta(minutes=iface.start_grace_minutes),
        deadline=(
            dt.timedelta(minutes=iface.deadline_minutes)
            if iface.deadline_minutes is not None
            else None
        ),
    )


def next_due(iface: Interface, now: dt.datetime) -> dt.datetime | None:
    """The next instant a clock rule of *iface* could change (None: nothing to watch)."""
    if iface.paused:
        return None
    candidates: list[dt.datetime] = []
    if iface.expect_traffic:
        candidates.append(now + TRAFFIC_EVERY)
    plan = _plan(iface, now)
    if plan is not None:
        upcoming = rules.next_start(iface.cron, sched.zone_of(iface.time_zone), now)
        candidates.append(upcoming + plan.grace)
        for moment in (plan.start_by, plan.finish_by):
            if moment is not None and moment > now:
                candidates.append(moment)
    return min(candidates) if candidates else None


def _batch_verdict(iface: Interface, now: dt.datetime) -> rules.Verdict | None:
    plan = _plan(iface, now)
    if plan is None:
        return None
    # A run that starts a little early (within the grace) still counts as the one due.
    run = (
        InterfaceRun.objects.filter(interface=iface, started_at__gte=plan.start - plan.grace)
        .order_by("started_at")
        .first()
    )
    return rules.judge_batch(
        plan,
        started_at=run.started_at if run else None,
        finished_at=run.finished_at if run else None,
        now=now,
    )


def _traffic_verdict(iface: Interface, now: dt.datetime) -> rules.Verdict | None:
    if not iface.expect_traffic:
        return None
    first = queries.first_run_at(iface.pk)
    weeks: list[int | None] = []
    for k in range(1, rules.WEEKS + 1):
        start = now - k * WEEK - HOUR
        known = first is not None and first <= start + HOUR
        weeks.append(queries.volume_between(iface.pk, start, start + HOUR) if known else None)
    volume = queries.volume_between(iface.pk, now - HOUR, now)
    return rules.judge_traffic(volume, weeks, iface.min_traffic_ratio)


def clock_verdicts(iface: Interface, now: dt.datetime) -> dict[str, rules.Verdict]:
    verdicts: dict[str, rules.Verdict] = {}
    for rule, verdict in (
        ("batch_late", _batch_verdict(iface, now)),
        ("traffic_missing", _traffic_verdict(iface, now)),
    ):
        if verdict is not None:
            verdicts[rule] = verdict
    return verdicts


def _claim(row: Interface, now: dt.datetime) -> bool:
    """Move the deadline on, unless a report, an edit or another worker moved it first; then
    judge the row as it is now (locked by that UPDATE until the transaction ends)."""
    following = next_due(row, now)
    claim = Interface.objects.filter(pk=row.pk, next_evaluation_at=row.next_evaluation_at)
    if not claim.update(next_evaluation_at=following):
        return False
    fresh: Interface = Interface.objects.select_for_update().get(pk=row.pk)
    observe.settle(fresh, clock_verdicts(fresh, now), now)
    fresh.save(update_fields=["rule_status"])
    return True


def evaluate_due(*, now: dt.datetime | None = None) -> list[int]:
    """Judge the clock rules of every interface whose evaluation is due; their ids."""
    now = now or timezone.now()
    due = list(
        Interface.objects.filter(next_evaluation_at__lte=now, paused=False).order_by(
            "next_evaluation_at"
        )[:BATCH]
    )
    judged = []
    for row in due:
        with transaction.atomic():
            if _claim(row, now):
                judged.append(row.pk)
    return judged
