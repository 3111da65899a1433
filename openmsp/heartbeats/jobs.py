"""Periodic work on heartbeats: late detection (every 15 s)."""

from __future__ import annotations

from openmsp.core.jobs import periodic_task
from openmsp.heartbeats import ping_actions


@periodic_task
def detect_late() -> int:
    return len(ping_actions.detect_late())
