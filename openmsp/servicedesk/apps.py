import datetime as dt

from django.apps import AppConfig


class ServicedeskConfig(AppConfig):
    name = "openmsp.servicedesk"
    label = "servicedesk"

    def ready(self) -> None:
        from openmsp.core.scheduler import Periodic, register

        register(
            Periodic(
                "servicedesk.sla_deadlines",
                "openmsp.servicedesk.jobs:sla_deadlines",
                every=dt.timedelta(seconds=30),
            )
        )
        register(
            Periodic(
                "servicedesk.csat_send",
                "openmsp.servicedesk.jobs:csat_send",
                every=dt.timedelta(seconds=30),
            )
        )
