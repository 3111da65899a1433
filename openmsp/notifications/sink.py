"""The problem sink: what notifications does with each ProblemChange, inside its transaction.

1. Record it (ChangeRecord). Suppressed and in-maintenance changes stop there: never sent.
2. Route it (openmsp.notifications.routing) to the client's matching routes.
3. Put it in each route's group (by the route's group-by labels) and move the group's deadline;
   the flush job sends one message per group (openmsp.notifications.dispatch).
4. Schedule the routes' escalation ladders on firing; cancel them on acknowledged / resolved.

No network I/O here (ADR 0004): messages leave later, from the outbox.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from openmsp.core.spine import ProblemChange
from openmsp.notifications import routing, timing
from openmsp.notifications.models import (
    ChangeRecord,
    GroupMember,
    NotificationGroup,
    PendingEscalation,
    Route,
)

log = logging.getLogger("openmsp.notifications")
STARTS_LADDER = frozenset({"firing", "reopened"})
STOPS_LADDER = frozenset({"acknowledged", "resolved"})
Outcome = ChangeRecord.Outcome


def rule_of(route: Route) -> routing.Rule:
    return routing.Rule(
        id=route.pk,
        severities=frozenset(route.severities),
        sources=frozenset(route.sources),
        kinds=frozenset(route.kinds),
        matchers=routing.matchers_from(route.label_matchers),
        continue_matching=route.continue_matching,
        is_default=route.is_default,
        group_by=tuple(route.group_by),
    )


@transaction.atomic(savepoint=False)  # the caller's transaction; one of our own if it has none
def on_problem_change(change: ProblemChange) -> None:
    if change.kind in STOPS_LADDER:
        cancel_escalations(change.problem_id)
    if change.suppressed or change.in_maintenance:
        if change.kind == "resolved":
            GroupMember.objects.filter(problem_id=change.problem_id).delete()
        _record(change, Outcome.SUPPRESSED if change.suppressed else Outcome.MAINTENANCE, [])
        return
    routes = list(
        Route.objects.filter(client_id=change.client_id, enabled=True).prefetch_related("steps")
    )
    by_id = {r.pk: r for r in routes}
    source = routing.source_of(change.fingerprint)
    labels = routing.effective_labels(
        change.labels, source=source, severity=change.severity, fingerprint=change.fingerprint
    )
    chosen = routing.select_routes(
        [rule_of(r) for r in routes],
        routing.Change(kind=change.kind, severity=change.severity, source=source, labels=labels),
    )
    for rule in chosen:
        _join_group(by_id[rule.id], rule, change, labels)
    if change.kind == "resolved":  # routes that did not take it still drop the problem
        GroupMember.objects.filter(problem_id=change.problem_id).exclude(
            group__route_id__in=[r.id for r in chosen]
        ).delete()
    if change.kind in STARTS_LADDER:
        schedule_escalations(change, [by_id[r.id] for r in chosen])
    _record(change, Outcome.ROUTED if chosen else Outcome.UNROUTED, [r.id for r in chosen])


def _record(change: ProblemChange, outcome: str, route_ids: list[int]) -> None:
    ChangeRecord.objects.create(
        client_id=change.client_id,
        problem_id=change.problem_id,
        fingerprint=change.fingerprint[:500],
        kind=change.kind,
        severity=change.severity,
        title=change.title[:500],
        at=change.at,
        outcome=outcome,
        routes=route_ids,
    )


def _group_for(route: Route, values: dict[str, str]) -> NotificationGroup:
    """The route's group for these label values, created if new and locked for this
    transaction (ignore_conflicts: two transactions creating it at once both succeed)."""
    key = routing.group_key(values)
    locked = NotificationGroup.objects.select_for_update().filter(route=route, key=key)
    existing: NotificationGroup | None = locked.first()
    if existing is not None:
        return existing
    NotificationGroup.objects.bulk_create(
        [NotificationGroup(client_id=route.client_id, route=route, key=key, labels=values)],
        ignore_conflicts=True,
    )
    created: NotificationGroup = locked.get()
    return created


def _join_group(
    route: Route, rule: routing.Rule, change: ProblemChange, labels: dict[str, str]
) -> None:
    group = _group_for(route, routing.group_labels(rule, labels))
    member = GroupMember.objects.filter(group=group, problem_id=change.problem_id).first()
    if member is not None and change.kind == "resolved" and not member.told:
        member.delete()  # fired and cleared before any message: nobody needs to hear of it
        return
    if member is None:
        if change.kind == "resolved":
            return  # its firing was never routed here: a lone "resolved" says nothing
        member = GroupMember(group=group, problem_id=change.problem_id)
    member.kind, member.severity = change.kind, change.severity
    member.title, member.summary = change.title[:500], change.summary
    member.url, member.labels, member.at = change.url[:500], labels, change.at
    member.dirty = True
    member.save()
    previous = group.flush_at
    group.flush_at = timing.due_after_change(
        now=timezone.now(),
        flush_at=group.flush_at,
        last_flushed_at=group.last_flushed_at,
        group_wait=dt.timedelta(seconds=route.group_wait_seconds),
        group_interval=dt.timedelta(seconds=route.group_interval_seconds),
    )
    group.save(update_fields=["flush_at", "updated_at"])
    if group.flush_at is not None and group.flush_at != previous:
        due = group.flush_at
        transaction.on_commit(lambda: _wake_flush(due))


def _wake_flush(due: dt.datetime) -> None:
    """Ask a worker to flush when the group is due, instead of at the next periodic tick (the
    tick stays: it is what flushes if this task is lost). Once per new deadline, not per problem:
    a thousand problems joining one group wake it once."""
    from openmsp.notifications import jobs

    try:
        jobs.flush.using(run_after=due if due > timezone.now() else None).enqueue()
    except Exception:  # the periodic tick still flushes it
        log.warning("could not enqueue an early flush", exc_info=True)


def schedule_escalations(change: ProblemChange, routes: Sequence[Route]) -> None:
    rows = [
        PendingEscalation(
            client_id=change.client_id,
            problem_id=change.problem_id,
            step=step,
            due_at=change.at + dt.timedelta(minutes=step.after_minutes),
            title=change.title[:500],
            severity=change.severity,
            summary=change.summary,
            url=change.url[:500],
        )
        for route in routes
        for step in route.steps.all()
    ]
    if change.kind == "reopened":  # a new episode climbs the ladder again
        PendingEscalation.objects.filter(problem_id=change.problem_id).exclude(
            state=PendingEscalation.State.SCHEDULED
        ).delete()
    # Once per (problem, step): a repeated "firing" does not restart the ladder.
    PendingEscalation.objects.bulk_create(rows, ignore_conflicts=True)


def cancel_escalations(problem_id: int) -> int:
    return PendingEscalation.objects.filter(
        problem_id=problem_id, state=PendingEscalation.State.SCHEDULED
    ).update(state=PendingEscalation.State.CANCELLED)
