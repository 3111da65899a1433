from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "openmsp.monitoring"
    label = "monitoring"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        from openmsp.core import metrics_endpoint
        from openmsp.monitoring import metrics

        metrics_endpoint.register("monitoring", metrics.collect)
