"""Rollups: 5-minute buckets computed from raw samples, hourly buckets from the 5-minute ones.

A periodic job (every minute) computes the buckets completed since each resolution's watermark and
moves the watermark; writing a bucket *replaces* it (INSERT … ON CONFLICT DO UPDATE), so running
the same range twice gives the same rows. A sample that arrives later for a bucket already behind
the watermark is *merged* into that bucket at ingest time (min/max/sum/count combined) — the batch
idempotency of the agent API makes sure it is merged once.

The job and ingest agree on the watermark through a lock: on PostgreSQL ingest holds an advisory
lock in shared mode for its transaction and the job takes it exclusively, so the job never reads
raw rows while a batch that routed samples by the old watermark is still uncommitted. On SQLite
both are write transactions, which SQLite runs one at a time anyway.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from openmsp.metrics.models import RollupWatermark
from openmsp.metrics.storage import RAW_TABLE, ROLLUP_TABLES, raw_cutoff, rollup_cutoff

BUCKET_SECONDS = {"5m": 300, "1h": 3600}
GRACE = dt.timedelta(minutes=2)  # buckets this recent may still receive in-flight batches
_ROLLUP_LOCK = 0x0A0D5B
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass
class Aggregate:
    min: float
    max: float
    sum: float
    count: int

    def add(self, value: float) -> None:
        self.min = min(self.min, value)
        self.max = max(self.max, value)
        self.sum += value
        self.count += 1


def floor(moment: dt.datetime, seconds: int) -> dt.datetime:
    elapsed = int((moment - _EPOCH).total_seconds()) // seconds * seconds
    return _EPOCH + dt.timedelta(seconds=elapsed)


def lock(*, shared: bool) -> None:
    """Take the rollup lock for the current transaction (PostgreSQL; SQLite needs none)."""
    if connection.vendor != "postgresql":
        return
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s)", [_ROLLUP_LOCK])


def watermarks() -> dict[str, dt.datetime]:
    return dict(RollupWatermark.objects.values_list("resolution", "until"))


# The watermarks as this process last read them. They move every five minutes; whoever routes
# samples by them must confirm them in the statement that stores the samples (after the lock)
# and forget them when they moved (see openmsp/agent_api/batch_sql.py).
_remembered: dict[str, dt.datetime] | None = None


def remembered_watermarks() -> dict[str, dt.datetime]:
    global _remembered
    marks = _remembered
    if marks is None:
        marks = _remembered = watermarks()
    return marks


def forget_watermarks() -> None:
    global _remembered
    _remembered = None


def _set_watermark(resolution: str, until: dt.datetime) -> None:
    RollupWatermark.objects.update_or_create(resolution=resolution, defaults={"until": until})


# --- SQL -------------------------------------------------------------------------------------

_PG_BUCKET = "date_bin('{seconds} seconds', {column}, TIMESTAMPTZ '1970-01-01 00:00:00+00')"
_SQLITE_BUCKET = (
    "datetime((CAST(strftime('%%s', {column}) AS INTEGER) / {seconds}) * {seconds}, 'unixepoch')"
)
_REPLACE = "min = excluded.min, max = excluded.max, sum = excluded.sum, count = excluded.count"
_MERGE = {
    "postgresql": "min = LEAST({t}.min, excluded.min), max = GREATEST({t}.max, excluded.max), "
    "sum = {t}.sum + excluded.sum, count = {t}.count + excluded.count",
    "sqlite": "min = MIN({t}.min, excluded.min), max = MAX({t}.max, excluded.max), "
    "sum = {t}.sum + excluded.sum, count = {t}.count + excluded.count",
}


def _bucket(column: str, seconds: int) -> str:
    template = _PG_BUCKET if connection.vendor == "postgresql" else _SQLITE_BUCKET
    return template.format(column=column, seconds=seconds)


def _aggregate_into(target: str, source_sql: str, start: dt.datetime, end: dt.datetime) -> int:
    ops = connection.ops
    sql = (
        f"INSERT INTO {target} (series_id, bucket, min, max, sum, count) {source_sql} "
        f"ON CONFLICT (series_id, bucket) DO UPDATE SET {_REPLACE}"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [ops.adapt_datetimefield_value(start), ops.adapt_datetimefield_value(end)]
        )
        return max(int(cursor.rowcount), 0)


def _five_minutes_from_raw(start: dt.datetime, end: dt.datetime) -> int:
    source = (
        f"SELECT series_id, {_bucket('t', 300)}, MIN(v), MAX(v), SUM(v), COUNT(*) "  # noqa: S608 (table names are module constants)
        f"FROM {RAW_TABLE} WHERE t >= %s AND t < %s GROUP BY 1, 2"
    )
    return _aggregate_into(ROLLUP_TABLES["5m"], source, start, end)


def _hours_from_five_minutes(start: dt.datetime, end: dt.datetime) -> int:
    source = (
        f"SELECT series_id, {_bucket('bucket', 3600)}, MIN(min), MAX(max), SUM(sum), SUM(count) "  # noqa: S608 (table names are module constants)
        f"FROM {ROLLUP_TABLES['5m']} WHERE bucket >= %s AND bucket < %s GROUP BY 1, 2"
    )
    return _aggregate_into(ROLLUP_TABLES["1h"], source, start, end)


def merge(resolution: str, aggregates: Mapping[tuple[int, dt.datetime], Aggregate]) -> None:
    """Combine late samples into buckets the job has already written (or creates them)."""
    if not aggregates:
        return
    table = ROLLUP_TABLES[resolution]
    ops = connection.ops
    sql = (
        f"INSERT INTO {table} (series_id, bucket, min, max, sum, count) VALUES (%s, %s, %s, %s, %s, %s) "  # noqa: S608 (table names are module constants)
        f"ON CONFLICT (series_id, bucket) DO UPDATE SET {_MERGE[connection.vendor].format(t=table)}"
    )
    rows: list[tuple[Any, ...]] = [
        (sid, ops.adapt_datetimefield_value(bucket), a.min, a.max, a.sum, a.count)
        for (sid, bucket), a in sorted(aggregates.items())
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


# --- The job ---------------------------------------------------------------------------------


def run(now: dt.datetime | None = None) -> dict[str, int]:
    """Compute every completed bucket since the watermarks; return rows written per resolution."""
    now = now or timezone.now()
    written = {"5m": 0, "1h": 0}
    with transaction.atomic():
        lock(shared=False)
        marks = watermarks()
        cutoff = raw_cutoff(now)
        start = max(marks.get("5m", cutoff), cutoff)
        end = max(floor(now - GRACE, 300), start)
        if end > start:
            written["5m"] = _five_minutes_from_raw(start, end)
        if end != marks.get("5m"):
            _set_watermark("5m", end)
        hour_floor = floor(rollup_cutoff("5m", now), 3600)
        hour_start = max(marks.get("1h", floor(cutoff, 3600)), hour_floor)
        hour_end = max(floor(end, 3600), hour_start)
        if hour_end > hour_start:
            written["1h"] = _hours_from_five_minutes(hour_start, hour_end)
        if hour_end != marks.get("1h"):
            _set_watermark("1h", hour_end)
    return written
