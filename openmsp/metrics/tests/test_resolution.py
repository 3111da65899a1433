"""Which resolution answers a range: raw up to 6 h, 5-minute buckets up to 8 days, else hourly;
a range that starts before a resolution's retention moves to the next one."""

from __future__ import annotations

import datetime as dt

from openmsp.metrics.resolution import choose

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
KEEP = {"raw": dt.timedelta(days=8), "5m": dt.timedelta(days=90), "1h": dt.timedelta(days=730)}


def _pick(span: dt.timedelta, ago: dt.timedelta = dt.timedelta(0)) -> str:
    end = NOW - ago
    return choose(end - span, end, NOW, KEEP)


def test_up_to_six_hours_is_answered_from_raw_samples() -> None:
    assert _pick(dt.timedelta(hours=1)) == "raw"
    assert _pick(dt.timedelta(hours=6)) == "raw"


def test_up_to_eight_days_is_answered_from_five_minute_buckets() -> None:
    assert _pick(dt.timedelta(hours=6, seconds=1)) == "5m"
    assert _pick(dt.timedelta(days=8)) == "5m"


def test_longer_ranges_are_answered_from_hourly_buckets() -> None:
    assert _pick(dt.timedelta(days=8, seconds=1)) == "1h"
    assert _pick(dt.timedelta(days=365)) == "1h"


def test_a_short_range_past_raw_retention_uses_the_finest_rollup_still_kept() -> None:
    assert _pick(dt.timedelta(hours=1), ago=dt.timedelta(days=30)) == "5m"
    assert _pick(dt.timedelta(hours=1), ago=dt.timedelta(days=200)) == "1h"
