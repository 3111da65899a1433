import datetime as dt
from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


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
        post_migrate.connect(_search_indexes, sender=self)


def _search_indexes(using: str = "default", **kwargs: Any) -> None:
    """SQLite: the FTS5 tables behind ticket search (PostgreSQL's are in migration 0006)."""
    from django.db import connections

    from openmsp.core import textsearch
    from openmsp.servicedesk.queries import TICKET_ENTRY_TEXT, TICKET_TEXT

    textsearch.ensure_sqlite_indexes(connections[using], [TICKET_TEXT, TICKET_ENTRY_TEXT])
