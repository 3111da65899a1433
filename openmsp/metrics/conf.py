"""Retention of the time series, per resolution, from the environment (docs/metrics.md).

Each value is read from Django settings when the project defines it there, otherwise from the
environment variable of the same name; a bad value stops with a sentence naming the variable.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from openmsp.core.env import env_int

RAW_DAYS = "OPENMSP_METRICS_RAW_DAYS"
FIVE_MINUTE_DAYS = "OPENMSP_METRICS_5M_DAYS"
HOUR_DAYS = "OPENMSP_METRICS_1H_DAYS"

_DEFAULTS = {RAW_DAYS: 8, FIVE_MINUTE_DAYS: 90, HOUR_DAYS: 730}


def _days(name: str) -> int:
    value = getattr(settings, name, None)
    if isinstance(value, int) and value >= 1:
        return value
    return env_int(name, _DEFAULTS[name], minimum=1)


def retention() -> dict[str, dt.timedelta]:
    """How long each resolution is kept: {"raw": …, "5m": …, "1h": …}."""
    return {
        "raw": dt.timedelta(days=_days(RAW_DAYS)),
        "5m": dt.timedelta(days=_days(FIVE_MINUTE_DAYS)),
        "1h": dt.timedelta(days=_days(HOUR_DAYS)),
    }
