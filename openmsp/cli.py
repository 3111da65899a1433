"""The `openmsp` command: a thin front to the management commands, with operator-friendly names.

openmsp serve        web + worker + scheduler + poller in one process group (single node)
openmsp web          the HTTP server only            openmsp worker     background tasks only
openmsp scheduler    periodic jobs only              openmsp poller     synthetic checks only
openmsp mail-listener  the service desk's SMTP/LMTP listener (OPENMSP_MAIL_LISTENER)
openmsp migrate      apply schema changes
openmsp createadmin  first MSP owner                 openmsp demo       idempotent demo data
openmsp check        configuration sanity            openmsp audit verify
openmsp token create --user EMAIL [--read-only] [--expires DAYS]
openmsp backup --output FILE                       database + stored files, one archive
openmsp restore --input FILE [--force|--verify-only]   into an empty installation
openmsp <any Django management command>
"""

from __future__ import annotations

import os
import sys

ALIASES = {"mail-listener": "mail_listener"}


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(__doc__.strip())
        if not args:
            sys.exit(2)
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "openmsp.settings")
    _load_settings_or_exit()
    from django.core.management import execute_from_command_line

    command = ALIASES.get(args[0], args[0])
    if command == "check":
        from openmsp.core import checks

        checks.SHOW_HINTS = True
        args = ["check", "--fail-level", "WARNING", "--database", "default", *args[1:]]
        command = "check"
    execute_from_command_line(["openmsp", command, *args[1:]])


def _load_settings_or_exit() -> None:
    """A bad environment variable is the operator's to fix: one sentence naming it, exit 2,
    instead of a traceback through Django's settings loader."""
    from django.conf import settings

    from openmsp.core.env import ConfigError

    try:
        settings.INSTALLED_APPS  # noqa: B018 - reading a setting imports openmsp.settings
    except ConfigError as exc:
        print(f"openmsp: configuration error: {exc}", file=sys.stderr)
        print("See docs/configuration.md for every variable and its default.", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
