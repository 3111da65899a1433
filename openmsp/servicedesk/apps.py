import datetime as dt

from django.apps import AppConfig


class ServicedeskConfig(AppConfig):
    name = "openmsp.servicedesk"
    label = "servicedesk"

    def ready(self) -> None:
        from django.conf import settings

        from openmsp.core.scheduler import Periodic, register
        from openmsp.servicedesk import jobs
        from openmsp.tenants import hooks

        hooks.on_terms_changed(jobs.terms_changed)  # contract or calendar edits: clocks recompute
        register(
            Periodic(
                "servicedesk.sla_deadlines",
                "openmsp.servicedesk.jobs:sla_deadlines",
                every=dt.timedelta(seconds=30),
            )
        )
        register(
            Periodic(
                "servicedesk.sla_escalations",
                "openmsp.servicedesk.jobs:sla_escalations",
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
        register(
            Periodic(
                "servicedesk.poll_mailboxes",
                "openmsp.servicedesk.jobs:poll_mailboxes",
                every=dt.timedelta(seconds=settings.OPENMSP_MAIL_POLL_SECONDS),
            )
        )
