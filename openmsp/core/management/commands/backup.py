"""`openmsp backup --output FILE`: database snapshot and stored files in one archive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from openmsp.core import backup
from openmsp.core.actor import Actor


class Command(BaseCommand):
    help = "Write one archive (tar.gz) with a consistent snapshot of the database and stored files."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", required=True, type=Path, help="archive file to write")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            result = backup.create(opts["output"], actor=Actor.system("cli"))
        except backup.BackupError as exc:
            raise CommandError(str(exc)) from None
        m = result.manifest
        head = m["audit_head"]["last_seq"] if m["audit_head"] else 0
        self.stdout.write(
            f"Backup written: {result.path} ({result.size:,} bytes, {m['engine']}, "
            f"database {m['database']['size']:,} bytes, {len(m['files'])} files, "
            f"audit records up to #{head}) in {result.seconds:.1f} s."
        )
