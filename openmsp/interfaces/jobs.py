"""Periodic work on interfaces: the clock rules (batch_late, traffic_missing) of due interfaces."""

from __future__ import annotations

from openmsp.core.jobs import periodic_task
from openmsp.interfaces import evaluation


@periodic_task
def evaluate_due() -> int:
    return len(evaluation.evaluate_due())
