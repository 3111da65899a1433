"""Samples in, rollups computed, queries at the right resolution."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from openmsp.metrics import ingest as ingest_module
from openmsp.metrics import rollups
from openmsp.metrics.ingest import SampleIn, ingest
from openmsp.metrics.models import Rollup1h, Rollup5m, RollupWatermark, Sample, Series
from openmsp.metrics.queries import metric_names, series_data
from openmsp.metrics.tests.conftest import cpu

pytestmark = pytest.mark.django_db


def test_samples_are_stored_under_one_series_per_name_and_label_set(server, now) -> None:
    ingest(
        server,
        [cpu(now, 10), cpu(now, 20, "0"), SampleIn("mem.used_percent", {}, now, 50)],
        now=now,
    )
    ingest(server, [cpu(now + dt.timedelta(minutes=1), 11)], now=now)
    assert Series.objects.filter(asset=server).count() == 3
    total = Series.objects.get(asset=server, name="cpu.percent", labels_key='{"cpu":"total"}')
    assert total.client_id == server.client_id
    assert sorted(Sample.objects.filter(series=total).values_list("v", flat=True)) == [10, 11]
    assert metric_names(server) == [
        {"name": "cpu.percent", "labels": [{"cpu": "0"}, {"cpu": "total"}]},
        {"name": "mem.used_percent", "labels": [{}]},
    ]


def test_series_ids_are_cached_once_the_transaction_commits(
    server, now, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        ingest(server, [cpu(now, 10)], now=now)
    assert (server.pk, "cpu.percent", '{"cpu":"total"}') in ingest_module._series_cache
    with CaptureQueriesContext(connection) as queries:
        ingest(server, [cpu(now, 12)], now=now)
    assert not [q for q in queries.captured_queries if "metrics_series" in q["sql"]]


def test_a_rolled_back_batch_leaves_no_cached_series(server, now) -> None:
    from django.db import transaction

    def failing_batch() -> None:
        with transaction.atomic():
            ingest(server, [SampleIn("net.rx_bytes_per_s", {"iface": "eth0"}, now, 1.0)], now=now)
            raise RuntimeError("the batch failed after ingest")

    with pytest.raises(RuntimeError):
        failing_batch()
    assert not any(key[1] == "net.rx_bytes_per_s" for key in ingest_module._series_cache)


def _five_minutes(server) -> list[tuple[Any, ...]]:
    return list(
        Rollup5m.objects.filter(series__asset=server)
        .order_by("bucket")
        .values_list("bucket", "min", "max", "sum", "count")
    )


def test_the_rollup_job_aggregates_completed_buckets_idempotently(server, now) -> None:
    # On an hour boundary, so both 5-minute buckets fall in one hour whatever the time of day
    # (from minute 55 on, two hours back plus ten minutes crossed into the next hour).
    start = rollups.floor(now - dt.timedelta(hours=2), 3600)
    ingest(server, [cpu(start + dt.timedelta(minutes=m), float(m)) for m in range(10)], now=now)
    written = rollups.run(now)
    assert written["5m"] == 2
    assert _five_minutes(server) == [
        (start, 0.0, 4.0, 10.0, 5),
        (start + dt.timedelta(minutes=5), 5.0, 9.0, 35.0, 5),
    ]
    again = rollups.run(now)
    assert again == {"5m": 0, "1h": 0}
    assert _five_minutes(server) == [
        (start, 0.0, 4.0, 10.0, 5),
        (start + dt.timedelta(minutes=5), 5.0, 9.0, 35.0, 5),
    ]
    marks = dict(RollupWatermark.objects.values_list("resolution", "until"))
    assert marks["5m"] == rollups.floor(now - rollups.GRACE, 300)
    assert marks["1h"] == rollups.floor(marks["5m"], 3600)
    hour = rollups.floor(start, 3600)
    assert Rollup1h.objects.filter(series__asset=server, bucket=hour).values_list(
        "sum", "count"
    ).get() == (45.0, 10)


def test_rerunning_a_range_gives_the_same_buckets(server, now) -> None:
    start = now.replace(second=0) - dt.timedelta(hours=2)
    ingest(server, [cpu(start + dt.timedelta(minutes=m), 1.0) for m in range(5)], now=now)
    rollups.run(now)
    first = _five_minutes(server)
    RollupWatermark.objects.all().delete()  # as if the job crashed before saving its progress
    rollups.run(now)
    assert _five_minutes(server) == first


def test_a_late_sample_is_merged_into_a_bucket_already_computed(server, now) -> None:
    start = now.replace(second=0) - dt.timedelta(hours=2)
    ingest(server, [cpu(start, 1.0), cpu(start + dt.timedelta(minutes=1), 3.0)], now=now)
    rollups.run(now)
    ingest(server, [cpu(start + dt.timedelta(minutes=2), 8.0)], now=now)  # arrives late
    assert _five_minutes(server) == [(start, 1.0, 8.0, 12.0, 3)]
    hour = rollups.floor(start, 3600)
    assert Rollup1h.objects.get(series__asset=server, bucket=hour).count == 3
    assert Sample.objects.filter(series__asset=server).count() == 3  # raw kept as well
    rollups.run(now)
    assert _five_minutes(server) == [(start, 1.0, 8.0, 12.0, 3)]  # and never counted twice


def test_samples_older_than_raw_retention_go_to_rollups_only(server, now) -> None:
    old = now.replace(second=0) - dt.timedelta(days=20)
    result = ingest(server, [cpu(old, 5.0)], now=now)
    assert result.raw == 0
    assert result.merged == {"5m": 1, "1h": 1}
    assert Sample.objects.count() == 0
    assert Rollup5m.objects.get(series__asset=server).count == 1


def test_samples_past_every_retention_are_not_kept(server, now) -> None:
    result = ingest(
        server,
        [cpu(now - dt.timedelta(days=100), 1.0), cpu(now - dt.timedelta(days=800), 1.0)],
        now=now,
    )
    assert result.merged == {"5m": 0, "1h": 1}
    assert result.discarded == 1
    assert Rollup5m.objects.count() == 0
    assert Rollup1h.objects.count() == 1


def test_queries_pick_the_resolution_from_the_range(server, now) -> None:
    start = now.replace(second=0) - dt.timedelta(days=2)
    samples = [cpu(start + dt.timedelta(minutes=m), float(m % 7)) for m in range(0, 24 * 60, 10)]
    ingest(server, [*samples, cpu(now - dt.timedelta(minutes=1), 99.0)], now=now)
    rollups.run(now)

    recent = series_data(server, "cpu.percent", start=now - dt.timedelta(hours=1), end=now, now=now)
    assert recent.resolution == "raw"
    assert [p.v for p in recent.series[0].points] == [99.0]

    days = series_data(server, "cpu.percent", start=start, end=now, now=now)
    assert days.resolution == "5m"
    points = days.series[0].points
    assert points[0].t == start
    assert points[0].count == 1
    assert points[-1].v == 99.0  # the newest bucket, past the watermark, computed from raw
    assert sum(p.count for p in points) == len(samples) + 1

    month = series_data(server, "cpu.percent", start=now - dt.timedelta(days=30), end=now, now=now)
    assert month.resolution == "1h"
    assert sum(p.count for p in month.series[0].points) == len(samples) + 1
    assert all(p.t.minute == 0 for p in month.series[0].points)


def test_queries_filter_by_labels(server, now) -> None:
    ingest(server, [cpu(now, 1.0), cpu(now, 2.0, "0"), cpu(now, 3.0, "1")], now=now)
    everything = series_data(
        server,
        "cpu.percent",
        start=now - dt.timedelta(hours=1),
        end=now + dt.timedelta(seconds=1),
        now=now,
    )
    assert sorted(s.labels["cpu"] for s in everything.series) == ["0", "1", "total"]
    core = series_data(
        server,
        "cpu.percent",
        labels={"cpu": "1"},
        start=now - dt.timedelta(hours=1),
        end=now + dt.timedelta(seconds=1),
        now=now,
    )
    assert [(s.labels, [p.v for p in s.points]) for s in core.series] == [({"cpu": "1"}, [3.0])]


def test_the_metrics_api_answers_with_the_resolution_used(api_as, bob, server, now) -> None:
    ingest(server, [SampleIn("disk.used_percent", {"mount": "/"}, now - dt.timedelta(minutes=2), 71.5),
                    SampleIn("disk.used_percent", {"mount": "/data"}, now - dt.timedelta(minutes=2), 12.0)], now=now)  # fmt: skip
    http = api_as(bob)
    url = f"/api/v1/assets/{server.pk}/metrics"
    response = http.get(url, {"name": "disk.used_percent", "labels": "mount=/"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["resolution"] == "raw"
    assert [(s["labels"], [p["v"] for p in s["points"]]) for s in body["series"]] == [
        ({"mount": "/"}, [71.5])
    ]
    week = http.get(
        url,
        {"name": "disk.used_percent", "start": _iso(now - dt.timedelta(days=7)), "end": _iso(now)},
    )
    assert week.json()["resolution"] == "5m"
    assert len(week.json()["series"]) == 2
    assert http.get(url).json()["field"] == "name"
    backwards = http.get(
        url, {"name": "x.y", "start": _iso(now), "end": _iso(now - dt.timedelta(hours=1))}
    )
    assert backwards.status_code == 422
    assert backwards.json()["field"] == "start"
    assert http.get(url, {"name": "x.y", "labels": "nolabel"}).json()["field"] == "labels"
    names = http.get(f"/api/v1/assets/{server.pk}/metric-names").json()
    assert names["metrics"] == [
        {"name": "disk.used_percent", "labels": [{"mount": "/"}, {"mount": "/data"}]}
    ]


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
