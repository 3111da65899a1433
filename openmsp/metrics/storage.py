"""Where samples and rollups live: partitions on PostgreSQL, and retention for both databases.

PostgreSQL: `metrics_sample` is partitioned by day (`metrics_sample_p20261126`), the rollup tables
by month (`metrics_rollup_5m_p202611`). `maintain()` (hourly, and after every migrate) creates the
partitions the retention window and the next days need, and DROPS the partitions wholly past
retention: no row is ever deleted one by one. SQLite: the same tables unpartitioned; retention is a
range DELETE on the indexed time column.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from openmsp.metrics import conf

log = logging.getLogger("openmsp.metrics")

RAW_TABLE = "metrics_sample"
ROLLUP_TABLES = {"5m": "metrics_rollup_5m", "1h": "metrics_rollup_1h"}
DAYS_AHEAD = 3
_MAINTENANCE_LOCK = 0x0A0D5A  # pg advisory lock: one maintainer at a time
_DAY = re.compile(r"_p(\d{8})$")
_MONTH = re.compile(r"_p(\d{6})$")

# Days whose raw partition this process has seen committed (saves a catalog query per batch).
_known_days: set[dt.date] = set()


@dataclass
class MaintenanceReport:
    created: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    deleted_rows: int = 0


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def raw_cutoff(now: dt.datetime) -> dt.datetime:
    """Raw samples before this instant (a UTC midnight) are gone or about to go."""
    day = (now.astimezone(dt.UTC) - conf.retention()["raw"]).date()
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def rollup_cutoff(resolution: str, now: dt.datetime) -> dt.datetime:
    return now - conf.retention()[resolution]


def _first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def _midnight(day: dt.date) -> str:
    return f"{day.isoformat()} 00:00:00+00"


# --- PostgreSQL partitions --------------------------------------------------------------------


def partitions_of(parent: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s ORDER BY c.relname",
            [parent],
        )
        return [row[0] for row in cursor.fetchall()]


def day_partition(day: dt.date) -> str:
    return f"{RAW_TABLE}_p{day:%Y%m%d}"


def month_partition(parent: str, month: dt.date) -> str:
    return f"{parent}_p{month:%Y%m}"


def _create(name: str, parent: str, start: dt.date, end: dt.date) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f'CREATE TABLE IF NOT EXISTS "{name}" PARTITION OF "{parent}" '
            f"FOR VALUES FROM ('{_midnight(start)}') TO ('{_midnight(end)}')"
        )


def ensure_raw_days(days: set[dt.date]) -> None:
    """Make sure samples of these days have a partition to land in (ingest's safety net when the
    hourly job has not created one yet). Created partitions are remembered once committed."""
    if not is_postgres():
        return
    missing = days - _known_days
    if not missing:
        return
    existing = set(partitions_of(RAW_TABLE))
    for day in sorted(missing):
        name = day_partition(day)
        if name not in existing:
            try:
                with transaction.atomic():
                    _create(name, RAW_TABLE, day, day + dt.timedelta(days=1))
            except DatabaseError:  # another process created it in the meantime
                log.info("partition %s created concurrently", name)
        transaction.on_commit(_remember(day))


def _remember(day: dt.date) -> Callable[[], None]:
    return lambda: _known_days.add(day)


def _wanted(now: dt.datetime) -> dict[str, dict[str, tuple[dt.date, dt.date]]]:
    """Partition name -> (start, end) that should exist now, per parent table."""
    today = now.astimezone(dt.UTC).date()
    first_day = raw_cutoff(now).date()
    wanted: dict[str, dict[str, tuple[dt.date, dt.date]]] = {RAW_TABLE: {}}
    day = first_day
    while day <= today + dt.timedelta(days=DAYS_AHEAD):
        wanted[RAW_TABLE][day_partition(day)] = (day, day + dt.timedelta(days=1))
        day += dt.timedelta(days=1)
    for resolution, parent in ROLLUP_TABLES.items():
        wanted[parent] = {}
        month = _first_of_month(rollup_cutoff(resolution, now).astimezone(dt.UTC).date())
        while month <= _next_month(today):
            wanted[parent][month_partition(parent, month)] = (month, _next_month(month))
            month = _next_month(month)
    return wanted


def _expired(parent: str, name: str, now: dt.datetime) -> bool:
    """Whether every row the partition can hold is past retention (its upper bound is)."""
    if parent == RAW_TABLE:
        match = _DAY.search(name)
        if not match:
            return False
        day = dt.datetime.strptime(match[1], "%Y%m%d").date()
        return day + dt.timedelta(days=1) <= raw_cutoff(now).date()
    match = _MONTH.search(name)
    if not match:
        return False
    resolution = next(r for r, table in ROLLUP_TABLES.items() if table == parent)
    month = dt.datetime.strptime(match[1] + "01", "%Y%m%d").date()
    return dt.datetime.combine(_next_month(month), dt.time(), tzinfo=dt.UTC) <= rollup_cutoff(
        resolution, now
    )


def _maintain_postgres(now: dt.datetime) -> MaintenanceReport:
    report = MaintenanceReport()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_MAINTENANCE_LOCK])
            # DDL on a partitioned table waits for running inserts; never queue behind them long.
            cursor.execute("SET LOCAL lock_timeout = '10s'")
        for parent, wanted in _wanted(now).items():
            existing = set(partitions_of(parent))
            for name, (start, end) in sorted(wanted.items()):
                if name not in existing:
                    _create(name, parent, start, end)
                    report.created.append(name)
            for name in sorted(existing):
                if _expired(parent, name, now):
                    with connection.cursor() as cursor:
                        cursor.execute(f'DROP TABLE "{name}"')
                    report.dropped.append(name)
    _known_days.clear()
    return report


# --- SQLite retention -------------------------------------------------------------------------


def _maintain_sqlite(now: dt.datetime) -> MaintenanceReport:
    report = MaintenanceReport()
    ops = connection.ops
    cutoffs = [(RAW_TABLE, "t", raw_cutoff(now))] + [
        (table, "bucket", rollup_cutoff(resolution, now))
        for resolution, table in ROLLUP_TABLES.items()
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for table, column, cutoff in cutoffs:
            sql = f"DELETE FROM {table} WHERE {column} < %s"  # noqa: S608 (constant names)
            cursor.execute(sql, [ops.adapt_datetimefield_value(cutoff)])
            report.deleted_rows += max(cursor.rowcount, 0)
    return report


def maintain(now: dt.datetime | None = None) -> MaintenanceReport:
    """Create the partitions needed soon and drop (PostgreSQL) or prune (SQLite) expired data."""
    now = now or timezone.now()
    report = _maintain_postgres(now) if is_postgres() else _maintain_sqlite(now)
    if report.created or report.dropped or report.deleted_rows:
        log.info(
            "metrics storage: created %s, dropped %s, deleted %d rows",
            report.created,
            report.dropped,
            report.deleted_rows,
        )
    return report
