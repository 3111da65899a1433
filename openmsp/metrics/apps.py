from django.apps import AppConfig


class MetricsConfig(AppConfig):
    name = "openmsp.metrics"
    label = "metrics"
