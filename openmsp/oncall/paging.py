"""Paging the on-call person directly, outside the problem routes: a new P1 ticket.

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
    from openmsp.servicedesk.models import Ticket

log = logging.getLogger(__name__)


def p1_schedule(client_id: int) -> Schedule | None:
    name = settings.OPENMSP_ONCALL_P1_SCHEDULE
    if not name:
        return None
    found = Schedule.objects.filter(Q(client__isnull=True) | Q(client_id=client_id), name=name)
    return found.first()


def page_for_ticket(ticket: Ticket) -> OutboxMessage | None:
    from openmsp.integrations.base import Item, Notification
    from openmsp.notifications import outbox
    from openmsp.notifications.models import OutboxMessage

    if ticket.priority != "P1":
        return None
    schedule = p1_schedule(ticket.client_id)
    if schedule is None:
        if settings.OPENMSP_ONCALL_P1_SCHEDULE:
            log.warning("P1 paging: no schedule %r for client %s",
                        settings.OPENMSP_ONCALL_P1_SCHEDULE, ticket.client_id)  # fmt: skip
        return None
    now = timezone.now()
    who = build.on_call(schedule, now).user
    if who is None or not (who.is_active and who.is_msp_staff):
        log.warning("P1 paging: nobody on call in %r for ticket %s", schedule.name, ticket.number)
        return None
    client = ticket.client
    url = settings.SITE_URL + reverse("ticket_detail", args=[ticket.pk])
    item = Item(
        problem_id=0,
        kind="firing",
        severity="critical",
        title=f"{ticket.number} {ticket.subject}",
        summary=f"A P1 ticket was opened; you are on call in '{schedule.name}'.",
        at=now,
        url=url,
    )
    notification = Notification(
        idempotency_key=f"p1-ticket:{ticket.pk}",
        client_id=client.pk,
        client_name=client.name,
        subject=f"[P1] {client.name} · {ticket.number} {ticket.subject}"[:500],
        status="firing",
        items=(item,),
        recipients=(who.email,),
    )
    return outbox.enqueue(notification=notification, channel=None, origin=OutboxMessage.Origin.PAGE)
