"""Periodic work on assets: offline detection (every 15 s)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django_tasks import task

from openmsp.assets import actions


def periodic_task(fn: Callable[..., Any]) -> Any:
    """django_tasks' @task() (untyped to mypy), typed at one place."""
    return task()(fn)


@periodic_task
def detect_offline() -> int:
    return len(actions.detect_offline())
