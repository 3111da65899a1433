"""`openmsp restore --input FILE [--force] | --verify-only`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from openmsp.core import restore
from openmsp.core.actor import Actor
from openmsp.core.backup import BackupError


class Command(BaseCommand):
    help = "Restore an `openmsp backup` archive into an empty installation, then verify it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--input", required=True, type=Path, help="archive to restore")
        parser.add_argument(
            "--force", action="store_true", help="replace a database that already holds data"
        )
        parser.add_argument(
            "--verify-only",
            action="store_true",
            help="check the archive against its manifest and stop; touches nothing",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            if opts["verify_only"]:
                self._verify_only(opts["input"])
                return
            result = restore.restore(
                opts["input"], actor=Actor.system("cli"), force=opts["force"], say=self.stdout.write
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        for note in result.notes:
            self.stdout.write(f"Note: {note}")
        counts = ", ".join(f"{n} {label}" for label, n in result.counts.items())
        self.stdout.write(f"Restored: {counts}.")
        self._report(result)

    def _verify_only(self, path: Path) -> None:
        m = restore.read_archive(path.expanduser().resolve())
        head = m["audit_head"]["last_seq"] if m["audit_head"] else 0
        self.stdout.write(
            f"Archive intact: {m['engine']} database and {len(m['files'])} files match the "
            f"manifest (OpenMSP {m['openmsp_version']}, made {m['created_at']}, audit records "
            f"up to #{head})."
        )

    def _report(self, result: restore.RestoreResult) -> None:
        problems = []
        if result.audit is not None and result.audit.ok:
            self.stdout.write(f"Audit chain intact: {result.audit.checked} records verified.")
        elif result.audit is not None:
            problems.append(
                f"audit chain BROKEN at record #{result.audit.broken_seq}: {result.audit.reason}"
            )
        if not result.head_matches:
            problems.append("the audit chain's head differs from the one the backup recorded")
        if result.missing_attachments:
            problems.append(
                f"{len(result.missing_attachments)} attachment files are missing, e.g. "
                f"{result.missing_attachments[0]}"
            )
        if problems:
            raise CommandError("Restored, but verification FAILED: " + "; ".join(problems) + ".")
