from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "openmsp.monitoring"
    label = "monitoring"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        from django.conf import settings

        from openmsp.core import retention
        from openmsp.monitoring.models import CheckResult

        retention.register(
            retention.Rule(
                "check_results",
                lambda: settings.OPENMSP_RETENTION_CHECK_RESULTS_DAYS,
                lambda cutoff: CheckResult.objects.filter(at__lt=cutoff),
            )
        )

        from openmsp.agent_api import signals
        from openmsp.monitoring import agent_checks

        signals.check_results_received.connect(
            agent_checks.on_check_results, dispatch_uid="monitoring.agent_checks"
        )
        signals.check_config_provider = agent_checks.config_for

        from openmsp.core import metrics_endpoint
        from openmsp.monitoring import metrics

        metrics_endpoint.register("monitoring", metrics.collect)
