import datetime as dt
from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class MetricsConfig(AppConfig):
    name = "openmsp.metrics"
    label = "metrics"

    def ready(self) -> None:
        from openmsp.core.scheduler import Periodic, register

        register(
            Periodic(
                "metrics.rollups",
                "openmsp.metrics.jobs:compute_rollups",
                every=dt.timedelta(minutes=1),
            )
        )
        register(
            Periodic("metrics.storage", "openmsp.metrics.jobs:maintain_storage", cron="7 * * * *")
        )
        post_migrate.connect(_prepare_storage, sender=self)


def _prepare_storage(using: str = "default", **kwargs: Any) -> None:
    """Partitions for today and the days ahead must exist before the first batch arrives."""
    from django.db import connections

    from openmsp.metrics import storage

    if (
        connections[using].vendor == "postgresql"
        and "metrics_sample" in connections[using].introspection.table_names()
    ):
        storage.maintain()
