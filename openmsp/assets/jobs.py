"""Periodic work on assets: offline detection (every 15 s)."""

from __future__ import annotations

from openmsp.assets import actions
from openmsp.core.jobs import periodic_task


@periodic_task
def detect_offline() -> int:
    return len(actions.detect_offline())
