"""Compile every openmsp/locale/*/LC_MESSAGES/*.po to .mo with polib: no GNU gettext needed at
install time (Django's compilemessages shells out to msgfmt)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

LOCALE_DIR = Path(__file__).resolve().parents[3] / "locale"


def compile_all(locale_dirs: list[Path] | None = None) -> list[Path]:
    """Write a .mo beside each .po (fuzzy and untranslated entries left out); return the .mo paths."""
    written = []
    for directory in locale_dirs or [LOCALE_DIR]:
        for po_path in sorted(directory.glob("*/LC_MESSAGES/*.po")):
            catalog = polib.pofile(str(po_path))
            mo_path = po_path.with_suffix(".mo")
            catalog.save_as_mofile(str(mo_path))
            written.append(mo_path)
    return written


class Command(BaseCommand):
    help = "Compile the .po translation catalogues under openmsp/locale to .mo files (pure Python)."
    requires_system_checks: list[str] = []  # set-up runs it before there is a database to check

    def handle(self, *args: Any, **options: Any) -> None:
        dirs = [Path(p) for p in settings.LOCALE_PATHS] or [LOCALE_DIR]
        try:
            written = compile_all(dirs)
        except (OSError, ValueError) as exc:
            raise CommandError(f"Could not compile translations: {exc}") from exc
        if not written:
            raise CommandError(f"No .po files found under {', '.join(map(str, dirs))}.")
        for path in written:
            self.stdout.write(f"compiled {path}")
