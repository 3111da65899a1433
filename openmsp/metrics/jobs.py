"""Periodic work on the time series: rollups every minute, partitions and retention hourly."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django_tasks import task

from openmsp.metrics import rollups, storage


def periodic_task(fn: Callable[..., Any]) -> Any:
    """django_tasks' @task() (untyped to mypy), typed at one place."""
    return task()(fn)


@periodic_task
def compute_rollups() -> dict[str, int]:
    return rollups.run()


@periodic_task
def maintain_storage() -> dict[str, object]:
    report = storage.maintain()
    return {
        "created": report.created,
        "dropped": report.dropped,
        "deleted_rows": report.deleted_rows,
    }
