from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "openmsp.monitoring"
    label = "monitoring"
    verbose_name = "Monitoring"
