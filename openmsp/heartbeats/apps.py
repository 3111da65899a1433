import datetime as dt

from django.apps import AppConfig


class HeartbeatsConfig(AppConfig):
    name = "openmsp.heartbeats"
    label = "heartbeats"

    def ready(self) -> None:
        from openmsp.core.scheduler import Periodic, register

        # Lateness is found within this period of its deadline (plus the worker's pick-up time).
        register(
            Periodic(
                "heartbeats.detect_late",
                "openmsp.heartbeats.jobs:detect_late",
                every=dt.timedelta(seconds=15),
            )
        )
