import datetime as dt

from django.apps import AppConfig


class InterfacesConfig(AppConfig):
    name = "openmsp.interfaces"
    label = "interfaces"

    def ready(self) -> None:
        from openmsp.core.scheduler import Periodic, register

        # A late batch is noticed within this period of its deadline.
        register(
            Periodic(
                "interfaces.evaluate_due",
                "openmsp.interfaces.jobs:evaluate_due",
                every=dt.timedelta(seconds=30),
            )
        )
