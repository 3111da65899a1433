"""Periodic work on the time series: rollups every minute, partitions and retention hourly."""

from __future__ import annotations

from openmsp.core.jobs import periodic_task
from openmsp.metrics import rollups, storage


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
