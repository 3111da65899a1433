"""Time series in the relational database.

- Series: one metric of one asset with one label set (`disk.used_percent {mount="/"}`).
- Sample: raw points (series_id, t, v).
- Rollup5m / Rollup1h: per bucket min, max, sum, count.
- RollupWatermark: up to where each rollup has been computed from its source.

Sample and the rollups are *unmanaged*: migration 0002 creates them per database. On PostgreSQL
they are partitioned by time (raw daily, rollups monthly) so retention drops whole partitions; on
SQLite they are plain tables pruned by range deletes. The composite primary keys below are the
tables' logical identity for the ORM; the raw table does not enforce it (no index is worth that
on the insert path), the rollup tables do.
"""

from __future__ import annotations

from django.db import models

from openmsp.assets.models import Asset
from openmsp.tenants.models import Client


class Series(models.Model):
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="series")
    name = models.CharField(max_length=100)
    labels = models.JSONField(default=dict)
    labels_key = models.CharField(max_length=1000)  # canonical JSON of labels, for uniqueness
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["asset", "name", "labels_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["asset", "name", "labels_key"], name="series_once_per_asset"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}{self.labels_key if self.labels else ''}"


class Sample(models.Model):
    pk = models.CompositePrimaryKey("series", "t")
    series = models.ForeignKey(Series, on_delete=models.DO_NOTHING, db_constraint=False)
    t = models.DateTimeField()
    v = models.FloatField()

    class Meta:
        managed = False
        db_table = "metrics_sample"

    def __str__(self) -> str:
        return f"{self.series_id}@{self.t}={self.v}"


class Rollup(models.Model):
    pk = models.CompositePrimaryKey("series", "bucket")
    series = models.ForeignKey(Series, on_delete=models.DO_NOTHING, db_constraint=False)
    bucket = models.DateTimeField()
    min = models.FloatField()
    max = models.FloatField()
    sum = models.FloatField()
    count = models.BigIntegerField()

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.series_id}@{self.bucket}"


class Rollup5m(Rollup):
    class Meta:
        managed = False
        db_table = "metrics_rollup_5m"


class Rollup1h(Rollup):
    class Meta:
        managed = False
        db_table = "metrics_rollup_1h"


class RollupWatermark(models.Model):
    """Buckets before `until` are computed; samples that arrive for them later are merged in."""

    resolution = models.CharField(max_length=10, unique=True)
    until = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.resolution} until {self.until}"
