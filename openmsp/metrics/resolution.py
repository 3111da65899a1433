"""Which resolution answers a time range (pure; no ORM).

The finest resolution whose range limit covers the span and whose retention still covers the
start: up to 6 hours raw, up to 8 days 5-minute buckets, beyond that hourly buckets. A short range
far in the past (an hour, 30 days ago) is answered from the finest rollup still kept then.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

RAW, FIVE_MINUTES, HOUR = "raw", "5m", "1h"
ORDER = (RAW, FIVE_MINUTES, HOUR)
MAX_SPAN = {RAW: dt.timedelta(hours=6), FIVE_MINUTES: dt.timedelta(days=8)}
BUCKET_SECONDS = {FIVE_MINUTES: 300, HOUR: 3600}


def choose(
    start: dt.datetime, end: dt.datetime, now: dt.datetime, keep: Mapping[str, dt.timedelta]
) -> str:
    span = end - start
    for resolution in (RAW, FIVE_MINUTES):
        if span <= MAX_SPAN[resolution] and start >= now - keep[resolution]:
            return resolution
    return HOUR
