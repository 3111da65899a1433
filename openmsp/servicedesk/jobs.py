"""Periodic service-desk work: the SLA deadline job (every 30 s, see apps.py)."""

from __future__ import annotations

from openmsp.core.jobs import periodic_task
from openmsp.servicedesk import clocks


@periodic_task
def sla_deadlines() -> int:
    return clocks.run_deadlines()
