import datetime as dt

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "openmsp.notifications"
    label = "notifications"

    def ready(self) -> None:
        from django.conf import settings

        from openmsp.core import retention
        from openmsp.notifications.models import ChangeRecord, OutboxMessage

        finished = [OutboxMessage.Status.SENT, OutboxMessage.Status.FAILED]
        retention.register(
            retention.Rule(
                "notification_changes",
                lambda: settings.OPENMSP_RETENTION_NOTIFICATIONS_DAYS,
                lambda cutoff: ChangeRecord.objects.filter(at__lt=cutoff),
            )
        )
        retention.register(
            retention.Rule(
                "notification_outbox",
                lambda: settings.OPENMSP_RETENTION_NOTIFICATIONS_DAYS,
                lambda cutoff: OutboxMessage.objects.filter(
                    status__in=finished, created_at__lt=cutoff
                ),
            )
        )

        from openmsp.core import metrics_endpoint, spine
        from openmsp.core.scheduler import Periodic, register
        from openmsp.notifications import metrics
        from openmsp.notifications.sink import on_problem_change

        spine.register_problem_sink(on_problem_change)
        metrics_endpoint.register("notifications", metrics.collect)
        every = dt.timedelta(seconds=5)
        register(Periodic("notifications.flush", "openmsp.notifications.jobs:flush", every=every))
        register(
            Periodic("notifications.escalate", "openmsp.notifications.jobs:escalate", every=every)
        )
        register(
            Periodic("notifications.deliver", "openmsp.notifications.jobs:deliver", every=every)
        )
