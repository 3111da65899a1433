"""`openmsp audit verify` and `openmsp audit purge`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from openmsp.core import audit


class Command(BaseCommand):
    help = "Verify the audit log's hash chain, or purge records past retention."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="Walk the chain; exit 1 at the first broken link.")
        purge = sub.add_parser("purge", help="Remove records older than the retention period.")
        purge.add_argument("--days", type=int, default=settings.OPENMSP_AUDIT_RETENTION_DAYS)

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "verify":
            result = audit.verify()
            if not result.ok:
                raise CommandError(
                    f"Audit chain BROKEN at record #{result.broken_seq}: {result.reason} "
                    f"({result.checked} records verified before it)."
                )
            self.stdout.write(f"Audit chain intact: {result.checked} records verified.")
            return
        days = opts["days"]
        if days < settings.OPENMSP_AUDIT_RETENTION_DAYS:
            raise CommandError(
                f"--days {days} is below the configured retention of "
                f"{settings.OPENMSP_AUDIT_RETENTION_DAYS} days (OPENMSP_AUDIT_RETENTION_DAYS)."
            )
        removed = audit.purge_older_than(timezone.now() - dt.timedelta(days=days))
        self.stdout.write(f"Removed {removed} audit records older than {days} days.")
