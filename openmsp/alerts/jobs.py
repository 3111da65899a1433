"""Periodic work on problems (every 15 s): expired acknowledgements fire again; pending problems
that recovered before their hold-down completed resolve. Both walk an indexed deadline."""

from __future__ import annotations

from openmsp.alerts import actions
from openmsp.core.jobs import periodic_task


@periodic_task
def problem_deadlines() -> int:
    return len(actions.expire_acknowledgements()) + len(actions.resolve_recovered_pending())
