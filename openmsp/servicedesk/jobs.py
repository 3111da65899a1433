"""Periodic service-desk work (every 30 s, see apps.py): the SLA deadline job, the SLA
escalation job that fires due warnings and ladder steps, and the CSAT survey mailer."""

from __future__ import annotations

from openmsp.core.jobs import periodic_task
from openmsp.servicedesk import clocks, csat, escalation


@periodic_task
def sla_deadlines() -> int:
    return clocks.run_deadlines()


@periodic_task
def sla_escalations() -> int:
    return escalation.run()


@periodic_task
def csat_send() -> int:
    return csat.send_due()
