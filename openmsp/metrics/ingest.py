"""Storing samples: resolve series ids, bulk-insert raw points, merge late points into rollups.

`ingest(asset, samples)` runs inside the caller's transaction (the agent API's batch). Series ids
come from a per-process cache, filled only after the transaction that created or read them
commits, so a rolled-back batch never leaves a cached id pointing at nothing. On PostgreSQL raw
rows go in with COPY (binary), the fastest path psycopg offers; on SQLite with executemany.

Each sample is routed by its age:
- newer than the raw retention cutoff -> the raw table;
- in a bucket a rollup has already computed (behind its watermark), or older than the raw
  retention -> merged into that rollup directly;
- older than a rollup's own retention -> not kept at that resolution (it would be dropped at once).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from openmsp.assets.models import Asset
from openmsp.metrics import rollups, storage
from openmsp.metrics.models import Series

CACHE_LIMIT = 200_000
SeriesKey = tuple[int, str, str]  # asset id, metric name, labels key

_series_cache: dict[SeriesKey, int] = {}


@dataclass(frozen=True)
class SampleIn:
    name: str
    labels: Mapping[str, str]
    t: dt.datetime
    v: float


@dataclass
class IngestResult:
    raw: int = 0
    merged: dict[str, int] = field(default_factory=lambda: {"5m": 0, "1h": 0})
    discarded: int = 0


def labels_key(labels: Mapping[str, str]) -> str:
    return json.dumps(dict(labels), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def clear_cache() -> None:
    _series_cache.clear()


def _remember(found: dict[SeriesKey, int]) -> None:
    def store() -> None:
        if len(_series_cache) + len(found) > CACHE_LIMIT:
            _series_cache.clear()
        _series_cache.update(found)

    transaction.on_commit(store)


def resolve_series(
    asset: Asset, wanted: Mapping[SeriesKey, Mapping[str, str]]
) -> dict[SeriesKey, int]:
    """Series id for each (asset, name, labels key), creating the series that do not exist yet."""
    ids = {key: _series_cache[key] for key in wanted if key in _series_cache}
    missing = [key for key in wanted if key not in ids]
    if not missing:
        return ids
    found: dict[SeriesKey, int] = {}

    def lookup() -> None:
        rows = Series.objects.filter(asset=asset, name__in={k[1] for k in missing}).values_list(
            "pk", "name", "labels_key"
        )
        for pk, name, key in rows:
            if (asset.pk, name, key) in wanted:
                found[(asset.pk, name, key)] = pk

    lookup()
    new = [key for key in missing if key not in found]
    if new:
        Series.objects.bulk_create(
            [
                Series(
                    client_id=asset.client_id,
                    asset=asset,
                    name=k[1],
                    labels=dict(wanted[k]),
                    labels_key=k[2],
                )
                for k in new
            ],
            ignore_conflicts=True,
        )
        lookup()
    _remember(found)
    return {**ids, **found}


@dataclass(frozen=True)
class _Horizon:
    raw_from: dt.datetime
    merge_before: dict[str, dt.datetime]
    keep_from: dict[str, dt.datetime]


def _horizon(now: dt.datetime, marks: Mapping[str, dt.datetime]) -> _Horizon:
    cutoff = storage.raw_cutoff(now)
    return _Horizon(
        raw_from=cutoff,
        merge_before={r: max(marks.get(r, cutoff), cutoff) for r in rollups.BUCKET_SECONDS},
        keep_from={r: storage.rollup_cutoff(r, now) for r in rollups.BUCKET_SECONDS},
    )


def ingest(
    asset: Asset, samples: Sequence[SampleIn], *, now: dt.datetime | None = None
) -> IngestResult:
    result = IngestResult()
    if not samples:
        return result
    with transaction.atomic():
        rollups.lock(shared=True)
        horizon = _horizon(now or timezone.now(), rollups.watermarks())
        wanted = {(asset.pk, s.name, labels_key(s.labels)): s.labels for s in samples}
        ids = resolve_series(asset, wanted)
        raw: list[tuple[int, dt.datetime, float]] = []
        late: dict[str, dict[tuple[int, dt.datetime], rollups.Aggregate]] = defaultdict(dict)
        for s in samples:
            sid = ids[(asset.pk, s.name, labels_key(s.labels))]
            kept = False
            if s.t >= horizon.raw_from:
                raw.append((sid, s.t, s.v))
                kept = True
            for resolution, seconds in rollups.BUCKET_SECONDS.items():
                if horizon.keep_from[resolution] <= s.t < horizon.merge_before[resolution]:
                    bucket = rollups.floor(s.t, seconds)
                    agg = late[resolution].get((sid, bucket))
                    if agg is None:
                        late[resolution][(sid, bucket)] = rollups.Aggregate(s.v, s.v, s.v, 1)
                    else:
                        agg.add(s.v)
                    result.merged[resolution] += 1
                    kept = True
            result.discarded += 0 if kept else 1
        _insert_raw(raw)
        for resolution, aggregates in late.items():
            rollups.merge(resolution, aggregates)
        result.raw = len(raw)
    return result


def raw_rows_if_fresh(
    asset_id: int,
    samples: Sequence[SampleIn],
    *,
    now: dt.datetime,
    marks: Mapping[str, dt.datetime],
) -> list[tuple[int, dt.datetime, float]] | None:
    """The raw rows of samples that all go to the raw table only (newer than every watermark)
    and whose series ids this process remembers; None when any does not (then `ingest` does the
    whole work). Rollups are untouched by such samples, so no merge is needed."""
    horizon = _horizon(now, marks)
    newest_mark = max(horizon.merge_before.values(), default=horizon.raw_from)
    rows = []
    for s in samples:
        sid = _series_cache.get((asset_id, s.name, labels_key(s.labels)))
        if sid is None or s.t < newest_mark or s.t < horizon.raw_from:
            return None
        rows.append((sid, s.t, s.v))
    return rows


def _insert_raw(rows: list[tuple[int, dt.datetime, float]]) -> None:
    if not rows:
        return
    if connection.vendor == "postgresql":
        storage.ensure_raw_days({t.astimezone(dt.UTC).date() for _, t, _ in rows})
        with connection.cursor() as cursor:
            raw_cursor = cursor.cursor
            with raw_cursor.copy(
                f"COPY {storage.RAW_TABLE} (series_id, t, v) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(["int8", "timestamptz", "float8"])
                for row in rows:
                    copy.write_row(row)
        return
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {storage.RAW_TABLE} (series_id, t, v) VALUES (%s, %s, %s)",  # noqa: S608 (table names are module constants)
            [(sid, adapt(t), v) for sid, t, v in rows],
        )
