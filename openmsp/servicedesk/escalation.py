"""SLA warnings and the escalation ladder: the job that fires what is due, exactly once.

Due instants come from `clocks.recompute` (the earliest pending one per ticket in the indexed
`sla_action_due` column), so a run reads only the tickets that have something due. Each ticket is
taken with `SELECT … FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite has one writer) in its own
transaction, and each warning/step inserts its `SlaFiring` row first: the unique constraint
(ticket, clock, cycle, key) makes a second scheduler's or a repeated run's attempt a no-op.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from openmsp.core import audit
from openmsp.core.actor import Actor
from openmsp.core.errors import OpenMSPError
from openmsp.integrations.base import Item, Notification
from openmsp.notifications.dispatch import fan_out, people_by_language
from openmsp.notifications.models import OutboxMessage
from openmsp.servicedesk import actions, clocks, hooks
from openmsp.servicedesk.models import SlaFiring, SlaStep, Ticket, TicketEvent

if TYPE_CHECKING:
    from openmsp.accounts.models import User

log = logging.getLogger("openmsp.servicedesk")
BATCH = 500
SLA_ACTOR = Actor.system("sla")
RAISED = {"P4": "P3", "P3": "P2", "P2": "P1"}
CLOCK_LABELS = {
    "first_response": "first response",
    "next_response": "next response",
    "resolution": "resolution",
}


def due_ticket_ids(now: dt.datetime) -> list[int]:
    qs = Ticket.objects.filter(sla_action_due__lte=now).order_by("sla_action_due")
    return list(qs.values_list("pk", flat=True)[:BATCH])


def run(now: dt.datetime | None = None) -> int:
    """Fire every due warning and ladder step; returns how many fired in this run."""
    now = now or timezone.now()
    fired = 0
    for pk in due_ticket_ids(now):
        with transaction.atomic():
            qs = Ticket.objects.filter(pk=pk, sla_action_due__lte=now)
            if connection.features.has_select_for_update_skip_locked:
                qs = qs.select_for_update(skip_locked=True, of=("self",))
            ticket = qs.select_related("client", "status", "category").first()
            if ticket is None:  # another scheduler holds it, or it is no longer due
                continue
            fired += _fire_due(ticket, now)
    return fired


def _fire_due(ticket: Ticket, now: dt.datetime) -> int:
    _why, results, row = clocks.evaluate(ticket, now)
    fired = 0
    for p in clocks.pending_actions(ticket.pk, results, row):
        if p.at > now:
            break
        try:
            with transaction.atomic():
                firing = SlaFiring.objects.create(
                    client_id=ticket.client_id,
                    ticket=ticket,
                    clock=p.clock,
                    cycle=p.cycle,
                    key=p.key,
                    at=p.at,
                )
        except IntegrityError:  # fired already (a concurrent run on a database without locks)
            continue
        outcome = _perform(ticket, p, now)
        firing.outcome = outcome[:300]
        firing.save(update_fields=["outcome", "updated_at"])
        fired += 1
    clocks.recompute(Ticket.objects.select_related("client", "category").get(pk=ticket.pk), now)
    return fired


def _perform(ticket: Ticket, p: clocks.Pending, now: dt.datetime) -> str:
    step = p.step
    try:
        if step is None:
            outcome = _notify(ticket, p, None)
        elif step.action == SlaStep.Action.NOTIFY:
            outcome = _notify(ticket, p, step)
        elif step.action == SlaStep.Action.REASSIGN:
            outcome = _reassign(ticket, step)
        elif step.action == SlaStep.Action.RAISE_PRIORITY:
            outcome = _raise(ticket)
        else:
            outcome = hooks.page_oncall(ticket, p.clock, step)
    except OpenMSPError as exc:  # e.g. the reassignment target no longer works for the client
        outcome = f"failed: {exc.message}"
    kind = TicketEvent.Kind.SLA_WARNING if step is None else TicketEvent.Kind.SLA_STEP
    data = {"clock": p.clock, "cycle": p.cycle, "due": p.at.isoformat(), "outcome": outcome}
    if step is not None:
        data.update(step=step.pk, action=step.action, offset_minutes=step.offset_minutes)
    TicketEvent.objects.create(
        client_id=ticket.client_id,
        ticket=ticket,
        kind=kind,
        at=now,
        actor_label=SLA_ACTOR.label,
        data=data,
    )
    audit.record(actor=SLA_ACTOR, action=f"ticket.{kind}", obj=ticket, after=data)
    return outcome


def _recipients(ticket: Ticket, step: SlaStep | None) -> list[User]:
    if step is not None and step.user is not None:
        return [step.user]
    if ticket.assignee is not None:
        return [ticket.assignee]
    if ticket.team is not None:
        return list(ticket.team.members.all())
    return []


def _notify(ticket: Ticket, p: clocks.Pending, step: SlaStep | None) -> str:
    people = _recipients(ticket, step)
    emails = sorted(e for group in people_by_language(people).values() for e in group)
    if not emails:
        return "nobody to notify (no assignee or team)"
    what = "warning" if step is None else f"escalation {step.offset_minutes:+d} min"
    clock = CLOCK_LABELS.get(p.clock, p.clock)
    subject = (
        f"[SLA {what}] {ticket.number} {ticket.subject} · {clock} due {p.at:%Y-%m-%d %H:%M} UTC"
    )
    item = Item(
        problem_id=0,
        kind="escalated",
        severity="warning" if step is None else "critical",
        title=f"{ticket.number}: {clock} {'warning' if step is None else 'escalation'}",
        summary=ticket.subject,
        at=p.at,
        url=f"/tickets/{ticket.pk}/",
    )
    notification = Notification(
        idempotency_key=f"sla:{ticket.pk}:{p.clock}:{p.cycle}:{p.key}",
        client_id=ticket.client_id,
        client_name=ticket.client.name,
        subject=subject[:500],
        status="escalated",
        items=(item,),
    )
    fan_out(
        notification,
        channels=[],
        people=people,
        origin=OutboxMessage.Origin.ESCALATION,
        route=None,
        language=ticket.client.language,
        subject=lambda: subject[:500],
    )
    return f"notified {', '.join(emails)}"


def _reassign(ticket: Ticket, step: SlaStep) -> str:
    team = step.team if step.team is not None and step.team.client_id == ticket.client_id else None
    if step.user is None and team is None:
        return "not reassigned: the step names no user or team of this client"
    actions.assign(
        actor=SLA_ACTOR,
        ticket=ticket,
        assignee=step.user if step.user is not None else None,
        team=team if team is not None else False,
    )
    target = step.user.email if step.user is not None else f"team {team}"
    return f"reassigned to {target}"


def _raise(ticket: Ticket) -> str:
    current = Ticket.objects.only("priority").get(pk=ticket.pk).priority
    raised = RAISED.get(current)
    if raised is None:
        return f"priority stays {current}"
    actions.change_priority(actor=SLA_ACTOR, ticket=ticket, priority=raised)
    return f"priority {current} -> {raised}"
