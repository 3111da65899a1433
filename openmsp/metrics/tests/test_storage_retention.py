"""Retention: on PostgreSQL whole partitions are created ahead and DROPPED when past retention (no
row is deleted one by one); on SQLite old rows are range-deleted."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from openmsp.metrics import storage
from openmsp.metrics.ingest import ingest
from openmsp.metrics.models import Rollup5m, Sample
from openmsp.metrics.tests.conftest import cpu

pytestmark = pytest.mark.django_db
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="partitions are PostgreSQL's"
)
sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite prunes by range delete"
)


def _partitions(parent: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
            [parent],
        )
        return {row[0] for row in cursor.fetchall()}


def _table_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_class WHERE relname = %s AND relkind IN ('r', 'p')", [name]
        )
        return bool(cursor.fetchone()[0])


def _rows_deleted() -> int:
    """Rows deleted one by one from sample and rollup tables (this backend's counters)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(n_tup_del), 0) FROM pg_stat_xact_user_tables "
            "WHERE relname LIKE 'metrics_sample%' OR relname LIKE 'metrics_rollup_%'"
        )
        return int(cursor.fetchone()[0])


def _day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(dt.UTC).date()


@postgres_only
def test_daily_raw_partitions_exist_for_retention_and_the_days_ahead(now) -> None:
    storage.maintain(now)
    raw = _partitions("metrics_sample")
    for offset in range(-8, storage.DAYS_AHEAD + 1):
        assert storage.day_partition(_day(now) + dt.timedelta(days=offset)) in raw
    this_month = _day(now).replace(day=1)
    for table in ("metrics_rollup_5m", "metrics_rollup_1h"):
        assert storage.month_partition(table, this_month) in _partitions(table)


@postgres_only
def test_expired_partitions_are_dropped_whole_and_rows_are_never_deleted(server, now) -> None:
    storage.maintain(now)
    old_day = now - dt.timedelta(days=6)
    ingest(server, [cpu(old_day, 1.0), cpu(now, 2.0)], now=now)
    old_partition = storage.day_partition(_day(old_day))
    assert old_partition in _partitions("metrics_sample")

    deleted_before = _rows_deleted()
    later = now + dt.timedelta(days=5)  # the old day is now past the 8-day raw retention
    report = storage.maintain(later)

    assert old_partition in report.dropped
    assert old_partition not in _partitions("metrics_sample")
    assert not _table_exists(old_partition)
    assert (
        storage.day_partition(_day(later) + dt.timedelta(days=storage.DAYS_AHEAD)) in report.created
    )
    assert list(Sample.objects.values_list("v", flat=True)) == [2.0]
    assert _rows_deleted() == deleted_before


@postgres_only
def test_rollup_partitions_are_monthly_and_dropped_after_their_retention(now) -> None:
    storage.maintain(now)
    first_5m = min(_partitions("metrics_rollup_5m"))
    storage.maintain(now + dt.timedelta(days=62))
    assert first_5m not in _partitions("metrics_rollup_5m")
    assert min(_partitions("metrics_rollup_1h")) < storage.month_partition(
        "metrics_rollup_1h", _day(now).replace(day=1)
    )


@postgres_only
def test_a_sample_for_a_day_without_partition_gets_one(server, now) -> None:
    tomorrow = _day(now) + dt.timedelta(days=1)
    name = storage.day_partition(tomorrow)
    with connection.cursor() as cursor:
        cursor.execute(f'DROP TABLE IF EXISTS "{name}"')
    storage._known_days.clear()
    ingest(
        server,
        [cpu(dt.datetime.combine(tomorrow, dt.time(0, 1), tzinfo=dt.UTC), 1.0)],
        now=now + dt.timedelta(days=1),
    )
    assert name in _partitions("metrics_sample")


@sqlite_only
def test_sqlite_drops_expired_rows_by_time_range(server, now) -> None:
    ingest(server, [cpu(now - dt.timedelta(days=6), 1.0), cpu(now, 2.0)], now=now)
    ingest(server, [cpu(now - dt.timedelta(days=60), 3.0)], now=now)  # rollups only
    report = storage.maintain(now + dt.timedelta(days=5))
    assert report.deleted_rows == 1
    assert list(Sample.objects.values_list("v", flat=True)) == [2.0]
    assert Rollup5m.objects.count() == 1
    storage.maintain(now + dt.timedelta(days=40))
    assert Rollup5m.objects.count() == 0
