"""The Korean catalogue stays well-formed as branches append their blocks to it."""

from __future__ import annotations

from collections import Counter

import polib

from openmsp.web.management.commands.compiletranslations import LOCALE_DIR


def test_the_korean_catalogue_has_exactly_one_entry_per_message() -> None:
    catalog = polib.pofile(str(LOCALE_DIR / "ko" / "LC_MESSAGES" / "django.po"))
    counts = Counter((entry.msgctxt, entry.msgid) for entry in catalog)
    repeated = sorted(msgid for (_ctx, msgid), n in counts.items() if n > 1)
    assert not repeated, f"translated more than once (GNU msgfmt refuses this): {repeated}"
