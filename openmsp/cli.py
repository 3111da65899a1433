"""The `openmsp` command: a thin front to the management commands, with operator-friendly names.

openmsp serve        web + worker + scheduler + poller in one process group (single node)
openmsp web          the HTTP server only            openmsp worker     background tasks only
openmsp scheduler    periodic jobs only              openmsp poller     synthetic checks only
openmsp migrate      apply schema changes
openmsp createadmin  first MSP owner                 openmsp demo       idempotent demo data
openmsp check        configuration sanity            openmsp audit verify
openmsp token create --user EMAIL [--read-only] [--expires DAYS]
openmsp <any Django management command>
"""

from __future__ import annotations

import os
import sys

ALIASES = {"worker": "db_worker"}


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(__doc__.strip())
        if not args:
            sys.exit(2)
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openmsp.settings")
    from django.core.management import execute_from_command_line

    command = ALIASES.get(args[0], args[0])
    if command == "check":
        from openmsp.core import checks

        checks.SHOW_HINTS = True
        args = ["check", "--fail-level", "WARNING", "--database", "default", *args[1:]]
        command = "check"
    execute_from_command_line(["openmsp", command, *args[1:]])


if __name__ == "__main__":
    main()
