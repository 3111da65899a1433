from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "openmsp.core"
    label = "core"
    verbose_name = "OpenMSP core"

    def ready(self) -> None:
        from openmsp.core import (
            checks,  # noqa: F401  (registers the system checks)
            retention,
        )
        from openmsp.core.models import RateLimitHit

        # Windows are minutes long; a day-old count is dead weight (keys not used again).
        retention.register(
            retention.Rule(
                "rate_limit_hits",
                lambda: 1,
                lambda cutoff: RateLimitHit.objects.filter(at__lt=cutoff),
            )
        )
