"""The raw sample and rollup tables, per database (the models are unmanaged).

PostgreSQL: partitioned by time — raw samples by day, rollups by month (partitions are created by
openmsp.metrics.storage.maintain, which runs after every migrate and hourly). A BRIN index on the
time column serves the rollup job's range scans; (series_id, t) serves charts.
SQLite: the same columns in plain tables.
"""

from typing import Any

from django.db import migrations

PG = [
    "CREATE TABLE metrics_sample (series_id bigint NOT NULL, t timestamptz NOT NULL, "
    "v double precision NOT NULL) PARTITION BY RANGE (t)",
    "CREATE INDEX metrics_sample_series_t ON metrics_sample (series_id, t)",
    "CREATE INDEX metrics_sample_t_brin ON metrics_sample USING brin (t)",
]
SQLITE = [
    "CREATE TABLE metrics_sample (series_id integer NOT NULL, t datetime NOT NULL, v real NOT NULL)",
    "CREATE INDEX metrics_sample_series_t ON metrics_sample (series_id, t)",
    "CREATE INDEX metrics_sample_t ON metrics_sample (t)",
]
for _table in ("metrics_rollup_5m", "metrics_rollup_1h"):
    PG += [
        f"CREATE TABLE {_table} (series_id bigint NOT NULL, bucket timestamptz NOT NULL, "
        "min double precision NOT NULL, max double precision NOT NULL, "
        "sum double precision NOT NULL, count bigint NOT NULL, PRIMARY KEY (series_id, bucket)) "
        "PARTITION BY RANGE (bucket)",
        f"CREATE INDEX {_table}_bucket_brin ON {_table} USING brin (bucket)",
    ]
    SQLITE += [
        f"CREATE TABLE {_table} (series_id integer NOT NULL, bucket datetime NOT NULL, "
        "min real NOT NULL, max real NOT NULL, sum real NOT NULL, count integer NOT NULL, "
        "PRIMARY KEY (series_id, bucket))",
        f"CREATE INDEX {_table}_bucket ON {_table} (bucket)",
    ]
TABLES = ["metrics_sample", "metrics_rollup_5m", "metrics_rollup_1h"]


def create(apps: Any, schema_editor: Any) -> None:
    statements = PG if schema_editor.connection.vendor == "postgresql" else SQLITE
    for sql in statements:
        schema_editor.execute(sql)


def drop(apps: Any, schema_editor: Any) -> None:
    for table in TABLES:
        schema_editor.execute(f"DROP TABLE IF EXISTS {table}")


class Migration(migrations.Migration):
    dependencies = [("metrics", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
