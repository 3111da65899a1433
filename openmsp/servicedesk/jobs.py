"""Periodic service-desk work: the SLA deadline job and the CSAT survey mailer (every 30 s, see
apps.py)."""

from __future__ import annotations

from openmsp.core.jobs import periodic_task
from openmsp.servicedesk import clocks, csat


@periodic_task
def sla_deadlines() -> int:
    return clocks.run_deadlines()


@periodic_task
def csat_send() -> int:
    return csat.send_due()
