"""Periodic service-desk work: the SLA deadline job (every 30 s, see apps.py)."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from openmsp.servicedesk import clocks


def _task(fn: Any) -> Any:
    return task()(fn)


@_task
def sla_deadlines() -> int:
    return clocks.run_deadlines()
