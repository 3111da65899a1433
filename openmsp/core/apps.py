from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "openmsp.core"
    label = "core"
    verbose_name = "OpenMSP core"
