"""Periodic service-desk work (see apps.py): every 30 s the SLA deadline job, the SLA escalation
job that fires due warnings and ladder steps, and the CSAT survey mailer; mailbox polling every
OPENMSP_MAIL_POLL_SECONDS."""

from __future__ import annotations

from django_tasks import task

from openmsp.core.jobs import periodic_task
from openmsp.servicedesk import clocks, csat, escalation, mail_in


@periodic_task
def sla_deadlines() -> int:
    return clocks.run_deadlines()


@periodic_task
def sla_escalations() -> int:
    return escalation.run()


@periodic_task
def csat_send() -> int:
    return csat.send_due()


@periodic_task
def poll_mailboxes() -> int:
    """New mail of every enabled mailbox; safe when two runs overlap (see mail_in)."""
    return mail_in.poll_all()


@task()
def recompute_open_tickets(client_id: int | None) -> int:
    """A contract, its SLA targets or a calendar changed: re-derive the open tickets' clocks
    (of that client; None: all) from their history, in the durable queue, not the request."""
    return clocks.recompute_open(client_id)


def terms_changed(client_id: int | None) -> None:
    """Listener of openmsp.tenants.hooks (registered in apps.py)."""
    recompute_open_tickets.enqueue(client_id)
