import datetime as dt

from django.apps import AppConfig


class InterfacesConfig(AppConfig):
    name = "openmsp.interfaces"
    label = "interfaces"

    def ready(self) -> None:
        from django.conf import settings

        from openmsp.core import retention
        from openmsp.interfaces.models import InterfaceRun

        retention.register(
            retention.Rule(
                "interface_runs",
                lambda: settings.OPENMSP_RETENTION_INTERFACE_RUNS_DAYS,
                lambda cutoff: InterfaceRun.objects.filter(started_at__lt=cutoff),
            )
        )

        from openmsp.core.scheduler import Periodic, register

        # A late batch is noticed within this period of its deadline.
        register(
            Periodic(
                "interfaces.evaluate_due",
                "openmsp.interfaces.jobs:evaluate_due",
                every=dt.timedelta(seconds=30),
            )
        )
