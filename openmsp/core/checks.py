"""`openmsp check`: configuration sanity an operator can act on (Django system checks)."""

from __future__ import annotations

import os
import zoneinfo
from typing import Any

from django.conf import settings
from django.core.checks import Error, Info, Tags, Warning, register
from django.db import DatabaseError, connection


@register(Tags.database, deploy=False)
def database_reachable(app_configs: Any, **kwargs: Any) -> list[Any]:
    if not kwargs.get("databases"):
        return []
    try:
        connection.ensure_connection()
    except DatabaseError as exc:
        return [
            Error(
                f"The database cannot be reached: {exc}",
                hint="Check OPENMSP_DATABASE_URL.",
                id="openmsp.E001",
            )
        ]
    return []


@register()
def data_dir_writable(app_configs: Any, **kwargs: Any) -> list[Any]:
    if not os.access(settings.DATA_DIR, os.W_OK):
        return [Error(f"OPENMSP_DATA_DIR {settings.DATA_DIR} is not writable.", id="openmsp.E002")]
    return []


@register()
def time_zone_valid(app_configs: Any, **kwargs: Any) -> list[Any]:
    try:
        zoneinfo.ZoneInfo(settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return [
            Error(
                f"OPENMSP_TIME_ZONE {settings.TIME_ZONE!r} is not an IANA time zone.",
                id="openmsp.E003",
            )
        ]
    return []


# Hints are for `openmsp check` only; every other command would print them on each start.
SHOW_HINTS = False


@register()
def production_hints(app_configs: Any, **kwargs: Any) -> list[Any]:
    messages: list[Any] = []
    if not SHOW_HINTS:
        return messages
    engine = settings.DATABASES["default"]["ENGINE"]
    if "sqlite" in engine:
        messages.append(
            Info(
                "Running on SQLite: fine for a trial or a small MSP; use PostgreSQL to scale out.",
                id="openmsp.I001",
            )
        )
    if not settings.EMAIL_HOST:
        messages.append(
            Info(
                f"No SMTP server configured: mail is written to {settings.EMAIL_FILE_PATH}.",
                hint="Set OPENMSP_SMTP_HOST.",
                id="openmsp.I002",
            )
        )
    if settings.DEBUG:
        messages.append(Warning("OPENMSP_DEBUG is on: never in production.", id="openmsp.W001"))
    if (
        not settings.SITE_URL.startswith("https://")
        and "127.0.0.1" not in settings.SITE_URL
        and "localhost" not in settings.SITE_URL
    ):
        messages.append(
            Warning(
                "OPENMSP_SITE_URL is not https: sessions and tokens travel in clear text.",
                id="openmsp.W002",
            )
        )
    return messages
