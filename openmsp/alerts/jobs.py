"""Periodic work on problems (every 15 s): expired acknowledgements fire again; pending problems
that recovered before their hold-down completed resolve. Both walk an indexed deadline."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django_tasks import task

from openmsp.alerts import actions


def periodic_task(fn: Callable[..., Any]) -> Any:
    """django_tasks' @task() (untyped to mypy), typed at one place."""
    return task()(fn)


@periodic_task
def problem_deadlines() -> int:
    return len(actions.expire_acknowledgements()) + len(actions.resolve_recovered_pending())
