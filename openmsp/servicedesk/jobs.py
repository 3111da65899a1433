"""Periodic service-desk work: the SLA deadline job and the CSAT survey mailer (every 30 s), and
mailbox polling (every OPENMSP_MAIL_POLL_SECONDS), see apps.py."""

from __future__ import annotations

from openmsp.core.jobs import periodic_task
from openmsp.servicedesk import clocks, csat, mail_in


@periodic_task
def sla_deadlines() -> int:
    return clocks.run_deadlines()


@periodic_task
def csat_send() -> int:
    return csat.send_due()


@periodic_task
def poll_mailboxes() -> int:
    """New mail of every enabled mailbox; safe when two runs overlap (see mail_in)."""
    return mail_in.poll_all()
