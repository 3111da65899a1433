"""Periodic work on heartbeats: late detection (every 15 s)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django_tasks import task

from openmsp.heartbeats import ping_actions


def periodic_task(fn: Callable[..., Any]) -> Any:
    """django_tasks' @task() (untyped to mypy), typed at one place."""
    return task()(fn)


@periodic_task
def detect_late() -> int:
    return len(ping_actions.detect_late())
