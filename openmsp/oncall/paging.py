"""Paging the on-call person directly, outside the problem routes: a new P1 ticket, and an SLA
ladder step whose action is "page on-call" (registered with openmsp.servicedesk.hooks).

Both page whoever is on call now in the schedule OPENMSP_ONCALL_P1_SCHEDULE names (the desk's
on-call schedule; a client's own schedule of that name wins for its tickets).

The page is an outbox message (mail to the person), written in the ticket's transaction, so it
is sent exactly when the ticket exists and retried like every other notification.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from openmsp.oncall import build
from openmsp.oncall.models import Schedule

if TYPE_CHECKING:
    from openmsp.notifications.models import OutboxMessage
    from openmsp.servicedesk.models import SlaStep, Ticket

log = logging.getLogger(__name__)


def p1_schedule(client_id: int) -> Schedule | None:
    name = settings.OPENMSP_ONCALL_P1_SCHEDULE
    if not name:
        return None
    found = Schedule.objects.filter(Q(client__isnull=True) | Q(client_id=client_id), name=name)
    return found.first()


def page_for_ticket(ticket: Ticket) -> OutboxMessage | None:
    if ticket.priority != "P1":
        return None
    return _page(
        ticket,
        key=f"p1-ticket:{ticket.pk}",
        subject=f"[P1] {ticket.client.name} · {ticket.number} {ticket.subject}",
        why="A P1 ticket was opened; you are on call in '{schedule}'.",
    )[0]


def page_for_sla_step(ticket: Ticket, clock: str, step: SlaStep) -> str:
    """The "page on-call" rung of an SLA ladder; says what it did (kept on the ticket's history).
    The escalation job fires each step once per clock run, so each call is a new page."""
    _message, outcome = _page(
        ticket,
        key=f"sla-step:{ticket.pk}:{clock}:{step.pk}:{timezone.now().isoformat()}",
        subject=f"[SLA] {ticket.client.name} · {ticket.number} {ticket.subject}",
        why=f"The {clock.replace('_', ' ')} clock reached its escalation step at"
        f" {step.offset_minutes:+d} min; you are on call in '{{schedule}}'.",
    )
    return outcome


def _page(ticket: Ticket, *, key: str, subject: str, why: str) -> tuple[OutboxMessage | None, str]:
    from openmsp.integrations.base import Item, Notification
    from openmsp.notifications import outbox
    from openmsp.notifications.models import OutboxMessage

    schedule = p1_schedule(ticket.client_id)
    if schedule is None:
        if settings.OPENMSP_ONCALL_P1_SCHEDULE:
            log.warning("on-call paging: no schedule %r for client %s",
                        settings.OPENMSP_ONCALL_P1_SCHEDULE, ticket.client_id)  # fmt: skip
            return None, f"not paged: no schedule '{settings.OPENMSP_ONCALL_P1_SCHEDULE}'"
        return None, "not paged: OPENMSP_ONCALL_P1_SCHEDULE names no schedule"
    now = timezone.now()
    who = build.on_call(schedule, now).user
    if who is None or not (who.is_active and who.is_msp_staff):
        log.warning(
            "on-call paging: nobody on call in %r for ticket %s", schedule.name, ticket.number
        )
        return None, f"not paged: nobody on call in '{schedule.name}'"
    client = ticket.client
    url = settings.SITE_URL + reverse("ticket_detail", args=[ticket.pk])
    item = Item(
        problem_id=0,
        kind="firing",
        severity="critical",
        title=f"{ticket.number} {ticket.subject}",
        summary=why.replace("{schedule}", schedule.name),
        at=now,
        url=url,
    )
    notification = Notification(
        idempotency_key=key,
        client_id=client.pk,
        client_name=client.name,
        subject=subject[:500],
        status="firing",
        items=(item,),
        recipients=(who.email,),
    )
    message = outbox.enqueue(
        notification=notification, channel=None, origin=OutboxMessage.Origin.PAGE
    )
    return message, f"paged {who.email} (on call in '{schedule.name}')"
