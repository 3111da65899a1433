from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "openmsp.core"
    label = "core"
    verbose_name = "OpenMSP core"

    def ready(self) -> None:
        from openmsp.core import checks  # noqa: F401  (registers the system checks)
