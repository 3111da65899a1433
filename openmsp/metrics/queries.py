"""Reading time series of one asset.

Callers pass an asset fetched through `openmsp.assets.queries` (tenant visibility settled there).
`series_data` picks the resolution from the range (see resolution.py) and returns it with the
points. Rollup answers cover the buckets the job has computed plus the most recent ones, computed
on the fly from raw samples, so a chart never lags behind the rollup job.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from openmsp.assets.models import Asset
from openmsp.metrics import conf, resolution, rollups
from openmsp.metrics.models import Rollup1h, Rollup5m, Sample, Series

ROLLUP_MODELS: dict[str, Any] = {"5m": Rollup5m, "1h": Rollup1h}


@dataclass(frozen=True)
class Point:
    t: dt.datetime
    v: float  # the value (raw) or the bucket's mean
    min: float
    max: float
    count: int


@dataclass
class SeriesPoints:
    labels: dict[str, str]
    points: list[Point] = field(default_factory=list)


@dataclass(frozen=True)
class SeriesData:
    name: str
    resolution: str
    start: dt.datetime
    end: dt.datetime
    series: list[SeriesPoints]


def metric_names(asset: Asset) -> list[dict[str, Any]]:
    """Every metric the asset reports, with the label sets seen: [{"name", "labels": [{…}]}]."""
    out: dict[str, list[dict[str, str]]] = {}
    for name, labels in (
        Series.objects.filter(asset=asset)
        .order_by("name", "labels_key")
        .values_list("name", "labels")
    ):
        out.setdefault(name, []).append(labels)
    return [{"name": name, "labels": sets} for name, sets in out.items()]


def _matching_series(
    asset: Asset, name: str, labels: Mapping[str, str] | None
) -> dict[int, dict[str, str]]:
    wanted = dict(labels or {})
    found = {}
    for pk, series_labels in (
        Series.objects.filter(asset=asset, name=name)
        .order_by("labels_key")
        .values_list("pk", "labels")
    ):
        if all(series_labels.get(k) == v for k, v in wanted.items()):
            found[pk] = series_labels
    return found


def series_data(
    asset: Asset,
    name: str,
    *,
    start: dt.datetime,
    end: dt.datetime,
    labels: Mapping[str, str] | None = None,
    now: dt.datetime | None = None,
) -> SeriesData:
    now = now or timezone.now()
    chosen = resolution.choose(start, end, now, conf.retention())
    series = _matching_series(asset, name, labels)
    by_id = {pk: SeriesPoints(labels=lbl) for pk, lbl in series.items()}
    if by_id:
        if chosen == resolution.RAW:
            _raw_points(by_id, start, end)
        else:
            _rollup_points(by_id, chosen, start, end)
    return SeriesData(
        name=name, resolution=chosen, start=start, end=end, series=list(by_id.values())
    )


def _raw_points(by_id: dict[int, SeriesPoints], start: dt.datetime, end: dt.datetime) -> None:
    rows = (
        Sample.objects.filter(series_id__in=list(by_id), t__gte=start, t__lt=end)
        .order_by("series_id", "t")
        .values_list("series_id", "t", "v")
    )
    for sid, t, v in rows:
        by_id[sid].points.append(Point(t, v, v, v, 1))


def _rollup_points(
    by_id: dict[int, SeriesPoints], chosen: str, start: dt.datetime, end: dt.datetime
) -> None:
    seconds = resolution.BUCKET_SECONDS[chosen]
    first = rollups.floor(start, seconds)
    computed_until = rollups.watermarks().get(chosen, first)
    model = ROLLUP_MODELS[chosen]
    rows = (
        model.objects.filter(
            series_id__in=list(by_id), bucket__gte=first, bucket__lt=min(end, computed_until)
        )
        .order_by("series_id", "bucket")
        .values_list("series_id", "bucket", "min", "max", "sum", "count")
    )
    for sid, bucket, lo, hi, total, count in rows:
        by_id[sid].points.append(Point(bucket, total / count if count else 0.0, lo, hi, count))
    tail_start = max(first, computed_until)
    if tail_start < end:
        _tail_from_raw(by_id, seconds, tail_start, end)


def _tail_from_raw(
    by_id: dict[int, SeriesPoints], seconds: int, start: dt.datetime, end: dt.datetime
) -> None:
    buckets: dict[tuple[int, dt.datetime], rollups.Aggregate] = {}
    rows = (
        Sample.objects.filter(series_id__in=list(by_id), t__gte=start, t__lt=end)
        .order_by("series_id", "t")
        .values_list("series_id", "t", "v")
    )
    for sid, t, v in rows:
        key = (sid, rollups.floor(t, seconds))
        if key in buckets:
            buckets[key].add(v)
        else:
            buckets[key] = rollups.Aggregate(v, v, v, 1)
    for (sid, bucket), agg in sorted(buckets.items()):
        by_id[sid].points.append(Point(bucket, agg.sum / agg.count, agg.min, agg.max, agg.count))
