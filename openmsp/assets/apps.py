import datetime as dt

from django.apps import AppConfig


class AssetsConfig(AppConfig):
    name = "openmsp.assets"
    label = "assets"

    def ready(self) -> None:
        from openmsp.core.scheduler import Periodic, register

        register(
            Periodic(
                "assets.detect_offline",
                "openmsp.assets.jobs:detect_offline",
                every=dt.timedelta(seconds=15),
            )
        )
