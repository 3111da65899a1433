"""The periodic work that turns groups and escalations into outbox messages.

Both find their work with one indexed query on a deadline column and claim it so that several
schedulers/workers never produce a message twice: a group by a conditional UPDATE of its
`flush_at`, escalation steps by `FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite has one writer) and
an UPDATE of their state, inside the transaction that writes their messages.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace

from django.db import connection, transaction
from django.utils import timezone

from openmsp.accounts.models import User
from openmsp.integrations.base import Item, Notification
from openmsp.notifications import content, outbox, timing
from openmsp.notifications.models import (
    Channel,
    EscalationStep,
    GroupMember,
    NotificationGroup,
    OutboxMessage,
    PendingEscalation,
    Route,
)
from openmsp.oncall.models import Schedule
from openmsp.tenants.models import Client

FLUSH_BATCH = 200
ESCALATION_BATCH = 1000


def _item(m: GroupMember | PendingEscalation, kind: str) -> Item:
    labels = m.labels if isinstance(m, GroupMember) else {}
    return Item(
        problem_id=m.problem_id,
        kind=kind,
        severity=m.severity,
        title=m.title,
        summary=m.summary,
        at=m.at if isinstance(m, GroupMember) else m.due_at,
        url=m.url,
        labels=labels,
    )


def people_emails(users: Iterable[User]) -> list[str]:
    return sorted({u.email for u in users if u.is_active and u.is_msp_staff})


def on_call_people(schedules: Iterable[Schedule], at: dt.datetime) -> list[User]:
    """Whoever is on call in each schedule at *at* (the send time, not the time it was set)."""
    from openmsp.oncall import build

    return [e.user for s in schedules if (e := build.on_call(s, at)).user is not None]


def recipients_of(target: Route | EscalationStep, at: dt.datetime) -> list[str]:
    people = [*target.people.all(), *on_call_people(target.oncall_schedules.all(), at)]
    return people_emails(people)


def fan_out(
    notification: Notification,
    *,
    channels: Sequence[Channel],
    emails: Sequence[str],
    origin: str,
    route: Route | None,
) -> list[OutboxMessage]:
    """One outbox message per enabled channel, plus one mail to the people named."""
    base = notification.idempotency_key
    out = []
    for channel in channels:
        if channel.enabled:
            keyed = replace(notification, idempotency_key=f"{base}:c{channel.pk}")
            out.append(
                outbox.enqueue(notification=keyed, channel=channel, origin=origin, route=route)
            )
    if emails:
        keyed = replace(notification, idempotency_key=f"{base}:people", recipients=tuple(emails))
        out.append(outbox.enqueue(notification=keyed, channel=None, origin=origin, route=route))
    return out


# --- Groups ------------------------------------------------------------------------------------


def flush_due_groups(now: dt.datetime | None = None) -> int:
    """Send every due group's message; the number of groups flushed."""
    now = now or timezone.now()
    due = NotificationGroup.objects.filter(flush_at__lte=now).order_by("flush_at")
    flushed = 0
    for pk, flush_at in due.values_list("pk", "flush_at")[:FLUSH_BATCH]:
        with transaction.atomic():
            if not NotificationGroup.objects.filter(pk=pk, flush_at=flush_at).update(flush_at=None):
                continue  # another scheduler's worker took it
            group = NotificationGroup.objects.select_related("route", "client").get(pk=pk)
            flush_group(group, now)
            flushed += 1
    return flushed


def flush_group(group: NotificationGroup, now: dt.datetime) -> list[OutboxMessage]:
    route = group.route
    members = list(group.members.order_by("problem_id"))
    dirty = [m for m in members if m.dirty]
    still_open = [m for m in members if m.kind != "resolved"]
    repeat_due = group.last_flushed_at is None or now >= group.last_flushed_at + dt.timedelta(
        seconds=route.repeat_interval_seconds
    )
    told = members if dirty else (still_open if repeat_due else [])
    messages: list[OutboxMessage] = []
    if told:
        messages = _send_group(group, route, told, now)
        group.flushes += 1
        group.last_flushed_at = now
        GroupMember.objects.filter(pk__in=[m.pk for m in told]).update(dirty=False, told=True)
        GroupMember.objects.filter(pk__in=[m.pk for m in told if m.kind == "resolved"]).delete()
    group.flush_at = timing.due_after_flush(
        now=group.last_flushed_at or now,
        still_open=bool(still_open),
        repeat_interval=dt.timedelta(seconds=route.repeat_interval_seconds),
    )
    group.save(update_fields=["flushes", "last_flushed_at", "flush_at", "updated_at"])
    return messages


def _send_group(
    group: NotificationGroup, route: Route, members: Sequence[GroupMember], now: dt.datetime
) -> list[OutboxMessage]:
    items = [_item(m, m.kind) for m in members]
    notification = Notification(
        idempotency_key=f"group:{group.pk}:{group.flushes + 1}",
        client_id=group.client_id,
        client_name=group.client.name,
        subject=content.subject_for(
            client_name=group.client.name, route=route.name, items=items, group_labels=group.labels
        ),
        status=content.overall_status(i.kind for i in items),
        items=tuple(items),
        route=route.name,
    )
    return fan_out(
        notification,
        channels=list(route.channels.all()),
        emails=recipients_of(route, now),
        origin=OutboxMessage.Origin.GROUP,
        route=route,
    )


# --- Escalations -------------------------------------------------------------------------------


def escalate_due(now: dt.datetime | None = None) -> int:
    """Send every due escalation step once: one message per (route step, channel) listing all
    its problems due in this run. The number of steps sent."""
    now = now or timezone.now()
    with transaction.atomic():
        qs = PendingEscalation.objects.filter(
            state=PendingEscalation.State.SCHEDULED, due_at__lte=now
        ).order_by("due_at")
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        rows = list(qs[:ESCALATION_BATCH])
        if not rows:
            return 0
        PendingEscalation.objects.filter(pk__in=[r.pk for r in rows]).update(
            state=PendingEscalation.State.SENT
        )
        by_step: dict[int, list[PendingEscalation]] = defaultdict(list)
        for row in rows:
            by_step[row.step_id].append(row)
        steps = EscalationStep.objects.select_related("route", "route__client").in_bulk(by_step)
        for step_id, pending in by_step.items():
            _send_step(steps[step_id], pending, now)
    return len(rows)


def _send_step(
    step: EscalationStep, pending: Sequence[PendingEscalation], now: dt.datetime
) -> None:
    route = step.route
    client: Client = route.client
    items = [_item(p, "escalated") for p in pending]
    first = min(p.pk for p in pending)
    notification = Notification(
        idempotency_key=f"escalation:{step.pk}:{first}:{len(pending)}",
        client_id=client.pk,
        client_name=client.name,
        subject=(
            f"[ESCALATION {step.number}:{len(items)}] {client.name} · {route.name} · "
            f"unacknowledged for {step.after_minutes} min"
        )[:500],
        status="escalated",
        items=tuple(items),
        route=route.name,
        escalation_step=step.number,
    )
    fan_out(
        notification,
        channels=list(step.channels.all()),
        emails=recipients_of(step, now),
        origin=OutboxMessage.Origin.ESCALATION,
        route=route,
    )
