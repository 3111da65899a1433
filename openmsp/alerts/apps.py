import datetime as dt

from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "openmsp.alerts"
    label = "alerts"

    def ready(self) -> None:
        from openmsp.alerts import (
            cards,  # noqa: F401  (registers the dashboard card)
            observe,
        )
        from openmsp.core import spine
        from openmsp.core.scheduler import Periodic, register

        spine.register_observation_sink(observe.sink, batch=observe.batch_sink)
        register(
            Periodic(
                "alerts.deadlines",
                "openmsp.alerts.jobs:problem_deadlines",
                every=dt.timedelta(seconds=15),
            )
        )
